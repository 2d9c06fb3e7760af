//! Before any timing: sovereign, the Rego rule (regorus) and the CEL rule (`cel`) agree on
//! every generated fixture, at every policy-set size the benchmarks use, and all three give
//! the verdict each fixture was built to get. A disagreement means the benchmarks would
//! compare different rules.

#[path = "../benches/support/mod.rs"]
mod support;

use support::engines::{Cel, Rego, inventory, policy_set, sovereign_decision};
use support::fixtures::{Denial, Kind, POLICY_COUNTS, SEED, Scale, World};

/// Fixtures per kind and policy-set size: enough for every denial variant and placement form,
/// few enough for a debug build in CI (about five seconds).
const PER_KIND: usize = 30;

#[test]
fn sovereign_rego_and_cel_agree_on_every_fixture() {
    let world = World::new(SEED, Scale::SMALL);
    let inventory = inventory(&world);
    let fixtures = world.all_fixtures(PER_KIND, SEED);
    let denied = fixtures.iter().filter(|f| !f.expect_allowed).count();
    assert_eq!(denied * 10, fixtures.len(), "one fixture in ten is built to be denied");
    for denial in [Denial::Outside, Denial::Unconfined, Denial::Undefined] {
        assert!(fixtures.iter().any(|f| f.denial == Some(denial)), "no fixture denied as {denial:?}");
    }

    let mut disagreements = Vec::new();
    for n in POLICY_COUNTS {
        let set = policy_set(&world, n);
        let mut rego = Rego::new(&world, n);
        let cel = Cel::new(&world, n);
        for f in &fixtures {
            let ours = sovereign_decision(&f.review, &inventory, &set);
            let theirs_rego = rego.allowed(&f.review);
            let theirs_cel = cel.allowed(&f.review);
            let ours_allowed = ours.as_ref().map(|d| d.verdict.allowed());
            // A denial must be for the reason the fixture was built with, not an accident.
            let reason = match f.denial {
                None => "",
                Some(Denial::Outside) => "outside them",
                Some(Denial::Unconfined) => "any region",
                Some(Denial::Undefined) => "is not defined by any SovereigntyPolicy",
            };
            let for_the_reason = ours.as_ref().is_ok_and(|d| d.violations.iter().all(|v| v.message.contains(reason)));
            if ours_allowed != Ok(f.expect_allowed)
                || !for_the_reason
                || theirs_rego != Ok(f.expect_allowed)
                || theirs_cel != Ok(f.expect_allowed)
            {
                let why = match &ours {
                    Ok(d) => d.violations.iter().map(|v| v.message.clone()).collect::<Vec<_>>().join(" | "),
                    Err(e) => e.clone(),
                };
                disagreements.push(format!(
                    "N={n} {} ({:?}, {}): expected allowed={}, sovereign={ours_allowed:?} [{why}], rego={theirs_rego:?}, cel={theirs_cel:?}",
                    f.id, f.denial, f.operation, f.expect_allowed
                ));
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
}

#[test]
fn fixtures_are_deterministic_and_sized_as_promised() {
    let a = World::new(SEED, Scale::SMALL).all_fixtures(10, SEED);
    let b = World::new(SEED, Scale::SMALL).all_fixtures(10, SEED);
    assert!(a.iter().zip(&b).all(|(x, y)| x.body == y.body), "same seed, same bytes");
    for (kind, bytes) in [(Kind::Pod2k, 2048), (Kind::Pod8k, 8192), (Kind::Pod30k, 30 * 1024)] {
        for f in a.iter().filter(|f| f.kind == kind) {
            let size = serde_json::to_vec(f.object()).unwrap().len();
            assert!(size >= bytes && size < bytes * 13 / 10, "{}: {size} bytes, wanted about {bytes}", f.id);
        }
    }
    let operations: std::collections::BTreeSet<_> = a.iter().map(|f| (f.kind, f.operation)).collect();
    for kind in [Kind::Pod2k, Kind::Deployment, Kind::StatefulSet] {
        assert!(operations.contains(&(kind, "UPDATE")), "{kind:?} has UPDATEs with oldObject");
    }
}
