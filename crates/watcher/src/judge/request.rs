//! Judging an open challenge request (`docs/exit-game.md` §3.4): resolve this watcher's own
//! once its deadline has passed unanswered, answer others' with the spend the watcher holds.
//! Pure: the state in, a [`Challenge`] out.

use alloy_primitives::{Address, U256};
use debye_primitives::{Position, Segment};

use crate::{
    challenge::Challenge,
    judge::evidence::View,
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
    let exit_position = Position::from(exit.position);
    let limit = exit_position.block();
    let forced_max = if exit_position.is_forced() {
        limit
    } else {
        limit.saturating_sub(1)
    };
    let coin = Segment::new(r.coin, r.coin + U256::from(1u8)).ok()?;
    let answer = view.any_spend(
        Position::from(r.position).spend_key(),
        r.owner,
        |s| s.contains(&coin),
        Some(limit),
        Some(forced_max),
    )?;
    Some(Challenge::Respond {
        exit: exit.clone(),
        request: r.clone(),
        answer,
    })
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use debye_primitives::Transaction;

    use super::*;
    use crate::{
        challenge::Spend,
        judge::fixtures::{ALICE, BOB, CAROL, WATCHER, World, from_deposit, pay, seg},
        mode::Mode,
        types::{ExitRecord, ForcedPhase},
    };

    const NOW: u64 = 1_000;

    fn judge(w: &World, r: &RequestRecord) -> Option<Challenge> {
        let view = View {
            state: &w.state,
            mode: &Mode::Archival,
        };
        judge_request(&view, r, WATCHER, NOW)
    }

    /// Alice deposits `[0, 10)` for block 1, pays Bob in block 2; Bob exits it.
    fn bobs_exit() -> (World, Transaction, ExitRecord) {
        let mut w = World::default();
        w.deposit(ALICE, 0, 10, 1);
        let tx = pay(vec![from_deposit(ALICE, 1, seg(0, 10))], BOB);
        let t2 = w.include(2, tx.clone(), true);
        let exit = w.exit(BOB, 0, 10, Position::output(2), t2.tx_id);
        (w, tx, exit)
    }

    #[test]
    fn our_unanswered_request_is_resolved_after_its_deadline_only() {
        // §3.4
        let (mut w, _, exit) = bobs_exit();
        let request = w.request(&exit, WATCHER, (Position::deposit(1), ALICE), 0, NOW);
        assert_eq!(
            judge(&w, &request),
            None,
            "not before the deadline has passed"
        );
        let request = w.request(&exit, WATCHER, (Position::deposit(1), ALICE), 0, NOW - 1);
        assert_eq!(
            judge(&w, &request),
            Some(Challenge::Resolve { exit, request })
        );
    }

    #[test]
    fn a_griefing_request_is_answered_with_the_spend() {
        // §3.4.2
        let (mut w, _, exit) = bobs_exit();
        let request = w.request(&exit, CAROL, (Position::deposit(1), ALICE), 3, NOW);
        let t2 = w.state.txs[&(2, 0)].clone();
        assert_eq!(
            judge(&w, &request),
            Some(Challenge::Respond {
                exit,
                request,
                answer: Spend::Included { tx: t2, input: 0 },
            })
        );
    }

    #[test]
    fn no_answer_from_after_the_exit_nor_for_a_settled_exit() {
        // §3.4: the answer must be included no later than the exit's block.
        let (mut w, _, _) = bobs_exit();
        let early = w.exit(ALICE, 0, 10, Position::output(1), B256::repeat_byte(0xee));
        let request = w.request(&early, CAROL, (Position::deposit(1), ALICE), 3, NOW);
        assert_eq!(judge(&w, &request), None);
        let (mut w, _, exit) = bobs_exit();
        let settled = w.settle(&exit);
        let request = w.request(&settled, CAROL, (Position::deposit(1), ALICE), 3, NOW);
        assert_eq!(judge(&w, &request), None);
    }

    #[test]
    fn a_forced_spend_answers_only_if_it_counts_no_later_than_the_exit() {
        // §12.4: a forced transaction whose newest input is in block 1 ranks after block 1's
        // transactions: it answers for an exit of block 2, not for one of block 1, and for a
        // forced exit ranking at block 1.
        let mut w = World::default();
        w.deposit(ALICE, 0, 10, 1);
        let f = w.forced(
            0,
            pay(vec![from_deposit(ALICE, 1, seg(0, 10))], BOB),
            ForcedPhase::Included,
        );
        let answer = Spend::Forced { tx: f, input: 0 };
        let named = (Position::deposit(1), ALICE);
        let later = w.exit(BOB, 0, 10, Position::output(2), B256::repeat_byte(0xe2));
        let request = w.request(&later, CAROL, named, 0, NOW);
        assert_eq!(
            judge(&w, &request),
            Some(Challenge::Respond {
                exit: later,
                request,
                answer: answer.clone(),
            })
        );
        let same_block = w.exit(BOB, 0, 10, Position::output(1), B256::repeat_byte(0xe1));
        let request = w.request(&same_block, CAROL, named, 0, NOW);
        assert_eq!(judge(&w, &request), None);
        let forced_exit = Position::forced(0, Position::deposit(1));
        let forced_exit = w.exit(BOB, 0, 10, forced_exit, B256::repeat_byte(0xe3));
        let request = w.request(&forced_exit, CAROL, named, 0, NOW);
        assert_eq!(
            judge(&w, &request),
            Some(Challenge::Respond {
                exit: forced_exit,
                request,
                answer,
            })
        );
    }
}
