//! The property: for random nodes and random required affinities, pinning lets no node
//! outside R match any term, and every node in R that matched before still matches.

use json_patch::jsonptr::PointerBuf;
use serde_json::{Map, json};

use super::patch::array;

use super::*;

const LABEL: &str = "topology.kubernetes.io/region";
const REGIONS: [&str; 6] = ["r0", "r1", "r2", "r3", "r4", "r5"];
const OTHER_KEYS: [&str; 2] = ["disk", "tier"];
const OTHER_VALUES: [&str; 3] = ["a", "b", "c"];

/// xorshift64*: deterministic, so a failure always reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn subset(&mut self, items: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = items.iter().filter(|_| self.below(2) == 0).map(|s| s.to_string()).collect();
        if out.is_empty() {
            out.push(self.pick(items).to_string());
        }
        out
    }
}

type Node = BTreeMap<String, String>;

fn random_node(rng: &mut Rng) -> Node {
    let mut node = Node::new();
    if rng.below(8) != 0 {
        node.insert(LABEL.into(), rng.pick(&REGIONS).into());
    }
    for key in OTHER_KEYS {
        if rng.below(2) == 0 {
            node.insert(key.into(), rng.pick(&OTHER_VALUES).into());
        }
    }
    node.insert("kubernetes.io/hostname".into(), format!("n{}", rng.below(4)));
    node
}

fn random_requirement(rng: &mut Rng) -> Value {
    let on_region = rng.below(2) == 0;
    let (key, pool): (&str, &[&str]) =
        if on_region { (LABEL, &REGIONS) } else { (rng.pick(&OTHER_KEYS), &OTHER_VALUES) };
    match rng.below(4) {
        0 => json!({ "key": key, "operator": "In", "values": rng.subset(pool) }),
        1 => json!({ "key": key, "operator": "NotIn", "values": rng.subset(pool) }),
        2 => json!({ "key": key, "operator": "Exists" }),
        _ => json!({ "key": key, "operator": "DoesNotExist" }),
    }
}

fn random_spec(rng: &mut Rng) -> Value {
    if rng.below(5) == 0 {
        return json!({ "containers": [] });
    }
    let terms: Vec<Value> = (0..1 + rng.below(3))
        .map(|_| {
            let exprs: Vec<Value> = (0..rng.below(4)).map(|_| random_requirement(rng)).collect();
            let mut term = Map::new();
            if !exprs.is_empty() || rng.below(2) == 0 {
                term.insert("matchExpressions".into(), Value::Array(exprs));
            }
            if rng.below(4) == 0 {
                let host = format!("n{}", rng.below(4));
                term.insert(
                    "matchFields".into(),
                    json!([{ "key": "metadata.name", "operator": "In", "values": [host] }]),
                );
            }
            Value::Object(term)
        })
        .collect();
    json!({ "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": terms } } } })
}

/// An independent reading of the API server's matching rules.
fn matches(node: &Node, spec: &Value) -> bool {
    let Some(terms) = lookup(spec, &AFFINITY_PATH).and_then(Value::as_array) else { return true };
    terms.iter().any(|term| {
        let exprs = array(term, "matchExpressions");
        let fields = array(term, "matchFields");
        if exprs.is_empty() && fields.is_empty() {
            return false;
        }
        let holds = |r: &Value, value: Option<&String>| {
            let values: Vec<&str> = array(r, "values").iter().filter_map(Value::as_str).collect();
            match r["operator"].as_str().unwrap() {
                "In" => value.is_some_and(|v| values.contains(&v.as_str())),
                "NotIn" => value.is_none_or(|v| !values.contains(&v.as_str())),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => panic!("unexpected operator {other}"),
            }
        };
        exprs.iter().all(|r| holds(r, node.get(r["key"].as_str().unwrap())))
            && fields.iter().all(|r| holds(r, node.get("kubernetes.io/hostname")))
    })
}

#[test]
fn pinning_excludes_every_node_outside_the_allowed_regions_and_keeps_every_allowed_one() {
    let mut rng = Rng(0x5EED_5EED_1234_5678);
    let (mut pinned, mut refused) = (0, 0);
    for case in 0..3000 {
        let allowed: BTreeSet<String> = rng.subset(&REGIONS).into_iter().collect();
        let confine = Confinements::from([(LABEL.to_string(), allowed.clone())]);
        let spec = random_spec(&mut rng);
        let nodes: Vec<Node> = (0..12).map(|_| random_node(&mut rng)).collect();
        let in_r = |n: &Node| n.get(LABEL).is_some_and(|r| allowed.contains(r));
        match affinity_ops(&spec, &PointerBuf::root(), &confine, &Exclusions::new()) {
            Err(Refusal::EveryTermOutside) => {
                refused += 1;
                for node in nodes.iter().filter(|n| in_r(n)) {
                    assert!(!matches(node, &spec), "case {case}: refused, yet allowed node {node:?} matched {spec}");
                }
            }
            Err(other) => panic!("case {case}: unexpected refusal {other:?}"),
            Ok(ops) => {
                pinned += 1;
                let mut after = spec.clone();
                json_patch::patch(&mut after, &ops).unwrap_or_else(|e| panic!("case {case}: {e} for {spec}"));
                for node in &nodes {
                    if in_r(node) {
                        if matches(node, &spec) {
                            assert!(matches(node, &after), "case {case}: lost {node:?}\n{spec}\n{after}");
                        }
                    } else {
                        assert!(!matches(node, &after), "case {case}: {node:?} outside R matches\n{after}");
                    }
                }
                let again = affinity_ops(&after, &PointerBuf::root(), &confine, &Exclusions::new())
                    .expect("a pinned spec pins");
                assert!(again.is_empty(), "case {case}: pinning again changed {after}: {again:?}");
            }
        }
    }
    assert!(pinned > 1000 && refused > 50, "the generator covers both outcomes: {pinned} pinned, {refused} refused");
}
