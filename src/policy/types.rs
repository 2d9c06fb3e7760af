//! The `SovereigntyPolicy` custom resource, as the API server stores it.
//!
//! The CRD YAML in `crds/` is generated from these types (`sovereign crds`).
// Every `printcolumn(...)` repeats `type_ = "string"`; clippy reads that as a duplicate.
#![allow(clippy::duplicated_attributes)]

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{PresetName, Provider};

/// The label a node carries its region in, unless a policy says otherwise.
pub const DEFAULT_REGION_LABEL: &str = "topology.kubernetes.io/region";

/// Declares which data classes may reside in which regions and jurisdictions.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "sovereignty.io",
    version = "v1alpha1",
    kind = "SovereigntyPolicy",
    plural = "sovereigntypolicies",
    shortname = "sovpol",
    status = "SovereigntyPolicyStatus",
    doc = "Declares which classes of data may reside in which regions and jurisdictions.",
    printcolumn(name = "Enforcement", type_ = "string", json_path = ".spec.enforcement"),
    printcolumn(name = "Classes", type_ = "string", json_path = ".spec.dataClasses[*].name"),
    printcolumn(name = "Violations", type_ = "integer", json_path = ".status.violations"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "self.dataClasses.all(c, !has(c.allowedJurisdictions) || c.allowedJurisdictions.all(j, self.jurisdictions.exists(x, x.name == j)))"
).message("every allowedJurisdictions entry must name a jurisdiction defined in this policy"))]
#[x_kube(validation = Rule::new(
    "!has(self.classify) || self.classify.all(r, r.dataClasses.all(n, self.dataClasses.exists(c, c.name == n)))"
).message("classify rules may only name data classes defined in this policy"))]
pub struct SovereigntyPolicySpec {
    /// What happens to a violating request: Deny rejects it, Warn admits it with a warning,
    /// Audit admits it and only counts it.
    #[serde(default)]
    pub enforcement: Enforcement,
    /// Strict: the object's own required constraints must confine it. Inventory: the nodes
    /// that exist now and match it must all be allowed (backed by the pods/binding check).
    #[serde(default)]
    pub placement: Placement,
    /// The clouds this cluster runs on; `countries` resolve through these catalogs only.
    /// Empty: every catalog, and a region name the catalogs disagree on is never resolved.
    /// Any key the catalog has (`sovereign regions` lists them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// The node label that carries the region.
    #[serde(default = "default_region_label")]
    #[schemars(length(min = 1, max = 317))]
    pub region_label: String,
    /// A label only administrators can set (under node-restriction.kubernetes.io/) that must
    /// agree with `regionLabel`; a node where they disagree is in no region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 317))]
    pub trusted_region_label: Option<String>,
    /// Zone to region, for nodes and volumes that carry only a zone label.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, String>,
    /// Named legal areas: sets of regions, given by region name and/or ISO 3166 country.
    #[schemars(length(max = 64))]
    pub jurisdictions: Vec<Jurisdiction>,
    /// Categories of data and where each may reside.
    #[schemars(length(min = 1, max = 64))]
    pub data_classes: Vec<DataClass>,
    /// Default classification by namespace and object labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub classify: Vec<ClassifyRule>,
    /// How volumes whose location cannot be pinned are treated.
    #[serde(default)]
    pub volumes: VolumeRules,
    /// Requests this policy never judges.
    #[serde(default)]
    pub exemptions: Exemptions,
    /// What the mutating webhook does for a Pod or pod template that is not confined to the
    /// allowed regions (SPEC §15): None leaves it to validation, Pin adds the region
    /// requirement to its required node affinity. A data class may override it.
    #[serde(default, skip_serializing_if = "Remediation::is_none")]
    pub remediation: Remediation,
    /// Cloud data stores declared as objects (buckets, databases): store kinds of one's own, and the
    /// region of ACK stores that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stores: Option<super::Stores>,
    /// Whether and how SovereigntyExceptions may relax this policy (SPEC §14).
    #[serde(default, skip_serializing_if = "ExceptionRules::is_default")]
    pub exceptions: ExceptionRules,
}

/// The limits every SovereigntyException of a policy must keep.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!self.allowed || (has(self.namespaces) && size(self.namespaces) > 0)")
    .message("exceptions.allowed needs exceptions.namespaces: the namespaces exceptions may live in"))]
pub struct ExceptionRules {
    /// Whether the policy accepts exceptions at all (default false).
    #[serde(default)]
    pub allowed: bool,
    /// Exceptions count only when they live in one of these namespaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 63)))]
    pub namespaces: Vec<String>,
    /// The longest an exception may run, from its creation to its `expires`: a number and a
    /// unit, `d`, `h`, `m` or `s` (e.g. 90d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[0-9]{1,6}(d|h|m|s)$"))]
    pub max_duration: Option<String>,
    /// The only legal basis types accepted; absent means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub legal_bases: Vec<super::exception::LegalBasisType>,
}

impl ExceptionRules {
    pub fn is_default(&self) -> bool {
        *self == ExceptionRules::default()
    }
}

/// Whether sovereign repairs what it would otherwise reject.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Remediation {
    /// Validation alone: the object is rejected with a fix to apply by hand.
    #[default]
    None,
    /// Pin: AND `<region label> In [allowed regions]` into every required node-affinity term.
    Pin,
}

impl Remediation {
    pub fn is_none(&self) -> bool {
        *self == Remediation::None
    }
}

fn default_region_label() -> String {
    DEFAULT_REGION_LABEL.to_string()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Enforcement {
    #[default]
    Deny,
    Warn,
    Audit,
}

impl Enforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Deny => "Deny",
            Enforcement::Warn => "Warn",
            Enforcement::Audit => "Audit",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Placement {
    #[default]
    Strict,
    Inventory,
}

/// A named legal area.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "(has(self.countries) && size(self.countries) > 0) || (has(self.regions) && size(self.regions) > 0) || (has(self.presets) && size(self.presets) > 0)"
).message("a jurisdiction needs at least one country, preset or region"))]
pub struct Jurisdiction {
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// ISO 3166-1 alpha-2 codes (any case); every catalogued region in these countries belongs here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 250), inner(regex(pattern = "^[A-Za-z]{2}$")))]
    pub countries: Vec<String>,
    /// Built-in country groups (EU, EEA, EU-ADEQUACY, ASEAN), added to `countries`;
    /// `sovereign regions --preset NAME` lists their members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub presets: Vec<PresetName>,
    /// Region names that always belong here (private data centres, or names the catalogs disagree on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 512), inner(length(min = 1, max = 63)))]
    pub regions: Vec<String>,
}

/// A category of data and where it may reside.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "(has(self.allowedJurisdictions) && size(self.allowedJurisdictions) > 0) || (has(self.allowedRegions) && size(self.allowedRegions) > 0)"
).message("a data class must allow at least one jurisdiction or region"))]
pub struct DataClass {
    /// Used as the value of the `sovereignty.io/data-class` label; unique across all policies.
    #[schemars(length(min = 1, max = 63), regex(pattern = "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), inner(length(min = 1, max = 63)))]
    pub allowed_jurisdictions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 512), inner(length(min = 1, max = 63)))]
    pub allowed_regions: Vec<String>,
    /// Overrides the policy's `remediation` for this data class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
}

/// Classifies every object its selectors match.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClassifyRule {
    /// Namespaces whose objects this rule classifies; absent means every namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Objects (by their own labels) this rule classifies; absent means every object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    #[schemars(length(min = 1, max = 64), inner(length(min = 1, max = 63)))]
    pub data_classes: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum VolumeAction {
    #[default]
    Deny,
    Allow,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct VolumeRules {
    /// A claim whose storage could be provisioned outside the allowed regions.
    #[serde(default)]
    pub unconfined_storage: VolumeAction,
    /// nfs, iscsi, cephfs, glusterfs and other volumes whose location is unknown.
    #[serde(default)]
    pub network_volumes: VolumeAction,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct Exemptions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Break-glass identities; every exempted admission is logged and counted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SovereigntyPolicyStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Objects found violating this policy by the last audit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violations: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_audit_time: Option<Time>,
    /// The first violating objects the last audit found (at most ten), by kind, namespace
    /// and name; `violations` has the full count.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub violating_objects: Vec<ViolatingObject>,
}

/// One object the audit found violating a policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViolatingObject {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// The data classes it breaks the rules of.
    pub data_classes: Vec<String>,
    /// The first violation, in short.
    pub message: String,
}
