//! `sovereign report`: evidence for an auditor. Every classified workload and volume, its
//! data classes, where it runs or is stored (region → country → jurisdiction), and whether
//! that is permitted.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use super::check::{CheckError, CheckReport, compile_policies, evaluate_files};
use super::live::{LiveError, evaluate_cluster};
use crate::catalog::{self, Resolution};
use crate::evaluate::{Confinement, Holder, Replica, Verdict};
use crate::policy::{CompiledPolicy, PolicySet};

/// One place one data class of one object could be.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub data_class: String,
    pub policy: String,
    /// What holds the data: the pod, its template, one of its volumes.
    pub holder: String,
    /// A region, or "any" / "unknown" when the holder is not confined.
    pub region: String,
    pub country: String,
    pub jurisdiction: String,
    /// Whether this place is permitted for the data class.
    pub permitted: bool,
    /// The object's verdict as a whole (the same as `check` gives it).
    pub verdict: Verdict,
    pub note: String,
    /// The SovereigntyException (`namespace/name`) that permits this place, when only one does.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub exception: String,
    /// Its legal basis type, reference and expiry.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub basis: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reference: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub expires: String,
}

/// Why `report` could not run; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error("-f needs -p: name the policies the manifests are judged against")]
    PoliciesNeeded,
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// From files (`-f`, with `-p` and `--inventory` as `check` takes them), or from the live
/// cluster of the current kubeconfig context when no `-f` is given (with the cluster's
/// policies, or those of `-p`).
pub fn run_report(policies: &[PathBuf], manifests: &[PathBuf], inventory: &[PathBuf]) -> Result<Vec<Row>, ReportError> {
    run_report_at(policies, manifests, inventory, SystemTime::now())
}

/// `report` as at a given time (`--now`): which SovereigntyExceptions are in force.
pub fn run_report_at(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
    now: SystemTime,
) -> Result<Vec<Row>, ReportError> {
    if !manifests.is_empty() {
        if policies.is_empty() {
            return Err(ReportError::PoliciesNeeded);
        }
        let (report, set) = evaluate_files(policies, manifests, inventory, true, now)?;
        return Ok(rows(report, &set));
    }
    let given = if policies.is_empty() { None } else { Some(compile_policies(policies)?) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ReportError::Runtime)?;
    let (report, set) = runtime.block_on(evaluate_cluster(given, now))?;
    Ok(rows(report, &set))
}

fn rows(report: CheckReport, set: &PolicySet) -> Vec<Row> {
    let mut rows = Vec::new();
    for outcome in report.outcomes {
        for location in outcome.locations {
            let policy = set.policies.iter().find(|p| p.name == location.policy);
            let row = |region: String, country: String, jurisdiction: String, permitted: bool| Row {
                kind: outcome.kind.clone(),
                namespace: outcome.namespace.clone(),
                name: outcome.name.clone(),
                data_class: location.data_class.clone(),
                policy: location.policy.clone(),
                holder: location.holder.label(),
                region,
                country,
                jurisdiction,
                permitted,
                verdict: outcome.verdict,
                note: location.note().unwrap_or_default(),
                exception: String::new(),
                basis: String::new(),
                reference: String::new(),
                expires: String::new(),
            };
            let excepted = |mut row: Row| {
                if let Some(e) = location.exceptions.iter().find(|e| e.regions.contains(&row.region)) {
                    row.exception = format!("{}/{}", e.namespace, e.name);
                    row.basis = e.legal_basis.kind.as_str().to_string();
                    row.reference = e.legal_basis.reference.clone();
                    row.expires = e.expires.clone();
                }
                row
            };
            match &location.confinement {
                Confinement::Within(regions) => {
                    for region in regions {
                        let (mut country, jurisdiction) = place(region, policy, set);
                        // A store's region is named by its own provider's catalog.
                        if let Some(c) = store_provider(&location.holder).and_then(|p| p.country_of(region)) {
                            country = c.to_string();
                        }
                        rows.push(excepted(row(region.clone(), country, jurisdiction, location.permits(region))));
                    }
                }
                Confinement::Anywhere(_) => rows.push(row("any".into(), "-".into(), "-".into(), location.permitted)),
                Confinement::Unknown(_) => rows.push(row("unknown".into(), "-".into(), "-".into(), location.permitted)),
            }
        }
    }
    rows
}

/// The cloud whose catalog names a store's (or its replica's) location.
fn store_provider(holder: &Holder) -> Option<catalog::Provider> {
    match holder {
        Holder::Store { provider, .. } => catalog::Provider::parse(provider),
        Holder::Replica(Replica::Paired { .. }) => Some(catalog::Provider::Azure),
        Holder::Replica(Replica::Destination { .. }) => Some(catalog::Provider::Aws),
        _ => None,
    }
}

/// The country of a region (through the policy's catalogs) and the jurisdictions of the
/// policy that include it.
fn place(region: &str, policy: Option<&CompiledPolicy>, set: &PolicySet) -> (String, String) {
    let providers = policy.map(|p| p.providers.as_slice()).unwrap_or_default();
    if let Some(multi) = catalog::multi_region(region, providers).first() {
        // A multi-region location (GCS EU, NAM4): every country it may use.
        let countries = match multi.countries.len() {
            0..=4 => multi.countries.join(" "),
            n => format!("{n} countries"),
        };
        let jurisdictions: Vec<&str> = policy
            .or_else(|| set.policies.first())
            .map(|p| {
                p.jurisdiction_locations
                    .iter()
                    .filter(|(_, held)| held.contains(region))
                    .map(|(n, _)| n.as_str())
                    .collect()
            })
            .unwrap_or_default();
        return (countries, if jurisdictions.is_empty() { "none".into() } else { jurisdictions.join("/") });
    }
    let country = match catalog::resolve(region, providers) {
        Resolution::Country(c) => c.to_string(),
        Resolution::Ambiguous(known) => {
            let each: Vec<String> = known.iter().map(|(p, c)| format!("{p}={c}")).collect();
            format!("ambiguous ({})", each.join(" "))
        }
        Resolution::Unknown => "not catalogued".to_string(),
    };
    let jurisdictions: Vec<&str> = policy
        .or_else(|| set.policies.first())
        .map(|p| {
            p.jurisdictions.iter().filter(|(_, regions)| regions.contains(region)).map(|(n, _)| n.as_str()).collect()
        })
        .unwrap_or_default();
    (country, if jurisdictions.is_empty() { "none".into() } else { jurisdictions.join("/") })
}

pub fn text(rows: &[Row]) -> String {
    let headers = [
        "OBJECT",
        "DATA CLASS",
        "POLICY",
        "HOLDER",
        "REGION",
        "COUNTRY",
        "JURISDICTION",
        "PERMITTED",
        "VERDICT",
        "EXCEPTION",
    ];
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            let object = if r.namespace.is_empty() {
                format!("{} {}", r.kind, r.name)
            } else {
                format!("{} {}/{}", r.kind, r.namespace, r.name)
            };
            [
                object,
                r.data_class.clone(),
                r.policy.clone(),
                r.holder.clone(),
                r.region.clone(),
                r.country.clone(),
                r.jurisdiction.clone(),
                if r.permitted { "yes".into() } else { "NO".into() },
                r.verdict.as_str().to_uppercase(),
                if r.exception.is_empty() {
                    String::new()
                } else {
                    format!("{} ({} {}, expires {})", r.exception, r.basis, r.reference, r.expires)
                },
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, values: &[&str]| {
        let padded: Vec<String> = values.iter().zip(widths).map(|(v, w)| format!("{v:<w$}")).collect();
        writeln!(out, "{}", padded.join("  ").trim_end()).unwrap();
    };
    line(&mut out, &headers);
    for row in &cells {
        line(&mut out, &row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let denied = rows.iter().filter(|r| !r.permitted).count();
    writeln!(out, "\n{} placements, {denied} not permitted", rows.len()).unwrap();
    out
}

/// RFC 4180 CSV with a header row, for spreadsheets.
pub fn csv(rows: &[Row]) -> String {
    fn field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    }
    let mut out = String::from(
        "kind,namespace,name,data_class,policy,holder,region,country,jurisdiction,permitted,verdict,note,exception,basis,reference,expires\r\n",
    );
    for r in rows {
        let values: [&str; 16] = [
            &r.kind,
            &r.namespace,
            &r.name,
            &r.data_class,
            &r.policy,
            &r.holder,
            &r.region,
            &r.country,
            &r.jurisdiction,
            if r.permitted { "yes" } else { "no" },
            r.verdict.as_str(),
            &r.note,
            &r.exception,
            &r.basis,
            &r.reference,
            &r.expires,
        ];
        let line: Vec<String> = values.iter().map(|v| field(v)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}
