// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {JoinSplitVerifier} from "../src/verifier/JoinSplitVerifier.sol";

/// @dev The generated JoinSplit verifier against the committed proof fixture
///      (test-vectors/zk/joinsplit_proof.json, produced by crates/zk; docs/circuits.md §9).
contract VerifierJoinSplitTest is Test {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// @dev Gas budget for one verification (issue target).
    uint256 internal constant GAS_BUDGET = 250_000;
    string internal constant FIXTURE = "../test-vectors/zk/joinsplit_proof.json";

    JoinSplitVerifier internal verifier;
    string internal json;

    function setUp() public {
        verifier = new JoinSplitVerifier();
        json = vm.readFile(FIXTURE);
    }

    function _proof() internal view returns (uint256[8] memory proof) {
        uint256[] memory words = vm.parseJsonUintArray(json, ".proof");
        assertEq(words.length, 8, "fixture proof length");
        for (uint256 i = 0; i < 8; i++) {
            proof[i] = words[i];
        }
    }

    function _input() internal view returns (uint256[8] memory input) {
        uint256[] memory words = vm.parseJsonUintArray(json, ".public_inputs");
        assertEq(words.length, verifier.NUM_PUBLIC_INPUTS(), "fixture input count");
        for (uint256 i = 0; i < 8; i++) {
            input[i] = words[i];
        }
    }

    function test_fixtureMatchesVerifierKey() public view {
        assertEq(
            vm.parseJsonBytes32(json, ".verifying_key_sha256"),
            verifier.VERIFYING_KEY_HASH(),
            "fixture was proven under another verifying key"
        );
    }

    function test_verifiesFixture() public {
        uint256[8] memory proof = _proof();
        uint256[8] memory input = _input();
        uint256 before = gasleft();
        bool ok = verifier.verifyProof(proof, input);
        uint256 used = before - gasleft();
        assertTrue(ok, "fixture proof rejected");
        emit log_named_uint("JoinSplitVerifier.verifyProof gas", used);
        assertLe(used, GAS_BUDGET, "verification over gas budget");
    }

    function test_rejectsTamperedProof() public view {
        uint256[8] memory input = _input();
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory proof = _proof();
            proof[i] = addmod(proof[i], 1, Q);
            assertFalse(verifier.verifyProof(proof, input), "tampered proof word accepted");
        }
    }

    function test_rejectsTamperedInput() public view {
        uint256[8] memory proof = _proof();
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory input = _input();
            input[i] = addmod(input[i], 1, R);
            assertFalse(verifier.verifyProof(proof, input), "tampered public input accepted");
        }
    }

    function test_rejectsNonCanonicalEncodings() public view {
        uint256[8] memory input = _input();
        input[0] += R;
        assertFalse(verifier.verifyProof(_proof(), input), "input >= R accepted");
        uint256[8] memory proof = _proof();
        proof[0] += Q;
        assertFalse(verifier.verifyProof(proof, _input()), "coordinate >= Q accepted");
    }

    function test_rejectsNegatedA() public view {
        // -A is a valid curve point but not the proof's A: the pairing check itself must fail.
        uint256[8] memory proof = _proof();
        proof[1] = Q - proof[1];
        assertFalse(verifier.verifyProof(proof, _input()), "negated A accepted");
    }
}
