//! Regions of nodes and volumes, and what a set of node requirements confines to.

use std::collections::BTreeSet;

use crate::catalog;
use crate::inventory::{Inventory, LabelSet, NodeRequirement, NodeTerm};
use crate::policy::{ClassRule, CompiledPolicy, DEFAULT_REGION_LABEL};

pub(crate) const DEPRECATED_REGION_LABEL: &str = "failure-domain.beta.kubernetes.io/region";
pub(crate) const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
pub(crate) const DEPRECATED_ZONE_LABEL: &str = "failure-domain.beta.kubernetes.io/zone";
pub(crate) const HOSTNAME_LABEL: &str = "kubernetes.io/hostname";
const NODE_NAME_FIELD: &str = "metadata.name";

/// Something that could not be pinned to a region, said for the person who must fix it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Gap {
    pub what: String,
    pub fix: String,
}

/// What a declaration confines a thing to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Reach {
    /// Only these regions (none: it can go nowhere, which is harmless).
    Within(BTreeSet<String>),
    /// Nothing limits the region; the reason names what is missing.
    Anywhere(String),
    /// The region cannot be known.
    Unknown(Vec<Gap>),
}

/// One node requirement, from a nodeSelector, a node affinity term or a topology term.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Requirement<'a> {
    pub key: &'a str,
    pub operator: &'a str,
    pub values: &'a [String],
    /// A `matchFields` requirement (on `metadata.name`) rather than a label.
    pub field: bool,
}

impl<'a> Requirement<'a> {
    pub fn label_in(key: &'a str, values: &'a [String]) -> Self {
        Requirement { key, operator: "In", values, field: false }
    }

    pub fn name_in(values: &'a [String]) -> Self {
        Requirement { key: NODE_NAME_FIELD, operator: "In", values, field: true }
    }

    /// Whether a node with this name and these labels satisfies the requirement.
    pub fn matches(&self, name: &str, labels: &impl LabelSet) -> bool {
        let value = if self.field { (self.key == NODE_NAME_FIELD).then_some(name) } else { labels.label(self.key) };
        let number = |s: &str| s.parse::<i64>().ok();
        match self.operator {
            "In" => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "NotIn" => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            "Gt" | "Lt" => {
                let (Some(v), Some(bound)) = (value.and_then(number), self.values.first().and_then(|b| number(b)))
                else {
                    return false;
                };
                if self.operator == "Gt" { v > bound } else { v < bound }
            }
            _ => false,
        }
    }
}

/// A node selector term's requirements (expressions and fields, ANDed); `None` for an empty
/// term, which matches no node.
pub(crate) fn term_requirements(term: &NodeTerm) -> Option<Vec<Requirement<'_>>> {
    fn requirement(e: &NodeRequirement, field: bool) -> Requirement<'_> {
        Requirement { key: &e.key, operator: &e.operator, values: e.values.as_deref().unwrap_or_default(), field }
    }
    let exprs = term.match_expressions.iter().flatten().map(|e| requirement(e, false));
    let fields = term.match_fields.iter().flatten().map(|e| requirement(e, true));
    let all: Vec<Requirement> = exprs.chain(fields).collect();
    (!all.is_empty()).then_some(all)
}

/// How a policy reads regions off labels.
#[derive(Clone, Copy)]
pub(crate) struct RegionLabels<'p> {
    pub policy: &'p CompiledPolicy,
}

impl<'p> RegionLabels<'p> {
    /// The label a fix should tell a developer to select on.
    pub fn selector_label(&self) -> &'p str {
        self.policy.trusted_region_label.as_deref().unwrap_or(&self.policy.region_label)
    }

    fn region_keys(&self) -> impl Iterator<Item = &'p str> {
        let fallback = (self.policy.region_label == DEFAULT_REGION_LABEL).then_some(DEPRECATED_REGION_LABEL);
        std::iter::once(self.policy.region_label.as_str()).chain(fallback)
    }

    /// The region an object's labels state (region label, its deprecated twin, or a mapped zone).
    pub fn stated_region<'a, L: LabelSet>(&'a self, labels: &'a L) -> Option<&'a str> {
        for key in self.region_keys() {
            if let Some(region) = labels.label(key) {
                return Some(region);
            }
        }
        [ZONE_LABEL, DEPRECATED_ZONE_LABEL]
            .iter()
            .filter_map(|k| labels.label(k))
            .find_map(|zone| self.policy.zones.get(zone).map(String::as_str))
    }

    /// Where something labelled with `region` is: the region, or the catalogued zone its
    /// zone label names (an AWS Local Zone abroad, an IBM classic data centre), whose country
    /// counts instead of the region's.
    pub fn place<'a, L: LabelSet>(&self, region: &'a str, labels: &'a L) -> &'a str {
        let zone = labels.label(ZONE_LABEL).or_else(|| labels.label(DEPRECATED_ZONE_LABEL));
        match zone {
            Some(zone) if catalog::zone_in_region(region, zone, &self.policy.providers).is_some() => zone,
            _ => region,
        }
    }

    /// Where an object's labels put it: its stated region, or the catalogued zone in it.
    pub fn stated_place<'a, L: LabelSet>(&'a self, labels: &'a L) -> Option<&'a str> {
        self.stated_region(labels).map(|region| self.place(region, labels))
    }

    /// A node's place: its stated region (or the catalogued zone in it), which must agree
    /// with the trusted label when the policy names one.
    pub fn node_region<'a, L: LabelSet>(&'a self, name: &str, labels: &'a L) -> Result<&'a str, Gap> {
        self.node_stated_region(name, labels).map(|region| self.place(region, labels))
    }

    fn node_stated_region<'a, L: LabelSet>(&'a self, name: &str, labels: &'a L) -> Result<&'a str, Gap> {
        let stated = self.stated_region(labels);
        let Some(trusted_key) = &self.policy.trusted_region_label else {
            return stated.ok_or_else(|| Gap {
                what: format!("node {name} has no region label ({})", self.policy.region_label),
                fix: format!("label node {name} with {}=<region>", self.policy.region_label),
            });
        };
        match (stated, labels.label(trusted_key)) {
            (Some(s), Some(t)) if s == t => Ok(s),
            (_, None) => Err(Gap {
                what: format!("node {name} has no trusted region label ({trusted_key})"),
                fix: format!("label node {name} with {trusted_key}=<region> (only administrators can set it)"),
            }),
            (s, Some(t)) => Err(Gap {
                what: format!(
                    "node {name} is in no region: its trusted label {trusted_key}={t} disagrees with {}={}",
                    self.policy.region_label,
                    s.unwrap_or("(none)")
                ),
                fix: format!("investigate node {name}: a kubelet may have relabelled itself; make the labels agree"),
            }),
        }
    }

    /// Regions of the nodes named, or the gaps that keep them from being known.
    fn nodes_regions<'a>(
        &self,
        inventory: &'a Inventory,
        names: &'a [String],
        by_hostname: bool,
    ) -> Result<BTreeSet<String>, Vec<Gap>> {
        let mut regions = BTreeSet::new();
        let mut gaps = Vec::new();
        for wanted in names {
            let by_name = inventory.node_entry(wanted);
            let found = if by_hostname {
                // The hostname label usually equals the node name; scan only when it does not.
                by_name.filter(|(_, l)| l.get(HOSTNAME_LABEL).is_none_or(|h| h == wanted.as_str())).or_else(|| {
                    inventory.nodes().find(|(_, l)| l.get(HOSTNAME_LABEL).is_some_and(|h| h == wanted.as_str()))
                })
            } else {
                by_name
            };
            match found {
                None => gaps.push(Gap {
                    what: format!("node {wanted} is not in the inventory, so its region is unknown"),
                    fix: format!("select nodes by {} instead of by name", self.selector_label()),
                }),
                Some((name, labels)) => match self.node_region(name, labels) {
                    Ok(region) => {
                        regions.insert(region.to_string());
                    }
                    Err(gap) => gaps.push(gap),
                },
            }
        }
        if gaps.is_empty() { Ok(regions) } else { Err(gaps) }
    }

    /// What one term (requirements ANDed) confines nodes to. `nodes_may_lie`: the
    /// requirements select nodes whose topology labels kubelets set themselves, so only the
    /// trusted label (when the policy names one) confines.
    pub fn term_reach(&self, term: &[Requirement<'_>], inventory: &Inventory, nodes_may_lie: bool) -> Reach {
        let mut confined: Option<BTreeSet<String>> = None;
        let mut gaps = Vec::new();
        let mut narrow = |set: BTreeSet<String>| {
            confined = Some(match confined.take() {
                None => set,
                Some(current) => current.intersection(&set).cloned().collect(),
            });
        };
        let trusted_only = nodes_may_lie && self.policy.trusted_region_label.is_some();
        let providers = &self.policy.providers;
        let regions_places = |values: &[String]| -> BTreeSet<String> {
            values.iter().flat_map(|r| catalog::places_of_region(r, providers)).collect()
        };
        let mut untrusted_region_key = None;
        // Zones the term requires (`In`): catalogued zones and mapped regions, whether a zone
        // neither the catalog nor the policy knows is among them, and the gaps that makes.
        let mut zone_in: Option<(BTreeSet<String>, bool, Vec<Gap>)> = None;
        // Zones the term keeps off (`NotIn`).
        let mut zones_out: BTreeSet<&str> = BTreeSet::new();
        for req in term {
            let zone_key = req.key == ZONE_LABEL || req.key == DEPRECATED_ZONE_LABEL;
            if !req.field && zone_key && req.operator == "NotIn" {
                if trusted_only {
                    untrusted_region_key = Some(req.key);
                } else {
                    zones_out.extend(req.values.iter().map(String::as_str));
                }
                continue;
            }
            if req.operator != "In" {
                continue;
            }
            if req.field {
                if req.key == NODE_NAME_FIELD {
                    match self.nodes_regions(inventory, req.values, false) {
                        Ok(set) => narrow(set),
                        Err(g) => gaps.extend(g),
                    }
                }
                continue;
            }
            if Some(req.key) == self.policy.trusted_region_label.as_deref() {
                narrow(regions_places(req.values));
            } else if self.region_keys().any(|k| k == req.key) {
                if trusted_only {
                    untrusted_region_key = Some(req.key);
                } else {
                    narrow(regions_places(req.values));
                }
            } else if zone_key {
                if trusted_only {
                    untrusted_region_key = Some(req.key);
                    continue;
                }
                let mut set = BTreeSet::new();
                let mut unmapped = Vec::new();
                for zone in req.values {
                    if catalog::is_zone(zone, providers) {
                        set.insert(zone.clone());
                        continue;
                    }
                    match self.policy.zones.get(zone) {
                        Some(region) => {
                            set.insert(region.clone());
                        }
                        None => unmapped.push(Gap {
                            what: format!("zone {zone} is not mapped to a region by policy {}", self.policy.name),
                            fix: format!("add zones: {{{zone}: <region>}} to policy {}", self.policy.name),
                        }),
                    }
                }
                let any_other = !unmapped.is_empty();
                let (places, other, mut missing) = zone_in.take().unwrap_or((set.clone(), any_other, Vec::new()));
                let places = places.intersection(&set).cloned().collect();
                missing.extend(unmapped);
                zone_in = Some((places, other && any_other, missing));
            } else if req.key == HOSTNAME_LABEL {
                if trusted_only {
                    untrusted_region_key = Some(req.key);
                    continue;
                }
                match self.nodes_regions(inventory, req.values, true) {
                    Ok(set) => narrow(set),
                    Err(g) => gaps.extend(g),
                }
            }
        }
        if let Some((places, any_other, missing)) = zone_in {
            match confined.take() {
                // A zone the catalog does not list may be any ordinary zone of the regions
                // already required: those keep their own country.
                Some(current) => {
                    confined = Some(
                        current
                            .into_iter()
                            .filter(|p| places.contains(p) || (any_other && !catalog::is_zone(p, providers)))
                            .collect(),
                    )
                }
                None if missing.is_empty() => confined = Some(places),
                None => gaps.extend(missing),
            }
        }
        if let Some(set) = confined.as_mut() {
            set.retain(|p| !zones_out.contains(p.as_str()));
        }
        match (confined, gaps.is_empty(), untrusted_region_key) {
            (Some(set), _, _) => Reach::Within(set),
            (None, false, _) => Reach::Unknown(gaps),
            (None, true, Some(key)) => Reach::Anywhere(format!(
                "it selects nodes by {key}, which a kubelet can set on its own node, and policy {} trusts only {}",
                self.policy.name,
                self.selector_label()
            )),
            (None, true, None) => Reach::Anywhere(format!("no required constraint on {}", self.selector_label())),
        }
    }

    /// What terms ORed together confine to. An empty term list confines to nothing at all.
    pub fn terms_reach<'r, I>(&self, terms: I, inventory: &Inventory, nodes_may_lie: bool) -> Reach
    where
        I: IntoIterator<Item = &'r [Requirement<'r>]>,
    {
        let mut union = BTreeSet::new();
        let mut gaps = Vec::new();
        for term in terms {
            match self.term_reach(term, inventory, nodes_may_lie) {
                Reach::Within(set) => union.extend(set),
                Reach::Unknown(g) => gaps.extend(g),
                anywhere @ Reach::Anywhere(_) => return anywhere,
            }
        }
        if gaps.is_empty() { Reach::Within(union) } else { Reach::Unknown(gaps) }
    }
}

impl Reach {
    /// Regions this reach admits that `allowed` does not, or `None` when it is not a finite set.
    pub fn outside<'a>(&'a self, allowed: &'a BTreeSet<String>) -> Option<Vec<&'a str>> {
        match self {
            // A catalogued zone of a region that is itself outside says nothing more.
            Reach::Within(set) => Some(
                set.difference(allowed)
                    .map(String::as_str)
                    .filter(|p| {
                        catalog::zone(p, &[]).is_none_or(|z| !set.contains(z.region) || allowed.contains(z.region))
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The places outside what a class allows: its regions and zones, and the multi-region
    /// locations it holds whole (a store in GCS `EU` under an EU jurisdiction).
    pub fn outside_class<'a>(&'a self, class: &'a ClassRule) -> Option<Vec<&'a str>> {
        let outside = self.outside(&class.allowed)?;
        Some(outside.into_iter().filter(|p| !class.locations.contains(*p)).collect())
    }
}

#[cfg(test)]
#[path = "topology_tests.rs"]
mod tests;
