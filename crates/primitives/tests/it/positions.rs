//! `test-vectors/primitives/positions.json` (written by `gen_positions.py` from the spec) checked
//! against [`debye_primitives::exit`]; `contracts/test/ExitVectors.t.sol` checks the same file
//! against `ExitLib.sol`, so the Rust and Solidity sides of the exit game name and rank outputs
//! alike.

use std::fs;

use alloy_primitives::{Address, U256};
use debye_primitives::{
    Input, Position, PositionKind, Segment,
    exit::{FORCED_BLOCK, forced_block_index},
};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/primitives/positions.json"
    );
    serde_json::from_str(&fs::read_to_string(path).expect("positions.json is committed"))
        .expect("positions.json is JSON")
}

fn num(v: &Value) -> U256 {
    v.as_str()
        .and_then(|s| U256::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or_else(|| panic!("{v} is not a hex quantity"))
}

fn small(v: &Value) -> u64 {
    num(v).to::<u64>()
}

#[test]
fn positions_match_the_committed_vectors() {
    let v = vectors();
    let cases = v["positions"].as_array().expect("a list of positions");
    assert!(cases.len() >= 10, "the file lost its cases");
    for c in cases {
        let expected = Position::from_u256(num(&c["position"]));
        let built = match c["kind"].as_str() {
            Some("deposit") => Position::deposit(small(&c["childBlock"])),
            Some("output") => Position::output(small(&c["childBlock"])),
            Some("forced") => Position::forced(
                small(&c["index"]),
                Position::from_u256(num(&c["newestInputRank"])),
            ),
            other => panic!("unknown kind {other:?}"),
        };
        assert_eq!(built, expected, "{c}");
        assert_eq!(
            U256::from(expected.block()),
            num(&c["block"]),
            "block of {c}"
        );
        assert_eq!(expected.order(), num(&c["order"]), "order of {c}");
        let kind_matches = match expected.kind() {
            PositionKind::Deposit { block } => {
                c["kind"] == "deposit" && block == small(&c["childBlock"])
            }
            PositionKind::Output { block } => {
                c["kind"] == "output" && block == small(&c["childBlock"])
            }
            PositionKind::Forced { index, .. } => {
                c["kind"] == "forced" && index == small(&c["index"])
            }
        };
        assert!(kind_matches, "kind of {c}: {:?}", expected.kind());
    }
}

#[test]
fn refers_to_matches_the_committed_vectors() {
    let v = vectors();
    let cases = v["refersTo"].as_array().expect("a list of inputs");
    assert!(cases.iter().any(|c| c["refersTo"] == true));
    assert!(cases.iter().any(|c| c["refersTo"] == false));
    for c in cases {
        let input = Input {
            owner: Address::ZERO,
            block_index: small(&c["blockIndex"]),
            tx_index: u32::try_from(small(&c["txIndex"])).expect("a u32 tx index"),
            output_index: 0,
            segment: Segment::new(U256::ZERO, U256::ONE).expect("non-empty"),
        };
        let position = Position::from_u256(num(&c["position"]));
        assert_eq!(
            position.refers_to(&input),
            c["refersTo"].as_bool().expect("a bool"),
            "{c}"
        );
        // Whenever the position names the input's output, indexing the spend by the input finds it.
        if position.refers_to(&input) {
            assert_eq!(Position::spent_by(&input), position.spend_key(), "{c}");
        }
    }
    assert_eq!(forced_block_index(5), FORCED_BLOCK | 5);
}
