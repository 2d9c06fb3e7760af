//! In-process micro-benchmarks (criterion): parse, evaluate and serialize separately, per kind
//! of request, at N = 10, 100 and 1,000 data classes, over the full inventory (10,000 Nodes,
//! 10,000 PersistentVolumes and claims, 1,000 Namespaces); the whole in-process webhook path
//! (`answer`); and the same rule in CEL and Rego on the same fixtures.
//!
//! Every benchmark iterates over a batch of 20 fixtures of one kind (18 allowed, 2 denied) and
//! reports the time per batch; criterion's throughput line gives the time per request.
//!
//! `cargo bench --bench admission` runs them all (about eight minutes on two cores);
//! `BENCH_SMOKE=1` runs each once briefly, at N = 100 only. Before any timing, the three
//! engines are checked to agree on every fixture here (as `tests/differential.rs` does in CI).
//!
//! Results land in target/criterion/<group>/<function>/<parameter>/new/estimates.json, which
//! `benches/load.sh` (through `benchkit report`) turns into the speedups of summary.json.

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use serde_json::Value;
use sovereign::admission::review::answer;
use sovereign::evaluate::{Object, evaluate};
use sovereign::state::{Readiness, State};

use support::engines::{Cel, Rego, RequestInfo, inventory, policy_set, sovereign_allowed};
use support::fixtures::{Fixture, Kind, POLICY_COUNTS, SEED, Scale, World};

/// Fixtures per kind in one benchmark iteration.
const BATCH: usize = 20;

fn smoke() -> bool {
    std::env::var_os("BENCH_SMOKE").is_some_and(|v| !v.is_empty() && v != "0")
}

fn main() {
    let mut c = if smoke() {
        Criterion::default()
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(200))
            .sample_size(10)
            .without_plots()
    } else {
        Criterion::default()
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .sample_size(20)
            .without_plots()
    }
    .configure_from_args();
    benches(&mut c);
    c.final_summary();
}

struct Batch {
    kind: Kind,
    fixtures: Vec<Fixture>,
}

fn benches(c: &mut Criterion) {
    let counts: Vec<usize> = if smoke() { vec![100] } else { POLICY_COUNTS.to_vec() };
    eprintln!("generating the world: {:?}", Scale::FULL);
    let world = World::new(SEED, Scale::FULL);
    let inventory = inventory(&world);
    let batches: Vec<Batch> =
        Kind::ALL.iter().map(|&kind| Batch { kind, fixtures: world.fixtures(kind, BATCH, SEED) }).collect();

    // Before any timing: all three engines give every fixture the verdict it was built for.
    for &n in &counts {
        let set = policy_set(&world, n);
        let mut rego = Rego::new(&world, n);
        let cel = Cel::new(&world, n);
        for f in batches.iter().flat_map(|b| &b.fixtures) {
            let want = Ok(f.expect_allowed);
            let got = (sovereign_allowed(&f.review, &inventory, &set), rego.allowed(&f.review), cel.allowed(&f.review));
            assert!(got == (want.clone(), want.clone(), want), "N={n} {}: the engines disagree: {got:?}", f.id);
        }
    }

    // Parse: the request body as the webhook reads it, then the object into typed form.
    let mut group = c.benchmark_group("parse");
    for b in &batches {
        group.throughput(Throughput::Elements(b.fixtures.len() as u64));
        group.bench_function(b.kind.name(), |bench| {
            bench.iter(|| {
                for f in &b.fixtures {
                    let review: Value = serde_json::from_slice(black_box(f.body.as_bytes())).expect("JSON");
                    black_box(Object::parse(&review["request"]["object"]).expect("object"));
                }
            })
        });
    }
    group.finish();

    // Evaluate: the pure core on parsed objects, at each policy-set size.
    let mut group = c.benchmark_group("evaluate");
    for &n in &counts {
        let set = policy_set(&world, n);
        for b in &batches {
            let parsed: Vec<(Object, RequestInfo)> = b
                .fixtures
                .iter()
                .map(|f| (Object::parse(&f.review["request"]["object"]).expect("object"), RequestInfo::of(&f.review)))
                .collect();
            group.throughput(Throughput::Elements(parsed.len() as u64));
            group.bench_with_input(BenchmarkId::new(b.kind.name(), format!("n{n}")), &parsed, |bench, parsed| {
                bench.iter(|| {
                    for (object, info) in parsed {
                        black_box(evaluate(black_box(object), &info.context(), &inventory, &set));
                    }
                })
            });
        }
    }
    group.finish();

    // The same split by verdict, every kind together: what an allowed request costs, and what
    // a denial (whose message names regions to move to) costs.
    for (name, allowed) in [("evaluate-allowed", true), ("evaluate-denied", false)] {
        let mut group = c.benchmark_group(name);
        for &n in &counts {
            let set = policy_set(&world, n);
            let parsed: Vec<(Object, RequestInfo)> = batches
                .iter()
                .flat_map(|b| &b.fixtures)
                .filter(|f| f.expect_allowed == allowed)
                .map(|f| (Object::parse(&f.review["request"]["object"]).expect("object"), RequestInfo::of(&f.review)))
                .collect();
            group.throughput(Throughput::Elements(parsed.len() as u64));
            group.bench_with_input(BenchmarkId::new("all", format!("n{n}")), &parsed, |bench, parsed| {
                bench.iter(|| {
                    for (object, info) in parsed {
                        black_box(evaluate(black_box(object), &info.context(), &inventory, &set));
                    }
                })
            });
        }
        group.finish();
    }

    // The whole in-process webhook path (`answer`: read, judge, metrics, response), and the
    // response's serialization on its own.
    let mut answers = c.benchmark_group("answer");
    let mut states = Vec::new();
    for &n in counts.iter().filter(|n| **n >= 100) {
        let state = State::new(policy_set(&world, n), inventory.clone(), Readiness::new(Duration::from_secs(30)));
        for b in &batches {
            answers.throughput(Throughput::Elements(b.fixtures.len() as u64));
            answers.bench_function(BenchmarkId::new(b.kind.name(), format!("n{n}")), |bench| {
                bench.iter(|| {
                    for f in &b.fixtures {
                        let a = futures::executor::block_on(answer(f.body.as_bytes(), &state, Duration::from_secs(1)))
                            .expect("a valid review");
                        black_box(serde_json::to_vec(&a.response.into_review()).expect("serializes"));
                    }
                })
            });
        }
        states.push((n, state));
    }
    answers.finish();

    let (_, state) = states.iter().find(|(n, _)| *n == 100).expect("N=100 is always benchmarked");
    let mut group = c.benchmark_group("serialize");
    for b in &batches {
        let responses: Vec<_> = b
            .fixtures
            .iter()
            .map(|f| {
                futures::executor::block_on(answer(f.body.as_bytes(), state, Duration::from_secs(1)))
                    .expect("a valid review")
                    .response
            })
            .collect();
        group.throughput(Throughput::Elements(responses.len() as u64));
        group.bench_function(b.kind.name(), |bench| {
            bench.iter_batched(
                || responses.clone(),
                |responses| {
                    for r in responses {
                        black_box(serde_json::to_vec(&r.into_review()).expect("serializes"));
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
    drop(states);

    // The same rule in three engines, from the decoded review to a verdict: each converts what
    // its rule reads into its own form (sovereign: Object::parse; CEL: cel::to_value; Rego:
    // regorus::Value) and evaluates.
    for &n in &counts {
        let set = policy_set(&world, n);
        let mut rego = Rego::new(&world, n);
        let cel = Cel::new(&world, n);
        let mut group = c.benchmark_group(format!("engines-n{n}"));
        for b in &batches {
            group.throughput(Throughput::Elements(b.fixtures.len() as u64));
            group.bench_function(BenchmarkId::new("sovereign", b.kind.name()), |bench| {
                bench.iter(|| {
                    for f in &b.fixtures {
                        black_box(sovereign_allowed(black_box(&f.review), &inventory, &set).expect("verdict"));
                    }
                })
            });
            group.bench_function(BenchmarkId::new("cel", b.kind.name()), |bench| {
                bench.iter(|| {
                    for f in &b.fixtures {
                        black_box(cel.allowed(black_box(&f.review)).expect("verdict"));
                    }
                })
            });
            group.bench_function(BenchmarkId::new("rego", b.kind.name()), |bench| {
                bench.iter(|| {
                    for f in &b.fixtures {
                        black_box(rego.allowed(black_box(&f.review)).expect("verdict"));
                    }
                })
            });
        }
        group.finish();

        // Evaluation alone, each engine's input already converted (N = 100 only).
        if n != 100 {
            continue;
        }
        let mut group = c.benchmark_group(format!("engines-eval-n{n}"));
        for b in &batches {
            let ours: Vec<(Object, RequestInfo)> = b
                .fixtures
                .iter()
                .map(|f| (Object::parse(&f.review["request"]["object"]).expect("object"), RequestInfo::of(&f.review)))
                .collect();
            let cel_inputs: Vec<_> = b.fixtures.iter().map(|f| cel.input(&f.review).expect("input")).collect();
            let rego_inputs: Vec<_> = b.fixtures.iter().map(|f| rego.input(&f.review).expect("input")).collect();
            group.throughput(Throughput::Elements(b.fixtures.len() as u64));
            group.bench_function(BenchmarkId::new("sovereign", b.kind.name()), |bench| {
                bench.iter(|| {
                    for (object, info) in &ours {
                        black_box(evaluate(object, &info.context(), &inventory, &set).verdict.allowed());
                    }
                })
            });
            group.bench_function(BenchmarkId::new("cel", b.kind.name()), |bench| {
                bench.iter(|| {
                    for input in &cel_inputs {
                        black_box(cel.eval(input).expect("verdict"));
                    }
                })
            });
            group.bench_function(BenchmarkId::new("rego", b.kind.name()), |bench| {
                bench.iter(|| {
                    for input in &rego_inputs {
                        black_box(rego.eval(input.clone()).expect("verdict"));
                    }
                })
            });
        }
        group.finish();
    }
}
