//! Cloud data stores declared as objects (SPEC §13): where a bucket or a database keeps its
//! data, named through its provider's catalog, and where its replicas keep copies.
//!
//! A store's region is the region itself (cross-border zones hold nodes, not regional
//! services); a multi- or dual-region location is the set of its countries; Azure display
//! names are normalised (`West Europe` = `westeurope`). A name the catalog does not know
//! is unknown, never guessed.

use serde_json::Value;

use super::decision::{Holder, Replica};
use super::exposure::{Category, Exposure};
use super::topology::{Gap, Reach};
use crate::catalog::{self, Provider};
use crate::inventory::Inventory;
use crate::kinds::{self, Kind, Locate, Reading, Replicas};
use crate::policy::{CompiledPolicy, StoreKind, path_steps};

/// The annotation an ACK resource names its region with.
pub(crate) const ACK_REGION: &str = "services.k8s.aws/region";
/// The namespace annotation ACK takes a resource's region from when it names none.
pub(crate) const ACK_DEFAULT_REGION: &str = "services.k8s.aws/default-region";
/// The name a Crossplane managed resource has outside the cluster.
const EXTERNAL_NAME: &str = "crossplane.io/external-name";
/// The SKUs (or Crossplane replication types) that keep a copy in the paired region.
const GEO_REDUNDANT: [&str; 4] = ["GRS", "RAGRS", "GZRS", "RAGZRS"];

/// How to read one store kind: built in, or declared by a policy (`stores.kinds`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Rule<'a> {
    pub kind: &'a str,
    pub provider: Provider,
    pub location: Where<'a>,
    pub replicas: Replicas,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Where<'a> {
    Path(&'a str),
    Ack,
    Nowhere,
}

impl Rule<'static> {
    /// The rule of a built-in store kind.
    pub fn builtin(kind: &'static Kind) -> Option<Self> {
        let Reading::Store(store) = kind.reading else { return None };
        let location = match store.location {
            Locate::Path(path) => Where::Path(path),
            Locate::Ack => Where::Ack,
            Locate::Nowhere => Where::Nowhere,
        };
        Some(Rule { kind: kind.kind, provider: Provider::parse(store.provider)?, location, replicas: store.replicas })
    }
}

impl<'a> Rule<'a> {
    /// The rule a policy declares for a kind of its own.
    pub fn declared(store: &'a StoreKind) -> Self {
        Rule {
            kind: &store.kind,
            provider: store.provider,
            location: Where::Path(&store.location),
            replicas: Replicas::None,
        }
    }

    /// What the store is, for a table row: `StorageAccount` → `storage account`.
    fn noun(&self) -> String {
        let mut out = String::new();
        let chars: Vec<char> = self.kind.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0 && c.is_uppercase() && (chars[i - 1].is_lowercase() || next_lower) {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
        }
        out
    }

    fn location_text(&self) -> String {
        match self.location {
            Where::Path(path) => path.to_string(),
            Where::Ack => format!("the annotation {ACK_REGION}"),
            Where::Nowhere => String::new(),
        }
    }
}

/// The string at a dotted path (`metadata.annotations.<name>` keeps the name whole).
fn string_at<'v>(value: &'v Value, path: &str) -> Option<&'v str> {
    let steps = path_steps(path)?;
    steps.iter().try_fold(value, |at, step| at.get(step))?.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn annotation<'v>(value: &'v Value, name: &str) -> Option<&'v str> {
    value.get("metadata")?.get("annotations")?.get(name)?.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// A location as `provider`'s catalog names it: a multi-region (any case, catalog
/// spelling), or a region (Azure display names and upper-case GCS regions normalised).
pub(super) fn place(provider: Provider, raw: &str) -> Option<String> {
    if let Some(multi) = catalog::multi_region(raw, &[provider]).first() {
        return Some(multi.name.to_string());
    }
    let normalised = match provider {
        Provider::Azure => raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_lowercase(),
        Provider::Gcp => raw.to_lowercase(),
        _ => raw.to_string(),
    };
    [raw, normalised.as_str()].into_iter().find(|name| provider.region(name).is_some()).map(str::to_string)
}

fn not_catalogued(provider: Provider, raw: &str, at: &str) -> Gap {
    Gap {
        what: format!("its location {at} is {raw:?}, which is no {provider} region or location the catalog knows"),
        fix: format!("set {at} to a {provider} region (sovereign regions --provider {provider} lists them)"),
    }
}

/// The region of an ACK resource: its annotation, its namespace's default, the policy's
/// default; else a gap.
fn ack_region<'v>(
    value: &'v Value,
    namespace: Option<&str>,
    policy: &'v CompiledPolicy,
    inventory: &'v Inventory,
) -> Result<&'v str, Gap> {
    let from_namespace = || inventory.namespace_annotation(namespace?, ACK_DEFAULT_REGION);
    annotation(value, ACK_REGION)
        .or_else(from_namespace)
        .or(policy.stores.ack_default_region.as_deref())
        .ok_or_else(|| Gap {
            what: format!(
                "it names no region: no {ACK_REGION} annotation, none in {ACK_DEFAULT_REGION} of namespace {}, and policy {} sets no stores.ackDefaultRegion (the ACK controller's own default is not visible to sovereign)",
                namespace.unwrap_or("(none)"),
                policy.name
            ),
            fix: format!("annotate it {ACK_REGION}: <region>"),
        })
}

/// Where a store keeps its own data, as a place name, or why that is unknown.
fn primary(
    rule: &Rule,
    value: &Value,
    namespace: Option<&str>,
    policy: &CompiledPolicy,
    inventory: &Inventory,
) -> Option<Result<String, Gap>> {
    let (raw, at) = match rule.location {
        Where::Nowhere => return None,
        Where::Path(path) => match string_at(value, path) {
            Some(raw) => (raw, path.to_string()),
            None => {
                return Some(Err(Gap {
                    what: format!("it names no location at {path}"),
                    fix: format!("set {path} to a {} region", rule.provider),
                }));
            }
        },
        Where::Ack => match ack_region(value, namespace, policy, inventory) {
            Ok(raw) => (raw, format!("its region (from {ACK_REGION} or its defaults)")),
            Err(gap) => return Some(Err(gap)),
        },
    };
    Some(place(rule.provider, raw).ok_or_else(|| not_catalogued(rule.provider, raw, &at)))
}

fn reach_of(found: Result<String, Gap>) -> Reach {
    match found {
        Ok(place) => Reach::Within([place].into()),
        Err(gap) => Reach::Unknown(vec![gap]),
    }
}

/// Every place a store keeps data: itself and each replica.
pub(super) fn store_exposures(
    rule: &Rule,
    value: &Value,
    namespace: Option<&str>,
    policy: &CompiledPolicy,
    inventory: &Inventory,
) -> Vec<Exposure> {
    let mut out = Vec::new();
    let own = primary(rule, value, namespace, policy, inventory);
    if let Some(own) = &own {
        let holder =
            Holder::Store { noun: rule.noun(), provider: rule.provider.to_string(), location: rule.location_text() };
        out.push(Exposure::new(Category::Store, holder, reach_of(own.clone())));
    }
    match rule.replicas {
        Replicas::None => {}
        Replicas::AzurePair(path) => out.extend(paired(string_at(value, path), own)),
        Replicas::AckRules => {
            let rules = value.pointer("/spec/replication/rules").and_then(Value::as_array);
            for bucket in rules.into_iter().flatten().filter(|r| enabled(r)).filter_map(ack_destination) {
                let found = ack_bucket(&bucket, namespace, inventory)
                    .map(|(dest, ns)| ack_region(dest, ns, policy, inventory).map(str::to_string))
                    .unwrap_or_else(|| Err(absent(&bucket)));
                let reach = reach_of(found.and_then(|raw| {
                    place(Provider::Aws, &raw).ok_or_else(|| not_catalogued(Provider::Aws, &raw, "region"))
                }));
                out.push(Exposure::new(Category::Store, Holder::Replica(Replica::Destination { bucket }), reach));
            }
        }
        Replicas::CrossplaneRules | Replicas::CrossplaneReplicatedBy => {
            let destinations = match rule.replicas {
                Replicas::CrossplaneRules => crossplane_destinations(value),
                _ => replicated_by(value, inventory).flat_map(crossplane_destinations).collect(),
            };
            for bucket in destinations {
                let found = crossplane_bucket(&bucket, inventory)
                    .map(|dest| {
                        let path = "spec.forProvider.region";
                        let raw = string_at(dest, path).ok_or_else(|| Gap {
                            what: format!("destination bucket {bucket} names no region at {path}"),
                            fix: format!("set {path} on bucket {bucket}"),
                        })?;
                        place(Provider::Aws, raw).ok_or_else(|| not_catalogued(Provider::Aws, raw, path))
                    })
                    .unwrap_or_else(|| Err(absent(&bucket)));
                out.push(Exposure::new(
                    Category::Store,
                    Holder::Replica(Replica::Destination { bucket }),
                    reach_of(found),
                ));
            }
        }
    }
    out
}

/// The replica a geo-redundant Azure storage account keeps in its region's pair.
fn paired(redundancy: Option<&str>, own: Option<Result<String, Gap>>) -> Option<Exposure> {
    let redundancy = redundancy?;
    let kind = redundancy.rsplit('_').next().unwrap_or(redundancy).to_ascii_uppercase();
    if !GEO_REDUNDANT.contains(&kind.as_str()) {
        return None;
    }
    let (region, reach) = match own? {
        Ok(region) => {
            let reach = match catalog::azure_pair(&region) {
                Some(pair) => Reach::Within([pair.to_string()].into()),
                None => Reach::Unknown(vec![Gap {
                    what: format!("Azure publishes no paired region for {region} that the catalog knows"),
                    fix: "use Standard_LRS or Standard_ZRS, which keep no copy in another region".into(),
                }]),
            };
            (region, reach)
        }
        Err(gap) => {
            let what =
                format!("its {redundancy} replica is in the paired region of a location not known: {}", gap.what);
            ("(unknown)".to_string(), Reach::Unknown(vec![Gap { what, fix: gap.fix }]))
        }
    };
    let holder = Holder::Replica(Replica::Paired { redundancy: redundancy.to_string(), region });
    Some(Exposure::new(Category::Store, holder, reach))
}

fn enabled(rule: &Value) -> bool {
    rule.get("status").and_then(Value::as_str).is_none_or(|s| !s.eq_ignore_ascii_case("Disabled"))
}

/// A bucket named by an ARN (`arn:aws:s3:::name`) or by name.
fn bucket_name(named: &str) -> String {
    named.rsplit_once(":::").map_or(named, |(_, name)| name).trim_end_matches('/').to_string()
}

fn absent(bucket: &str) -> Gap {
    Gap {
        what: format!(
            "destination bucket {bucket} is not in the inventory, so where it keeps the replica cannot be known"
        ),
        fix: format!("create bucket {bucket} first (for sovereign check, pass it with -f)"),
    }
}

fn ack_destination(rule: &Value) -> Option<String> {
    rule.pointer("/destination/bucket").and_then(Value::as_str).filter(|b| !b.is_empty()).map(bucket_name)
}

/// The ACK Bucket whose bucket is called `name`, preferring the source's namespace, with
/// its namespace.
fn ack_bucket<'i>(
    name: &str,
    namespace: Option<&str>,
    inventory: &'i Inventory,
) -> Option<(&'i Value, Option<&'i str>)> {
    let kind = kinds::find("s3.services.k8s.aws", "Bucket")?;
    let called = |b: &&Value| {
        b.pointer("/spec/name").and_then(Value::as_str) == Some(name)
            || b.pointer("/metadata/name").and_then(Value::as_str) == Some(name)
    };
    let ns_of = |b: &'i Value| b.pointer("/metadata/namespace").and_then(Value::as_str);
    let mut found: Vec<&Value> = inventory.kept_all(kind).filter(called).collect();
    found.sort_by_key(|b| ns_of(b) != namespace);
    found.first().map(|b| (*b, ns_of(b)))
}

/// The destination buckets of a Crossplane BucketReplicationConfiguration's enabled rules
/// (`destination` is a list in `v1beta1`, an object later).
fn crossplane_destinations(value: &Value) -> Vec<String> {
    let rules = value.pointer("/spec/forProvider/rule").and_then(Value::as_array);
    let mut out = Vec::new();
    for rule in rules.into_iter().flatten().filter(|r| enabled(r)) {
        let destinations: Vec<&Value> = match rule.get("destination") {
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one) => vec![one],
            None => Vec::new(),
        };
        for destination in destinations {
            let named = destination.get("bucket").and_then(Value::as_str).filter(|b| !b.is_empty());
            let by_ref = destination.pointer("/bucketRef/name").and_then(Value::as_str).filter(|b| !b.is_empty());
            if let Some(name) = named.map(bucket_name).or(by_ref.map(str::to_string)) {
                out.push(name);
            }
        }
    }
    out
}

/// The source bucket a Crossplane BucketReplicationConfiguration replicates.
fn replication_source(configuration: &Value) -> Option<String> {
    string_at(configuration, "spec.forProvider.bucket")
        .map(bucket_name)
        .or_else(|| string_at(configuration, "spec.forProvider.bucketRef.name").map(str::to_string))
}

/// The BucketReplicationConfigurations in the inventory whose source is this bucket (by
/// object name or external name).
fn replicated_by<'i>(bucket: &'i Value, inventory: &'i Inventory) -> impl Iterator<Item = &'i Value> + 'i {
    let names: Vec<&str> =
        [bucket.pointer("/metadata/name").and_then(Value::as_str), annotation(bucket, EXTERNAL_NAME)]
            .into_iter()
            .flatten()
            .collect();
    let kind = kinds::find("s3.aws.upbound.io", "BucketReplicationConfiguration");
    kind.into_iter()
        .flat_map(|kind| inventory.kept_all(kind))
        .filter(move |c| replication_source(c).is_some_and(|source| names.contains(&source.as_str())))
}

/// The Crossplane Bucket called `name`, by object name or by its external name.
fn crossplane_bucket<'i>(name: &str, inventory: &'i Inventory) -> Option<&'i Value> {
    let kind = kinds::find("s3.aws.upbound.io", "Bucket")?;
    inventory
        .kept(kind, "", name)
        .or_else(|| inventory.kept_all(kind).find(|b| annotation(b, EXTERNAL_NAME) == Some(name)))
}

/// Data classes a store takes from what it copies: a Crossplane replication configuration
/// carries its source bucket's.
pub(super) fn copied_classes(rule: &Rule, value: &Value, inventory: &Inventory) -> Vec<String> {
    if !matches!(rule.replicas, Replicas::CrossplaneRules) {
        return Vec::new();
    }
    let source = replication_source(value);
    let label = |bucket: &Value| {
        let class = bucket.pointer("/metadata/labels").and_then(|l| l.get(super::DATA_CLASS_LABEL));
        class.and_then(Value::as_str).map(str::to_string)
    };
    source.and_then(|name| crossplane_bucket(&name, inventory)).and_then(label).into_iter().collect()
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
