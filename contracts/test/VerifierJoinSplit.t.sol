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

    // ---- docs/shielded.md §7.2 F1: malformed input returns false, never reverts ----

    /// @dev A point on the G2 twist y^2 = x^3 + 3/(9+u) with x = 1 that is not in the
    ///      prime-order subgroup (found and checked with ffjavascript's bn128: r·P ≠ 0).
    uint256 internal constant NS_X_IM = 0;
    uint256 internal constant NS_X_RE = 1;
    uint256 internal constant NS_Y_IM =
        5912654199736721486680175016176231956195085055698687135131307249486702594212;
    uint256 internal constant NS_Y_RE =
        18278151005453108793778860132295291098363647455926340152056652516292830556603;

    /// @dev verifyProof through a low-level call with `gas_`: (did not revert, result, gas used).
    function _try(uint256[8] memory proof, uint256[8] memory input, uint256 gas_)
        internal
        view
        returns (bool success, bool ok, uint256 used)
    {
        bytes memory data = abi.encodeCall(JoinSplitVerifier.verifyProof, (proof, input));
        uint256 before = gasleft();
        bytes memory ret;
        (success, ret) = address(verifier).staticcall{gas: gas_}(data);
        used = before - gasleft();
        if (success) ok = abi.decode(ret, (bool));
    }

    /// @dev Must return false without reverting, with the gas a fraud proof would give it.
    function _assertFalse(uint256[8] memory proof, uint256[8] memory input, string memory what)
        internal
        view
    {
        (bool success, bool ok, uint256 used) = _try(proof, input, 1_000_000);
        assertTrue(success, string.concat(what, ": reverted"));
        assertFalse(ok, string.concat(what, ": accepted"));
        assertLe(used, 450_000, string.concat(what, ": burnt more than the pairing cap"));
    }

    function test_everyProofWordAtOrAboveQIsFalse() public view {
        uint256[8] memory input = _input();
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory proof = _proof();
            proof[i] += Q;
            _assertFalse(proof, input, string.concat("word + Q ", vm.toString(i)));
            proof[i] = Q;
            _assertFalse(proof, input, string.concat("word = Q ", vm.toString(i)));
            proof[i] = type(uint256).max;
            _assertFalse(proof, input, string.concat("word = 2^256-1 ", vm.toString(i)));
        }
    }

    function test_everyInputAtOrAboveRIsFalse() public view {
        uint256[8] memory proof = _proof();
        for (uint256 i = 0; i < 8; i++) {
            uint256[8] memory input = _input();
            input[i] += R;
            _assertFalse(proof, input, string.concat("input + R ", vm.toString(i)));
            input[i] = R;
            _assertFalse(proof, input, string.concat("input = R ", vm.toString(i)));
            input[i] = type(uint256).max;
            _assertFalse(proof, input, string.concat("input = 2^256-1 ", vm.toString(i)));
        }
    }

    function test_pointsOffTheirCurvesAreFalse() public view {
        uint256[8] memory input = _input();
        uint256[8] memory proof = _proof();
        proof[1] = addmod(proof[1], 1, Q); // A.y
        _assertFalse(proof, input, "A off G1");
        proof = _proof();
        proof[7] = addmod(proof[7], 1, Q); // C.y
        _assertFalse(proof, input, "C off G1");
        proof = _proof();
        proof[5] = addmod(proof[5], 1, Q); // B.y real part
        _assertFalse(proof, input, "B off the twist");
        proof = _proof();
        (proof[0], proof[1]) = (0, 0); // the identity's EIP-196 encoding is not on y^2 = x^3 + 3
        _assertFalse(proof, input, "A = identity");
        proof = _proof();
        (proof[2], proof[3], proof[4], proof[5]) = (0, 0, 0, 0);
        _assertFalse(proof, input, "B = identity");
        proof = _proof();
        (proof[6], proof[7]) = (0, 0);
        _assertFalse(proof, input, "C = identity");
    }

    function test_bOutsideTheSubgroupIsFalseAndCapped() public view {
        uint256[8] memory proof = _proof();
        (proof[2], proof[3], proof[4], proof[5]) = (NS_X_IM, NS_X_RE, NS_Y_IM, NS_Y_RE);
        (bool success, bool ok, uint256 used) = _try(proof, _input(), 5_000_000);
        assertTrue(success, "reverted");
        assertFalse(ok, "accepted");
        // It got past g2OnCurve (so it is on the twist) and the precompile rejected it, burning
        // exactly its capped stipend, not the 5M given.
        assertGe(used, 362_000, "rejected before the pairing: not a subgroup test");
        assertLe(used, 450_000, "the failing pairing burnt more than its cap");
    }

    function test_starvedOfGasRevertsInsteadOfAnsweringFalse() public view {
        // A caller must not be able to turn a valid proof into `false` by giving too little gas.
        (bool success,,) = _try(_proof(), _input(), 300_000);
        assertFalse(success, "answered with less than MIN_GAS");
        (bool success2, bool ok,) = _try(_proof(), _input(), 440_000);
        assertTrue(success2 && ok, "valid proof rejected with MIN_GAS available");
    }
}
