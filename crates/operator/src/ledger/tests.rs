//! The ledger's rules on hand-built state: for each rule, an input that meets it and one that
//! breaks it, with the typed [`Rejection`].

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{Input, Output, Segment, Transaction};
use debye_storage::{Origin, RangeRecord};

use super::{Ledger, Rejection};

const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);
/// The child block Alice's deposit [0, 100) was credited in.
const DEPOSIT_BLOCK: u64 = 3;

fn seg(start: u64, end: u64) -> Segment {
    Segment::new(U256::from(start), U256::from(end)).expect("valid segment")
}

fn id(n: u8) -> B256 {
    B256::repeat_byte(n)
}

/// Alice holds [0, 100) from a deposit in block 3 and [200, 300), which exited.
fn ledger() -> Ledger {
    Ledger::from_records(vec![
        RangeRecord {
            segment: seg(0, 100),
            owner: ALICE,
            origin: Origin::deposit(DEPOSIT_BLOCK),
            exited: false,
        },
        RangeRecord {
            segment: seg(200, 300),
            owner: ALICE,
            origin: Origin::deposit(4),
            exited: true,
        },
    ])
}

/// A transaction of `inputs` paying their coins to Bob.
fn spend(inputs: Vec<Input>) -> Transaction {
    let outputs = inputs
        .iter()
        .map(|i| Output {
            owner: BOB,
            segment: i.segment,
        })
        .collect();
    Transaction {
        inputs,
        outputs,
        max_block_index: 100,
    }
}

fn alice_deposit(segment: Segment) -> Input {
    Input::deposit(ALICE, DEPOSIT_BLOCK, segment)
}

/// Checks a spend of `input` alone (as transaction 1).
fn check_input(ledger: &Ledger, input: Input) -> Result<bool, Rejection> {
    ledger.check(&spend(vec![input]), id(1))
}

/// Checks Alice spending `segment` of her deposit (as transaction 1).
fn check_alice(ledger: &Ledger, segment: Segment) -> Result<bool, Rejection> {
    check_input(ledger, alice_deposit(segment))
}

#[test]
fn coins_held_are_accepted_in_part_or_whole() {
    let ledger = ledger();
    assert_eq!(check_alice(&ledger, seg(0, 100)), Ok(false));
    assert_eq!(check_alice(&ledger, seg(10, 20)), Ok(false));
}

#[test]
fn coins_the_ledger_does_not_know_are_unknown() {
    let ledger = ledger();
    for (input, segment) in [
        // Nowhere.
        (0, seg(100, 150)),
        // Runs past the end of the range.
        (0, seg(50, 150)),
        // Across the gap between two ranges.
        (0, seg(50, 250)),
    ] {
        assert_eq!(
            check_alice(&ledger, segment),
            Err(Rejection::UnknownCoins { input, segment }),
            "{segment}"
        );
    }
    // The failing input is named by its position.
    let tx = spend(vec![
        alice_deposit(seg(0, 10)),
        alice_deposit(seg(120, 130)),
    ]);
    assert_eq!(
        ledger.check(&tx, id(1)),
        Err(Rejection::UnknownCoins {
            input: 1,
            segment: seg(120, 130)
        })
    );
}

#[test]
fn coins_a_pending_transaction_spends_conflict_unless_it_is_the_same() {
    let mut ledger = ledger();
    let first = spend(vec![alice_deposit(seg(0, 50))]);
    assert_eq!(ledger.check(&first, id(1)), Ok(false));
    ledger.mark_pending(&first, id(1));
    // The same transaction again: already accepted.
    assert_eq!(ledger.check(&first, id(1)), Ok(true));
    // Another one over the same coins.
    let other = spend(vec![alice_deposit(seg(40, 60))]);
    assert_eq!(
        ledger.check(&other, id(2)),
        Err(Rejection::Conflict {
            input: 0,
            segment: seg(40, 60),
            spent_by: id(1)
        })
    );
    // Given back: spendable again.
    ledger.unmark(&first, id(1));
    assert_eq!(ledger.check(&other, id(2)), Ok(false));
}

#[test]
fn exited_coins_are_refused() {
    let mut ledger = ledger();
    let segment = seg(200, 210);
    assert_eq!(
        check_input(&ledger, Input::deposit(ALICE, 4, segment)),
        Err(Rejection::Exited { input: 0, segment })
    );
    // An exit of part of a held range leaves the rest spendable.
    assert!(ledger.exit(&seg(90, 100)).is_empty());
    assert_eq!(
        check_alice(&ledger, seg(95, 100)),
        Err(Rejection::Exited {
            input: 0,
            segment: seg(95, 100)
        })
    );
    assert_eq!(check_alice(&ledger, seg(0, 90)), Ok(false));
}

#[test]
fn only_the_holder_spends() {
    let ledger = ledger();
    let segment = seg(0, 10);
    assert_eq!(
        check_input(&ledger, Input::deposit(BOB, DEPOSIT_BLOCK, segment)),
        Err(Rejection::WrongOwner {
            input: 0,
            segment,
            owner: ALICE,
            claimed: BOB
        })
    );
    assert_eq!(check_alice(&ledger, segment), Ok(false));
}

#[test]
fn inputs_point_at_where_the_coins_were_created() {
    let mut ledger = ledger();
    let segment = seg(0, 10);
    // The deposit was credited in block 3, not 2.
    assert_eq!(
        check_input(&ledger, Input::deposit(ALICE, 2, segment)),
        Err(Rejection::WrongOrigin {
            input: 0,
            segment,
            origin: Origin::deposit(DEPOSIT_BLOCK),
            block: 2
        })
    );
    // Once Bob's payment is included at (5, 0), his coins are created there.
    let pay = spend(vec![alice_deposit(segment)]);
    ledger.apply_included(&pay, 5, 0);
    let created = Input {
        owner: BOB,
        block_index: 5,
        tx_index: 0,
        output_index: 0,
        segment,
    };
    assert_eq!(ledger.check(&spend(vec![created]), id(2)), Ok(false));
    // Spending them by the old deposit reference: the coins were spent and re-created.
    let stale = spend(vec![Input::deposit(BOB, DEPOSIT_BLOCK, segment)]);
    assert_eq!(
        ledger.check(&stale, id(3)),
        Err(Rejection::WrongOrigin {
            input: 0,
            segment,
            origin: Origin::tx(5, 0, 0),
            block: DEPOSIT_BLOCK
        })
    );
}

#[test]
fn not_owned_groups_the_reasons_that_mean_not_yours() {
    let segment = seg(0, 1);
    assert!(Rejection::UnknownCoins { input: 0, segment }.is_not_owned());
    assert!(
        Rejection::WrongOwner {
            input: 0,
            segment,
            owner: ALICE,
            claimed: BOB
        }
        .is_not_owned()
    );
    assert!(!Rejection::Exited { input: 0, segment }.is_not_owned());
    assert!(
        !Rejection::Conflict {
            input: 0,
            segment,
            spent_by: id(1)
        }
        .is_not_owned()
    );
}
