// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title AccumulatorVerifier: the RSA accumulator's chain step and exclusion proof on L1
/// @notice Stateless verifier of two statements of `debye-accumulator` (docs/accumulator.md), for
///         use inside an exit dispute only, never per block (docs/accumulator.md §8):
///         * `verifyChainStep`: A_n = A_{n-1}^{P_n}, P_n the product of block n's key primes, by the
///           Wesolowski proof of exponentiation of §6 (one group element);
///         * `verifyExclusion`: A_b = A_a^D with gcd(D, x) = 1, x the product of a range's excluded
///           primes, by the two committed PoKEs of §7.4 (seven group elements, two residues).
///         Both revert with a typed error naming the failed check and return nothing otherwise.
///         The equations, transcripts and encodings are those of `crates/accumulator/src/proof.rs`
///         and of the independent `test-vectors/accumulator/check-accumulator.mjs`; the committed
///         vectors are verified by test/AccumulatorVerifier.t.sol.
/// @dev Threats (docs/accumulator.md §5-§7): a prover who knows the discrete logarithm of every
///      accumulator value (the operator) forging a chain step or an exclusion proof. What stops it:
///      (1) the verifier computes every remainder of a known exponent itself from the primes
///      (r = P_n mod ℓ, x mod ℓ2), never takes one from the prover (§6, the forgery of §7.1);
///      (2) every challenge ℓ is a 256-bit prime hashed from the whole statement and the prover's
///      commitments (§4), so it is fixed after them; (3) every element is a canonical member of
///      Z_N*/{±1} (§5), which removes the known order-2 element −1.
///      What the caller must do (not this contract): bind A_a, A_b / A_{n-1}, A_n to the block
///      headers' `accumulator` digests (`digest` below), and bind the primes to the statement it
///      means (the block's key primes for a chain step; the disputed range's excluded primes, in
///      `exclusion_keys` order, for an exclusion proof): this contract proves the statement for
///      the primes it is given. The exit-game integration is not written yet (docs/accumulator.md §8).
///      Arithmetic: every 2048-bit exponentiation is one MODEXP (precompile 0x05) call; a product
///      ab mod N is ((a+b)^2 − (a−b)^2)/4 with two exponent-2 MODEXP calls: 2 × 341 gas under
///      EIP-2565 (Prague), 2 × 2,048 under EIP-7883 (Osaka); ~11k / ~15k gas measured with the limb
///      arithmetic around it. The alternative, a 4,096-bit schoolbook product (64 512-bit partial
///      products in EVM code) reduced by one exponent-1 MODEXP on a 512-byte base, costs more
///      in the precompile alone (1,365 / 8,192 gas) before the product is even formed
///      (docs/accumulator.md §8).
contract AccumulatorVerifier {
    // ------------------------------------------------------------------------------- errors

    /// @notice A group element or proof has the wrong byte length (docs/accumulator.md §5:
    ///         elements are exactly 256 big-endian bytes; a chain proof is 256 bytes, an exclusion
    ///         proof 1,856).
    error BadLength(uint256 length, uint256 expected);
    /// @notice Input element `which` is 0 or above (N−1)/2, i.e. not the canonical representative
    ///         of a class of Z_N*/{±1} (docs/accumulator.md §5). Chain step: 0 = A_{n−1},
    ///         1 = A_n, 2 = Q. Exclusion: 0 = A_a, 1 = A_b, 2 = z, 3 = Q_g1, 4 = Q_u1, 5 = V,
    ///         6 = z2, 7 = Q_g2, 8 = Q_2.
    error NotCanonical(uint256 which);
    /// @notice Factor `index` of the exponent is 0 (no key prime is; 0 also has no unambiguous
    ///         minimal big-endian encoding for the transcript commitment, docs/accumulator.md §4).
    error ZeroFactor(uint256 index);
    /// @notice The candidate SHA-256(tag ‖ seed ‖ counter) with bits 255 and 0 set is not a
    ///         probable prime (docs/accumulator.md §4): the prover supplied a wrong counter.
    error ChallengeNotPrime(uint64 counter);
    /// @notice A residue r is not below its challenge prime ℓ (docs/accumulator.md §7.2).
    error ResidueOutOfRange(uint256 residue, uint256 challenge);
    /// @notice Q^ℓ · A_{n−1}^(P_n mod ℓ) ≠ A_n (docs/accumulator.md §6).
    error ChainStepInvalid();
    /// @notice Part A, exponent commitment: Q_g1^ℓ1 · g^r1 ≠ z (docs/accumulator.md §7.4).
    error SpanCommitmentInvalid();
    /// @notice Part A, span relation: Q_u1^ℓ1 · A_a^r1 ≠ A_b (docs/accumulator.md §7.4).
    error SpanRelationInvalid();
    /// @notice Part B, Bézout commitment: Q_g2^ℓ2 · g^r2 ≠ z2 (docs/accumulator.md §7.4).
    error BezoutCommitmentInvalid();
    /// @notice Part B, Bézout relation: Q_2^ℓ2 · z^r2 · V^(x mod ℓ2) ≠ g (docs/accumulator.md §7.4).
    error BezoutRelationInvalid();
    /// @notice A MODEXP precompile call failed (out of gas inside the call).
    error ModexpFailed();

    // ---------------------------------------------------------------------------- constants

    /// @notice Bytes of a group element: N is 2048 bits (docs/accumulator.md §5).
    uint256 public constant ELEMENT_BYTES = 256;
    /// @notice Bytes of a chain proof: Q (docs/accumulator.md §6).
    uint256 public constant CHAIN_PROOF_BYTES = 256;
    /// @notice Bytes of an exclusion proof: z ‖ Q_g1 ‖ Q_u1 ‖ V ‖ z2 ‖ Q_g2 ‖ Q_2 ‖ r1 ‖ r2
    ///         (docs/accumulator.md §7.4).
    uint256 public constant EXCLUSION_PROOF_BYTES = 7 * 256 + 2 * 32;
    /// @notice Miller–Rabin rounds of the challenge-prime check (see `_isProbablePrime`).
    uint256 public constant MILLER_RABIN_ROUNDS = 32;

    /// @dev N: the RSA-2048 challenge number (docs/accumulator.md §5: nobody knows its factors).
    bytes internal constant MODULUS =
        hex"c7970ceedcc3b0754490201a7aa613cd73911081c790f5f1a8726f463550bb5b7ff0db8e1ea1189ec72f93d1650011bd721aeeacc2acde32a04107f0648c2813a31f5b0b7765ff8b44b4b6ffc93384b646eb09c7cf5e8592d40ea33c80039f35b4f14a04b51f7bfd781be4d1673164ba8eb991c2c4d730bbbe35f592bdef524af7e8daefd26c66fc02c479af89d64d373f442709439de66ceb955f3ea37d5159f6135809f85334b5cb1813addc80cd05609f10ac6a95ad65872c909525bdad32bc729592642920f24c61dc5b3c3b7923e56b16a4d9d373d8721f24a3fc0f1b3131f55615172866bccc30f95054c824e733a5eb6817f7bc16399d48c6361cc7e5";
    /// @dev N as eight 256-bit limbs, most significant first (the same number as MODULUS), for
    ///      the assembly that builds MODEXP inputs and reduces mod N without copying MODULUS.
    uint256 internal constant N0 =
        0xc7970ceedcc3b0754490201a7aa613cd73911081c790f5f1a8726f463550bb5b;
    uint256 internal constant N1 =
        0x7ff0db8e1ea1189ec72f93d1650011bd721aeeacc2acde32a04107f0648c2813;
    uint256 internal constant N2 =
        0xa31f5b0b7765ff8b44b4b6ffc93384b646eb09c7cf5e8592d40ea33c80039f35;
    uint256 internal constant N3 =
        0xb4f14a04b51f7bfd781be4d1673164ba8eb991c2c4d730bbbe35f592bdef524a;
    uint256 internal constant N4 =
        0xf7e8daefd26c66fc02c479af89d64d373f442709439de66ceb955f3ea37d5159;
    uint256 internal constant N5 =
        0xf6135809f85334b5cb1813addc80cd05609f10ac6a95ad65872c909525bdad32;
    uint256 internal constant N6 =
        0xbc729592642920f24c61dc5b3c3b7923e56b16a4d9d373d8721f24a3fc0f1b31;
    uint256 internal constant N7 =
        0x31f55615172866bccc30f95054c824e733a5eb6817f7bc16399d48c6361cc7e5;
    /// @dev (N − 1) / 2: the largest canonical representative (docs/accumulator.md §5).
    bytes internal constant HALF =
        hex"63cb86776e61d83aa248100d3d5309e6b9c88840e3c87af8d43937a31aa85dadbff86dc70f508c4f6397c9e8b28008deb90d775661566f19502083f832461409d18fad85bbb2ffc5a25a5b7fe499c25b237584e3e7af42c96a07519e4001cf9ada78a5025a8fbdfebc0df268b398b25d475cc8e1626b985ddf1afac95ef7a9257bf46d77e936337e01623cd7c4eb269b9fa21384a1cef33675caaf9f51bea8acfb09ac04fc299a5ae58c09d6ee406682b04f8856354ad6b2c396484a92ded6995e394ac9321490792630ee2d9e1dbc91f2b58b526ce9b9ec390f9251fe078d9898faab0a8b94335e66187ca82a64127399d2f5b40bfbde0b1ccea4631b0e63f2";
    /// @dev g: hash-to-group over N, canonical (docs/accumulator.md §5; pinned by the vectors).
    bytes internal constant GENERATOR =
        hex"03ca6c8d65fe6bf5ac224c513589f5e2941132318d1c8a5d0e9db65a77a120a668e26b3490c95c8057d0071a815e4b976a1025379f8dbea2286b870df1ca9fd0ff4e25d8515ea44a23c223c4641fc2e5cbd79d78ba8e5a2a552bd3444ea213a8ccaba9cd5522f5d8a45b8bf3a3d137e95931944b5e86f70210a8e11aaf2f9b00ec42d86691b87f7fe550a79278d27b1f6836e83190b5f087e649e23ad46cf38bcb740bd366d183c82bc5d220f06e82c6efea556c5b65944535675608a95b9e50f62d6cdb64894a8ab3ace950b880362a9f38a6cab9ef704370883a56b7d1de6fa08a19e652407cfdbd788d4f26ab6cf5c613d9b4de692fcda408fe00ff0735b5";

    /// @dev Transcript and hash domain tags (docs/accumulator.md §1, §4, §6, §7.4).
    bytes internal constant TAG_CHAIN = "debye/accumulator/v1/chain-poe";
    bytes internal constant TAG_EXCLUSION = "debye/accumulator/v1/exclusion";
    bytes internal constant TAG_SPAN = "debye/accumulator/v1/exclusion-span";
    bytes internal constant TAG_CHALLENGE_PRIME = "debye/accumulator/v1/challenge-prime";
    bytes internal constant TAG_DIGEST = "debye/accumulator/v1/digest";

    /// @dev The first 32 primes (2 … 131), one per byte from the most significant: the fixed
    ///      Miller–Rabin bases.
    uint256 internal constant MR_BASES =
        0x020305070b0d1113171d1f25292b2f353b3d4347494f53596165676b6d717f83;

    // ------------------------------------------------------------------------- entry points

    /// @notice The header's 32-byte `accumulator` field for A:
    ///         SHA-256("debye/accumulator/v1/digest" ‖ N ‖ A), A as 256 big-endian bytes
    ///         (docs/accumulator.md §1). A dispute checks its A_a, A_b against headers with this.
    function digest(bytes calldata value) external pure returns (bytes32) {
        return sha256(abi.encodePacked(TAG_DIGEST, MODULUS, value));
    }

    /// @notice Verifies the chain step A_{n−1} → A_n of docs/accumulator.md §6:
    ///         ℓ = H(tag_chain, N, g, A_{n−1}, A_n, commit(P_n)) and Q^ℓ · A_{n−1}^(P_n mod ℓ) = A_n.
    /// @param prev A_{n−1}, 256 bytes, canonical.
    /// @param next A_n, 256 bytes, canonical.
    /// @param primes block n's key primes in key order (`block_keys`), empty for an empty block.
    /// @param proof Q, 256 bytes, canonical.
    /// @param counter the challenge-prime counter ℓ was found at (docs/accumulator.md §4).
    function verifyChainStep(
        bytes calldata prev,
        bytes calldata next,
        uint256[] calldata primes,
        bytes calldata proof,
        uint64 counter
    ) external view {
        bytes memory a = _element(prev, 0);
        bytes memory b = _element(next, 1);
        bytes memory q = _element(proof, 2);
        uint256 l = _challenge(_chainSeed(a, b, primes), counter);
        // §6: the remainder comes from the primes, never from the prover (the §7.1 forgery needs a
        // prover-chosen remainder). A zero factor was rejected by `_commitment`.
        uint256 r = _productMod(primes, l);
        if (!_equal(_mul(_pow(q, l), _pow(a, r)), b)) revert ChainStepInvalid();
    }

    /// @notice Verifies the exclusion proof of docs/accumulator.md §7.4: A_b = A_a^D for the
    ///         committed D (part A) and D·s + v·x = 1 anchored on g (part B), i.e. no prime of
    ///         `excluded` was accumulated in the span (a, b].
    /// @param base A_a, 256 bytes, canonical.
    /// @param result A_b, 256 bytes, canonical.
    /// @param excluded the range's excluded primes in key order (`exclusion_keys`): x is their
    ///        product; only x mod ℓ2 is computed, here, from them.
    /// @param proof z ‖ Q_g1 ‖ Q_u1 ‖ V ‖ z2 ‖ Q_g2 ‖ Q_2 ‖ r1 ‖ r2 (1,856 bytes).
    /// @param counter1 the counter of ℓ1 (span transcript), `counter2` that of ℓ2.
    function verifyExclusion(
        bytes calldata base,
        bytes calldata result,
        uint256[] calldata excluded,
        bytes calldata proof,
        uint64 counter1,
        uint64 counter2
    ) external view {
        if (proof.length != EXCLUSION_PROOF_BYTES) {
            revert BadLength(proof.length, EXCLUSION_PROOF_BYTES);
        }
        bytes memory aa = _element(base, 0);
        bytes memory ab = _element(result, 1);
        bytes memory z = _element(proof[0:256], 2);
        _verifySpanPart(aa, ab, z, proof, counter1);
        _verifyBezoutPart(aa, ab, z, excluded, proof, counter2);
    }

    /// @dev Part A of §7.4 (committed PoKE of D on base A_a, §7.2). ℓ1 binds only the span
    ///      statement and z, so one part A serves every coin of the span.
    function _verifySpanPart(
        bytes memory aa,
        bytes memory ab,
        bytes memory z,
        bytes calldata proof,
        uint64 counter1
    ) internal view {
        uint256 l1 = _challenge(_spanSeed(aa, ab, z), counter1);
        uint256 r1 = uint256(bytes32(proof[1792:1824]));
        if (r1 >= l1) revert ResidueOutOfRange(r1, l1);
        // z = g^D: fixes r1 ≡ D (mod ℓ1) with base g, coefficient 1 (no rational remainder).
        if (!_equal(_mul(_pow(_element(proof[256:512], 3), l1), _pow(GENERATOR, r1)), z)) {
            revert SpanCommitmentInvalid();
        }
        // A_b = A_a^D with the same r1.
        if (!_equal(_mul(_pow(_element(proof[512:768], 4), l1), _pow(aa, r1)), ab)) {
            revert SpanRelationInvalid();
        }
    }

    /// @dev Part B of §7.4: committed PoKE of s for z^s · V^x = g. ℓ2 binds the whole statement
    ///      (A_a, A_b, commit(x)) and z, V, z2; x enters only as x mod ℓ2, computed here.
    function _verifyBezoutPart(
        bytes memory aa,
        bytes memory ab,
        bytes memory z,
        uint256[] calldata excluded,
        bytes calldata proof,
        uint64 counter2
    ) internal view {
        bytes memory v = _element(proof[768:1024], 5);
        uint256 l2;
        {
            bytes memory z2 = _element(proof[1024:1280], 6);
            l2 = _challenge(_exclusionSeed(aa, ab, excluded, z, v, z2), counter2);
            uint256 r2 = uint256(bytes32(proof[1824:1856]));
            if (r2 >= l2) revert ResidueOutOfRange(r2, l2);
            // z2 = g^s: fixes r2 ≡ s (mod ℓ2).
            if (!_equal(_mul(_pow(_element(proof[1280:1536], 7), l2), _pow(GENERATOR, r2)), z2)) {
                revert BezoutCommitmentInvalid();
            }
        }
        // g = z^s · V^x: the relation is anchored on g, whose roots nobody knows (§7.4).
        bytes memory lhs = _mul(
            _pow(_element(proof[1536:1792], 8), l2), _pow(z, uint256(bytes32(proof[1824:1856])))
        );
        if (!_equal(_mul(lhs, _pow(v, _productMod(excluded, l2))), GENERATOR)) {
            revert BezoutRelationInvalid();
        }
    }

    // ------------------------------------------------------------- transcript (§4, §6, §7.4)

    /// @dev Seed of ℓ for a chain step (§6): the whole statement (N, g, A_{n−1}, A_n, commit(P_n)).
    function _chainSeed(bytes memory a, bytes memory b, uint256[] calldata primes)
        internal
        pure
        returns (bytes32)
    {
        return sha256(
            abi.encodePacked(
                _transcriptHead(TAG_CHAIN),
                _absorb("base", a),
                _absorb("result", b),
                _absorb("exponent", abi.encodePacked(_commitment(primes))),
                _absorb("challenge", "l")
            )
        );
    }

    /// @dev Seed of ℓ1 (§7.4 part A): the span statement (N, g, A_a, A_b) and z, nothing coin-specific.
    function _spanSeed(bytes memory aa, bytes memory ab, bytes memory z)
        internal
        pure
        returns (bytes32)
    {
        return sha256(
            abi.encodePacked(
                _transcriptHead(TAG_SPAN),
                _absorb("base", aa),
                _absorb("result", ab),
                _absorb("z", z),
                _absorb("challenge", "l1")
            )
        );
    }

    /// @dev Seed of ℓ2 (§7.4 part B): the whole statement (N, g, A_a, A_b, commit(x)) and z, V, z2.
    function _exclusionSeed(
        bytes memory aa,
        bytes memory ab,
        uint256[] calldata excluded,
        bytes memory z,
        bytes memory v,
        bytes memory z2
    ) internal pure returns (bytes32) {
        bytes memory statement = abi.encodePacked(
            _transcriptHead(TAG_EXCLUSION),
            _absorb("base", aa),
            _absorb("result", ab),
            _absorb("excluded", abi.encodePacked(_commitment(excluded)))
        );
        return sha256(
            abi.encodePacked(
                statement,
                _absorb("z", z),
                _absorb("V", v),
                _absorb("z2", z2),
                _absorb("challenge", "l2")
            )
        );
    }

    /// @dev One transcript item: u64 len(label) ‖ label ‖ u64 len(data) ‖ data (`proof::Transcript`).
    function _absorb(bytes memory label, bytes memory data) internal pure returns (bytes memory) {
        return abi.encodePacked(uint64(label.length), label, uint64(data.length), data);
    }

    /// @dev The items every transcript starts with: its domain tag, N and g (docs/accumulator.md §4:
    ///      binding N and g means no proof replays across moduli or generators).
    function _transcriptHead(bytes memory tag) internal pure returns (bytes memory) {
        return abi.encodePacked(_absorb("tag", tag), _absorb("N", MODULUS), _absorb("g", GENERATOR));
    }

    /// @dev `Factors::commitment`: SHA-256(u64 count ‖ (u64 len ‖ minimal big-endian bytes)*) of
    ///      the ordered factor list. Rejects a zero factor (`ZeroFactor`).
    function _commitment(uint256[] calldata factors) internal pure returns (bytes32) {
        bytes memory buf = new bytes(8 + factors.length * 40);
        uint256 zeroAt = type(uint256).max;
        assembly ("memory-safe") {
            let start := add(buf, 32)
            mstore(start, shl(192, factors.length))
            let p := add(start, 8)
            let end := add(factors.offset, shl(5, factors.length))
            for { let ptr := factors.offset } lt(ptr, end) { ptr := add(ptr, 32) } {
                let f := calldataload(ptr)
                if iszero(f) {
                    zeroAt := shr(5, sub(ptr, factors.offset))
                    break
                }
                // shift f left by its leading zero bytes (lz): t holds its minimal big-endian
                // bytes, left-aligned; its length is 32 − lz
                let lz := 0
                if iszero(shr(128, f)) {
                    lz := 16
                    f := shl(128, f)
                }
                if iszero(shr(192, f)) {
                    lz := add(lz, 8)
                    f := shl(64, f)
                }
                if iszero(shr(224, f)) {
                    lz := add(lz, 4)
                    f := shl(32, f)
                }
                if iszero(shr(240, f)) {
                    lz := add(lz, 2)
                    f := shl(16, f)
                }
                if iszero(shr(248, f)) {
                    lz := add(lz, 1)
                    f := shl(8, f)
                }
                let n := sub(32, lz)
                mstore(p, shl(192, n))
                mstore(add(p, 8), f)
                p := add(p, add(8, n))
            }
            mstore(buf, sub(p, start))
        }
        if (zeroAt != type(uint256).max) revert ZeroFactor(zeroAt);
        return sha256(buf);
    }

    /// @dev ∏ factors mod m with native MULMOD (m is a 256-bit challenge prime; the factors are
    ///      below 2^256, so no factor needs reducing first).
    function _productMod(uint256[] calldata factors, uint256 m)
        internal
        pure
        returns (uint256 acc)
    {
        assembly ("memory-safe") {
            acc := 1
            let end := add(factors.offset, shl(5, factors.length))
            for { let ptr := factors.offset } lt(ptr, end) { ptr := add(ptr, 32) } {
                acc := mulmod(acc, calldataload(ptr), m)
            }
        }
    }

    /// @dev The challenge prime of docs/accumulator.md §4: candidate = SHA-256("…/challenge-prime"
    ///      ‖ seed ‖ u64 counter) with bits 255 and 0 set (set here, so every accepted ℓ is exactly
    ///      256 bits and odd: disjoint from the slice primes, which are below 2^178), accepted iff it
    ///      passes `_isProbablePrime`.
    ///      The honest prover (Rust, BPSW) sends the first passing counter; this contract accepts
    ///      any passing counter. That is still sound: each counter is one random-oracle query that
    ///      yields one ℓ the prover cannot steer, so choosing among counters gives a cheating prover
    ///      nothing it could not get by re-randomizing its commitments (a fresh transcript per
    ///      try): the adaptive-root / PoKE bounds (§6, §7.2) already charge per hash query, and
    ///      the statement and commitments are fixed before any ℓ is seen. What matters is that ℓ
    ///      is a prime hashed after the commitments, not that it is the first one.
    function _challenge(bytes32 seed, uint64 counter) internal view returns (uint256 l) {
        l = _candidate(seed, counter);
        if (!_isProbablePrime(l)) revert ChallengeNotPrime(counter);
    }

    /// @dev SHA-256("debye/accumulator/v1/challenge-prime" ‖ seed ‖ u64 counter) | 2^255 | 1.
    function _candidate(bytes32 seed, uint64 counter) internal pure returns (uint256) {
        return
            uint256(sha256(abi.encodePacked(TAG_CHALLENGE_PRIME, seed, counter))) | (1 << 255) | 1;
    }

    /// @dev Miller–Rabin with the 32 fixed bases 2 … 131 on an odd n ≥ 2^255, one 32-byte MODEXP
    ///      per base plus native MULMOD squarings. Never rejects a prime, so an honest ℓ (which the
    ///      prover found with BPSW) always passes. Error bound: for a random odd 256-bit composite
    ///      and t = 32 independent random bases the probability of being accepted is below
    ///      2^-148 (Damgård, Landrock, Pomerance 1993, bound (iii) with k = 256, t = 32: 2^-153.5
    ///      + 2^-164.8 + 2^-148.4). Here the bases are fixed and the candidate is a SHA-256 output
    ///      the prover cannot choose, so the bound applies heuristically per hash query; an
    ///      adversary making 2^80 queries finds an accepted composite with probability < 2^-68.
    ///      (Fixed bases are only weak against composites crafted to pass them, which a hash
    ///      output is not.)
    function _isProbablePrime(uint256 n) internal view returns (bool) {
        uint256 nMinus1 = n - 1;
        uint256 d = nMinus1;
        uint256 s = 0;
        while (d & 1 == 0) {
            d >>= 1;
            ++s;
        }
        for (uint256 i = 0; i < MILLER_RABIN_ROUNDS; ++i) {
            uint256 x = _modexp256((MR_BASES >> (8 * (31 - i))) & 0xff, d, n);
            if (x == 1 || x == nMinus1) continue;
            bool witnessFails = false;
            for (uint256 j = 1; j < s; ++j) {
                x = mulmod(x, x, n);
                if (x == nMinus1) {
                    witnessFails = true;
                    break;
                }
            }
            if (!witnessFails) return false;
        }
        return true;
    }

    /// @dev b^e mod m for 256-bit operands: one 32-byte MODEXP.
    function _modexp256(uint256 b, uint256 e, uint256 m) internal view returns (uint256 r) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 32)
            mstore(add(p, 0x20), 32)
            mstore(add(p, 0x40), 32)
            mstore(add(p, 0x60), b)
            mstore(add(p, 0x80), e)
            mstore(add(p, 0xa0), m)
            ok := staticcall(gas(), 0x05, p, 0xc0, p, 0x20)
            r := mload(p)
        }
        if (!ok) revert ModexpFailed();
    }

    // -------------------------------------------------------------- the group Z_N*/{±1} (§5)

    /// @dev Copies an input element to memory after the §5 checks: exactly 256 bytes and
    ///      1 ≤ x ≤ (N−1)/2. The third decoding rule of §5, gcd(x, N) = 1, is not checked
    ///      (a 2048-bit gcd is too dear on L1) and is not needed for soundness: an x sharing a
    ///      factor with N would reveal that factor (gcd(x, N)), so producing one is factoring N,
    ///      which the trust assumption of §5 already excludes; every relation checked here then
    ///      holds between units, exactly as off-chain.
    function _element(bytes calldata raw, uint256 which) internal pure returns (bytes memory x) {
        if (raw.length != ELEMENT_BYTES) revert BadLength(raw.length, ELEMENT_BYTES);
        x = raw;
        if (_isZero(x) || _cmp(x, HALF) > 0) revert NotCanonical(which);
    }

    /// @dev base^e mod N (e < 2^256, one MODEXP with a 32-byte exponent) as its canonical
    ///      representative. Input: 96-byte header ‖ base ‖ e ‖ N, built in scratch memory.
    function _pow(bytes memory base, uint256 e) internal view returns (bytes memory out) {
        bool ok;
        assembly ("memory-safe") {
            out := mload(0x40)
            mstore(out, 256)
            let p := add(out, 288)
            mstore(0x40, p)
            mstore(p, 256)
            mstore(add(p, 0x20), 32)
            mstore(add(p, 0x40), 256)
            mcopy(add(p, 0x60), add(base, 0x20), 256)
            mstore(add(p, 0x160), e)
            let n := add(p, 0x180)
            mstore(n, N0)
            mstore(add(n, 0x20), N1)
            mstore(add(n, 0x40), N2)
            mstore(add(n, 0x60), N3)
            mstore(add(n, 0x80), N4)
            mstore(add(n, 0xa0), N5)
            mstore(add(n, 0xc0), N6)
            mstore(add(n, 0xe0), N7)
            ok := staticcall(gas(), 0x05, p, 0x280, add(out, 0x20), 256)
        }
        if (!ok) revert ModexpFailed();
        _canonicalize(out);
    }

    /// @dev ab in Z_N*/{±1} for canonical a, b: 4ab = (a+b)^2 − (a−b)^2 mod N. Since
    ///      a, b ≤ (N−1)/2, a + b ≤ N − 1 needs no reduction and |a − b| < N/2; the two squares are
    ///      MODEXP calls with the one-byte exponent 2 (input: header ‖ base ‖ 0x02 ‖ N); the
    ///      division by 4 is two halvings mod N (N odd). All limb arithmetic in scratch memory.
    function _mul(bytes memory a, bytes memory b) internal view returns (bytes memory out) {
        bool ok;
        assembly ("memory-safe") {
            // dst = x + y mod 2^2048 (eight big-endian limbs), returns the carry out
            function add2048(dst, x, y) -> carry {
                for { let i := 256 } i {} {
                    i := sub(i, 32)
                    let u := mload(add(x, i))
                    let s1 := add(u, mload(add(y, i)))
                    let s := add(s1, carry)
                    carry := or(lt(s1, u), lt(s, s1))
                    mstore(add(dst, i), s)
                }
            }
            // dst = x − y mod 2^2048, returns the borrow out
            function sub2048(dst, x, y) -> borrow {
                for { let i := 256 } i {} {
                    i := sub(i, 32)
                    let u := mload(add(x, i))
                    let w := mload(add(y, i))
                    let d1 := sub(u, w)
                    let d := sub(d1, borrow)
                    borrow := or(lt(u, w), lt(d1, borrow))
                    mstore(add(dst, i), d)
                }
            }
            // x < y
            function lt2048(x, y) -> r {
                for { let i := 0 } lt(i, 256) { i := add(i, 32) } {
                    let u := mload(add(x, i))
                    let w := mload(add(y, i))
                    if lt(u, w) {
                        r := 1
                        break
                    }
                    if gt(u, w) { break }
                }
            }
            // x = x / 2 mod N in place, x < N: (x + N)/2 if x is odd (the carry is bit 2048)
            function half(x, n) {
                let top := 0
                if and(mload(add(x, 224)), 1) { top := add2048(x, x, n) }
                for { let i := 0 } lt(i, 256) { i := add(i, 32) } {
                    let limb := mload(add(x, i))
                    mstore(add(x, i), or(shl(255, top), shr(1, limb)))
                    top := and(limb, 1)
                }
            }

            out := mload(0x40)
            mstore(out, 256)
            let p := add(out, 288)
            mstore(0x40, p)
            // scratch: p: MODEXP input (609 bytes); s1, s2: the squares; n: N (aligned copy)
            let s1 := add(p, 0x280)
            let s2 := add(s1, 0x100)
            let n := add(s2, 0x100)
            mstore(n, N0)
            mstore(add(n, 0x20), N1)
            mstore(add(n, 0x40), N2)
            mstore(add(n, 0x60), N3)
            mstore(add(n, 0x80), N4)
            mstore(add(n, 0xa0), N5)
            mstore(add(n, 0xc0), N6)
            mstore(add(n, 0xe0), N7)
            mstore(p, 256)
            mstore(add(p, 0x20), 1)
            mstore(add(p, 0x40), 256)
            mcopy(add(p, 0x161), n, 256) // N after the exponent byte
            mstore8(add(p, 0x160), 2)
            let base := add(p, 0x60)
            let x := add(a, 0x20)
            let y := add(b, 0x20)
            pop(add2048(base, x, y))
            ok := staticcall(gas(), 0x05, p, 0x261, s1, 256)
            switch lt2048(x, y)
            case 0 { pop(sub2048(base, x, y)) }
            default { pop(sub2048(base, y, x)) }
            ok := and(ok, staticcall(gas(), 0x05, p, 0x261, s2, 256))
            // s1 − s2 mod N: on a borrow the wrapped difference plus N is the true value
            if sub2048(s1, s1, s2) { pop(add2048(s1, s1, n)) }
            half(s1, n)
            half(s1, n)
            mcopy(add(out, 0x20), s1, 256)
        }
        if (!ok) revert ModexpFailed();
        _canonicalize(out);
    }

    /// @dev x := min(x, N − x) in place, for 0 ≤ x < N: the canonical representative (§5). With N
    ///      odd, x ≤ (N−1)/2 exactly when x < N − x.
    function _canonicalize(bytes memory x) internal pure {
        assembly ("memory-safe") {
            let t := mload(0x40) // scratch: N − x
            let xs := add(x, 0x20)
            let borrow := 0
            for { let i := 256 } i {} {
                i := sub(i, 32)
                let nl := 0
                switch shr(5, i)
                case 0 { nl := N0 }
                case 1 { nl := N1 }
                case 2 { nl := N2 }
                case 3 { nl := N3 }
                case 4 { nl := N4 }
                case 5 { nl := N5 }
                case 6 { nl := N6 }
                default { nl := N7 }
                let w := mload(add(xs, i))
                let d1 := sub(nl, w)
                let d := sub(d1, borrow)
                borrow := or(lt(nl, w), lt(d1, borrow))
                mstore(add(t, i), d)
            }
            // N − x < x ?
            for { let i := 0 } lt(i, 256) { i := add(i, 32) } {
                let u := mload(add(t, i))
                let w := mload(add(xs, i))
                if lt(u, w) {
                    mcopy(xs, t, 256)
                    break
                }
                if gt(u, w) { break }
            }
        }
    }

    /// @dev x = y, both 256 bytes.
    function _equal(bytes memory x, bytes memory y) internal pure returns (bool) {
        return keccak256(x) == keccak256(y);
    }

    /// @dev x = 0.
    function _isZero(bytes memory x) internal pure returns (bool z) {
        assembly ("memory-safe") {
            let acc := 0
            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                acc := or(acc, mload(add(x, add(32, shl(5, i)))))
            }
            z := iszero(acc)
        }
    }

    /// @dev Compares two 256-byte big-endian numbers: −1, 0, 1.
    function _cmp(bytes memory x, bytes memory y) internal pure returns (int256 c) {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                let off := add(32, shl(5, i))
                let a := mload(add(x, off))
                let b := mload(add(y, off))
                if lt(a, b) {
                    c := not(0)
                    break
                }
                if gt(a, b) {
                    c := 1
                    break
                }
            }
        }
    }
}
