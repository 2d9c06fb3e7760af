//! `spec.stores` (SPEC §13): store kinds a policy adds beside the built-in ones, and the
//! region of ACK stores that name none. Validated when the policy is applied.

use kube::KubeSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::Provider;
use crate::kinds;

/// Cloud data stores declared as Kubernetes objects.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stores {
    /// The AWS region of an ACK store (`*.services.k8s.aws`) with no `services.k8s.aws/region`
    /// annotation, in a namespace without `services.k8s.aws/default-region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub ack_default_region: Option<String>,
    /// Store kinds of one's own, beside the built-in ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub kinds: Vec<StoreKind>,
}

/// A kind whose objects are places where data is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct StoreKind {
    /// The API group (`example.org`).
    #[schemars(length(min = 1, max = 253))]
    pub group: String,
    #[schemars(length(min = 1, max = 63))]
    pub kind: String,
    /// The catalog that names its locations (`aws`, `gcp`, `azure`, ...).
    pub provider: Provider,
    /// A dotted path into the object (`spec.region`); an annotation is read with
    /// `metadata.annotations.<name>`, a label with `metadata.labels.<name>`.
    #[schemars(length(min = 1, max = 512))]
    pub location: String,
}

/// `spec.stores`, checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompiledStores {
    pub ack_default_region: Option<String>,
    pub kinds: Vec<StoreKind>,
}

impl CompiledStores {
    /// The declaration of a kind, when this policy makes it a store.
    pub fn kind(&self, group: &str, kind: &str) -> Option<&StoreKind> {
        self.kinds.iter().find(|k| k.group == group && k.kind == kind)
    }
}

/// The steps of a location path: `metadata.annotations.<name>` and `metadata.labels.<name>`
/// end in one key, dots and all; anything else splits on dots. `None`: not a path into the
/// metadata or the spec.
pub fn path_steps(path: &str) -> Option<Vec<&str>> {
    for map in ["metadata.annotations.", "metadata.labels."] {
        if let Some(key) = path.strip_prefix(map) {
            let parent = &map[..map.len() - 1];
            return (!key.is_empty()).then(|| parent.split('.').chain([key]).collect());
        }
    }
    let steps: Vec<&str> = path.split('.').collect();
    let fine = steps.len() > 1 && steps[0] == "spec" && steps.iter().all(|s| !s.is_empty());
    fine.then_some(steps)
}

pub(super) fn compile_stores(stores: Option<&Stores>, errors: &mut Vec<String>) -> CompiledStores {
    let Some(stores) = stores else { return CompiledStores::default() };
    if let Some(region) = &stores.ack_default_region
        && Provider::Aws.region(region).is_none()
    {
        errors.push(format!(
            "spec.stores.ackDefaultRegion {region:?} is not an AWS region the catalog knows (sovereign regions --provider aws lists them)"
        ));
    }
    for (i, declared) in stores.kinds.iter().enumerate() {
        let at = format!("spec.stores.kinds[{i}]");
        if declared.group.trim().is_empty() || declared.kind.trim().is_empty() {
            errors.push(format!("{at} needs both a group and a kind"));
        }
        if kinds::find(&declared.group, &declared.kind).is_some() {
            errors.push(format!(
                "{at}: {} {} is a kind sovereign already knows; declare only kinds of your own",
                declared.group, declared.kind
            ));
        }
        if stores.kinds[..i].iter().any(|k| k.group == declared.group && k.kind == declared.kind) {
            errors.push(format!("{at}: {} {} is declared twice", declared.group, declared.kind));
        }
        if path_steps(&declared.location).is_none() {
            errors.push(format!(
                "{at}.location {:?} is not a dotted path into the spec (spec.region) or to an annotation or label (metadata.annotations.<name>)",
                declared.location
            ));
        }
    }
    CompiledStores { ack_default_region: stores.ack_default_region.clone(), kinds: stores.kinds.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(group: &str, kind: &str, location: &str) -> StoreKind {
        StoreKind { group: group.into(), kind: kind.into(), provider: Provider::Aws, location: location.into() }
    }

    fn errors_of(stores: Stores) -> Vec<String> {
        let mut errors = Vec::new();
        compile_stores(Some(&stores), &mut errors);
        errors
    }

    #[test]
    fn paths_reach_into_the_spec_or_to_one_annotation_or_label() {
        assert_eq!(path_steps("spec.region"), Some(vec!["spec", "region"]));
        assert_eq!(path_steps("spec.forProvider.location"), Some(vec!["spec", "forProvider", "location"]));
        assert_eq!(
            path_steps("metadata.annotations.services.k8s.aws/region"),
            Some(vec!["metadata", "annotations", "services.k8s.aws/region"])
        );
        assert_eq!(path_steps("metadata.labels.region"), Some(vec!["metadata", "labels", "region"]));
        for bad in ["", "spec", "spec..region", "status.region", "metadata.name", "metadata.annotations.", "region"] {
            assert_eq!(path_steps(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_declaration_is_checked_when_the_policy_is_applied() {
        let fine = Stores {
            ack_default_region: Some("eu-central-1".into()),
            kinds: vec![declared("example.org", "Vault", "spec.region")],
        };
        assert_eq!(errors_of(fine), Vec::<String>::new());

        let errors = errors_of(Stores {
            ack_default_region: Some("europe-west3".into()),
            kinds: vec![
                declared("example.org", "Vault", "region"),
                declared("example.org", "Vault", "spec.region"),
                declared("s3.aws.upbound.io", "Bucket", "spec.forProvider.region"),
                declared("", "Vault", "spec.region"),
            ],
        });
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].contains("ackDefaultRegion \"europe-west3\" is not an AWS region"));
        assert!(errors[1].contains("kinds[0].location \"region\" is not a dotted path"));
        assert!(errors[2].contains("kinds[1]: example.org Vault is declared twice"));
        assert!(errors[3].contains("already knows"));
        assert!(errors[4].contains("kinds[3] needs both a group and a kind"));
    }
}
