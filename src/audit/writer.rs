//! What the leader writes to the API server: policy status, Warning Events on violating
//! objects, and PolicyReports.

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;

use super::findings::Finding;
use super::reports::{self, Report};
use super::subject::Subject;
use crate::policy::{SovereigntyPolicy, SovereigntyPolicyStatus};

/// The Event reason on violating objects.
pub const REASON: &str = "SovereigntyViolation";
/// Field manager and reporting controller.
pub const MANAGER: &str = "sovereign-audit";
const NOTE_LIMIT: usize = 1000;

pub struct Writer {
    client: Client,
    /// This replica, as Events name it (`reportingInstance`).
    pub identity: String,
}

impl Writer {
    pub fn new(client: Client, identity: String) -> Writer {
        Writer { client, identity }
    }

    pub async fn status(&self, policy: &str, status: &SovereigntyPolicyStatus) -> kube::Result<()> {
        let api: Api<SovereigntyPolicy> = Api::all(self.client.clone());
        let patch = super::status::patch(status);
        api.patch_status(policy, &PatchParams::apply(MANAGER), &Patch::Merge(&patch)).await.map(|_| ())
    }

    /// A Warning Event on the object naming every violation (the first in full).
    pub async fn event(&self, subject: &Subject, finding: &Finding) -> kube::Result<()> {
        let key = &subject.key;
        let namespace =
            if key.namespace.is_empty() { crate::object::DEFAULT_NAMESPACE } else { key.namespace.as_str() };
        let mut note = match finding.violations.as_slice() {
            [one] => one.message.clone(),
            [first, rest @ ..] => format!("{} (and {} more violations)", first.message, rest.len()),
            [] => return Ok(()),
        };
        if note.len() > NOTE_LIMIT {
            let mut cut = NOTE_LIMIT - 3;
            while !note.is_char_boundary(cut) {
                cut -= 1;
            }
            note.truncate(cut);
            note.push_str("...");
        }
        let now = Timestamp::now();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{:x}", key.name, now.as_nanosecond())),
                namespace: Some(namespace.to_string()),
                ..Default::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some("Warning".into()),
            reason: Some(REASON.into()),
            action: Some("Audit".into()),
            note: Some(note),
            reporting_controller: Some(format!("sovereignty.io/{MANAGER}")),
            reporting_instance: Some(self.identity.clone()),
            regarding: Some(ObjectReference {
                api_version: Some(subject.api_version.clone()),
                kind: Some(key.kind.clone()),
                name: Some(key.name.clone()),
                namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
                uid: (!subject.uid.is_empty()).then(|| subject.uid.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        Api::<Event>::namespaced(self.client.clone(), namespace)
            .create(&PostParams::default(), &event)
            .await
            .map(|_| ())
    }

    pub async fn report(&self, report: &Report) -> kube::Result<()> {
        let gvk = GroupVersionKind::gvk(reports::GROUP, reports::VERSION, report.kind());
        let plural = if report.namespace.is_empty() { "clusterpolicyreports" } else { "policyreports" };
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        let api: Api<DynamicObject> = if report.namespace.is_empty() {
            Api::all_with(self.client.clone(), &resource)
        } else {
            Api::namespaced_with(self.client.clone(), &report.namespace, &resource)
        };
        api.patch(reports::NAME, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&report.body)).await.map(|_| ())
    }
}
