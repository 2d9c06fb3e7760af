//! Pods read live from the API server: one a binding names before the watch delivered it,
//! and the pods that exist, for the declassification guard.

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, Client};
use serde_json::Value;

use crate::evaluate::Held;
use crate::state::PodSource;

/// Reads a pod from the API server, for bindings that beat the watch.
pub struct LivePods(pub Client);

impl PodSource for LivePods {
    fn fetch<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async move {
            let pod =
                Api::<Pod>::namespaced(self.0.clone(), namespace).get_opt(name).await.map_err(|e| e.to_string())?;
            pod.map(|pod| serde_json::to_value(pod).map_err(|e| e.to_string())).transpose()
        })
    }

    fn list<'a>(&'a self, namespace: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Held>, String>> {
        Box::pin(async move {
            let api = match namespace {
                Some(ns) => Api::<Pod>::namespaced(self.0.clone(), ns),
                None => Api::<Pod>::all(self.0.clone()),
            };
            let mut held = Vec::new();
            let mut params = kube::api::ListParams::default().limit(500);
            loop {
                let page = api.list_metadata(&params).await.map_err(|e| e.to_string())?;
                held.extend(page.items.into_iter().map(|pod| Held {
                    kind: "Pod".into(),
                    namespace: pod.metadata.namespace,
                    name: pod.metadata.name.unwrap_or_default(),
                    labels: pod.metadata.labels.unwrap_or_default(),
                }));
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok(held),
                }
            }
        })
    }
}
