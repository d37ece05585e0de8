//! Model-based property test: random sequences of operations and clock advances, run against
//! the core with `MemoryStore` and against the kit's reference model
//! (`session_core::testkit::Differential`); every answer must agree. proptest shrinks a
//! failing sequence to a short one.

#![allow(clippy::unwrap_used)] // Tests stop at the first surprise: unwrap is the assertion.

use proptest::prelude::*;
use session_core::testkit::{Differential, Op};
use session_core::{ManualClock, MemoryStore, Sessions};

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (
            0..2usize,
            0..3usize,
            prop_oneof![Just(10u64), Just(20), Just(60)],
            any::<bool>(),
            prop_oneof![Just(None), Just(Some(30u64))]
        )
            .prop_map(|(app, id, ttl, no_resave, lifetime)| Op::Create {
                app,
                id,
                ttl,
                no_resave,
                lifetime
            }),
        (0..8usize).prop_map(Op::Get),
        (0..8usize).prop_map(Op::Touch),
        (
            0..8usize,
            0..3usize,
            prop_oneof![Just(None), (0..5i64).prop_map(Some)]
        )
            .prop_map(|(t, k, v)| Op::Set(t, k, v)),
        (0..8usize, prop_oneof![Just(10u64), Just(40)]).prop_map(|(t, s)| Op::SetTtl(t, s)),
        (0..8usize).prop_map(Op::Regenerate),
        (0..8usize).prop_map(Op::Kill),
        (0..2usize, prop_oneof![Just(10u64), Just(30), Just(100)])
            .prop_map(|(a, d)| Op::Activity(a, d)),
        (0..2usize, 0..3usize).prop_map(|(a, i)| Op::Soid(a, i)),
        (0..2usize, prop_oneof![Just(10u64), Just(100)]).prop_map(|(a, d)| Op::Soapp(a, d)),
        (0..2usize, 0..3usize).prop_map(|(a, i)| Op::KillSoid(a, i)),
        (0..2usize).prop_map(Op::KillAll),
        Just(Op::Sweep),
        (0..25_000u64).prop_map(Op::Advance),
    ]
}

fn run(ops: Vec<Op>) {
    let start = 1_700_000_000_000;
    let clock = ManualClock::new(start);
    let sut = Sessions::new(MemoryStore::new())
        .with_clock(clock.clone())
        .with_auto_sweep(None);
    let mut diff = Differential::new(start);
    for op in ops {
        if let Some((name, input)) = diff.call(&op) {
            clock.set(diff.now());
            if let Err(e) = diff.check(&op, sut.call(name, &input)) {
                panic!("{e}");
            }
        }
    }
    // Whatever happened, killing everything leaves no record behind.
    for app in session_core::testkit::APPS {
        sut.call("killall", &serde_json::json!({ "app": app }))
            .unwrap();
    }
    assert_eq!(sut.store().record_count(), 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn core_agrees_with_the_reference_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops);
    }
}
