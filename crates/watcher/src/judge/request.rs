//! Judging an open challenge request (`docs/exit-game.md` §3.4): resolve this watcher's own
//! once its deadline has passed unanswered, answer others' with the spend the watcher holds.
//! Pure: the state in, a [`Challenge`] out.

use alloy_primitives::{Address, U256};
use debye_primitives::Segment;

use crate::{
    challenge::Challenge,
    judge::evidence::{Sought, View},
    types::{ExitPhase, RequestRecord},
};

/// What to do about the open request `r`, seen by account `me` at L1 time `now`.
pub(crate) fn judge_request(
    view: &View<'_>,
    r: &RequestRecord,
    me: Address,
    now: u64,
) -> Option<Challenge> {
    if r.done {
        return None;
    }
    let exit = view.state.exits.get(&r.exit_id)?;
    // §3.4: an unanswered request cancels the exit once its deadline has passed.
    if r.challenger == me {
        return (now > r.deadline).then(|| Challenge::Resolve {
            exit: exit.clone(),
            request: r.clone(),
        });
    }
    if exit.phase != ExitPhase::Pending {
        return None;
    }
    // §3.4.2: a request on an honest exit is answered with the named output's spend, included
    // no later than the exit's block — the request bond then goes to the exit's owner. §12.4: an
    // included forced transaction answers too if it counts no later than the exit (order
    // 4q + 3 ≤ the exit's order): at the exit's block for a forced exit, before it otherwise.
    let exit_position = exit.position;
    let limit = exit_position.block();
    let forced_max = if exit_position.is_forced() {
        limit
    } else {
        limit.saturating_sub(1)
    };
    let coin = Segment::new(r.coin, r.coin + U256::from(1u8)).ok()?;
    let named = Sought {
        key: r.position.spend_key(),
        owner: r.owner,
        pick: |s: &Segment| s.contains(&coin),
    };
    let answer = view.any_spend(&named, Some(limit), Some(forced_max))?;
    Some(Challenge::Respond {
        exit: exit.clone(),
        request: r.clone(),
        answer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fixtures::*;

    const NOW: u64 = 1_000;

    /// Alice's deposit of block 1, as a request names it.
    fn alices_deposit() -> (Position, Address) {
        (Position::deposit(1), ALICE)
    }

    fn judge(w: &World, r: &RequestRecord) -> Option<Challenge> {
        judge_request(&w.view(), r, WATCHER, NOW)
    }

    /// Alice pays her deposit to Bob in block 2; Bob exits it.
    fn bobs_exit() -> (World, ExitRecord) {
        let mut w = World::alice_deposited();
        let t2 = w.include(2, pay(alices_coins(), BOB), true);
        let exit = w.exit_of(&t2);
        (w, exit)
    }

    /// Carol asks about Alice's deposit against `exit`: the answer expected, if any.
    fn answered_with(w: &mut World, exit: &ExitRecord, answer: Option<Spend>) {
        let request = w.request(exit, CAROL, alices_deposit(), 3, NOW);
        let expected = answer.map(|answer| Challenge::Respond {
            exit: exit.clone(),
            request: request.clone(),
            answer,
        });
        assert_eq!(judge(w, &request), expected);
    }

    #[test]
    fn our_unanswered_request_is_resolved_after_its_deadline_only() {
        // §3.4
        let (mut w, exit) = bobs_exit();
        let request = w.request(&exit, WATCHER, alices_deposit(), 0, NOW);
        assert_eq!(
            judge(&w, &request),
            None,
            "not before the deadline has passed"
        );
        let request = w.request(&exit, WATCHER, alices_deposit(), 0, NOW - 1);
        let resolve = Challenge::Resolve {
            exit,
            request: request.clone(),
        };
        assert_eq!(judge(&w, &request), Some(resolve));
    }

    #[test]
    fn a_griefing_request_is_answered_with_the_spend() {
        // §3.4.2
        let (mut w, exit) = bobs_exit();
        let t2 = w.state.txs[&(2, 0)].clone();
        answered_with(&mut w, &exit, Some(Spend::Included { tx: t2, input: 0 }));
    }

    #[test]
    fn no_answer_from_after_the_exit_nor_for_a_settled_exit() {
        // §3.4: the answer must be included no later than the exit's block.
        let (mut w, _) = bobs_exit();
        let early = w.exit(ALICE, 0, 10, Position::output(1), B256::repeat_byte(0xee));
        answered_with(&mut w, &early, None);
        let (mut w, exit) = bobs_exit();
        let settled = w.settle(&exit);
        answered_with(&mut w, &settled, None);
    }

    #[test]
    fn a_forced_spend_answers_only_if_it_counts_no_later_than_the_exit() {
        // §12.4: a forced transaction whose newest input is in block 1 ranks after block 1's
        // transactions: it answers for an exit of block 2 and for a forced exit ranking at
        // block 1, not for an exit of block 1.
        let mut w = World::alice_deposited();
        let f = w.forced(0, pay(alices_coins(), BOB), ForcedPhase::Included);
        let answer = Some(Spend::Forced { tx: f, input: 0 });
        let later = w.exit(BOB, 0, 10, Position::output(2), B256::repeat_byte(0xe2));
        answered_with(&mut w, &later, answer.clone());
        let same_block = w.exit(BOB, 0, 10, Position::output(1), B256::repeat_byte(0xe1));
        answered_with(&mut w, &same_block, None);
        let forced_exit = Position::forced(0, Position::deposit(1));
        let forced_exit = w.exit(BOB, 0, 10, forced_exit, B256::repeat_byte(0xe3));
        answered_with(&mut w, &forced_exit, answer);
    }
}
