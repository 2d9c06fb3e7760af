//! Deterministic, seeded fixtures: a cluster (Namespaces, Nodes, PersistentVolumes and their
//! claims, StorageClasses, pending Pods), policy sets of N data classes, and AdmissionReview v1
//! bodies (Pods of about 2, 8 and 30 KB, Deployments, StatefulSets with volumeClaimTemplates,
//! PersistentVolumeClaims, Bindings; CREATE and UPDATE with oldObject) of which about 90 % are
//! allowed and 10 % denied.
//!
//! Every fixture records the verdict it was built to get, so the differential test can hold
//! sovereign, Rego and CEL to it. Fixtures stay inside the part of the rule all three engines
//! implement (placement by `nodeSelector` or required node affinity on the region label;
//! storage by StorageClass topology; bindings by the target node's region; classes from the
//! object's, template's, claim templates' and namespace's labels and `classify` rules by
//! namespace labels). Claims a pod mounts are unlabelled and sit in an allowed region.
//!
//! The same seed gives the same bytes on every machine: a splitmix64 generator, no hash-map
//! iteration order, no clock.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

pub const REGION_LABEL: &str = "topology.kubernetes.io/region";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub const CLASS_LABEL: &str = "sovereignty.io/data-class";
pub const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";

/// The seed every benchmark and the differential test use unless told otherwise.
pub const SEED: u64 = 0x5eed_0007;
/// Policy set sizes (data classes) the benchmarks compare.
pub const POLICY_COUNTS: [usize; 3] = [10, 100, 1000];
/// Objects only name the first classes, defined at every N, so a fixture gets the same verdict
/// at every N; the other classes (and their `classify` rules) are what N adds.
pub const USED_CLASSES: usize = 10;
/// One class in this many has a `classify` rule selecting namespaces by a `tenant` label.
pub const CLASSIFY_EVERY: usize = 10;

/// Public cloud regions the cluster's nodes and volumes are spread over.
pub const REGIONS: [&str; 24] = [
    "ap-southeast-3",
    "ap-southeast-1",
    "ap-northeast-1",
    "ap-south-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-north-1",
    "us-east-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "asia-southeast2",
    "asia-northeast1",
    "australia-southeast1",
    "europe-west1",
    "europe-west3",
    "europe-west4",
    "us-central1",
    "indonesiacentral",
    "germanywestcentral",
    "westeurope",
    "eastus",
    "japaneast",
];

/// splitmix64: small, fast and the same everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }

    pub fn uid(&mut self) -> String {
        let h = self.hex(32);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }

    /// A lower-case word of `len` letters.
    pub fn word(&mut self, len: usize) -> String {
        (0..len).map(|_| (b'a' + self.below(26) as u8) as char).collect()
    }
}

/// How big the cluster is.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub nodes: usize,
    /// PersistentVolumes, each bound to one PersistentVolumeClaim.
    pub volumes: usize,
    pub namespaces: usize,
    /// Pods waiting for the scheduler, which Bindings name.
    pub pending_pods: usize,
}

impl Scale {
    /// Issue 7's inventory: 10,000 Nodes, 10,000 PVs and PVCs, 1,000 Namespaces.
    pub const FULL: Scale = Scale { nodes: 10_000, volumes: 10_000, namespaces: 1_000, pending_pods: 1_000 };
    /// For the differential test, which runs in CI on a debug build.
    pub const SMALL: Scale = Scale { nodes: 600, volumes: 400, namespaces: 100, pending_pods: 100 };
}

pub type Labels = BTreeMap<String, String>;

/// A data class, its allowed regions, and the tenant its `classify` rule selects (if any).
#[derive(Clone, Debug)]
pub struct Class {
    pub name: String,
    pub allowed: BTreeSet<&'static str>,
    pub tenant: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NamespaceDef {
    pub name: String,
    pub labels: Labels,
}

#[derive(Clone, Debug)]
pub struct NodeDef {
    pub name: String,
    pub region: usize,
    pub labels: Labels,
}

#[derive(Clone, Debug)]
pub struct ClaimDef {
    pub namespace: String,
    pub name: String,
    pub volume: String,
    pub region: usize,
    pub zone: String,
}

#[derive(Clone, Debug)]
pub struct PendingPod {
    pub namespace: String,
    pub name: String,
    pub labels: Labels,
}

/// The kinds of request the benchmarks time separately.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Pod2k,
    Pod8k,
    Pod30k,
    Deployment,
    StatefulSet,
    Claim,
    Binding,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Pod2k, Kind::Pod8k, Kind::Pod30k, Kind::Deployment, Kind::StatefulSet, Kind::Claim, Kind::Binding];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Pod2k => "pod-2k",
            Kind::Pod8k => "pod-8k",
            Kind::Pod30k => "pod-30k",
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::Claim => "pvc",
            Kind::Binding => "binding",
        }
    }

    /// Share of the end-to-end load mix, in percent: pods dominate a cluster's admissions
    /// (every replica is created, then bound), then workloads and claims.
    pub fn load_weight(self) -> usize {
        match self {
            Kind::Pod2k => 25,
            Kind::Pod8k => 15,
            Kind::Pod30k => 5,
            Kind::Deployment => 12,
            Kind::StatefulSet => 8,
            Kind::Claim => 10,
            Kind::Binding => 25,
        }
    }

    fn pod_bytes(self) -> usize {
        match self {
            Kind::Pod8k => 8 * 1024,
            Kind::Pod30k => 30 * 1024,
            _ => 2 * 1024,
        }
    }
}

/// Why a fixture is meant to be denied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// Confined to regions of which at least one is outside the allowed set.
    Outside,
    /// No constraint on the region at all (or storage that may be provisioned anywhere).
    Unconfined,
    /// A data class no policy defines.
    Undefined,
}

/// One AdmissionReview, and what it should get.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub id: String,
    pub kind: Kind,
    pub operation: &'static str,
    pub expect_allowed: bool,
    pub denial: Option<Denial>,
    pub review: Value,
    /// The review as the API server would send it: compact JSON, one line.
    pub body: String,
}

impl Fixture {
    pub fn request(&self) -> &Value {
        &self.review["request"]
    }

    pub fn object(&self) -> &Value {
        &self.review["request"]["object"]
    }

    pub fn namespace(&self) -> &str {
        self.review["request"]["namespace"].as_str().unwrap_or_default()
    }
}

/// The cluster and the policies, generated from one seed.
#[derive(Clone, Debug)]
pub struct World {
    pub seed: u64,
    pub scale: Scale,
    /// As many classes as the largest policy set; a set of N is the first N.
    pub classes: Vec<Class>,
    pub namespaces: Vec<NamespaceDef>,
    pub nodes: Vec<NodeDef>,
    /// Node indices by region index.
    pub nodes_by_region: Vec<Vec<usize>>,
    pub claims: Vec<ClaimDef>,
    /// Claim indices by namespace.
    pub claims_by_namespace: BTreeMap<String, Vec<usize>>,
    pub pending: Vec<PendingPod>,
}

/// What a fixture's object is classified as, and where it may go.
struct Plan {
    namespace: usize,
    /// Class names the object carries itself (one label, possibly undefined).
    own: Option<String>,
    /// Defined classes the object ends up with (own, namespace label, classify rule).
    classes: BTreeSet<usize>,
    /// Regions every class allows (all regions when unclassified).
    allowed: Vec<usize>,
    /// Regions outside `allowed`.
    outside: Vec<usize>,
    denial: Option<Denial>,
}

impl Plan {
    fn classified(&self) -> bool {
        !self.classes.is_empty() || self.own.is_some()
    }
}

/// How a pod (or pod template) constrains its region.
enum Placement {
    Selector(usize),
    Affinity(Vec<usize>),
    None,
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn labels_value(labels: &Labels) -> Value {
    Value::Object(labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
}

impl World {
    pub fn new(seed: u64, scale: Scale) -> World {
        let mut rng = Rng::new(seed);
        let max = *POLICY_COUNTS.iter().max().unwrap_or(&1);
        let classes = (0..max)
            .map(|i| {
                let size = 2 + rng.below(5);
                let mut allowed = BTreeSet::new();
                while allowed.len() < size {
                    allowed.insert(*rng.pick(&REGIONS));
                }
                Class {
                    name: format!("class-{i:04}"),
                    allowed,
                    tenant: (i % CLASSIFY_EVERY == 0).then(|| format!("tenant-{i:04}")),
                }
            })
            .collect::<Vec<_>>();

        let namespaces = (0..scale.namespaces)
            .map(|i| {
                let name = format!("team-{i:04}");
                let mut l = labels(&[
                    ("kubernetes.io/metadata.name", &name),
                    ("team", &format!("team-{}", i % 97)),
                    ("env", ["prod", "staging", "dev"][i % 3]),
                ]);
                let roll = rng.below(100);
                if roll < 40 {
                    l.insert(CLASS_LABEL.into(), classes[rng.below(USED_CLASSES)].name.clone());
                } else if roll < 50 {
                    // Classified by class-0000's classify rule (defined at every N).
                    l.insert("tenant".into(), classes[0].tenant.clone().unwrap_or_default());
                } else {
                    l.insert("tenant".into(), format!("acme-{}", rng.below(50)));
                }
                NamespaceDef { name, labels: l }
            })
            .collect::<Vec<_>>();

        let mut nodes_by_region = vec![Vec::new(); REGIONS.len()];
        let nodes = (0..scale.nodes)
            .map(|i| {
                // Every region has nodes, however small the cluster.
                let region = if i < REGIONS.len() { i } else { rng.below(REGIONS.len()) };
                let r = REGIONS[region];
                let name = format!("ip-10-{}-{}-{}.{r}.compute.internal", (i >> 16) & 255, (i >> 8) & 255, i & 255);
                let zone = format!("{r}{}", ['a', 'b', 'c'][rng.below(3)]);
                let instance = *rng.pick(&["m6i.xlarge", "m6i.2xlarge", "c6i.4xlarge", "r6i.2xlarge", "m7g.xlarge"]);
                let arch = if instance.starts_with("m7g") { "arm64" } else { "amd64" };
                let l = labels(&[
                    (REGION_LABEL, r),
                    (ZONE_LABEL, &zone),
                    ("failure-domain.beta.kubernetes.io/region", r),
                    ("failure-domain.beta.kubernetes.io/zone", &zone),
                    (HOSTNAME_LABEL, &name),
                    ("kubernetes.io/os", "linux"),
                    ("kubernetes.io/arch", arch),
                    ("beta.kubernetes.io/os", "linux"),
                    ("beta.kubernetes.io/arch", arch),
                    ("node.kubernetes.io/instance-type", instance),
                    ("beta.kubernetes.io/instance-type", instance),
                    ("eks.amazonaws.com/nodegroup", &format!("ng-{}", rng.below(8))),
                    ("eks.amazonaws.com/capacityType", if rng.percent(20) { "SPOT" } else { "ON_DEMAND" }),
                ]);
                nodes_by_region[region].push(i);
                NodeDef { name, region, labels: l }
            })
            .collect::<Vec<_>>();

        let mut claims_by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let claims = (0..scale.volumes)
            .map(|i| {
                let ns = &namespaces[i % namespaces.len()];
                let region = rng.below(REGIONS.len());
                let claim = ClaimDef {
                    namespace: ns.name.clone(),
                    name: format!("data-{}-{}", rng.word(6), i / namespaces.len()),
                    volume: format!("pvc-{}", rng.uid()),
                    region,
                    zone: format!("{}{}", REGIONS[region], ['a', 'b', 'c'][rng.below(3)]),
                };
                claims_by_namespace.entry(ns.name.clone()).or_default().push(i);
                claim
            })
            .collect::<Vec<_>>();

        let mut world = World {
            seed,
            scale,
            classes,
            namespaces,
            nodes,
            nodes_by_region,
            claims,
            claims_by_namespace,
            pending: Vec::new(),
        };
        world.pending = (0..scale.pending_pods)
            .map(|_| {
                let ns = &world.namespaces[rng.below(world.namespaces.len())];
                let app = rng.word(7);
                let name = format!("{app}-{}-{}", rng.hex(10), rng.word(5));
                let mut l = labels(&[("app", &app), ("pod-template-hash", &rng.hex(10))]);
                // Half carry a class of their own, one that shares a region with the namespace's.
                let mut with = world.namespace_classes(ns);
                let candidate = rng.below(USED_CLASSES);
                with.insert(candidate);
                if rng.percent(50) && !world.allowed_for(&with).is_empty() {
                    l.insert(CLASS_LABEL.into(), world.classes[candidate].name.clone());
                }
                PendingPod { namespace: ns.name.clone(), name, labels: l }
            })
            .collect();
        world
    }

    pub fn class_index(&self, name: &str) -> Option<usize> {
        let i: usize = name.strip_prefix("class-")?.parse().ok()?;
        (i < self.classes.len() && self.classes[i].name == name).then_some(i)
    }

    /// Defined classes a namespace gives its objects (its label, or class-0000's classify rule).
    fn namespace_classes(&self, ns: &NamespaceDef) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        if let Some(i) = ns.labels.get(CLASS_LABEL).and_then(|c| self.class_index(c)) {
            out.insert(i);
        }
        for (i, class) in self.classes.iter().enumerate().take(USED_CLASSES) {
            if class.tenant.is_some() && ns.labels.get("tenant") == class.tenant.as_ref() {
                out.insert(i);
            }
        }
        out
    }

    fn allowed_for(&self, classes: &BTreeSet<usize>) -> Vec<usize> {
        (0..REGIONS.len()).filter(|r| classes.iter().all(|c| self.classes[*c].allowed.contains(REGIONS[*r]))).collect()
    }

    // ----- policies -----

    /// The first `n` data classes, one SovereigntyPolicy each, as `kubectl get -o json` shows them.
    pub fn policies(&self, n: usize) -> Vec<Value> {
        self.classes
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, class)| {
                let regions: Vec<&str> = class.allowed.iter().copied().collect();
                // Two styles: a jurisdiction listing regions, or regions allowed directly.
                let (jurisdictions, data_class) = if i % 3 == 2 {
                    (
                        json!([]),
                        json!({"name": class.name, "description": format!("Synthetic data class {i}"), "allowedRegions": regions}),
                    )
                } else {
                    (
                        json!([{"name": format!("J{i}"), "regions": regions}]),
                        json!({"name": class.name, "description": format!("Synthetic data class {i}"), "allowedJurisdictions": [format!("J{i}")]}),
                    )
                };
                let mut spec = json!({
                    "enforcement": "Deny",
                    "placement": "Strict",
                    "jurisdictions": jurisdictions,
                    "dataClasses": [data_class],
                    "volumes": {"unconfinedStorage": "Deny", "networkVolumes": "Deny"},
                    "exemptions": {"namespaces": ["kube-system"]},
                });
                if let Some(tenant) = &class.tenant {
                    spec["classify"] = json!([{
                        "namespaceSelector": {"matchLabels": {"tenant": tenant}},
                        "dataClasses": [class.name],
                    }]);
                }
                json!({
                    "apiVersion": "sovereignty.io/v1alpha1",
                    "kind": "SovereigntyPolicy",
                    "metadata": {"name": format!("policy-{i:04}"), "generation": 1, "creationTimestamp": "2026-01-01T00:00:00Z"},
                    "spec": spec,
                })
            })
            .collect()
    }

    /// The first `n` classes as Rego or CEL parameters: `classes` (class → set of regions, as
    /// a map to `true`) and `classify` (namespace labels → class).
    pub fn parameters(&self, n: usize) -> Value {
        let classes: Map<String, Value> = self
            .classes
            .iter()
            .take(n)
            .map(|c| {
                (c.name.clone(), Value::Object(c.allowed.iter().map(|r| (r.to_string(), Value::Bool(true))).collect()))
            })
            .collect();
        let classify: Vec<Value> = self
            .classes
            .iter()
            .take(n)
            .filter_map(|c| {
                let tenant = c.tenant.as_ref()?;
                Some(json!({"namespaceLabels": {"tenant": tenant}, "dataClass": c.name}))
            })
            .collect();
        json!({"classes": classes, "classify": classify})
    }

    // ----- inventory -----

    pub fn namespace_objects(&self) -> Vec<Value> {
        self.namespaces
            .iter()
            .map(|ns| {
                json!({
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": ns.name, "labels": labels_value(&ns.labels), "uid": uid_for(&ns.name),
                        "creationTimestamp": "2025-06-01T00:00:00Z", "resourceVersion": "1000"},
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                })
            })
            .collect()
    }

    pub fn node_objects(&self) -> Vec<Value> {
        self.nodes
            .iter()
            .map(|n| {
                json!({
                    "apiVersion": "v1", "kind": "Node",
                    "metadata": {
                        "name": n.name, "labels": labels_value(&n.labels), "uid": uid_for(&n.name),
                        "annotations": {"alpha.kubernetes.io/provided-node-ip": "10.0.0.1", "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
                        "creationTimestamp": "2025-06-01T00:00:00Z", "resourceVersion": "2000",
                    },
                    "spec": {"providerID": format!("aws:///{}/i-{}", n.labels[ZONE_LABEL], &uid_for(&n.name)[..17])},
                    "status": {
                        "capacity": {"cpu": "4", "memory": "16110516Ki", "pods": "58", "ephemeral-storage": "83873772Ki"},
                        "allocatable": {"cpu": "3920m", "memory": "15093684Ki", "pods": "58", "ephemeral-storage": "76224326324"},
                        "nodeInfo": {"architecture": n.labels["kubernetes.io/arch"], "containerRuntimeVersion": "containerd://1.7.27",
                            "kernelVersion": "6.1.132", "kubeletVersion": "v1.33.1", "operatingSystem": "linux", "osImage": "Amazon Linux 2023"},
                    },
                })
            })
            .collect()
    }

    pub fn volume_objects(&self) -> Vec<Value> {
        self.claims
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let region = REGIONS[c.region];
                // Half as the EBS CSI driver writes them (its own zone key, which sovereign does
                // not read, so the region label decides), half with the well-known labels.
                let zone_key = if i % 2 == 0 { "topology.ebs.csi.aws.com/zone" } else { ZONE_LABEL };
                json!({
                    "apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": {
                        "name": c.volume, "uid": uid_for(&c.volume),
                        "labels": {REGION_LABEL: region, ZONE_LABEL: c.zone},
                        "annotations": {"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com", "volume.kubernetes.io/provisioner-deletion-secret-name": ""},
                        "finalizers": ["kubernetes.io/pv-protection", "external-attacher/ebs-csi-aws-com"],
                        "creationTimestamp": "2025-06-02T00:00:00Z",
                    },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "capacity": {"storage": "20Gi"},
                        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": c.name, "namespace": c.namespace, "uid": uid_for(&c.name)},
                        "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": format!("vol-{}", &uid_for(&c.volume)[..17]),
                            "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1717000000000-8081-ebs.csi.aws.com"}},
                        "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                            {"key": zone_key, "operator": "In", "values": [c.zone]},
                        ]}]}},
                        "persistentVolumeReclaimPolicy": "Delete",
                        "storageClassName": "gp3",
                        "volumeMode": "Filesystem",
                    },
                    "status": {"phase": "Bound"},
                })
            })
            .collect()
    }

    pub fn claim_objects(&self) -> Vec<Value> {
        self.claims
            .iter()
            .map(|c| {
                json!({
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {
                        "name": c.name, "namespace": c.namespace, "uid": uid_for(&c.name),
                        "annotations": {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com", "volume.kubernetes.io/selected-node": "node"},
                        "finalizers": ["kubernetes.io/pvc-protection"],
                        "creationTimestamp": "2025-06-02T00:00:00Z",
                    },
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "20Gi"}},
                        "storageClassName": "gp3",
                        "volumeMode": "Filesystem",
                        "volumeName": c.volume,
                    },
                    "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}},
                })
            })
            .collect()
    }

    pub fn storage_class_objects(&self) -> Vec<Value> {
        let mut out = vec![
            json!({
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                    "creationTimestamp": "2025-06-01T00:00:00Z"},
                "provisioner": "ebs.csi.aws.com",
                "parameters": {"type": "gp3", "encrypted": "true"},
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
                "allowVolumeExpansion": true,
            }),
            json!({
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "standard-immediate", "creationTimestamp": "2025-06-01T00:00:00Z"},
                "provisioner": "ebs.csi.aws.com",
                "parameters": {"type": "gp3"},
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
            }),
        ];
        for region in REGIONS {
            out.push(json!({
                "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": format!("regional-{region}"), "creationTimestamp": "2025-06-01T00:00:00Z"},
                "provisioner": "ebs.csi.aws.com",
                "parameters": {"type": "gp3"},
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate",
                "allowedTopologies": [{"matchLabelExpressions": [{"key": REGION_LABEL, "values": [region]}]}],
            }));
        }
        out
    }

    pub fn pending_pod_objects(&self) -> Vec<Value> {
        self.pending
            .iter()
            .map(|p| {
                json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": p.name, "namespace": p.namespace, "labels": labels_value(&p.labels), "uid": uid_for(&p.name)},
                    "spec": {
                        "containers": [{"name": "app", "image": format!("registry.example.com/{}:1.0", p.labels["app"])}],
                        "schedulerName": "default-scheduler",
                    },
                    "status": {"phase": "Pending"},
                })
            })
            .collect()
    }

    /// Every inventory object, in the order a relist would deliver them.
    pub fn inventory_objects(&self) -> Vec<Value> {
        let mut out = self.namespace_objects();
        out.extend(self.storage_class_objects());
        out.extend(self.node_objects());
        out.extend(self.volume_objects());
        out.extend(self.claim_objects());
        out.extend(self.pending_pod_objects());
        out
    }

    /// The inventory as Gatekeeper replicates it into `data.inventory` (labels are all the
    /// rule reads, so objects are trimmed to metadata, which flatters Rego's memory, not its speed).
    pub fn gatekeeper_inventory(&self) -> Value {
        let mut cluster_ns = Map::new();
        for ns in &self.namespaces {
            cluster_ns
                .insert(ns.name.clone(), json!({"metadata": {"name": ns.name, "labels": labels_value(&ns.labels)}}));
        }
        let mut nodes = Map::new();
        for n in &self.nodes {
            nodes.insert(n.name.clone(), json!({"metadata": {"name": n.name, "labels": labels_value(&n.labels)}}));
        }
        let mut classes = Map::new();
        for sc in self.storage_class_objects() {
            let name = sc["metadata"]["name"].as_str().unwrap_or_default().to_string();
            classes.insert(name, sc);
        }
        let mut namespaced: Map<String, Value> = Map::new();
        for p in &self.pending {
            let entry = namespaced.entry(p.namespace.clone()).or_insert_with(|| json!({"v1": {"Pod": {}}}));
            entry["v1"]["Pod"][&p.name] =
                json!({"metadata": {"name": p.name, "namespace": p.namespace, "labels": labels_value(&p.labels)}});
        }
        json!({"inventory": {
            "cluster": {"v1": {"Namespace": cluster_ns, "Node": nodes}, "storage.k8s.io/v1": {"StorageClass": classes}},
            "namespace": namespaced,
        }})
    }

    /// What the CEL rule may look up besides the request: ValidatingAdmissionPolicy offers only
    /// `namespaceObject` and `params`, so the benchmark hands CEL the nodes, pending pods and
    /// StorageClasses a binding or a claim needs (which flatters CEL: the API server could not).
    pub fn cel_inventory(&self) -> Value {
        let nodes: Map<String, Value> = self.nodes.iter().map(|n| (n.name.clone(), labels_value(&n.labels))).collect();
        let pods: Map<String, Value> = self
            .pending
            .iter()
            .map(|p| (format!("{}/{}", p.namespace, p.name), json!({"labels": labels_value(&p.labels)})))
            .collect();
        let classes: Map<String, Value> = self
            .storage_class_objects()
            .into_iter()
            .map(|sc| (sc["metadata"]["name"].as_str().unwrap_or_default().to_string(), sc))
            .collect();
        json!({"nodes": nodes, "pods": pods, "storageClasses": classes})
    }

    pub fn namespace_object(&self, name: &str) -> Value {
        match self.namespaces.iter().find(|n| n.name == name) {
            Some(ns) => json!({"metadata": {"name": ns.name, "labels": labels_value(&ns.labels)}}),
            None => json!({"metadata": {"name": name}}),
        }
    }

    // ----- admission reviews -----

    /// `count` fixtures of one kind; every tenth is meant to be denied.
    pub fn fixtures(&self, kind: Kind, count: usize, seed: u64) -> Vec<Fixture> {
        let mut rng = Rng::new(seed ^ (kind as u64).wrapping_mul(0x1000_0000_01b3));
        (0..count).map(|i| self.fixture(&mut rng, kind, i, i % 10 == 9)).collect()
    }

    /// `per_kind` fixtures of every kind.
    pub fn all_fixtures(&self, per_kind: usize, seed: u64) -> Vec<Fixture> {
        Kind::ALL.iter().flat_map(|k| self.fixtures(*k, per_kind, seed)).collect()
    }

    /// A mix for the end-to-end load: kinds by [`Kind::load_weight`], every tenth denied.
    pub fn load_mix(&self, count: usize, seed: u64) -> Vec<Fixture> {
        let mut rng = Rng::new(seed ^ 0x10ad);
        let total: usize = Kind::ALL.iter().map(|k| k.load_weight()).sum();
        (0..count)
            .map(|i| {
                let mut roll = rng.below(total);
                let kind = *Kind::ALL
                    .iter()
                    .find(|k| {
                        if roll < k.load_weight() {
                            true
                        } else {
                            roll -= k.load_weight();
                            false
                        }
                    })
                    .unwrap_or(&Kind::Pod2k);
                self.fixture(&mut rng, kind, i, i % 10 == 9)
            })
            .collect()
    }

    fn fixture(&self, rng: &mut Rng, kind: Kind, index: usize, deny: bool) -> Fixture {
        let denial = deny.then(|| match kind {
            Kind::Binding => Denial::Outside,
            _ => [Denial::Outside, Denial::Unconfined, Denial::Undefined, Denial::Outside][(index / 10) % 4],
        });
        let (operation, review) = match kind {
            Kind::Pod2k | Kind::Pod8k | Kind::Pod30k => self.pod_review(rng, kind, index, denial),
            Kind::Deployment | Kind::StatefulSet => self.workload_review(rng, kind, index, denial),
            Kind::Claim => self.claim_review(rng, denial),
            Kind::Binding => self.binding_review(rng, denial),
        };
        let body = serde_json::to_string(&review).expect("a review serializes");
        Fixture {
            id: format!("{}-{index:04}", kind.name()),
            kind,
            operation,
            expect_allowed: denial.is_none(),
            denial,
            review,
            body,
        }
    }

    /// Picks a namespace and classes for an object, consistent with the denial wanted.
    fn plan(&self, rng: &mut Rng, denial: Option<Denial>) -> Plan {
        loop {
            let namespace = rng.below(self.namespaces.len());
            let mut classes = self.namespace_classes(&self.namespaces[namespace]);
            let mut own = None;
            if denial == Some(Denial::Undefined) {
                own = Some(format!("class-undefined-{}", rng.below(1000)));
            } else if rng.percent(60) || (denial.is_some() && classes.is_empty()) {
                // Its own label: a class that shares a region with the namespace's, if any does.
                for _ in 0..20 {
                    let candidate = rng.below(USED_CLASSES);
                    let mut with = classes.clone();
                    with.insert(candidate);
                    if !self.allowed_for(&with).is_empty() {
                        own = Some(self.classes[candidate].name.clone());
                        classes = with;
                        break;
                    }
                }
            }
            let allowed = self.allowed_for(&classes);
            let outside: Vec<usize> = (0..REGIONS.len()).filter(|r| !allowed.contains(r)).collect();
            let plan = Plan { namespace, own, classes, allowed, outside, denial };
            let usable = match denial {
                None => !plan.allowed.is_empty(),
                Some(Denial::Undefined) => true,
                Some(_) => plan.classified() && !plan.outside.is_empty() && !plan.allowed.is_empty(),
            };
            if usable {
                return plan;
            }
        }
    }

    fn placement(&self, rng: &mut Rng, plan: &Plan, selector_only: bool) -> Placement {
        let region_from = |rng: &mut Rng, set: &[usize]| -> usize {
            if set.is_empty() { rng.below(REGIONS.len()) } else { *rng.pick(set) }
        };
        match plan.denial {
            Some(Denial::Unconfined) => Placement::None,
            Some(Denial::Outside) => {
                let bad = region_from(rng, &plan.outside);
                if selector_only || rng.percent(60) {
                    Placement::Selector(bad)
                } else if rng.percent(50) {
                    Placement::Affinity(vec![region_from(rng, &plan.allowed), bad])
                } else {
                    Placement::Affinity(vec![bad])
                }
            }
            _ => {
                if !plan.classified() && rng.percent(25) {
                    return Placement::None;
                }
                let good = region_from(rng, &plan.allowed);
                if selector_only || rng.percent(60) {
                    Placement::Selector(good)
                } else {
                    let second = region_from(rng, &plan.allowed);
                    let mut values = vec![good];
                    if second != good && rng.percent(50) {
                        values.push(second);
                    }
                    Placement::Affinity(values)
                }
            }
        }
    }

    /// A pod spec: containers padded with environment variables until the whole object is
    /// about `bytes` long (the caller measures), volumes, tolerations, the region constraint.
    fn pod_spec(
        &self,
        rng: &mut Rng,
        plan: &Plan,
        placement: &Placement,
        app: &str,
        containers: usize,
        node_name: Option<&str>,
    ) -> Value {
        let ns = &self.namespaces[plan.namespace].name;
        let mut volumes = vec![
            json!({"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
            ]}}),
            json!({"name": "config", "configMap": {"name": format!("{app}-config"), "defaultMode": 420}}),
            json!({"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}),
        ];
        // A claim in an allowed region, denied or not: storage is not what the fixtures test
        // (claims carry no class label, so they add none).
        if rng.percent(30)
            && let Some(claims) = self.claims_by_namespace.get(ns)
        {
            let fitting: Vec<&ClaimDef> =
                claims.iter().map(|i| &self.claims[*i]).filter(|c| plan.allowed.contains(&c.region)).collect();
            if !fitting.is_empty() {
                let claim = rng.pick(&fitting);
                volumes.push(json!({"name": "data", "persistentVolumeClaim": {"claimName": claim.name}}));
            }
        }
        // The smallest pods (about 2 KB) are plain: no projected token, probes or security context.
        let lean = containers == 0;
        let containers = containers.max(1);
        if lean {
            volumes.remove(0);
        }
        let containers: Vec<Value> = (0..containers)
            .map(|c| {
                let name = if c == 0 { app.to_string() } else { format!("sidecar-{c}") };
                if lean {
                    return json!({
                        "name": name,
                        "image": format!("registry.example.com/{}/{}:{}.{}", ns, name, rng.below(5), rng.below(20)),
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "env": [],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}, {"name": "tmp", "mountPath": "/tmp"}],
                    });
                }
                json!({
                    "name": name,
                    "image": format!("registry.example.com/{}/{}:{}.{}.{}", ns, name, rng.below(5), rng.below(20), rng.below(100)),
                    "imagePullPolicy": "IfNotPresent",
                    "ports": [{"name": "http", "containerPort": 8080 + c, "protocol": "TCP"}],
                    "env": [
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                    ],
                    "resources": {"limits": {"memory": "512Mi"}, "requests": {"cpu": "100m", "memory": "256Mi"}},
                    "volumeMounts": [
                        {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true},
                        {"name": "config", "mountPath": "/etc/app"},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080 + c, "scheme": "HTTP"}, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 1, "successThreshold": 1},
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080 + c, "scheme": "HTTP"}, "periodSeconds": 5, "failureThreshold": 3, "timeoutSeconds": 1, "successThreshold": 1},
                    "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true, "runAsNonRoot": true},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                })
            })
            .collect();
        let mut spec = json!({
            "containers": containers,
            "volumes": volumes,
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"fsGroup": 1000, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "serviceAccount": app,
            "serviceAccountName": app,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists", "tolerationSeconds": 300},
            ],
        });
        let mut selector = Map::new();
        selector.insert("kubernetes.io/os".into(), json!("linux"));
        match placement {
            Placement::Selector(r) => {
                selector.insert(REGION_LABEL.into(), json!(REGIONS[*r]));
            }
            Placement::Affinity(regions) => {
                let values: Vec<&str> = regions.iter().map(|r| REGIONS[*r]).collect();
                spec["affinity"] = json!({"nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
                        {"key": REGION_LABEL, "operator": "In", "values": values},
                        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]},
                    ]}]},
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50, "preference": {"matchExpressions": [
                        {"key": ZONE_LABEL, "operator": "In", "values": [format!("{}a", values[0])]},
                    ]}}],
                }});
            }
            Placement::None => {}
        }
        spec["nodeSelector"] = Value::Object(selector);
        if let Some(node) = node_name {
            spec["nodeName"] = json!(node);
        }
        spec
    }

    /// Pads the containers' environment until `object` serializes to at least `bytes`.
    fn pad(rng: &mut Rng, object: &mut Value, spec_path: &[&str], bytes: usize) {
        let mut i = 0;
        loop {
            let len = serde_json::to_vec(&*object).map(|v| v.len()).unwrap_or(bytes);
            if len >= bytes {
                return;
            }
            let mut at = &mut *object;
            for key in spec_path {
                at = &mut at[*key];
            }
            let containers = at["containers"].as_array_mut().expect("containers");
            let count = containers.len();
            // A variable is 60 to 120 bytes serialized.
            for _ in 0..(bytes - len).div_ceil(120) {
                let name = format!("FEATURE_{}_{i:03}", rng.word(6).to_uppercase());
                let (word_len, hex_len) = (8 + rng.below(24), 8 + rng.below(24));
                let value = format!("{}-{}", rng.word(word_len), rng.hex(hex_len));
                containers[i % count]["env"].as_array_mut().expect("env").push(json!({"name": name, "value": value}));
                i += 1;
            }
        }
    }

    fn object_labels(&self, rng: &mut Rng, app: &str, own: Option<&String>) -> Labels {
        let mut l = labels(&[
            ("app.kubernetes.io/name", app),
            ("app.kubernetes.io/instance", &format!("{app}-{}", rng.word(4))),
            ("app.kubernetes.io/version", &format!("{}.{}.{}", rng.below(5), rng.below(20), rng.below(100))),
            ("app.kubernetes.io/managed-by", "Helm"),
        ]);
        if let Some(class) = own {
            l.insert(CLASS_LABEL.into(), class.clone());
        }
        l
    }

    fn pod_review(&self, rng: &mut Rng, kind: Kind, index: usize, denial: Option<Denial>) -> (&'static str, Value) {
        let plan = self.plan(rng, denial);
        let ns = self.namespaces[plan.namespace].name.clone();
        let update = index % 3 == 2;
        let placement = self.placement(rng, &plan, update);
        // A scheduled pod being updated carries its node, in the region its selector names.
        let node_name = match (&placement, update) {
            (Placement::Selector(r), true) => Some(self.nodes[*rng.pick(&self.nodes_by_region[*r])].name.clone()),
            _ => None,
        };
        let app = rng.word(8);
        // 0: one lean container (see `pod_spec`).
        let containers = match kind {
            Kind::Pod30k => 4,
            Kind::Pod8k => 2,
            _ => 0,
        };
        let spec = self.pod_spec(rng, &plan, &placement, &app, containers, node_name.as_deref());
        let hash = rng.hex(10);
        let suffix = rng.word(5);
        let name = format!("{app}-{hash}-{suffix}");
        let mut own_labels = self.object_labels(rng, &app, plan.own.as_ref());
        own_labels.insert("pod-template-hash".into(), hash.clone());
        let mut metadata = json!({
            "generateName": format!("{app}-{hash}-"),
            "namespace": ns,
            "labels": labels_value(&own_labels),
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z", "prometheus.io/scrape": "true", "prometheus.io/port": "8080"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{hash}"),
                "uid": rng.uid(), "controller": true, "blockOwnerDeletion": true}],
        });
        if update {
            metadata["name"] = json!(name);
            metadata["uid"] = json!(rng.uid());
            metadata["resourceVersion"] = json!(format!("{}", 100_000 + rng.below(900_000)));
            metadata["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec});
        if kind == Kind::Pod30k {
            pod["metadata"]["managedFields"] = managed_fields(rng);
        }
        Self::pad(rng, &mut pod, &["spec"], kind.pod_bytes());
        if update {
            pod["status"] =
                json!({"phase": "Running", "qosClass": "Burstable", "hostIP": "10.0.1.2", "podIP": "10.0.3.4"});
        }
        let old = update.then(|| {
            let mut old = pod.clone();
            old["metadata"]["labels"].as_object_mut().map(|l| l.remove("app.kubernetes.io/version"));
            old["metadata"]["resourceVersion"] = json!("99999");
            old
        });
        let user =
            if update { "system:node:kubelet" } else { "system:serviceaccount:kube-system:replicaset-controller" };
        let operation = if update { "UPDATE" } else { "CREATE" };
        let review = review(
            rng,
            ("", "v1", "Pod", "pods"),
            None,
            &ns,
            update.then_some(name.as_str()),
            operation,
            pod,
            old,
            user,
        );
        (operation, review)
    }

    fn workload_review(
        &self,
        rng: &mut Rng,
        kind: Kind,
        index: usize,
        denial: Option<Denial>,
    ) -> (&'static str, Value) {
        let plan = self.plan(rng, denial);
        let ns = self.namespaces[plan.namespace].name.clone();
        let update = index % 2 == 1;
        let placement = self.placement(rng, &plan, false);
        let app = rng.word(8);
        let containers = 1 + rng.below(2);
        let spec = self.pod_spec(rng, &plan, &placement, &app, containers, None);
        // Where the object's own class label goes: the workload, its template, or (for a
        // StatefulSet) its volumeClaimTemplate.
        let spot = match (kind, rng.below(10)) {
            (Kind::StatefulSet, 0..=2) => 2,
            (_, 0..=4) => 1,
            _ => 0,
        };
        let own_labels = self.object_labels(rng, &app, if spot == 0 { plan.own.as_ref() } else { None });
        let mut template_labels = labels(&[("app.kubernetes.io/name", app.as_str())]);
        if spot == 1
            && let Some(class) = &plan.own
        {
            template_labels.insert(CLASS_LABEL.into(), class.clone());
        }
        let mut object = json!({
            "apiVersion": "apps/v1",
            "kind": match kind { Kind::StatefulSet => "StatefulSet", _ => "Deployment" },
            "metadata": {
                "name": app, "namespace": ns, "labels": labels_value(&own_labels),
                "annotations": {"meta.helm.sh/release-name": app, "meta.helm.sh/release-namespace": ns},
            },
            "spec": {
                "replicas": 1 + rng.below(5),
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                "template": {
                    "metadata": {"labels": labels_value(&template_labels), "annotations": {"checksum/config": rng.hex(64)}},
                    "spec": spec,
                },
            },
        });
        if kind == Kind::StatefulSet {
            let mut claim_labels = labels(&[("app.kubernetes.io/name", app.as_str())]);
            if spot == 2
                && let Some(class) = &plan.own
            {
                claim_labels.insert(CLASS_LABEL.into(), class.clone());
            }
            object["spec"]["serviceName"] = json!(app);
            object["spec"]["podManagementPolicy"] = json!("OrderedReady");
            object["spec"]["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}});
            object["spec"]["volumeClaimTemplates"] = json!([{
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "labels": labels_value(&claim_labels)},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}},
                    "storageClassName": "gp3", "volumeMode": "Filesystem"},
            }]);
            if let Some(mounts) = object["spec"]["template"]["spec"]["containers"][0]["volumeMounts"].as_array_mut() {
                mounts.push(json!({"name": "data", "mountPath": "/var/lib/data"}));
            }
        } else {
            object["spec"]["strategy"] =
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
            object["spec"]["progressDeadlineSeconds"] = json!(600);
        }
        if update {
            object["metadata"]["uid"] = json!(rng.uid());
            object["metadata"]["generation"] = json!(2 + rng.below(40));
            object["metadata"]["resourceVersion"] = json!(format!("{}", 100_000 + rng.below(900_000)));
            object["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        let old = update.then(|| {
            let mut old = object.clone();
            old["spec"]["template"]["spec"]["containers"][0]["image"] =
                json!(format!("registry.example.com/{ns}/{app}:0.0.1"));
            old["status"] = json!({"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "availableReplicas": 2});
            old
        });
        let (kind_name, resource) = match kind {
            Kind::StatefulSet => ("StatefulSet", "statefulsets"),
            _ => ("Deployment", "deployments"),
        };
        let operation = if update { "UPDATE" } else { "CREATE" };
        let review = review(
            rng,
            ("apps", "v1", kind_name, resource),
            None,
            &ns,
            Some(&app),
            operation,
            object,
            old,
            "system:serviceaccount:argocd:argocd-application-controller",
        );
        (operation, review)
    }

    fn claim_review(&self, rng: &mut Rng, denial: Option<Denial>) -> (&'static str, Value) {
        let plan = self.plan(rng, denial);
        let ns = self.namespaces[plan.namespace].name.clone();
        let class = match denial {
            Some(Denial::Outside) => format!("regional-{}", REGIONS[*rng.pick(&plan.outside)]),
            Some(Denial::Unconfined) => "standard-immediate".to_string(),
            Some(Denial::Undefined) => "gp3".to_string(),
            None if !plan.classified() && rng.percent(20) => "standard-immediate".to_string(),
            None if rng.percent(50) => "gp3".to_string(),
            None => format!("regional-{}", REGIONS[*rng.pick(&plan.allowed)]),
        };
        let app = rng.word(8);
        let name = format!("data-{app}-0");
        let own_labels = self.object_labels(rng, &app, plan.own.as_ref());
        let object = json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": ns, "labels": labels_value(&own_labels),
                "annotations": {"volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"}},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": format!("{}Gi", 10 + rng.below(90))}},
                "storageClassName": class, "volumeMode": "Filesystem"},
        });
        let review = review(
            rng,
            ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
            None,
            &ns,
            Some(&name),
            "CREATE",
            object,
            None,
            "system:serviceaccount:kube-system:statefulset-controller",
        );
        ("CREATE", review)
    }

    fn binding_review(&self, rng: &mut Rng, denial: Option<Denial>) -> (&'static str, Value) {
        loop {
            let pod = rng.pick(&self.pending);
            let ns = self.namespaces.iter().find(|n| n.name == pod.namespace).expect("pending pods live in namespaces");
            let mut classes = self.namespace_classes(ns);
            if let Some(i) = pod.labels.get(CLASS_LABEL).and_then(|c| self.class_index(c)) {
                classes.insert(i);
            }
            let allowed = self.allowed_for(&classes);
            let outside: Vec<usize> = (0..REGIONS.len()).filter(|r| !allowed.contains(r)).collect();
            let region = match denial {
                Some(_) if classes.is_empty() || outside.is_empty() => continue,
                Some(_) => *rng.pick(&outside),
                None if allowed.is_empty() => continue,
                None => *rng.pick(&allowed),
            };
            let node = &self.nodes[*rng.pick(&self.nodes_by_region[region])];
            let object = json!({
                "apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": uid_for(&pod.name)},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node.name},
            });
            let review = review(
                rng,
                ("", "v1", "Binding", "pods"),
                Some("binding"),
                &pod.namespace,
                Some(&pod.name),
                "CREATE",
                object,
                None,
                "system:kube-scheduler",
            );
            return ("CREATE", review);
        }
    }
}

/// A stable uid derived from a name (objects keep their uid across runs and scales).
fn uid_for(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    Rng::new(h).uid()
}

/// What a server-side apply leaves in metadata.managedFields: bulky, and never read.
fn managed_fields(rng: &mut Rng) -> Value {
    let entries: Vec<Value> = (0..3)
        .map(|i| {
            let mut fields = Map::new();
            for _ in 0..20 {
                fields.insert(format!("f:{}", rng.word(10)), json!({".": {}, "f:name": {}, "f:value": {}}));
            }
            let manager = ["kube-controller-manager", "kubectl", "argocd-controller"][i];
            json!({
                "apiVersion": "v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:containers": {format!("k:{{\"name\":\"c{i}\"}}"): fields}}},
                "manager": manager,
                "operation": "Update",
                "time": "2026-01-01T00:00:00Z",
            })
        })
        .collect();
    Value::Array(entries)
}

/// Wraps an object in an AdmissionReview v1 request, as the API server sends it.
#[allow(clippy::too_many_arguments)]
fn review(
    rng: &mut Rng,
    (group, version, kind, resource): (&str, &str, &str, &str),
    sub_resource: Option<&str>,
    namespace: &str,
    name: Option<&str>,
    operation: &str,
    object: Value,
    old_object: Option<Value>,
    user: &str,
) -> Value {
    let options_kind = if operation == "CREATE" { "CreateOptions" } else { "UpdateOptions" };
    let mut request = json!({
        "uid": rng.uid(),
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": user, "uid": uid_for(user),
            "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
        "object": object,
        "oldObject": old_object.unwrap_or(Value::Null),
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": options_kind, "fieldManager": "kube-controller-manager"},
    });
    if let Some(name) = name {
        request["name"] = json!(name);
    }
    if let Some(sub) = sub_resource {
        request["subResource"] = json!(sub);
        request["requestSubResource"] = json!(sub);
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
}
