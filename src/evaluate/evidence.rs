//! Evidence the API server leaves on a Pod. With `PodTopologyLabels` (on by default from
//! Kubernetes 1.35) a Binding copies the node's `topology.kubernetes.io/region` and `zone`
//! labels onto the Pod. The copy is taken when the pod is placed and is not changed after,
//! so it says where a bound pod was placed even when its node has been relabelled since (or
//! is gone from the inventory). It is one more exposure to judge, never a reason to pass
//! one: the node's current region is judged as before.

use super::decision::Holder;
use super::exposure::{Category, Exposure};
use super::topology::Reach;
use crate::inventory::{Labels, PodSpec};

/// The label the API server copies from the node at binding (only this key: it does not
/// copy a policy's custom region label).
pub(crate) const COPIED_REGION_LABEL: &str = "topology.kubernetes.io/region";

/// The region a pod's copied label records, when the pod is bound to a node.
pub(crate) fn copied_region<'a>(labels: Option<&'a Labels>, spec: &PodSpec) -> Option<&'a str> {
    spec.node_name.as_deref().filter(|n| !n.is_empty())?;
    labels?.get(COPIED_REGION_LABEL).map(String::as_str).filter(|r| !r.is_empty())
}

/// Adds the copied region of a bound pod to its exposures, unless the pod's placement
/// already names exactly that region (then it would only repeat it).
pub(super) fn with_copied_region(
    mut exposures: Vec<Exposure>,
    labels: Option<&Labels>,
    spec: &PodSpec,
) -> Vec<Exposure> {
    let (Some(region), Some(node)) = (copied_region(labels, spec), spec.node_name.as_deref()) else {
        return exposures;
    };
    let placed = exposures.iter().find(|e| e.category == Category::Placement).map(|e| &e.reach);
    if let Some(Reach::Within(regions)) = placed
        && regions.len() == 1
        && regions.contains(region)
    {
        return exposures;
    }
    exposures.push(Exposure {
        category: Category::Placement,
        holder: Holder::CopiedRegion { node: node.to_string() },
        reach: Reach::Within([region.to_string()].into()),
        bound_volume: None,
        node: Some(node.to_string()),
    });
    exposures
}

#[cfg(test)]
mod tests {
    use crate::evaluate::{Context, Decision, Object, Verdict, evaluate};
    use crate::inventory::Inventory;
    use crate::policy::{PolicySet, SovereigntyPolicy};

    const POLICY: &str = "
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: indonesia-pdp }
spec:
  providers: [aws, gcp]
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: citizen-pii, allowedJurisdictions: [ID] }]
  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-id } }
      dataClasses: [citizen-pii]
";

    /// The gov-id namespace and node `n`, now labelled in `region`.
    fn cluster(region: &str) -> Inventory {
        let mut inventory = Inventory::default();
        let docs = format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{ name: gov-id, labels: {{ tenant: gov-id }} }}\n---\napiVersion: v1\nkind: Node\nmetadata: {{ name: n, labels: {{ topology.kubernetes.io/region: {region} }} }}\n"
        );
        for doc in serde_yaml_ng::Deserializer::from_str(&docs) {
            let value: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
            assert!(inventory.add(&value).unwrap());
        }
        inventory
    }

    /// A pod in gov-id with these labels and spec lines.
    fn judge(labels: &str, spec: &str, inventory: &Inventory) -> Decision {
        let policy: SovereigntyPolicy = serde_yaml_ng::from_str(POLICY).unwrap();
        let set = PolicySet::compile(&[policy]);
        let pod: serde_json::Value = serde_yaml_ng::from_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{ name: p, namespace: gov-id, labels: {labels} }}\nspec:\n  containers: [{{ name: c, image: busybox }}]\n{spec}"
        ))
        .unwrap();
        evaluate(&Object::parse(&pod).unwrap(), &Context::default(), inventory, &set)
    }

    const COPIED_VIRGINIA: &str = "{ topology.kubernetes.io/region: us-east-1 }";
    const COPIED_JAKARTA: &str = "{ topology.kubernetes.io/region: ap-southeast-3 }";

    #[test]
    fn a_bound_pod_whose_copied_region_is_outside_is_denied_though_its_node_now_says_inside() {
        let decision = judge(COPIED_VIRGINIA, "  nodeName: n\n", &cluster("ap-southeast-3"));
        assert_eq!(decision.verdict, Verdict::Deny, "{decision:#?}");
        assert_eq!(decision.violations.len(), 1, "{decision:#?}");
        let message = &decision.violations[0].message;
        assert!(message.contains("copied from node n at binding: it was placed in region us-east-1"), "{message}");
        assert!(message.contains("Fix: move it off node n"), "{message}");
    }

    #[test]
    fn a_bound_pod_whose_copied_region_is_inside_passes() {
        let decision = judge(COPIED_JAKARTA, "  nodeName: n\n", &cluster("ap-southeast-3"));
        assert_eq!(decision.verdict, Verdict::Allow, "{decision:#?}");
    }

    #[test]
    fn the_copied_region_does_not_excuse_a_node_now_outside() {
        let decision = judge(COPIED_JAKARTA, "  nodeName: n\n", &cluster("us-east-1"));
        assert_eq!(decision.verdict, Verdict::Deny, "{decision:#?}");
        assert!(decision.violations[0].message.contains("is placed on node n, in region us-east-1"), "{decision:#?}");
    }

    #[test]
    fn a_copied_region_that_repeats_the_node_region_is_one_violation_not_two() {
        let decision = judge(COPIED_VIRGINIA, "  nodeName: n\n", &cluster("us-east-1"));
        assert_eq!(decision.violations.len(), 1, "{decision:#?}");
        assert!(decision.violations[0].message.contains("is placed on node n"), "{decision:#?}");
    }

    #[test]
    fn the_label_on_an_unbound_pod_is_no_evidence() {
        let pinned = "  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }\n";
        let decision = judge(COPIED_VIRGINIA, pinned, &cluster("ap-southeast-3"));
        assert_eq!(decision.verdict, Verdict::Allow, "{decision:#?}");
    }

    #[test]
    fn the_copied_region_places_a_pod_whose_node_is_not_in_the_inventory() {
        let decision = judge(COPIED_VIRGINIA, "  nodeName: gone\n", &cluster("ap-southeast-3"));
        let all: Vec<&str> = decision.violations.iter().map(|v| v.message.as_str()).collect();
        assert!(
            all.iter().any(|m| m.contains("copied from node gone at binding: it was placed in region us-east-1")),
            "{all:#?}"
        );
    }
}
