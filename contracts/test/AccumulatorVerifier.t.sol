// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test, console} from "forge-std/Test.sol";
import {AccumulatorVerifier} from "../src/accumulator/AccumulatorVerifier.sol";

/// @dev Exposes the transcript seeds and the challenge-prime search, so the tests can play an
///      honest prover (find the first passing counter) for tampered statements too.
contract AccumulatorHarness is AccumulatorVerifier {
    function chainSeed(bytes calldata a, bytes calldata b, uint256[] calldata primes)
        external
        pure
        returns (bytes32)
    {
        return _chainSeed(a, b, primes);
    }

    function spanSeed(bytes calldata aa, bytes calldata ab, bytes calldata z)
        external
        pure
        returns (bytes32)
    {
        return _spanSeed(aa, ab, z);
    }

    function exclusionSeed(
        bytes calldata aa,
        bytes calldata ab,
        uint256[] calldata excluded,
        bytes calldata proof
    ) external pure returns (bytes32) {
        return _exclusionSeed(aa, ab, excluded, proof[0:256], proof[768:1024], proof[1024:1280]);
    }

    function candidate(bytes32 seed, uint64 counter) external pure returns (uint256) {
        return _candidate(seed, counter);
    }

    function isProbablePrime(uint256 n) external view returns (bool) {
        return _isProbablePrime(n);
    }

    function mul(bytes calldata a, bytes calldata b) external view returns (bytes memory) {
        return _mul(_element(a, 0), _element(b, 1));
    }

    function pow(bytes calldata a, uint256 e) external view returns (bytes memory) {
        return _pow(_element(a, 0), e);
    }

    /// @dev The honest prover's counter: the first whose candidate passes.
    function firstCounter(bytes32 seed) external view returns (uint64 c) {
        while (!_isProbablePrime(_candidate(seed, c))) ++c;
    }
}

/// @dev The committed vectors (test-vectors/accumulator/vectors.json, written by
///      crates/accumulator/tests/it/vectors.rs, cross-checked by check-accumulator.mjs) verified
///      on-chain, tamper tests (each must fail with the check that catches it) and gas budgets
///      under the repository's Prague pricing and under Osaka (EIP-7883 MODEXP pricing).
contract AccumulatorVerifierTest is Test {
    AccumulatorHarness internal v;
    string internal json;

    /// @dev Execution-gas budgets (docs/accumulator.md §8): the measured figure + ~3-4%, so a
    ///      regression fails. Prague prices MODEXP by EIP-2565 (`./forge test`), Osaka by EIP-7883
    ///      (`./forge test --evm-version osaka`); the test detects which one it runs under.
    ///      Measured: chain step (161 primes) 338,281 / 1,298,463; exclusion (161 excluded
    ///      primes) 1,089,902 / 5,186,620.
    uint256 internal constant CHAIN_BUDGET_PRAGUE = 350_000;
    uint256 internal constant EXCLUSION_BUDGET_PRAGUE = 1_130_000;
    uint256 internal constant CHAIN_BUDGET_OSAKA = 1_340_000;
    uint256 internal constant EXCLUSION_BUDGET_OSAKA = 5_350_000;

    function setUp() public {
        v = new AccumulatorHarness();
        json = vm.readFile("../test-vectors/accumulator/vectors.json");
    }

    // ------------------------------------------------------------------------- vector access

    function _hexBytes(string memory key) internal view returns (bytes memory) {
        return vm.parseBytes(string.concat("0x", vm.parseJsonString(json, key)));
    }

    function _hexUints(string memory key) internal view returns (uint256[] memory out) {
        string[] memory s = vm.parseJsonStringArray(json, key);
        out = new uint256[](s.length);
        for (uint256 i = 0; i < s.length; ++i) {
            out[i] = vm.parseUint(string.concat("0x", s[i]));
        }
    }

    /// @dev A_n of the vectors' chain (A_0 = genesis = g).
    function _value(uint256 n) internal view returns (bytes memory) {
        if (n == 0) return _hexBytes(".genesis");
        return _hexBytes(string.concat(".blocks[", vm.toString(n - 1), "].value"));
    }

    function _block(uint256 n)
        internal
        view
        returns (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q)
    {
        string memory k = string.concat(".blocks[", vm.toString(n - 1), "]");
        prev = _value(n - 1);
        next = _value(n);
        primes = _hexUints(string.concat(k, ".factors"));
        q = _hexBytes(string.concat(k, ".proof"));
    }

    function _chainCounter(bytes memory prev, bytes memory next, uint256[] memory primes)
        internal
        view
        returns (uint64)
    {
        return v.firstCounter(v.chainSeed(prev, next, primes));
    }

    struct Exclusion {
        bytes aa;
        bytes ab;
        uint256[] excluded;
        bytes proof;
        uint64 c1;
        uint64 c2;
    }

    function _exclusion() internal view returns (Exclusion memory e) {
        e.aa = _value(vm.parseJsonUint(json, ".exclusion.a"));
        e.ab = _value(vm.parseJsonUint(json, ".exclusion.b"));
        e.excluded = _hexUints(".exclusion.excluded");
        e.proof = _hexBytes(".exclusion.proof");
        _recount(e);
    }

    /// @dev What an honest prover would send as counters for the (possibly tampered) statement.
    function _recount(Exclusion memory e) internal view {
        e.c1 = v.firstCounter(v.spanSeed(e.aa, e.ab, _slice(e.proof, 0)));
        e.c2 = v.firstCounter(v.exclusionSeed(e.aa, e.ab, e.excluded, e.proof));
    }

    function _slice(bytes memory b, uint256 index) internal pure returns (bytes memory out) {
        out = new bytes(256);
        for (uint256 i = 0; i < 256; ++i) {
            out[i] = b[index * 256 + i];
        }
    }

    function _verifyExclusion(Exclusion memory e) internal view {
        v.verifyExclusion(e.aa, e.ab, e.excluded, e.proof, e.c1, e.c2);
    }

    function _nMinus(bytes memory x) internal view returns (bytes memory) {
        // N − x for a canonical x: the other representative of its class (docs §5).
        bytes memory n = vm.parseBytes(
            "0xc7970ceedcc3b0754490201a7aa613cd73911081c790f5f1a8726f463550bb5b7ff0db8e1ea1189ec72f93d1650011bd721aeeacc2acde32a04107f0648c2813a31f5b0b7765ff8b44b4b6ffc93384b646eb09c7cf5e8592d40ea33c80039f35b4f14a04b51f7bfd781be4d1673164ba8eb991c2c4d730bbbe35f592bdef524af7e8daefd26c66fc02c479af89d64d373f442709439de66ceb955f3ea37d5159f6135809f85334b5cb1813addc80cd05609f10ac6a95ad65872c909525bdad32bc729592642920f24c61dc5b3c3b7923e56b16a4d9d373d8721f24a3fc0f1b3131f55615172866bccc30f95054c824e733a5eb6817f7bc16399d48c6361cc7e5"
        );
        bytes memory out = new bytes(256);
        uint256 borrow = 0;
        for (uint256 i = 256; i > 0; --i) {
            uint256 a = uint8(n[i - 1]);
            uint256 b = uint8(x[i - 1]) + borrow;
            borrow = a < b ? 1 : 0;
            // forge-lint: disable-next-line(unsafe-typecast)
            out[i - 1] = bytes1(uint8((a + 256 * borrow) - b)); // < 256: one byte of N − x
        }
        return out;
    }

    // ------------------------------------------------------------------- the vectors verify

    function test_modulusAndDigests() public view {
        // The digests bind N (the contract's constant) and A: all five must match.
        assertEq(v.digest(_hexBytes(".generator")), vm.parseJsonBytes32(json, ".generator_digest"));
        assertEq(keccak256(_hexBytes(".generator")), keccak256(_value(0)));
        for (uint256 n = 1; n <= 4; ++n) {
            string memory k = string.concat(".blocks[", vm.toString(n - 1), "].digest");
            assertEq(v.digest(_value(n)), vm.parseJsonBytes32(json, k));
        }
    }

    /// @dev The contract's candidate + Miller–Rabin reproduce the Rust challenge primes (BPSW,
    ///      first passing counter) for the vectors' two seeds (docs §4).
    function test_challengePrimesMatchVectors() public view {
        for (uint256 i = 0; i < 2; ++i) {
            string memory k = string.concat(".challenge_primes[", vm.toString(i), "]");
            bytes32 seed = vm.parseJsonBytes32(json, string.concat(k, ".seed"));
            uint64 c = v.firstCounter(seed);
            assertEq(
                v.candidate(seed, c),
                vm.parseUint(
                    string.concat("0x", vm.parseJsonString(json, string.concat(k, ".prime")))
                )
            );
        }
    }

    function test_millerRabin() public view {
        // 2^255 − 19 is prime; 2^255 + 1 is divisible by 3; (2^128 − 159)(2^127 − 1) is a
        // product of two primes.
        assertTrue(v.isProbablePrime((uint256(1) << 255) - 19));
        assertFalse(v.isProbablePrime((uint256(1) << 255) + 1));
        assertFalse(v.isProbablePrime(uint256(2 ** 128 - 159) * uint256(2 ** 127 - 1)));
        // 3825123056546413051 = 149491 · 747451 · 34233211: a strong pseudoprime to every prime
        // base up to 31 (the first eleven), caught by base 37.
        assertFalse(v.isProbablePrime(3825123056546413051));
        assertTrue(v.isProbablePrime(type(uint256).max - 188)); // 2^256 − 189, prime
    }

    function test_groupMultiplication() public view {
        bytes memory a = _value(1);
        bytes memory b = _value(2);
        assertEq(v.mul(a, a), v.pow(a, 2));
        assertEq(v.mul(v.pow(a, 2), v.pow(a, 3)), v.pow(a, 5));
        assertEq(v.mul(a, b), v.mul(b, a));
        // (ab)^7 = a^7 b^7
        assertEq(v.pow(v.mul(a, b), 7), v.mul(v.pow(a, 7), v.pow(b, 7)));
        bytes memory one = new bytes(256);
        one[255] = 0x01;
        assertEq(v.mul(a, one), a);
    }

    /// @dev g^x · g^y = g^(x+y) and (g^x · g^y)^2 = g^(2x) · g^(2y) in Z_N*/{±1} for random
    ///      exponents: exercises both signs of (a+b)^2 − (a−b)^2 and both halving branches.
    function testFuzz_groupMultiplication(uint128 x, uint128 y) public view {
        bytes memory g = _value(0);
        bytes memory gx = v.pow(g, x);
        bytes memory gy = v.pow(g, y);
        bytes memory prod = v.mul(gx, gy);
        assertEq(prod, v.pow(g, uint256(x) + uint256(y)));
        assertEq(v.mul(prod, prod), v.mul(v.pow(gx, 2), v.pow(gy, 2)));
    }

    function test_chainStepsVerify() public view {
        for (uint256 n = 1; n <= 4; ++n) {
            (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) =
                _block(n);
            assertEq(
                primes.length,
                vm.parseJsonUint(json, string.concat(".blocks[", vm.toString(n - 1), "].primes"))
            );
            v.verifyChainStep(prev, next, primes, q, _chainCounter(prev, next, primes));
        }
    }

    function test_exclusionVerifies() public view {
        _verifyExclusion(_exclusion());
    }

    // --------------------------------------------------------------------- chain step tampers

    function test_chainRejectsFlippedProofByte() public {
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(1);
        uint64 c = _chainCounter(prev, next, primes);
        q[200] ^= 0x01;
        vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        v.verifyChainStep(prev, next, primes, q, c);
    }

    function test_chainRejectsWrongResult() public {
        (bytes memory prev,, uint256[] memory primes, bytes memory q) = _block(1);
        bytes memory wrong = _value(2);
        uint64 c = _chainCounter(prev, wrong, primes);
        vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        v.verifyChainStep(prev, wrong, primes, q, c);
    }

    function test_chainRejectsWrongPrimes() public {
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(1);
        // one prime dropped
        uint256[] memory fewer = new uint256[](primes.length - 1);
        for (uint256 i = 0; i < fewer.length; ++i) {
            fewer[i] = primes[i];
        }
        uint64 c = _chainCounter(prev, next, fewer);
        vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        v.verifyChainStep(prev, next, fewer, q, c);
        // one prime replaced by another key's prime (block 2's first)
        (,, uint256[] memory other,) = _block(2);
        primes[7] = other[0];
        c = _chainCounter(prev, next, primes);
        vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        v.verifyChainStep(prev, next, primes, q, c);
        // a zero factor
        primes[3] = 0;
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.ZeroFactor.selector, 3));
        v.verifyChainStep(prev, next, primes, q, c);
    }

    function test_chainRejectsPrimesOfAnotherOrder() public {
        // same product, other order: the transcript commits to the ordered list (docs §4), and
        // the prover's ℓ was for the committed order, so the old counter's ℓ is gone.
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(1);
        uint64 honest = _chainCounter(prev, next, primes);
        (primes[0], primes[1]) = (primes[1], primes[0]);
        bytes32 seed = v.chainSeed(prev, next, primes);
        if (v.isProbablePrime(v.candidate(seed, honest))) {
            vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        } else {
            vm.expectRevert(
                abi.encodeWithSelector(AccumulatorVerifier.ChallengeNotPrime.selector, honest)
            );
        }
        v.verifyChainStep(prev, next, primes, q, honest);
    }

    function test_chainRejectsNonCanonical() public {
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(1);
        uint64 c = _chainCounter(prev, next, primes);
        // N − Q: same class in Z_N*/{±1}, but not its canonical representative
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, 2));
        v.verifyChainStep(prev, next, primes, _nMinus(q), c);
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, 0));
        v.verifyChainStep(_nMinus(prev), next, primes, q, c);
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, 1));
        v.verifyChainStep(prev, _nMinus(next), primes, q, c);
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, 2));
        v.verifyChainStep(prev, next, primes, new bytes(256), c);
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.BadLength.selector, 255, 256));
        v.verifyChainStep(prev, next, primes, _truncate(q), c);
    }

    function _truncate(bytes memory b) internal pure returns (bytes memory out) {
        out = new bytes(b.length - 1);
        for (uint256 i = 0; i < out.length; ++i) {
            out[i] = b[i + 1];
        }
    }

    function test_chainRejectsBadCounter() public {
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(1);
        bytes32 seed = v.chainSeed(prev, next, primes);
        uint64 c = v.firstCounter(seed);
        // a composite candidate
        uint64 bad = c + 1;
        while (v.isProbablePrime(v.candidate(seed, bad))) ++bad;
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.ChallengeNotPrime.selector, bad));
        v.verifyChainStep(prev, next, primes, q, bad);
        // a later passing counter is a valid prime, but not the ℓ the proof answers
        uint64 later = c + 1;
        while (!v.isProbablePrime(v.candidate(seed, later))) ++later;
        vm.expectRevert(AccumulatorVerifier.ChainStepInvalid.selector);
        v.verifyChainStep(prev, next, primes, q, later);
    }

    // ---------------------------------------------------------------------- exclusion tampers

    function _expectExclusionFails(Exclusion memory e, bytes4 selector) internal {
        vm.expectRevert(selector);
        _verifyExclusion(e);
    }

    /// @dev Flipping a low byte of each proof element fails at the check that reads it (counters
    ///      recomputed, as a cheating prover would).
    function test_exclusionRejectsFlippedElements() public {
        bytes4[7] memory expected = [
            AccumulatorVerifier.SpanCommitmentInvalid.selector, // z
            AccumulatorVerifier.SpanCommitmentInvalid.selector, // Q_g1
            AccumulatorVerifier.SpanRelationInvalid.selector, // Q_u1
            AccumulatorVerifier.BezoutCommitmentInvalid.selector, // V (in ℓ2's transcript)
            AccumulatorVerifier.BezoutCommitmentInvalid.selector, // z2
            AccumulatorVerifier.BezoutCommitmentInvalid.selector, // Q_g2
            AccumulatorVerifier.BezoutRelationInvalid.selector // Q_2
        ];
        for (uint256 i = 0; i < 7; ++i) {
            Exclusion memory e = _exclusion();
            e.proof[i * 256 + 200] ^= 0x01;
            _recount(e);
            // V and z2 are in ℓ2's transcript: the new ℓ2 may fall below the old r2 (§7.2)
            uint256 l2 = v.candidate(v.exclusionSeed(e.aa, e.ab, e.excluded, e.proof), e.c2);
            uint256 r2 = uint256(bytes32(_slice32(e.proof, 1824)));
            if ((i == 3 || i == 4) && r2 >= l2) {
                vm.expectRevert(
                    abi.encodeWithSelector(AccumulatorVerifier.ResidueOutOfRange.selector, r2, l2)
                );
                _verifyExclusion(e);
            } else {
                _expectExclusionFails(e, expected[i]);
            }
        }
    }

    function test_exclusionRejectsFlippedResidues() public {
        Exclusion memory e = _exclusion();
        e.proof[1792 + 31] ^= 0x01; // r1
        _expectExclusionFails(e, AccumulatorVerifier.SpanCommitmentInvalid.selector);
        e = _exclusion();
        e.proof[1824 + 31] ^= 0x01; // r2
        _expectExclusionFails(e, AccumulatorVerifier.BezoutCommitmentInvalid.selector);
        e = _exclusion();
        e.proof[1792] = 0xff; // r1 ≥ ℓ1 (ℓ1 < 2^256 but r1 now ≥ 0xff·2^248 > ℓ1 is likely, checked)
        uint256 r1 = uint256(bytes32(_slice32(e.proof, 1792)));
        uint256 l1 = v.candidate(v.spanSeed(e.aa, e.ab, _slice(e.proof, 0)), e.c1);
        assertGe(r1, l1);
        vm.expectRevert(
            abi.encodeWithSelector(AccumulatorVerifier.ResidueOutOfRange.selector, r1, l1)
        );
        _verifyExclusion(e);
    }

    function _slice32(bytes memory b, uint256 from) internal pure returns (bytes memory out) {
        out = new bytes(32);
        for (uint256 i = 0; i < 32; ++i) {
            out[i] = b[from + i];
        }
    }

    function test_exclusionRejectsWrongEndPoint() public {
        // A_b = A_4: block 4 touched the coin's range, no exclusion proof exists for (1, 4]
        Exclusion memory e = _exclusion();
        e.ab = _value(4);
        _recount(e);
        _expectExclusionFails(e, AccumulatorVerifier.SpanCommitmentInvalid.selector);
        // wrong start
        e = _exclusion();
        e.aa = _value(0);
        _recount(e);
        _expectExclusionFails(e, AccumulatorVerifier.SpanCommitmentInvalid.selector);
    }

    function test_exclusionRejectsWrongPrimes() public {
        // a prime dropped (a claim about a bigger set of coins than proven)
        Exclusion memory e = _exclusion();
        uint256[] memory fewer = new uint256[](e.excluded.length - 1);
        for (uint256 i = 0; i < fewer.length; ++i) {
            fewer[i] = e.excluded[i + 1];
        }
        e.excluded = fewer;
        _recount(e);
        _expectExclusionFails(e, AccumulatorVerifier.BezoutCommitmentInvalid.selector);
        // a touched prime (block 2's first key) swapped in
        e = _exclusion();
        (,, uint256[] memory touched,) = _block(2);
        e.excluded[5] = touched[0];
        _recount(e);
        _expectExclusionFails(e, AccumulatorVerifier.BezoutCommitmentInvalid.selector);
        // a zero factor
        e = _exclusion();
        uint64 honest2 = e.c2;
        e.excluded[0] = 0;
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.ZeroFactor.selector, 0));
        v.verifyExclusion(e.aa, e.ab, e.excluded, e.proof, e.c1, honest2);
    }

    function test_exclusionRejectsNonCanonicalAndBadCounters() public {
        Exclusion memory e = _exclusion();
        for (uint256 i = 0; i < 7; ++i) {
            Exclusion memory t = _exclusion();
            bytes memory neg = _nMinus(_slice(t.proof, i));
            for (uint256 j = 0; j < 256; ++j) {
                t.proof[i * 256 + j] = neg[j];
            }
            vm.expectRevert(
                abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, i + 2)
            );
            _verifyExclusion(t);
        }
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.NotCanonical.selector, 1));
        v.verifyExclusion(e.aa, _nMinus(e.ab), e.excluded, e.proof, e.c1, e.c2);
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.BadLength.selector, 1855, 1856));
        v.verifyExclusion(e.aa, e.ab, e.excluded, _truncate(e.proof), e.c1, e.c2);
        // bad counters
        bytes32 s1 = v.spanSeed(e.aa, e.ab, _slice(e.proof, 0));
        uint64 bad = e.c1 + 1;
        while (v.isProbablePrime(v.candidate(s1, bad))) ++bad;
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.ChallengeNotPrime.selector, bad));
        v.verifyExclusion(e.aa, e.ab, e.excluded, e.proof, bad, e.c2);
        bytes32 s2 = v.exclusionSeed(e.aa, e.ab, e.excluded, e.proof);
        bad = e.c2 + 1;
        while (v.isProbablePrime(v.candidate(s2, bad))) ++bad;
        vm.expectRevert(abi.encodeWithSelector(AccumulatorVerifier.ChallengeNotPrime.selector, bad));
        v.verifyExclusion(e.aa, e.ab, e.excluded, e.proof, e.c1, bad);
    }

    // ------------------------------------------------------------------------------- gas

    /// @dev True when MODEXP is priced by EIP-7883 (Osaka): an exponent-2 square of a 256-byte
    ///      base costs 2·32² = 2,048 gas there, 32²·1/3 = 341 under EIP-2565.
    function _osaka() internal view returns (bool) {
        bytes memory input = abi.encodePacked(
            uint256(256),
            uint256(1),
            uint256(256),
            new bytes(255),
            hex"0302",
            new bytes(255),
            hex"07"
        );
        uint256 g0 = gasleft();
        (bool ok,) = address(0x05).staticcall(input);
        uint256 used = g0 - gasleft();
        assertTrue(ok);
        return used > 1_500;
    }

    /// @dev Gas of one call with pre-encoded calldata: what the verifier's execution costs an L1
    ///      caller (the CALL, calldata decoding and everything after), without the test's own
    ///      ABI encoding; a transaction also pays intrinsic and calldata gas on top.
    function _measure(bytes memory data) internal view returns (uint256 used) {
        uint256 g0 = gasleft();
        (bool ok,) = address(v).staticcall(data);
        used = g0 - gasleft();
        assertTrue(ok);
    }

    function _chainCall(uint256 n) internal view returns (bytes memory) {
        (bytes memory prev, bytes memory next, uint256[] memory primes, bytes memory q) = _block(n);
        return abi.encodeCall(
            AccumulatorVerifier.verifyChainStep,
            (prev, next, primes, q, _chainCounter(prev, next, primes))
        );
    }

    function test_gas() public view {
        bool osaka = _osaka();
        uint256 chainGas = _measure(_chainCall(1));
        uint256 emptyGas = _measure(_chainCall(3));
        Exclusion memory e = _exclusion();
        uint256 exclusionGas = _measure(
            abi.encodeCall(
                AccumulatorVerifier.verifyExclusion, (e.aa, e.ab, e.excluded, e.proof, e.c1, e.c2)
            )
        );

        console.log(osaka ? "pricing: Osaka (EIP-7883)" : "pricing: Prague (EIP-2565)");
        console.log("chain step, 161 primes:", chainGas);
        console.log("chain step, empty block:", emptyGas);
        console.log("exclusion, 161 excluded primes:", exclusionGas);
        assertLe(chainGas, osaka ? CHAIN_BUDGET_OSAKA : CHAIN_BUDGET_PRAGUE);
        assertLe(exclusionGas, osaka ? EXCLUSION_BUDGET_OSAKA : EXCLUSION_BUDGET_PRAGUE);
    }
}
