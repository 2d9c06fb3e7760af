//! `sovereign report` against a live cluster: one consistent read of the policies, the
//! inventory and every audited object, through the current kubeconfig context.

use kube::api::{Api, DynamicObject, ListParams};
use kube::{Client, Resource};
use serde_json::Value;

use super::check::{CheckReport, outcome};
use crate::audit::subject::{Subject, SubjectError};
use crate::evaluate::{Caller, Context, evaluate};
use crate::inventory::Inventory;
use crate::kinds::{self, Kind};
use crate::manifest::Origin;
use crate::policy::{PolicySet, SovereigntyPolicy};
use crate::server::discovery::{served, to_value};

/// Why the cluster could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("no cluster to read ({0}); set KUBECONFIG, or pass -p and -f to report on files")]
    NoCluster(String),
    #[error("listing {what}: {source}")]
    List {
        what: String,
        #[source]
        source: kube::Error,
    },
}

/// Evaluates every audited object in the cluster, with `locate`. Policies come from
/// `policies` when given, else from the cluster.
pub async fn evaluate_cluster(policies: Option<PolicySet>) -> Result<(CheckReport, PolicySet), LiveError> {
    let client = Client::try_default().await.map_err(|e| LiveError::NoCluster(e.to_string()))?;
    let set = match policies {
        Some(set) => set,
        None => {
            let api: Api<SovereigntyPolicy> = Api::all(client.clone());
            let listed = api
                .list(&ListParams::default())
                .await
                .map_err(|source| LiveError::List { what: SovereigntyPolicy::plural(&()).to_string(), source })?;
            PolicySet::compile(&listed.items)
        }
    };

    let mut inventory = Inventory::default();
    for known in kinds::with(|roles| roles.inventory) {
        for value in list(&client, known).await? {
            if let Err(e) = inventory.add(&value) {
                tracing::debug!(kind = known.kind, error = %e, "left out of the inventory");
            }
        }
    }

    let ctx = Context::of(Caller::Report);
    let mut outcomes = Vec::new();
    for known in kinds::with(|roles| roles.audited) {
        let kind = known.kind;
        for value in list(&client, known).await? {
            let subject = match Subject::from_value(&value) {
                Ok(subject) => subject,
                Err(SubjectError::Owned(_)) => continue,
                Err(e) => {
                    tracing::warn!(kind, error = %e, "cannot read an object; left out of the report");
                    continue;
                }
            };
            let namespace = (!subject.key.namespace.is_empty()).then_some(subject.key.namespace.as_str());
            let decision = evaluate(&subject.object, &Context { namespace, ..ctx }, &inventory, &set);
            let origin = Origin { path: format!("cluster {}", subject.key), document: 1, item: None };
            outcomes.push(outcome(&subject.object, decision, origin));
        }
    }
    Ok((CheckReport { outcomes, not_judged: Vec::new() }, set))
}

/// Every object of a kind, with apiVersion and kind set (list items come without them),
/// in the first of its versions the server serves. A kind the server does not serve is an
/// empty list.
async fn list(client: &Client, known: &Kind) -> Result<Vec<Value>, LiveError> {
    let kind = known.kind;
    let Some(resource) = served(client, known).await else {
        tracing::info!(kind, "not served by this API server; skipped");
        return Ok(Vec::new());
    };
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
    let listed = api
        .list(&ListParams::default())
        .await
        .map_err(|source| LiveError::List { what: resource.plural.clone(), source })?;
    Ok(listed.items.into_iter().filter_map(|object| to_value(&resource, kind, object)).collect())
}
