// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";

/// @dev External wrappers so reverts can be caught.
contract PrimePropsHarness {
    function validate(PrimeLib.Transaction calldata t) external pure returns (address[] memory) {
        return PrimeLib.validate(t);
    }

    function verifyInclusion(
        bytes32 root,
        PrimeLib.Segment calldata s,
        bytes32 id,
        PrimeLib.SumProof calldata p
    ) external pure {
        PrimeLib.verifyInclusion(root, s, id, p);
    }

    function verifyExclusion(
        bytes32 root,
        PrimeLib.Segment calldata s,
        PrimeLib.SumProof calldata p
    ) external pure {
        PrimeLib.verifyExclusion(root, s, p);
    }
}

/// @dev Property tests of PrimeLib on random inputs, mirroring the Rust proptests
///      (crates/primitives/tests/it/props.rs): random splits and merges of a coin range are
///      valid, breaking the coin accounting is not; random sum trees built here give proofs that
///      verify, and tampered ones do not.
contract PrimePropsTest is Test {
    PrimePropsHarness internal h;
    address internal constant ALICE = address(0xA11CE);
    address internal constant BOB = address(0xB0B);

    function setUp() public {
        h = new PrimePropsHarness();
    }

    /// @dev Sorted distinct cut points in (0, total), at most `max` of them, from `seed`.
    function _cuts(uint256 seed, uint256 max, uint256 total)
        internal
        pure
        returns (uint256[] memory b)
    {
        uint256 n = seed % (max + 1);
        b = new uint256[](n + 2);
        b[0] = 0;
        uint256 k = 1;
        for (uint256 i = 0; i < n; i++) {
            uint256 c = 1 + uint256(keccak256(abi.encode(seed, i))) % (total - 1);
            // insert if new, keeping b[1..k) sorted
            bool dup;
            uint256 j = k;
            for (uint256 m = 1; m < k; m++) {
                if (b[m] == c) dup = true;
            }
            if (dup) continue;
            while (j > 1 && b[j - 1] > c) {
                b[j] = b[j - 1];
                j--;
            }
            b[j] = c;
            k++;
        }
        b[k] = total;
        assembly ("memory-safe") {
            mstore(b, add(k, 1))
        }
    }

    function _tx(uint256 seedIn, uint256 seedOut, uint256 base)
        internal
        pure
        returns (PrimeLib.Transaction memory t)
    {
        uint256[] memory bi = _cuts(seedIn, 15, 1000);
        uint256[] memory bo = _cuts(seedOut, 15, 1000);
        t.inputs = new PrimeLib.Input[](bi.length - 1);
        for (uint256 i = 0; i + 1 < bi.length; i++) {
            // casting is safe because i < bi.length <= 17 fits every target width
            t.inputs[i] = PrimeLib.Input(
                i % 2 == 0 ? ALICE : BOB,
                // forge-lint: disable-next-line(unsafe-typecast)
                uint64(i + 1),
                // forge-lint: disable-next-line(unsafe-typecast)
                uint32(i),
                // forge-lint: disable-next-line(unsafe-typecast)
                uint8(i % 16),
                PrimeLib.Segment(base + bi[i], base + bi[i + 1])
            );
        }
        uint256 nOut = bo.length - 1;
        t.outputs = new PrimeLib.Output[](nOut);
        uint256 rot = seedOut % nOut;
        for (uint256 i = 0; i < nOut; i++) {
            uint256 k = (i + rot) % nOut; // outputs in rotated order
            t.outputs[i] = PrimeLib.Output(BOB, PrimeLib.Segment(base + bo[k], base + bo[k + 1]));
        }
        t.maxBlockIndex = 10;
    }

    function testFuzz_randomSplitsAndMergesAreValid(uint256 seedIn, uint256 seedOut, uint32 token)
        public
        view
    {
        PrimeLib.Transaction memory t = _tx(seedIn, seedOut, uint256(token) << 128);
        address[] memory owners = h.validate(t);
        assertEq(owners[0], ALICE);
        assertEq(owners.length, t.inputs.length > 1 ? 2 : 1);
    }

    function testFuzz_brokenAccountingIsInvalid(
        uint256 seedIn,
        uint256 seedOut,
        uint256 pick,
        uint8 how
    ) public {
        PrimeLib.Transaction memory t = _tx(seedIn, seedOut, 0);
        PrimeLib.Output memory o = t.outputs[pick % t.outputs.length];
        how = how % 4;
        if (how == 1 && o.segment.end - o.segment.start == 1) how = 0;
        if (how == 0) {
            o.segment.end += 1; // creates a coin, or overlaps the next output
        } else if (how == 1) {
            o.segment.start += 1; // drops a coin
        } else if (how == 2) {
            // same offsets, next token: the coins are not the spent ones
            o.segment.start += 1 << 128;
            o.segment.end += 1 << 128;
        } else {
            o.owner = address(0);
        }
        vm.expectRevert();
        h.validate(t);
    }

    /// @dev A random tiling of [0, 2^160) into `n` leaves, a few of them gaps.
    function _leaves(uint256 seed, uint256 n)
        internal
        pure
        returns (uint256[] memory lens, bytes32[] memory hashes, uint256[] memory starts)
    {
        lens = new uint256[](n);
        hashes = new bytes32[](n);
        starts = new uint256[](n);
        uint256 rest = PrimeLib.COIN_SPACE_END;
        for (uint256 i = 0; i < n; i++) {
            starts[i] = PrimeLib.COIN_SPACE_END - rest;
            if (i + 1 == n) {
                lens[i] = rest;
            } else {
                uint256 r = uint256(keccak256(abi.encode(seed, i)));
                // at most `cap`, leaving at least 1 for each remaining leaf
                uint256 cap = rest - (n - i - 1);
                uint256 m = r % 3 == 0 ? cap : (cap < 1000 ? cap : 1000);
                lens[i] = 1 + r % m;
            }
            rest -= lens[i];
            hashes[i] = (i % 3 == 1) ? bytes32(0) : keccak256(abi.encode("tx", seed, i));
        }
    }

    /// @dev Builds the tree pairwise with the odd node promoted and returns the proof of `idx`.
    function _prove(uint256[] memory lens, bytes32[] memory hashes, uint256 idx)
        internal
        pure
        returns (bytes32 root, PrimeLib.SumProof memory p)
    {
        uint256 n = lens.length;
        uint256[] memory l = new uint256[](n);
        bytes32[] memory hs = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            (l[i], hs[i]) = (lens[i], hashes[i]);
        }
        p.leafLength = lens[idx];
        p.siblings = new PrimeLib.ProofNode[](64);
        uint256 depth;
        while (n > 1) {
            uint256 sib = idx ^ 1;
            if (sib < n) {
                // casting to 'uint64' is safe because depth < 64 (the proof's sibling bound)
                // forge-lint: disable-next-line(unsafe-typecast,incorrect-shift)
                if (idx & 1 == 1) p.path |= uint64(1 << depth);
                p.siblings[depth++] = PrimeLib.ProofNode(l[sib], hs[sib]);
            }
            uint256 m = 0;
            for (uint256 i = 0; i < n; i += 2) {
                if (i + 1 < n) {
                    hs[m] = keccak256(abi.encode(l[i], hs[i], l[i + 1], hs[i + 1]));
                    l[m] = l[i] + l[i + 1];
                } else {
                    (l[m], hs[m]) = (l[i], hs[i]);
                }
                m++;
            }
            n = m;
            idx >>= 1;
        }
        PrimeLib.ProofNode[] memory s = p.siblings;
        assembly ("memory-safe") {
            mstore(s, depth)
        }
        root = hs[0];
    }

    function _verifies(
        bool inclusion,
        bytes32 root,
        PrimeLib.Segment memory s,
        bytes32 id,
        PrimeLib.SumProof memory p
    ) internal view returns (bool) {
        if (inclusion) {
            try h.verifyInclusion(root, s, id, p) {
                return true;
            } catch {
                return false;
            }
        }
        try h.verifyExclusion(root, s, p) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The part of leaf `idx` inside its first token.
    function _leafSegment(uint256[] memory starts, uint256[] memory lens, uint256 idx)
        internal
        pure
        returns (PrimeLib.Segment memory)
    {
        uint256 start = starts[idx];
        uint256 tokenEnd = ((start >> 128) + 1) << 128;
        uint256 end = start + lens[idx];
        return PrimeLib.Segment(start, end < tokenEnd ? end : tokenEnd);
    }

    function testFuzz_randomTreeProofs(uint256 seed, uint8 nLeaves, uint256 pick, uint256 tamper)
        public
        view
    {
        uint256 n = 1 + uint256(nLeaves) % 40;
        (uint256[] memory lens, bytes32[] memory hashes, uint256[] memory starts) = _leaves(seed, n);
        uint256 idx = pick % n;
        (bytes32 root, PrimeLib.SumProof memory p) = _prove(lens, hashes, idx);
        PrimeLib.Segment memory s = _leafSegment(starts, lens, idx);
        bool inclusion = hashes[idx] != bytes32(0);
        assertTrue(_verifies(inclusion, root, s, hashes[idx], p), "valid proof rejected");

        // Tamper with one thing; the proof must then fail.
        uint256 what = tamper % 4;
        if (what == 0) {
            p.leafLength += 1;
        } else if (what == 1 && p.siblings.length > 0) {
            p.siblings[tamper % p.siblings.length].hash ^= bytes32(uint256(1));
        } else if (what == 2 && p.siblings.length > 0) {
            p.siblings[tamper % p.siblings.length].length -= 1;
        } else if (s.start > 0) {
            s.start -= 1; // reaches into the previous leaf
        } else if (idx + 1 < n && s.end == starts[idx] + lens[idx]) {
            s.end += 1; // reaches into the next leaf
        } else {
            return; // a single leaf spanning the whole space: nothing to reach into
        }
        assertFalse(_verifies(inclusion, root, s, hashes[idx], p), "tampered proof verified");
    }
}
