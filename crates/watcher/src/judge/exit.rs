//! Judging an exit (`docs/exit-game.md` §3, §4.1, §12.4): the first evidence that applies, as a
//! [`Challenge`]. Pure: the state in, a verdict out; the executor sends it.

use alloy_primitives::U256;
use debye_primitives::{Position, Segment, Transaction};

use crate::{
    challenge::{Challenge, Named},
    judge::evidence::{Sought, View, parent_bound},
    types::ExitRecord,
};

/// What the watcher makes of a pending exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ExitVerdict {
    /// Challenge it.
    Challenge(Box<Challenge>),
    /// Its history cannot be proven wrong from what the watcher holds (`WatchEvent::UnprovableExit`).
    /// From a withheld block the exited transaction is still on L1 (`ExitTransaction`): with it,
    /// [`judge_withheld_exit`] may open a request (`docs/watcher.md` §1).
    Unprovable {
        /// The exited transaction's block is withheld.
        withheld: bool,
    },
}

/// Judges a pending `exit`: spent (§3.1), spent by a forced transaction (§12.4), deposit after
/// (§3.3), withdrawn (§4.1), double spend (§3.2, §12.4), invalid history (§3.4); `None` when
/// the exit stands.
pub(crate) fn judge_exit(view: &View<'_>, exit: &ExitRecord) -> Option<ExitVerdict> {
    let challenge = |c| Some(ExitVerdict::Challenge(Box::new(c)));
    // Ingestion records only exits over a non-empty watched range.
    let range = Segment::new(exit.start, exit.end).ok()?;
    let position = exit.position;

    // §3.1 spent, §12.4: a valid spend, signed by the exitor, of the exited output — an included
    // forced transaction spending it counts too.
    let exited = Sought {
        key: position.spend_key(),
        owner: exit.owner,
        pick: |s: &Segment| s.overlaps(&range),
    };
    if let Some(spend) = view.any_spend(&exited, None, None) {
        return challenge(Challenge::Spent {
            exit: exit.clone(),
            spend,
        });
    }
    // §3.3 deposit after (§12.4: compared by order): coins deposited after the exit's position
    // did not exist there.
    let younger = view.state.deposits.values().find(|d| {
        d.start < exit.end
            && exit.start < d.end
            && position.is_older_than(Position::deposit(d.block_number))
    });
    if let Some(d) = younger {
        return challenge(Challenge::DepositAfter {
            exit: exit.clone(),
            deposit: d.clone(),
        });
    }
    // §4.1 withdrawn: some of its coins were settled by another exit already.
    if let Some(settled) = view.settled_over(exit.start, exit.end) {
        return challenge(Challenge::Withdrawn {
            exit: exit.clone(),
            settled: settled.clone(),
        });
    }
    // A deposit exit has no history beyond its deposit; an exit of a forced output (§12.4)
    // names the included forced transaction (the contract checked it) whose inputs were judged
    // during the forced period (§12.2).
    if exit.tx_id.is_zero() || position.is_forced() {
        return None;
    }
    let Some(at) = view.state.by_id.get(&exit.tx_id) else {
        return Some(ExitVerdict::Unprovable {
            withheld: view.state.meta.withheld.contains(&position.block()),
        });
    };
    let et = &view.state.txs[at];
    // §3.2 double spend: an earlier spend of what the exited transaction spends, included before
    // its block — or (§12.4) an included forced transaction ranking before it.
    let earlier_than = Some(et.block.saturating_sub(1));
    for (xi, x) in et.stx.transaction.inputs.iter().enumerate() {
        if !x.segment.overlaps(&range) {
            continue;
        }
        let spent = Sought::like(x, |s: &Segment| {
            s.overlaps(&x.segment) && s.overlaps(&range)
        });
        if let Some(earlier) = view.any_spend(&spent, earlier_than, earlier_than) {
            return challenge(Challenge::DoubleSpend {
                exit: exit.clone(),
                exit_tx: et.stx.transaction.clone(),
                input: xi,
                earlier,
            });
        }
    }
    if et.valid {
        return None;
    }
    // §3.4 invalid history: request on the last valid output before the broken link.
    let coin = view.mode.first_watched_coin(&range).unwrap_or(exit.start);
    match view.before_broken_link(et, coin) {
        Some(named) => request(view, exit, &et.stx.transaction, named, coin).and_then(challenge),
        None => Some(ExitVerdict::Unprovable { withheld: false }),
    }
}

/// An exit whose transaction is in a withheld block (`docs/watcher.md` §1, §5): a request on the
/// youngest output of the coin the watcher knows to be valid, no newer than the exited
/// transaction's parent (`docs/exit-game.md` §3.4.1), read from the anchor's `ExitTransaction`.
/// Only a holder of a valid history through the withheld block can answer it.
pub(crate) fn judge_withheld_exit(
    view: &View<'_>,
    exit: &ExitRecord,
    exit_tx: &Transaction,
) -> Option<Challenge> {
    let range = Segment::new(exit.start, exit.end).ok()?;
    let coin = view.mode.first_watched_coin(&range).unwrap_or(exit.start);
    let parent = parent_bound(exit_tx, coin);
    let named = view.latest_valid_output(coin, exit.position, parent)?;
    request(view, exit, exit_tx, named, coin)
}

/// A challenge request on `exit` naming `named` and `coin` — unless this one was opened already:
/// an answered request stays answered, repeating it only pays its bond away (§3.4.2).
fn request(
    view: &View<'_>,
    exit: &ExitRecord,
    exit_tx: &Transaction,
    named: Named,
    coin: U256,
) -> Option<Challenge> {
    let (position, owner) = named.position_and_owner();
    let repeated = view.state.requests.values().any(|r| {
        r.exit_id == exit.id && r.position == position && r.owner == owner && r.coin == coin
    });
    if repeated {
        return None;
    }
    let (exit, exit_tx) = (exit.clone(), exit_tx.clone());
    Some(match named {
        Named::Deposit(deposit) => Challenge::RequestWithDeposit {
            exit,
            exit_tx,
            deposit,
            coin,
        },
        Named::Output(tx, output) => Challenge::RequestWithOutput {
            exit,
            exit_tx,
            tx,
            output,
            coin,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::fixtures::*;

    fn challenge(c: Challenge) -> Option<ExitVerdict> {
        Some(ExitVerdict::Challenge(Box::new(c)))
    }

    /// Alice pays her deposit to Bob in block 2.
    fn alice_pays_bob() -> (World, StoredTx) {
        let mut w = World::alice_deposited();
        let t2 = w.include(2, pay(alices_coins(), BOB), true);
        (w, t2)
    }

    /// Alice's exit of her deposit: challenged as spent by `spend`, if any.
    fn alices_exit_spent_by(w: &mut World, spend: Option<Spend>) {
        let exit = w.exit(ALICE, 0, 10, Position::deposit(1), B256::ZERO);
        let expected = spend.map(|spend| {
            let exit = exit.clone();
            ExitVerdict::Challenge(Box::new(Challenge::Spent { exit, spend }))
        });
        assert_eq!(judge_exit(&w.view(), &exit), expected);
    }

    #[test]
    fn an_exit_of_a_spent_deposit_is_challenged_with_the_spend() {
        // §3.1
        let (mut w, t2) = alice_pays_bob();
        alices_exit_spent_by(&mut w, Some(Spend::Included { tx: t2, input: 0 }));
    }

    #[test]
    fn an_honest_exit_stands() {
        let (mut w, t2) = alice_pays_bob();
        let exit = w.exit_of(&t2);
        assert_eq!(judge_exit(&w.view(), &exit), None);
    }

    #[test]
    fn a_spend_whose_signature_does_not_hold_is_no_evidence() {
        // §3.1: the contract would refuse it (docs/watcher.md §5).
        let mut w = World::alice_deposited();
        w.include(2, pay(alices_coins(), BOB), false);
        alices_exit_spent_by(&mut w, None);
    }

    #[test]
    fn an_included_forced_transaction_is_a_spend_but_a_pending_one_is_not() {
        // §12.4
        let mut w = World::alice_deposited();
        w.forced(0, pay(alices_coins(), CAROL), ForcedPhase::Pending);
        alices_exit_spent_by(&mut w, None);
        let f = w.forced(0, pay(alices_coins(), CAROL), ForcedPhase::Included);
        alices_exit_spent_by(&mut w, Some(Spend::Forced { tx: f, input: 0 }));
    }

    #[test]
    fn coins_deposited_after_the_exit_position_are_deposit_after() {
        // §3.3, §12.4: a forced output whose newest input is in block 3 ranks before block 4's
        // deposit, after block 3's.
        let mut w = World::default();
        let position = Position::forced(0, Position::output(3));
        let exit = w.exit(BOB, 10, 20, position, B256::repeat_byte(0xf0));
        let deposit = w.deposit(ALICE, 10, 20, 4);
        let exit_ = exit.clone();
        let after = Challenge::DepositAfter {
            exit: exit_,
            deposit,
        };
        assert_eq!(judge_exit(&w.view(), &exit), challenge(after));
        w.deposit(ALICE, 10, 20, 3);
        let verdict = judge_exit(&w.view(), &exit);
        assert_eq!(verdict, None, "a forced exit's history is not judged");
    }

    #[test]
    fn coins_an_exit_settled_already_are_withdrawn() {
        // §4.1
        let (mut w, t2) = alice_pays_bob();
        let other = w.exit(BOB, 10, 20, Position::output(2), t2.tx_id);
        w.settle(&other);
        let exit = w.exit_of(&t2);
        let verdict = judge_exit(&w.view(), &exit);
        assert_eq!(verdict, None, "settled coins elsewhere do not count");
        let earlier = w.exit(BOB, 5, 8, Position::output(2), t2.tx_id);
        let settled = w.settle(&earlier);
        let exit_ = exit.clone();
        let withdrawn = Challenge::Withdrawn {
            exit: exit_,
            settled,
        };
        assert_eq!(judge_exit(&w.view(), &exit), challenge(withdrawn));
    }

    /// Alice's coins, spent by `earlier` (put into `w`), are paid to Bob again in block 3 and
    /// Bob exits that: a double spend with `earlier` as evidence (§3.2).
    fn double_spend_with(mut w: World, earlier: Spend) {
        let again = pay(alices_coins(), BOB);
        let exit = w.exited(3, &again, true);
        let expected = Challenge::DoubleSpend {
            exit: exit.clone(),
            exit_tx: again,
            input: 0,
            earlier,
        };
        assert_eq!(judge_exit(&w.view(), &exit), challenge(expected));
    }

    #[test]
    fn an_earlier_spend_of_the_exited_transactions_input_is_a_double_spend() {
        // §3.2: Alice pays Bob in block 2, then the same coins to Bob again in block 3.
        let (w, t2) = alice_pays_bob();
        double_spend_with(w, Spend::Included { tx: t2, input: 0 });
    }

    #[test]
    fn an_included_forced_spend_ranking_before_the_block_is_a_double_spend() {
        // §12.4: a forced spend of a block-1 deposit ranks before block 3.
        let mut w = World::alice_deposited();
        let f = w.forced(0, pay(alices_coins(), CAROL), ForcedPhase::Included);
        double_spend_with(w, Spend::Forced { tx: f, input: 0 });
    }

    #[test]
    fn a_spend_in_the_same_block_is_not_earlier() {
        // §3.2: only a spend included before the exited transaction's block.
        let (mut w, _) = alice_pays_bob();
        let t2b = w.include(2, pay(alices_coins(), CAROL), true);
        let exit = w.exit_of(&t2b);
        assert_eq!(judge_exit(&w.view(), &exit), None);
    }

    #[test]
    fn an_exit_on_a_forged_link_is_requested_on_the_last_valid_output_once() {
        // §3.4: Alice pays Bob in block 2; the operator forges a spend of Bob's output to Carol
        // in block 3 and Carol exits it. The request names Bob's output; an open one is not
        // repeated.
        let (mut w, t2) = alice_pays_bob();
        let forged = pay(from_output(BOB, 2, seg(0, 10)), CAROL);
        let exit = w.exited(3, &forged, false);
        let request = Challenge::RequestWithOutput {
            exit: exit.clone(),
            exit_tx: forged,
            tx: t2,
            output: 0,
            coin: U256::ZERO,
        };
        assert_eq!(judge_exit(&w.view(), &exit), challenge(request));
        w.request(&exit, CAROL, (Position::output(2), BOB), 0, 0);
        assert_eq!(judge_exit(&w.view(), &exit), None);
    }

    /// The operator includes a spend of Alice's deposit she never signed in block 2 and exits
    /// it: the request names her deposit, at the first coin `mode` guards (§3.4; docs/watcher.md
    /// "Modes": the game is played over coins whose history is kept).
    fn unsigned_spend_of_a_deposit(mode: &Mode, coin: u8) {
        let mut w = World::default();
        let deposit = w.deposit(ALICE, 0, 10, 1);
        let forged = pay(alices_coins(), CAROL);
        let exit = w.exited(2, &forged, false);
        let request = Challenge::RequestWithDeposit {
            exit: exit.clone(),
            exit_tx: forged,
            deposit,
            coin: U256::from(coin),
        };
        assert_eq!(judge_exit(&w.view_with(mode), &exit), challenge(request));
    }

    #[test]
    fn an_exit_of_an_unsigned_spend_of_a_deposit_is_requested_on_the_deposit() {
        unsigned_spend_of_a_deposit(&Mode::Archival, 0);
        unsigned_spend_of_a_deposit(&Mode::Guard(vec![seg(4, 6)]), 4);
    }

    #[test]
    fn an_exit_of_an_unknown_transaction_is_unprovable() {
        let mut w = World::alice_deposited();
        let exit = w.exit(CAROL, 0, 10, Position::output(3), B256::repeat_byte(0xee));
        let unprovable = |withheld| Some(ExitVerdict::Unprovable { withheld });
        assert_eq!(judge_exit(&w.view(), &exit), unprovable(false));
        w.state.meta.withheld.insert(3);
        assert_eq!(judge_exit(&w.view(), &exit), unprovable(true));
    }

    #[test]
    fn a_request_against_a_withheld_exit_names_no_output_newer_than_its_parent() {
        // §3.4.1: Alice pays Bob in block 2; an exit from withheld block 4 of a transaction
        // spending Alice's deposit may only be asked about the deposit, one spending Bob's
        // output about that output.
        let (mut w, t2) = alice_pays_bob();
        let deposit = w.state.deposits[&U256::ZERO].clone();
        let exit = w.exit(CAROL, 0, 10, Position::output(4), B256::repeat_byte(0xee));
        let of_deposit = pay(alices_coins(), CAROL);
        let on_deposit = Challenge::RequestWithDeposit {
            exit: exit.clone(),
            exit_tx: of_deposit.clone(),
            deposit,
            coin: U256::ZERO,
        };
        let judged = judge_withheld_exit(&w.view(), &exit, &of_deposit);
        assert_eq!(judged, Some(on_deposit));
        let of_output = pay(from_output(BOB, 2, seg(0, 10)), CAROL);
        let on_output = Challenge::RequestWithOutput {
            exit: exit.clone(),
            exit_tx: of_output.clone(),
            tx: t2,
            output: 0,
            coin: U256::ZERO,
        };
        let judged = judge_withheld_exit(&w.view(), &exit, &of_output);
        assert_eq!(judged, Some(on_output));
    }
}
