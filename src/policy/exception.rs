//! The `SovereigntyException` custom resource (SPEC §14): a recorded legal basis for
//! letting named data classes of named objects reside in more regions than their policy
//! allows, until a given time.
//!
//! The CRD YAML in `crds/` is generated from these types (`sovereign crds`).
// Every `printcolumn(...)` repeats `type_ = "string"`; clippy reads that as a duplicate.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Records a legal basis for data of a policy's classes to reside outside the regions the
/// policy allows, for the matched objects only, until it expires.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "sovereignty.io",
    version = "v1alpha1",
    kind = "SovereigntyException",
    plural = "sovereigntyexceptions",
    shortname = "sovex",
    namespaced,
    status = "SovereigntyExceptionStatus",
    doc = "Records a legal basis for data of a policy's classes to reside in more regions, for matched objects, until it expires.",
    printcolumn(name = "Policy", type_ = "string", json_path = ".spec.policy"),
    printcolumn(name = "Basis", type_ = "string", json_path = ".spec.legalBasis.type"),
    printcolumn(name = "Expires", type_ = "string", json_path = ".spec.expires"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Uses", type_ = "integer", json_path = ".status.uses"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "(has(self.allowedRegions) && size(self.allowedRegions) > 0) || (has(self.allowedCountries) && size(self.allowedCountries) > 0)"
).message("an exception must allow at least one region (allowedRegions) or country (allowedCountries)"))]
#[x_kube(validation = Rule::new("size(self.justification) >= 20")
    .message("justification must say why in at least 20 characters"))]
#[x_kube(validation = Rule::new("size(self.approvedBy) > 0").message("approvedBy must name who approved the exception"))]
pub struct SovereigntyExceptionSpec {
    /// The SovereigntyPolicy this exception relaxes.
    #[schemars(length(min = 1, max = 253))]
    pub policy: String,
    /// The data classes of that policy it relaxes; other classes stay as the policy says.
    #[schemars(length(min = 1, max = 64), inner(length(min = 1, max = 63)))]
    pub data_classes: Vec<String>,
    /// Which objects it covers.
    #[serde(rename = "match")]
    pub matches: ExceptionMatch,
    /// Regions the covered data may also reside in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 512), inner(length(min = 1, max = 63)))]
    pub allowed_regions: Vec<String>,
    /// ISO 3166-1 alpha-2 countries whose catalogued regions the covered data may also
    /// reside in (resolved through the policy's providers, like its jurisdictions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 250), inner(regex(pattern = "^[A-Za-z]{2}$")))]
    pub allowed_countries: Vec<String>,
    /// The legal ground for the transfer.
    pub legal_basis: LegalBasis,
    /// Why the exception is needed, for the auditor (at least 20 characters).
    #[schemars(length(min = 20, max = 4096))]
    pub justification: String,
    /// Who approved it; never the user who creates it.
    #[schemars(length(min = 1, max = 253))]
    pub approved_by: String,
    /// When it stops applying (RFC 3339).
    pub expires: Time,
}

/// The objects an exception covers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionMatch {
    /// The namespaces of the covered objects (at least one).
    #[schemars(length(min = 1, max = 64), inner(length(min = 1, max = 63)))]
    pub namespaces: Vec<String>,
    /// Objects (by their own or their pod template's labels); absent means every object there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_selector: Option<LabelSelector>,
    /// Kinds covered (Deployment, Pod, PersistentVolumeClaim, ...); absent means every judged kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 32), inner(length(min = 1, max = 63)))]
    pub kinds: Vec<String>,
}

/// The legal ground of a transfer and the record that proves it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, KubeSchema)]
pub struct LegalBasis {
    #[serde(rename = "type")]
    pub kind: LegalBasisType,
    /// The contract, decision or record (e.g. "SCC-2026-014").
    #[schemars(length(min = 1, max = 253))]
    pub reference: String,
    /// The article of law it rests on (e.g. "GDPR Art. 46(2)(c)").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub article: Option<String>,
}

/// The kinds of legal basis a transfer may rest on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum LegalBasisType {
    Adequacy,
    StandardContractualClauses,
    BindingCorporateRules,
    ExplicitConsent,
    Contract,
    PublicInterest,
    LegalClaims,
    VitalInterests,
    #[default]
    Other,
}

impl LegalBasisType {
    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasisType::Adequacy => "Adequacy",
            LegalBasisType::StandardContractualClauses => "StandardContractualClauses",
            LegalBasisType::BindingCorporateRules => "BindingCorporateRules",
            LegalBasisType::ExplicitConsent => "ExplicitConsent",
            LegalBasisType::Contract => "Contract",
            LegalBasisType::PublicInterest => "PublicInterest",
            LegalBasisType::LegalClaims => "LegalClaims",
            LegalBasisType::VitalInterests => "VitalInterests",
            LegalBasisType::Other => "Other",
        }
    }
}

/// Where an exception stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExceptionPhase {
    /// Not yet judged by the audit.
    Pending,
    /// In force: it widens what its policy allows for the objects it matches.
    Active,
    /// Past `expires`: it changes nothing.
    Expired,
    /// It breaks a limit of its policy: it changes nothing (the Ready condition says why).
    Rejected,
}

impl ExceptionPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionPhase::Pending => "Pending",
            ExceptionPhase::Active => "Active",
            ExceptionPhase::Expired => "Expired",
            ExceptionPhase::Rejected => "Rejected",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SovereigntyExceptionStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<ExceptionPhase>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The user who created it, from the admission request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    /// Objects it currently lets through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<i64>,
    /// The first ten of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub objects: Vec<ExceptedObject>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_time: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// The annotation sovereign's mutating webhook sets on a SovereigntyException when it is
/// created: the user who created it, from the admission request. The audit copies it into
/// `status.requestedBy` once; validation refuses one that names anybody but the creator.
pub const REQUESTED_BY_ANNOTATION: &str = "sovereignty.io/requested-by";

impl SovereigntyException {
    /// Who created it: `status.requestedBy` once the audit has recorded it, else the
    /// annotation the mutating webhook set at creation.
    pub fn requester(&self) -> Option<&str> {
        let recorded = self.status.as_ref().and_then(|s| s.requested_by.as_deref());
        recorded.or_else(|| self.annotated_requester()).filter(|r| !r.is_empty())
    }

    /// The `sovereignty.io/requested-by` annotation, as written.
    pub fn annotated_requester(&self) -> Option<&str> {
        self.metadata.annotations.as_ref()?.get(REQUESTED_BY_ANNOTATION).map(String::as_str)
    }
}

/// One object an exception lets through.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExceptedObject {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}
