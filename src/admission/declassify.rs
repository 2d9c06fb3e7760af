//! The declassification guard at admission (SPEC §14): the request's old labels (or old
//! policy) and new object become a [`Change`]; when the core says it must know what exists, the objects are
//! listed (live pods, and the claims, volumes and copies the inventory keeps) within the
//! lookup budget; the core judges. A list that fails or runs out of time is passed on as
//! such, and the core refuses rather than guesses.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::evaluate::{
    Change, Context, Decision, Held, Holdings, Object, declassification, holdings_needed, label_sets,
};
use crate::inventory::{Inventory, Labels};
use crate::kinds;
use crate::read::OldLabels;
use crate::state::State;

/// The change an UPDATE makes to an object's labels, as the guard reads it; `None` when its
/// label sets are as they were, so no class can be taken (most updates: nothing to judge).
pub(super) fn relabel<'a>(old: &'a OldLabels, new: &'a Object) -> Option<Change<'a>> {
    let now = label_sets(new);
    let before: Vec<Option<&Labels>> = match now.len() {
        1 => vec![old.own.as_ref()],
        _ => vec![old.own.as_ref(), old.template.as_ref()],
    };
    let empty = |l: &Option<&Labels>| l.is_none_or(|l| l.is_empty());
    let same = before.len() == now.len() && before.iter().zip(&now).all(|(b, n)| b == n || (empty(b) && empty(n)));
    if same {
        return None;
    }
    if new.known_kind().is_some_and(|k| k.group.is_empty() && k.kind == "Namespace") {
        let name = new.meta().name.as_deref().unwrap_or_default();
        return Some(Change::Namespace { name, old: old.own.as_ref(), new: new.meta().labels.as_ref() });
    }
    Some(Change::Relabel { old: before, new })
}

/// Judges the change, listing what exists first when the core asks for it.
pub(super) async fn judge(change: &Change<'_>, ctx: &Context<'_>, state: &State, budget: Duration) -> Decision {
    let policies = state.policies.load();
    let held = match holdings_needed(change, ctx, &policies) {
        Holdings::Nothing => Ok(Vec::new()),
        Holdings::Namespace(ns) => holdings(state, Some(ns), budget).await,
        Holdings::Cluster => holdings(state, None, budget).await,
    };
    let inventory = state.read_inventory();
    let held = held.as_deref().map_err(String::as_str);
    declassification(change, ctx, &inventory, &policies, held)
}

/// What exists in a namespace (or everywhere): live pods, when a pod source is set (cluster
/// mode), and what the inventory keeps, each once.
async fn holdings(state: &State, namespace: Option<&str>, budget: Duration) -> Result<Vec<Held>, String> {
    let mut held = match &state.pods {
        Some(source) => match tokio::time::timeout(budget, source.list(namespace)).await {
            Ok(Ok(pods)) => pods,
            Ok(Err(e)) => {
                state.metrics.error("live_list");
                tracing::warn!(namespace = namespace.unwrap_or("*"), error = %e, "listing pods for the declassification guard failed");
                return Err(format!("listing pods failed: {e}"));
            }
            Err(_) => {
                state.metrics.error("live_list_timeout");
                tracing::warn!(
                    namespace = namespace.unwrap_or("*"),
                    "listing pods for the declassification guard timed out"
                );
                return Err(format!("listing pods took longer than {} ms", budget.as_millis()));
            }
        },
        None => Vec::new(),
    };
    held.extend(kept(&state.read_inventory(), namespace));
    let mut seen = BTreeSet::new();
    held.retain(|h| seen.insert((h.kind.clone(), h.namespace.clone(), h.name.clone())));
    Ok(held)
}

/// What the inventory keeps that holds data: pods not yet scheduled, claims, volumes (in
/// their claim's namespace), and copies and stores kept whole.
fn kept(inventory: &Inventory, namespace: Option<&str>) -> Vec<Held> {
    let namespaces: Vec<String> = match namespace {
        Some(ns) => vec![ns.to_string()],
        None => inventory.namespaces().map(|(name, _)| name.clone()).collect(),
    };
    let mut held = Vec::new();
    let meta_of = |kind: &str, meta: &crate::inventory::Meta, ns: Option<&str>| Held {
        kind: kind.to_string(),
        namespace: ns.map(str::to_string),
        name: meta.name.clone().unwrap_or_default(),
        labels: meta.labels.clone().unwrap_or_default(),
    };
    for ns in &namespaces {
        held.extend(inventory.pods_in(ns).map(|p| meta_of("Pod", &p.meta, Some(ns))));
        held.extend(inventory.claims_in(ns).map(|c| meta_of("PersistentVolumeClaim", &c.meta, Some(ns))));
    }
    for volume in inventory.volumes() {
        let claim_ns = volume.claim_ref.as_ref().and_then(|r| r.namespace.as_deref());
        if namespace.is_none() || claim_ns == namespace {
            held.push(meta_of("PersistentVolume", &volume.meta, claim_ns.filter(|_| namespace.is_some())));
        }
    }
    for kind in kinds::kept_whole().filter(|k| k.roles.judged) {
        for value in inventory.kept_all(kind) {
            let Ok(meta) = serde_json::from_value::<crate::inventory::Meta>(value["metadata"].clone()) else {
                continue;
            };
            let ns = meta.namespace.clone().filter(|_| kind.namespaced());
            if namespace.is_none() || ns.as_deref() == namespace {
                held.push(meta_of(kind.kind, &meta, ns.as_deref()));
            }
        }
    }
    held
}
