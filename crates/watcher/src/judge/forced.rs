//! Judging a pending forced transaction (`docs/exit-game.md` §12.2): the first evidence that
//! refutes one of its inputs over watched coins, as a [`Challenge`]. An honest forced
//! transaction has none (§12.2 "honest case") and is left to become included.
//!
//! Pure but for one thing the store does not keep: an exclusion proof needs the named block's
//! whole tree, which the loop fetches again from the operator when the judge asks
//! ([`ForcedVerdict::NeedBlock`]) and hands back in [`Trees`].

use std::collections::BTreeMap;

use alloy_primitives::U256;
use debye_primitives::{Segment, SumMerkleTree};

use crate::{
    challenge::{Challenge, Refutation, Spend},
    judge::evidence::{Sought, View},
    types::{ForcedPhase, ForcedRecord},
};

/// Trees of committed blocks fetched again for exclusion proofs: `None` where the operator did
/// not serve a body matching the committed header and root.
pub(crate) type Trees = BTreeMap<u64, Option<SumMerkleTree>>;

/// What the watcher makes of a pending forced transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ForcedVerdict {
    /// Cancel it.
    Challenge(Box<Challenge>),
    /// The judge needs the tree of this committed block (to be put into [`Trees`]).
    NeedBlock(u64),
}

/// Judges forced transaction `f`, input by input (`docs/exit-game.md` §12.2): spent, spent by
/// another forced transaction, withdrawn, no such deposit, no such output, excluded. `None`
/// when nothing refutes it.
pub(crate) fn judge_forced(
    view: &View<'_>,
    f: &ForcedRecord,
    trees: &Trees,
) -> Option<ForcedVerdict> {
    for (input, x) in f.tx.inputs.iter().enumerate() {
        let refuted = |refutation| {
            let forced = f.clone();
            let c = Challenge::Forced {
                forced,
                input,
                refutation,
            };
            Some(ForcedVerdict::Challenge(Box::new(c)))
        };
        if !view.mode.watches(&x.segment) {
            continue;
        }
        // (a) spent: an included L2 spend of what `x` spends.
        let l2 = view.included_spend(&Sought::like(x, |s| s.overlaps(&x.segment)), None);
        if let Some(spend) = l2.or_else(|| other_forced_spend(view, f, input)) {
            return refuted(Refutation::Spent(spend));
        }
        // (a) withdrawn: a settled exit overlapping `x` (§4.1: settled coins never move again).
        if let Some(settled) = view.settled_over(x.segment.start(), x.segment.end()) {
            return refuted(Refutation::Withdrawn(settled.clone()));
        }
        if x.is_deposit() {
            // (b) no such deposit: the deposit covering `x` has another owner, block or bounds.
            let seg = x.segment;
            let covering = view
                .state
                .deposits
                .range(..seg.end())
                .next_back()
                .map(|(_, d)| d)
                .filter(|d| d.end > seg.start());
            if let Some(d) = covering
                && (d.owner != x.owner
                    || d.block_number != x.block_index
                    || d.start > seg.start()
                    || d.end < seg.end())
            {
                return refuted(Refutation::Deposit(d.clone()));
            }
            continue;
        }
        // (b) no such output: the stored output of the named block covering `x` has another
        // owner or bounds.
        let n = x.block_index;
        if let Some((t, oi)) = view.output_in_block(n, |s| s.overlaps(&x.segment)) {
            let o = t.stx.transaction.outputs[oi];
            if o.owner != x.owner || !o.segment.contains(&x.segment) {
                let tx = t.clone();
                return refuted(Refutation::Output { tx, output: oi });
            }
            continue;
        }
        // (b) excluded: no stored transaction of that block touches `x`'s coins; the block
        // proves no leaf is there. A withheld block gives no proof (its forced outputs rank at
        // that block, §12.4).
        let Some(&header) = view.state.headers.get(&n) else {
            continue;
        };
        if view.state.meta.withheld.contains(&n) || n >= view.state.meta.next_child {
            continue;
        }
        let Some(tree) = trees.get(&n) else {
            return Some(ForcedVerdict::NeedBlock(n));
        };
        let excluded = tree.as_ref().and_then(|tree| {
            exclusion_candidates(view, &x.segment)
                .into_iter()
                .find_map(|s| Some((s, tree.prove_exclusion(&s).ok()?.0)))
        });
        if let Some((segment, proof)) = excluded {
            return refuted(Refutation::Excluded {
                header,
                segment,
                proof,
            });
        }
    }
    None
}

/// Another forced transaction spending input `input` of `f`: included, or pending with all its
/// signatures and not already challenged by this watcher (§12.2 (a): of two signed forced
/// spends of one input the first is cancelled with the second, which then stands).
fn other_forced_spend(view: &View<'_>, f: &ForcedRecord, input: usize) -> Option<Spend> {
    let x = &f.tx.inputs[input];
    let spent = Sought::like(x, |s: &Segment| s.overlaps(&x.segment));
    view.state
        .forced
        .values()
        .filter(|o| o.index != f.index)
        .filter(|o| {
            o.phase == ForcedPhase::Included
                || (o.phase == ForcedPhase::Pending && o.action.is_none() && o.fully_signed())
        })
        .find_map(|o| spent.in_forced(o))
}

/// The parts of `seg` an exclusion proof is tried for: all of it, its first guarded coin, its
/// first coin. Refuting one coin is enough (§12.2 (b)).
fn exclusion_candidates(view: &View<'_>, seg: &Segment) -> Vec<Segment> {
    let coin = |c: U256| Segment::new(c, c + U256::from(1u8)).ok();
    [
        Some(*seg),
        view.mode.first_watched_coin(seg).and_then(coin),
        coin(seg.start()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use debye_primitives::BlockHeader;

    use super::*;
    use crate::judge::fixtures::*;

    fn judge(w: &World, f: &ForcedRecord) -> Option<ForcedVerdict> {
        judge_forced(&w.view(), f, &Trees::new())
    }

    /// `f` is cancelled, its input 0 refuted by `refutation`.
    fn refuted(w: &World, f: &ForcedRecord, refutation: Refutation) {
        assert_eq!(
            judge_forced(&w.view(), f, &Trees::new()),
            verdict(f, refutation)
        );
    }

    fn verdict(f: &ForcedRecord, refutation: Refutation) -> Option<ForcedVerdict> {
        let forced = f.clone();
        let c = Challenge::Forced {
            forced,
            input: 0,
            refutation,
        };
        Some(ForcedVerdict::Challenge(Box::new(c)))
    }

    /// Forced transaction `index`, pending: `input`'s coins paid to its own owner.
    fn claim(w: &mut World, index: u64, input: Input) -> ForcedRecord {
        w.forced(index, pay(input, input.owner), ForcedPhase::Pending)
    }

    /// Alice forces a payment of her deposit to Carol.
    fn alice_forces() -> (World, ForcedRecord) {
        let mut w = World::alice_deposited();
        let f = w.forced(0, pay(alices_coins(), CAROL), ForcedPhase::Pending);
        (w, f)
    }

    #[test]
    fn an_honest_forced_transaction_stands() {
        // §12.2 "honest case"
        let (w, f) = alice_forces();
        assert_eq!(judge(&w, &f), None);
    }

    #[test]
    fn unguarded_inputs_are_not_judged() {
        let (mut w, f) = alice_forces();
        w.include(2, pay(alices_coins(), BOB), true);
        let elsewhere = Mode::Guard(vec![seg(20, 30)]);
        assert_eq!(
            judge_forced(&w.view_with(&elsewhere), &f, &Trees::new()),
            None
        );
    }

    #[test]
    fn an_input_spent_on_l2_is_forced_spent() {
        // §12.2 (a)
        let (mut w, f) = alice_forces();
        let tx = w.include(2, pay(alices_coins(), BOB), true);
        refuted(&w, &f, Refutation::Spent(Spend::Included { tx, input: 0 }));
    }

    #[test]
    fn of_two_signed_forced_spends_the_first_falls_to_the_second_once() {
        // §12.2 (a): the second, once used, is not used again, so it stands.
        let (mut w, first) = alice_forces();
        let mut second = w.forced(1, pay(alices_coins(), BOB), ForcedPhase::Pending);
        let spend = Spend::Forced {
            tx: second.clone(),
            input: 0,
        };
        refuted(&w, &first, Refutation::Spent(spend));
        second.action = Some("forcedSpent".into());
        w.state.forced.insert(second.index, second);
        assert_eq!(judge(&w, &first), None);
    }

    #[test]
    fn an_input_over_settled_coins_is_forced_withdrawn() {
        // §12.2 (a), §4.1
        let (mut w, f) = alice_forces();
        let elsewhere = w.exit(BOB, 10, 20, Position::deposit(1), B256::ZERO);
        w.settle(&elsewhere);
        assert_eq!(judge(&w, &f), None);
        let exit = w.exit(ALICE, 0, 5, Position::deposit(1), B256::ZERO);
        let settled = w.settle(&exit);
        refuted(&w, &f, Refutation::Withdrawn(settled));
    }

    #[test]
    fn a_claim_on_someone_elses_deposit_is_forced_deposit() {
        // §12.2 (b): Bob force-claims Alice's deposit as his own.
        let mut w = World::default();
        let deposit = w.deposit(ALICE, 0, 10, 1);
        let f = claim(&mut w, 0, from_deposit(BOB, 1, seg(0, 10)));
        refuted(&w, &f, Refutation::Deposit(deposit));
    }

    #[test]
    fn a_claim_on_someone_elses_output_is_forced_output() {
        // §12.2 (b): Alice paid Bob in block 2; Carol claims that output.
        let mut w = World::alice_deposited();
        let tx = w.include(2, pay(alices_coins(), BOB), true);
        let honest = claim(&mut w, 0, from_output(BOB, 2, seg(0, 10)));
        assert_eq!(judge(&w, &honest), None);
        let f = claim(&mut w, 1, from_output(CAROL, 2, seg(0, 10)));
        refuted(&w, &f, Refutation::Output { tx, output: 0 });
    }

    #[test]
    fn a_claim_on_an_empty_place_of_a_served_block_is_forced_excluded() {
        // §12.2 (b): block 2 has no leaf over `[0, 10)`; the judge asks for its tree first, and
        // a block not served again gives no proof.
        let mut w = World::alice_deposited();
        let header = BlockHeader {
            number: 2,
            ..BlockHeader::default()
        };
        w.state.headers.insert(2, header);
        w.state.meta.next_child = 3;
        let f = claim(&mut w, 0, from_output(ALICE, 2, seg(0, 10)));
        assert_eq!(judge(&w, &f), Some(ForcedVerdict::NeedBlock(2)));
        let mut trees = Trees::from([(2, None)]);
        assert_eq!(judge_forced(&w.view(), &f, &trees), None);
        let tree = SumMerkleTree::build([(seg(20, 30), B256::repeat_byte(9))]).expect("tree");
        let proof = tree.prove_exclusion(&seg(0, 10)).expect("excluded").0;
        trees.insert(2, Some(tree));
        let segment = seg(0, 10);
        let excluded = Refutation::Excluded {
            header,
            segment,
            proof,
        };
        assert_eq!(judge_forced(&w.view(), &f, &trees), verdict(&f, excluded));
        w.state.meta.withheld.insert(2);
        assert_eq!(judge(&w, &f), None, "a withheld block proves nothing");
    }
}
