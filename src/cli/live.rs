//! `sovereign report` against a live cluster: one consistent read of the policies, the
//! inventory and every audited object, through the current kubeconfig context.

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use kube::discovery;
use kube::{Client, Resource};
use serde_json::Value;

use super::check::{CheckReport, outcome};
use crate::audit::subject::{AUDITED, Subject, SubjectError};
use crate::audit::to_value;
use crate::evaluate::{Context, evaluate};
use crate::inventory::Inventory;
use crate::manifest::Origin;
use crate::policy::{PolicySet, SovereigntyPolicy};

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

/// The kinds the inventory reads, as the API serves them.
const INVENTORY: &[(&str, &str, &str)] = &[
    ("", "v1", "Namespace"),
    ("", "v1", "Node"),
    ("", "v1", "PersistentVolume"),
    ("", "v1", "PersistentVolumeClaim"),
    ("storage.k8s.io", "v1", "StorageClass"),
    ("", "v1", "Pod"),
];

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
    for (group, version, kind) in INVENTORY {
        for value in list(&client, group, version, kind).await? {
            if let Err(e) = inventory.add(&value) {
                tracing::debug!(kind, error = %e, "left out of the inventory");
            }
        }
    }

    let ctx = Context { locate: true, ..Context::default() };
    let mut outcomes = Vec::new();
    for (kind, api_version) in AUDITED {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        for value in list(&client, group, version, kind).await? {
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
    Ok((CheckReport { outcomes }, set))
}

/// Every object of a kind, with apiVersion and kind set (list items come without them).
/// A kind the server does not serve (CronJob batch/v1 before 1.21) is an empty list.
async fn list(client: &Client, group: &str, version: &str, kind: &str) -> Result<Vec<Value>, LiveError> {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let Ok((resource, _)) = discovery::pinned_kind(client, &gvk).await else {
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
