//! What the leader writes to the API server: policy status, Warning Events on violating
//! objects, and policy reports (in each report API the cluster serves).

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;

use super::findings::Finding;
use super::reports::{self, Format, Report};
use super::subject::Subject;
use crate::policy::{SovereigntyException, SovereigntyExceptionStatus, SovereigntyPolicy, SovereigntyPolicyStatus};

/// The Event reason on violating objects.
pub const REASON: &str = "SovereigntyViolation";
/// The Normal Event reason on objects let through by a SovereigntyException.
pub const EXCEPTION_USED: &str = "SovereigntyExceptionUsed";
/// Field manager and reporting controller.
pub const MANAGER: &str = "sovereign-audit";
const NOTE_LIMIT: usize = 1000;
/// How long the report APIs discovery found are trusted before it is asked again (so CRDs
/// installed or removed later are noticed).
const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

pub struct Writer {
    client: Client,
    /// This replica, as Events name it (`reportingInstance`).
    pub identity: String,
    /// The report APIs served, and when discovery said so.
    formats: std::sync::Mutex<Option<(std::time::Instant, Vec<Format>)>>,
}

impl Writer {
    pub fn new(client: Client, identity: String) -> Writer {
        Writer { client, identity, formats: std::sync::Mutex::new(None) }
    }

    pub async fn status(&self, policy: &str, status: &SovereigntyPolicyStatus) -> kube::Result<()> {
        let api: Api<SovereigntyPolicy> = Api::all(self.client.clone());
        let patch = super::status::patch(status);
        api.patch_status(policy, &PatchParams::apply(MANAGER), &Patch::Merge(&patch)).await.map(|_| ())
    }

    pub async fn exception_status(
        &self,
        namespace: &str,
        name: &str,
        status: &SovereigntyExceptionStatus,
    ) -> kube::Result<()> {
        let api: Api<SovereigntyException> = Api::namespaced(self.client.clone(), namespace);
        let patch = super::exception_status::patch(status);
        api.patch_status(name, &PatchParams::apply(MANAGER), &Patch::Merge(&patch)).await.map(|_| ())
    }

    /// A Normal Event on an object let through by an exception (once per object and exception).
    pub async fn exception_used(&self, subject: &Subject, note: &str) -> kube::Result<()> {
        self.event_on(subject, "Normal", EXCEPTION_USED, note.to_string()).await
    }

    /// A Warning Event on the object naming every violation (the first in full).
    pub async fn event(&self, subject: &Subject, finding: &Finding) -> kube::Result<()> {
        let note = match finding.violations.as_slice() {
            [one] => one.message.clone(),
            [first, rest @ ..] => format!("{} (and {} more violations)", first.message, rest.len()),
            [] => return Ok(()),
        };
        self.event_on(subject, "Warning", REASON, note).await
    }

    /// An events.k8s.io Event about an audited object, its note cut to the API's limit.
    async fn event_on(&self, subject: &Subject, type_: &str, reason: &str, mut note: String) -> kube::Result<()> {
        let key = &subject.key;
        let namespace =
            if key.namespace.is_empty() { crate::object::DEFAULT_NAMESPACE } else { key.namespace.as_str() };
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
            type_: Some(type_.into()),
            reason: Some(reason.into()),
            action: Some("Audit".into()),
            note: Some(note),
            reporting_controller: Some(format!("sovereignty.io/{MANAGER}")),
            reporting_instance: Some(self.identity.clone()),
            // The object's own kind: the audit's key may qualify it by group (`Bucket.s3...`).
            regarding: Some(ObjectReference {
                api_version: Some(subject.api_version.clone()),
                kind: Some(subject.object.kind().to_string()),
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

    /// Writes the report in every report API the cluster serves; a 404 when it serves none.
    pub async fn report(&self, report: &Report) -> kube::Result<()> {
        let formats = self.report_formats().await?;
        if formats.is_empty() {
            let none =
                format!("none of the report APIs is served ({})", Format::ALL.map(Format::api_version).join(", "));
            return Err(kube::Error::Api(
                kube::core::Status { code: 404, message: none, ..Default::default() }.boxed(),
            ));
        }
        for format in formats {
            let gvk = GroupVersionKind::gvk(format.group(), format.version(), format.kind(&report.namespace));
            let resource = ApiResource::from_gvk_with_plural(&gvk, format.plural(&report.namespace));
            let api: Api<DynamicObject> = if report.namespace.is_empty() {
                Api::all_with(self.client.clone(), &resource)
            } else {
                Api::namespaced_with(self.client.clone(), &report.namespace, &resource)
            };
            let body = report.body_for(format);
            if let Err(e) = api.patch(reports::NAME, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&body)).await {
                // Removed since discovery looked: look again next time.
                *self.formats.lock().unwrap_or_else(|p| p.into_inner()) = None;
                return Err(e);
            }
        }
        Ok(())
    }

    /// The report APIs served, from discovery at most [`DISCOVERY_TTL`] old.
    async fn report_formats(&self) -> kube::Result<Vec<Format>> {
        if let Some((at, formats)) = self.formats.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(formats.clone());
        }
        let mut served = Vec::new();
        for format in Format::ALL {
            match self.client.list_api_group_resources(format.api_version()).await {
                Ok(list) => served.extend(list.resources.into_iter().map(|r| (format.api_version(), r.name))),
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        let formats = Format::served(|api, plural| served.iter().any(|(a, r)| *a == api && r == plural));
        *self.formats.lock().unwrap_or_else(|p| p.into_inner()) = Some((std::time::Instant::now(), formats.clone()));
        Ok(formats)
    }
}
