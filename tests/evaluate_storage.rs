mod common;
use common::*;
use sovereign::evaluate::Verdict;
use sovereign::inventory::Inventory;

// ---------------------------------------------------------------------------------------
// Scenario builders: a pod pinned to Jakarta in the classified gov-id namespace, and the
// claims, volumes and classes its volumes point at.
// ---------------------------------------------------------------------------------------

/// A gov-id pod pinned to Jakarta whose `volumes:` list is `volumes` (items indented by 4).
fn jakarta_pod(volumes: &str) -> String {
    pod(&format!("  nodeSelector: {{ topology.kubernetes.io/region: ap-southeast-3 }}\n  volumes:\n{volumes}"))
}

/// A gov-id pod pinned to Jakarta mounting claim `data`.
fn pod_mounting_data() -> String {
    jakarta_pod("    - { name: v, persistentVolumeClaim: { claimName: data } }\n")
}

/// The CLUSTER inventory plus `extra` documents.
fn cluster_with(extra: &str) -> Inventory {
    inventory(&format!("{CLUSTER}---\n{extra}"))
}

/// A claim `data` in `namespace` with the given spec body (flow mapping contents).
fn claim_in(namespace: &str, spec: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{ name: data, namespace: {namespace} }}
spec: {{ accessModes: [ReadWriteOnce], resources: {{ requests: {{ storage: 1Gi }} }}{spec} }}
"#
    )
}

/// Claim gov-id/data bound to PersistentVolume `volume`.
fn bound_claim(volume: &str) -> String {
    claim_in("gov-id", &format!(", storageClassName: \"\", volumeName: {volume}"))
}

/// Claim gov-id/data asking for StorageClass `class` (`None`: the field is omitted).
fn class_claim(class: Option<&str>) -> String {
    match class {
        Some(class) => claim_in("gov-id", &format!(", storageClassName: \"{class}\"")),
        None => claim_in("gov-id", ""),
    }
}

/// A PersistentVolume `pv-1` with the given labels (flow mapping contents) and extra spec lines.
fn volume(labels: &str, spec_extra: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: PersistentVolume
metadata: {{ name: pv-1, labels: {{ {labels} }} }}
spec:
  capacity: {{ storage: 1Gi }}
  accessModes: [ReadWriteOnce]
  csi: {{ driver: ebs.csi.aws.com, volumeHandle: vol-1 }}
{spec_extra}"#
    )
}

/// A PersistentVolume whose required nodeAffinity keeps it in `regions`.
fn volume_with_affinity(regions: &str) -> String {
    volume(
        "",
        &format!(
            r#"  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - {{ key: topology.kubernetes.io/region, operator: In, values: [{regions}] }}
"#
        ),
    )
}

/// An Immediate StorageClass; `regions` (if any) become its allowedTopologies.
fn immediate_class(name: &str, regions: Option<&str>) -> String {
    let topologies = match regions {
        Some(regions) => format!(
            "allowedTopologies:\n  - matchLabelExpressions:\n      - {{ key: topology.kubernetes.io/region, values: [{regions}] }}\n"
        ),
        None => String::new(),
    };
    format!(
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{ name: {name} }}
provisioner: ebs.csi.aws.com
volumeBindingMode: Immediate
{topologies}"#
    )
}

fn wffc_class(name: &str) -> String {
    format!(
        r#"
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{ name: {name} }}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
"#
    )
}

/// Marks a StorageClass document as the cluster default.
fn as_default(class: &str) -> String {
    class.replacen(
        "metadata: { name:",
        "metadata: { annotations: { storageclass.kubernetes.io/is-default-class: \"true\" }, name:",
        1,
    )
}

fn pod_with_ephemeral_volume(class: &str) -> String {
    jakarta_pod(&format!(
        r#"    - name: scratch
      ephemeral:
        volumeClaimTemplate:
          spec: {{ accessModes: [ReadWriteOnce], storageClassName: {class}, resources: {{ requests: {{ storage: 1Gi }} }} }}
"#
    ))
}

fn statefulset_with_claim_template(class: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {{ name: db, namespace: gov-id }}
spec:
  serviceName: db
  selector: {{ matchLabels: {{ app: db }} }}
  template:
    metadata: {{ labels: {{ app: db }} }}
    spec:
      nodeSelector: {{ topology.kubernetes.io/region: ap-southeast-3 }}
      containers: [{{ name: c, image: postgres }}]
  volumeClaimTemplates:
    - metadata: {{ name: pgdata }}
      spec: {{ accessModes: [ReadWriteOnce], storageClassName: {class}, resources: {{ requests: {{ storage: 1Gi }} }} }}
"#
    )
}

/// A cluster-scoped PersistentVolume `pv-1` in `region`, with optional claimRef and labels.
fn standalone_volume(region: &str, claim_ref: Option<&str>, extra_labels: &str) -> String {
    let claim_ref = claim_ref.map(|c| format!("  claimRef: {{ {c} }}\n")).unwrap_or_default();
    volume(&format!("topology.kubernetes.io/region: {region}{extra_labels}"), &claim_ref)
}

// ---------------------------------------------------------------------------------------
// Bound claims: the PersistentVolume decides.
// ---------------------------------------------------------------------------------------

#[test]
fn claim_bound_to_a_volume_labelled_jakarta_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("topology.kubernetes.io/region: ap-southeast-3", "")
    ));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn claim_bound_to_a_volume_labelled_us_east_1_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("topology.kubernetes.io/region: us-east-1", "")
    ));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["is stored in region us-east-1", "PersistentVolume pv-1"]);
}

#[test]
fn volume_node_affinity_outside_the_allowed_regions_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", bound_claim("pv-1"), volume_with_affinity("us-east-1")));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["is stored in region us-east-1"]);
}

#[test]
fn volume_node_affinity_in_jakarta_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", bound_claim("pv-1"), volume_with_affinity("ap-southeast-3")));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn deprecated_region_label_on_a_volume_places_it_in_jakarta() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("failure-domain.beta.kubernetes.io/region: ap-southeast-3", "")
    ));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn deprecated_region_label_on_a_volume_outside_the_allowed_regions_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("failure-domain.beta.kubernetes.io/region: us-east-1", "")
    ));
    assert_denied_saying(&judge(&pod_mounting_data(), &inv, &set), &["is stored in region us-east-1"]);
}

#[test]
fn zone_label_mapped_by_the_policy_places_a_volume_in_its_region() {
    let set = policies(&[&indonesia("  zones: { ap-southeast-3a: ap-southeast-3 }")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("topology.kubernetes.io/zone: ap-southeast-3a", "")
    ));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn zone_label_mapped_to_a_disallowed_region_is_denied() {
    let set = policies(&[&indonesia("  zones: { us-east-1a: us-east-1 }")]);
    let inv =
        cluster_with(&format!("{}---\n{}", bound_claim("pv-1"), volume("topology.kubernetes.io/zone: us-east-1a", "")));
    assert_denied_saying(&judge(&pod_mounting_data(), &inv, &set), &["is stored in region us-east-1"]);
}

#[test]
fn zone_label_the_policy_does_not_map_leaves_the_volume_without_topology() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("topology.kubernetes.io/zone: ap-southeast-3a", "")
    ));
    assert_denied_saying(&judge(&pod_mounting_data(), &inv, &set), &["has no topology"]);
}

#[test]
fn volume_without_topology_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", bound_claim("pv-1"), volume("", "")));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["PersistentVolume pv-1 has no topology"]);
}

#[test]
fn claim_missing_from_the_inventory_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = inventory(CLUSTER);
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["PersistentVolumeClaim gov-id/data does not exist"]);
}

#[test]
fn claim_bound_to_a_volume_missing_from_the_inventory_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&bound_claim("pv-gone"));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["PersistentVolume pv-gone is not in the inventory"]);
}

// ---------------------------------------------------------------------------------------
// Unbound claims: the StorageClass decides.
// ---------------------------------------------------------------------------------------

#[test]
fn immediate_class_with_allowed_topologies_in_jakarta_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv =
        cluster_with(&format!("{}---\n{}", class_claim(Some("jkt")), immediate_class("jkt", Some("ap-southeast-3"))));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn immediate_class_with_allowed_topologies_outside_the_allowed_regions_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", class_claim(Some("iad")), immediate_class("iad", Some("us-east-1"))));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["may be provisioned in region us-east-1"]);
}

#[test]
fn immediate_class_without_allowed_topologies_is_unconfined() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", class_claim(Some("gp3")), immediate_class("gp3", None)));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["StorageClass gp3 binds Immediately", "WaitForFirstConsumer"]);
}

#[test]
fn wait_for_first_consumer_class_follows_the_pod() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", class_claim(Some("gp3-wffc")), wffc_class("gp3-wffc")));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn omitted_class_name_uses_the_default_class_when_it_confines() {
    let set = policies(&[&indonesia("")]);
    // The only confining class is the default; the other class would be denied.
    let inv = cluster_with(&format!(
        "{}---\n{}---\n{}",
        class_claim(None),
        as_default(&wffc_class("standard")),
        immediate_class("other", None)
    ));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn omitted_class_name_uses_the_default_class_when_it_is_unconfined() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}---\n{}",
        class_claim(None),
        as_default(&immediate_class("standard", None)),
        wffc_class("other")
    ));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["StorageClass standard binds Immediately"]);
}

#[test]
fn omitted_class_name_without_a_default_class_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!("{}---\n{}", class_claim(None), wffc_class("not-default")));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["the cluster has no default one"]);
}

#[test]
fn class_missing_from_the_inventory_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&class_claim(Some("gold")));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["StorageClass gold is not in the inventory"]);
}

#[test]
fn empty_class_name_without_a_volume_name_is_denied() {
    let set = policies(&[&indonesia("")]);
    // Even with a confining default class: "" means "no class", not "the default".
    let inv = cluster_with(&format!("{}---\n{}", class_claim(Some("")), as_default(&wffc_class("standard"))));
    let d = judge(&pod_mounting_data(), &inv, &set);
    assert_denied_saying(&d, &["names no StorageClass and no PersistentVolume"]);
}

// ---------------------------------------------------------------------------------------
// Generic ephemeral volumes and StatefulSet claim templates.
// ---------------------------------------------------------------------------------------

#[test]
fn ephemeral_volume_with_an_immediate_unconfined_class_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&immediate_class("gp3", None));
    let d = judge(&pod_with_ephemeral_volume("gp3"), &inv, &set);
    assert_denied_saying(&d, &["ephemeral volume \"scratch\"", "binds Immediately"]);
}

#[test]
fn ephemeral_volume_with_a_wait_for_first_consumer_class_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&wffc_class("gp3-wffc"));
    assert_verdict(&judge(&pod_with_ephemeral_volume("gp3-wffc"), &inv, &set), Verdict::Allow);
}

#[test]
fn statefulset_claim_template_with_an_unconfined_class_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&immediate_class("gp3", None));
    let d = judge(&statefulset_with_claim_template("gp3"), &inv, &set);
    assert_denied_saying(&d, &["StatefulSet gov-id/db", "volumeClaimTemplate \"pgdata\"", "binds Immediately"]);
}

#[test]
fn statefulset_claim_template_with_a_confined_class_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&immediate_class("jkt", Some("ap-southeast-3")));
    assert_verdict(&judge(&statefulset_with_claim_template("jkt"), &inv, &set), Verdict::Allow);
}

// ---------------------------------------------------------------------------------------
// Network volumes.
// ---------------------------------------------------------------------------------------

const NETWORK_VOLUMES: &[(&str, &str)] = &[
    ("nfs", "nfs: { server: nfs.example.com, path: /exports }"),
    ("iscsi", "iscsi: { targetPortal: 10.0.0.1:3260, iqn: iqn.2001-04.com.example:storage, lun: 0 }"),
    ("cephfs", "cephfs: { monitors: [10.0.0.1:6789] }"),
    ("glusterfs", "glusterfs: { endpoints: glusterfs-cluster, path: vol }"),
    ("rbd", "rbd: { monitors: [10.0.0.1:6789], image: disk }"),
    ("azureFile", "azureFile: { secretName: azure-secret, shareName: share }"),
];

fn pod_with_network_volume(kind: &str) -> String {
    let source = NETWORK_VOLUMES.iter().find(|(k, _)| *k == kind).expect("known network kind").1;
    jakarta_pod(&format!("    - {{ name: net, {source} }}\n"))
}

#[track_caller]
fn assert_network_volume_denied(kind: &str) {
    let set = policies(&[&indonesia("")]);
    let d = judge(&pod_with_network_volume(kind), &inventory(CLUSTER), &set);
    assert_denied_saying(&d, &[&format!("its {kind} volume \"net\""), "networkVolumes: Allow"]);
}

#[test]
fn nfs_volume_is_denied_by_default() {
    assert_network_volume_denied("nfs");
}

#[test]
fn iscsi_volume_is_denied_by_default() {
    assert_network_volume_denied("iscsi");
}

#[test]
fn cephfs_volume_is_denied_by_default() {
    assert_network_volume_denied("cephfs");
}

#[test]
fn glusterfs_volume_is_denied_by_default() {
    assert_network_volume_denied("glusterfs");
}

#[test]
fn rbd_volume_is_denied_by_default() {
    assert_network_volume_denied("rbd");
}

#[test]
fn azure_file_volume_is_denied_by_default() {
    assert_network_volume_denied("azureFile");
}

#[test]
fn network_volumes_are_allowed_when_the_policy_allows_them() {
    let set = policies(&[&indonesia("  volumes: { networkVolumes: Allow }")]);
    let inv = inventory(CLUSTER);
    for (kind, _) in NETWORK_VOLUMES {
        let d = judge(&pod_with_network_volume(kind), &inv, &set);
        assert_eq!(d.verdict, Verdict::Allow, "{kind}: {d:#?}");
    }
}

// ---------------------------------------------------------------------------------------
// volumes.unconfinedStorage: Allow tolerates classes that could provision anywhere, never
// volumes that exist elsewhere or facts that are missing.
// ---------------------------------------------------------------------------------------

#[test]
fn unconfined_storage_allow_tolerates_an_immediate_unconfined_class() {
    let set = policies(&[&indonesia("  volumes: { unconfinedStorage: Allow }")]);
    let inv = cluster_with(&format!("{}---\n{}", class_claim(Some("gp3")), immediate_class("gp3", None)));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn unconfined_storage_allow_still_denies_a_claim_bound_to_a_volume_outside() {
    let set = policies(&[&indonesia("  volumes: { unconfinedStorage: Allow }")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        bound_claim("pv-1"),
        volume("topology.kubernetes.io/region: us-east-1", "")
    ));
    assert_denied_saying(&judge(&pod_mounting_data(), &inv, &set), &["is stored in region us-east-1"]);
}

#[test]
fn unconfined_storage_allow_still_denies_a_missing_claim() {
    let set = policies(&[&indonesia("  volumes: { unconfinedStorage: Allow }")]);
    let d = judge(&pod_mounting_data(), &inventory(CLUSTER), &set);
    assert_denied_saying(&d, &["PersistentVolumeClaim gov-id/data does not exist"]);
}

// ---------------------------------------------------------------------------------------
// Node-local volumes follow the pod.
// ---------------------------------------------------------------------------------------

#[test]
fn node_local_volumes_follow_the_pod() {
    let set = policies(&[&indonesia("")]);
    let inv = inventory(CLUSTER);
    let sources = [
        "emptyDir: {}",
        "hostPath: { path: /var/data }",
        "configMap: { name: settings }",
        "secret: { secretName: creds }",
        "projected: { sources: [ { configMap: { name: settings } } ] }",
        "downwardAPI: { items: [ { path: labels, fieldRef: { fieldPath: metadata.labels } } ] }",
    ];
    for source in sources {
        let d = judge(&jakarta_pod(&format!("    - {{ name: local, {source} }}\n")), &inv, &set);
        assert_eq!(d.verdict, Verdict::Allow, "{source}: {d:#?}");
    }
}

// ---------------------------------------------------------------------------------------
// PersistentVolumeClaims judged themselves.
// ---------------------------------------------------------------------------------------

#[test]
fn claim_object_with_an_unconfined_class_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&immediate_class("gp3", None));
    let d = judge(&class_claim(Some("gp3")), &inv, &set);
    assert_denied_saying(&d, &["PersistentVolumeClaim gov-id/data", "citizen-pii", "binds Immediately"]);
}

#[test]
fn claim_object_with_a_wait_for_first_consumer_class_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&wffc_class("gp3-wffc"));
    assert_verdict(&judge(&class_claim(Some("gp3-wffc")), &inv, &set), Verdict::Allow);
}

#[test]
fn claim_object_with_a_confined_class_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&immediate_class("jkt", Some("ap-southeast-3, asia-southeast2")));
    assert_verdict(&judge(&class_claim(Some("jkt")), &inv, &set), Verdict::Allow);
}

#[test]
fn claim_object_in_an_unclassified_namespace_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{ name: public }}\n---\n{}",
        immediate_class("gp3", None)
    ));
    let d = judge(&claim_in("public", ", storageClassName: gp3"), &inv, &set);
    assert_verdict(&d, Verdict::Allow);
    assert!(d.classes.is_empty(), "{d:#?}");
}

// ---------------------------------------------------------------------------------------
// PersistentVolumes judged themselves, classified through their claim.
// ---------------------------------------------------------------------------------------

const CLAIM_REF: &str = "kind: PersistentVolumeClaim, namespace: gov-id, name: data";

#[test]
fn volume_bound_to_a_classified_claim_outside_the_allowed_regions_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&bound_claim("pv-1"));
    let d = judge(&standalone_volume("us-east-1", Some(CLAIM_REF), ""), &inv, &set);
    assert_denied_saying(&d, &["PersistentVolume pv-1", "citizen-pii", "is stored in region us-east-1"]);
}

#[test]
fn volume_bound_to_a_classified_claim_in_jakarta_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&bound_claim("pv-1"));
    let d = judge(&standalone_volume("ap-southeast-3", Some(CLAIM_REF), ""), &inv, &set);
    assert_verdict(&d, Verdict::Allow);
    assert_eq!(d.classes, ["citizen-pii"], "{d:#?}");
}

#[test]
fn volume_with_its_own_data_class_label_is_classified() {
    let set = policies(&[&indonesia("")]);
    let d = judge(
        &standalone_volume("us-east-1", None, ", sovereignty.io/data-class: citizen-pii"),
        &inventory(CLUSTER),
        &set,
    );
    assert_denied_saying(&d, &["PersistentVolume pv-1", "is stored in region us-east-1"]);
}

#[test]
fn volume_without_claim_ref_or_label_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&standalone_volume("us-east-1", None, ""), &inventory(CLUSTER), &set);
    assert_verdict(&d, Verdict::Allow);
    assert!(d.classes.is_empty(), "{d:#?}");
}

#[test]
fn claim_object_in_an_exempted_namespace_is_exempt() {
    let set = policies(&[&indonesia("  exemptions: { namespaces: [gov-id] }")]);
    let inv = cluster_with(&immediate_class("gp3", None));
    let d = judge(&class_claim(Some("gp3")), &inv, &set);
    assert_verdict(&d, Verdict::Exempt);
}

#[test]
fn volume_bound_to_a_claim_in_an_exempted_namespace_is_exempt() {
    // The provisioner creates the PV for an exempted namespace's claim; denying it would
    // leave the exempted claim Pending forever.
    let set = policies(&[&indonesia("  exemptions: { namespaces: [gov-id] }")]);
    let inv = cluster_with(&bound_claim("pv-1"));
    let d = judge(&standalone_volume("us-east-1", Some(CLAIM_REF), ""), &inv, &set);
    assert_verdict(&d, Verdict::Exempt);
    assert_eq!(d.exempted_by, ["indonesia-pdp"]);
}

// --- Claims that select their volume by label ----------------------------------------

/// Claim gov-id/data selecting volumes labelled `tier: archive`, with no class.
fn selecting_claim() -> String {
    claim_in("gov-id", ", storageClassName: \"\", selector: { matchLabels: { tier: archive } }")
}

#[test]
fn claim_selecting_only_jakarta_volumes_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        volume("tier: archive, topology.kubernetes.io/region: ap-southeast-3", ""),
        selecting_claim()
    ));
    assert_verdict(&judge(&pod_mounting_data(), &inv, &set), Verdict::Allow);
}

#[test]
fn claim_selecting_a_volume_in_us_east_1_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        volume("tier: archive, topology.kubernetes.io/region: us-east-1", ""),
        selecting_claim()
    ));
    assert_denied_saying(&judge(&pod_mounting_data(), &inv, &set), &["us-east-1"]);
}

#[test]
fn claim_whose_selector_matches_no_volume_is_denied() {
    let set = policies(&[&indonesia("")]);
    let inv = cluster_with(&format!(
        "{}---\n{}",
        volume("tier: hot, topology.kubernetes.io/region: ap-southeast-3", ""),
        selecting_claim()
    ));
    assert_denied_saying(
        &judge(&pod_mounting_data(), &inv, &set),
        &["no PersistentVolume in the inventory matches its selector"],
    );
}
