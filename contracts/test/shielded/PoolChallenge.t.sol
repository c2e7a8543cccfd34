// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Types} from "../../src/lib/Types.sol";
import {IShieldedPool} from "../../src/interfaces/IShieldedPool.sol";
import {EntryTree} from "../../src/shielded/EntryTree.sol";
import {PoolBase} from "./PoolBase.sol";

/// @dev `EntryTree.verify` through an external frame (calldata siblings).
contract EntryTreeHarness {
    function verify(
        bytes32 leaf,
        uint256 index,
        bytes32[] calldata siblings,
        uint256 count,
        bytes32 root
    ) external pure returns (bool) {
        return EntryTree.verify(leaf, index, siblings, count, root);
    }
}

/// @dev `challengeSpent` (docs/shielded.md S-5.8, S-5.9) with the fixture's TRANSFER proof, which
///      spends the note the fixture's EXIT proof exits; entry leaves (S-3.5) and the entries tree
///      (S-3.7) cross-checked against test-vectors/primitives/shielded_entries.json (wt-hdr).
contract PoolChallengeTest is PoolBase {
    Types.BlockHeader internal h1;
    bytes internal ct0;
    bytes internal ct1;
    address internal challenger = makeAddr("challenger");

    function setUp() public {
        _deployPool();
        h1 = _depositAndCommitRoot();
        ct0 = vm.parseJsonBytes(fx, ".transfer.ciphertexts[0]");
        ct1 = vm.parseJsonBytes(fx, ".transfer.ciphertexts[1]");
    }

    // ----- building blocks -----

    function _transfer()
        internal
        view
        returns (IShieldedPool.EntryHead memory head, IShieldedPool.TransferBody memory body)
    {
        uint256[8] memory input = _words(".transfer.public_inputs");
        body.rootBlock = 1;
        body.root = input[0];
        body.publicAmount = input[5];
        body.token = input[6];
        body.extDataHash = input[7];
        body.proof = _words(".transfer.proof");
        body.ext = _ext("transfer");
        head = _head(body, input);
    }

    function _head(IShieldedPool.TransferBody memory body, uint256[8] memory input)
        internal
        view
        returns (IShieldedPool.EntryHead memory head)
    {
        head.kind = 2;
        head.firstLeaf = 4; // entry 1 of block 2 (S-3.2)
        head.nullifier0 = input[1];
        head.nullifier1 = input[2];
        head.commitment0 = input[3];
        head.commitment1 = input[4];
        head.bodyHash = keccak256(abi.encode(pool.BODY_TAG(), body));
    }

    function _node(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), l, r));
    }

    /// @dev Block 2 with three entries [filler, `head`, filler] (depth 2); the inclusion of
    ///      entry 1. `exitCursor` as given.
    function _blockWith(IShieldedPool.EntryHead memory head, uint32 exitCursor)
        internal
        returns (Types.BlockHeader memory h, IShieldedPool.Inclusion memory inc)
    {
        bytes32 a = keccak256("filler a");
        bytes32 c = keccak256("filler c");
        bytes32 leaf = pool.entryLeaf(head);
        bytes32 root = _node(_node(a, leaf), _node(c, bytes32(0)));
        h = _header(bytes32(uint256(0xabc)), 8, root, 3, 1, exitCursor);
        _submit(h);
        inc.index = 1;
        inc.siblings = new bytes32[](2);
        inc.siblings[0] = a;
        inc.siblings[1] = _node(c, bytes32(0));
    }

    function _startFixtureExit() internal returns (IShieldedPool.ExitRecord memory r) {
        IShieldedPool.ExitRequest memory x = _exitRequest();
        r = _record(x, h1, alice, block.timestamp);
        _started(r);
        uint256 bond = pool.exitBond();
        vm.prank(alice);
        pool.startExit{value: bond}(x, h1);
    }

    function _challenge(
        IShieldedPool.ExitRecord memory r,
        IShieldedPool.EntryHead memory head,
        IShieldedPool.TransferBody memory body,
        IShieldedPool.Inclusion memory inc,
        Types.BlockHeader memory h,
        bytes memory err
    ) internal {
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(challenger);
        pool.challengeSpent(0, r, head, body, inc, h, h1, ct0, ct1);
    }

    // ----- an exit of a spent note is cancelled -----

    function test_challengeSpent_cancelsExitOfSpentNote() public {
        vm.warp(T0 + 30 minutes);
        (IShieldedPool.EntryHead memory head, IShieldedPool.TransferBody memory body) = _transfer();
        (Types.BlockHeader memory h2, IShieldedPool.Inclusion memory inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        IShieldedPool.ExitRecord memory r = _startFixtureExit();
        vm.expectEmit(address(pool));
        emit IShieldedPool.ExitChallenged(0, challenger, 2, head, ct0, ct1);
        _challenge(r, head, body, inc, h2, "");
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Cancelled));
        // S-5.9: the bond is claimable once time(n) + T has passed.
        vm.expectRevert(
            abi.encodeWithSelector(
                IShieldedPool.RewardNotYetClaimable.selector, h2.timestamp + 7 days
            )
        );
        pool.claimChallengeReward(0);
        vm.warp(h2.timestamp + 7 days);
        pool.claimChallengeReward(0);
        assertEq(pool.creditOf(address(0), challenger), pool.exitBond());
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.NoReward.selector, 0));
        pool.claimChallengeReward(0);
        // A second challenge finds nothing pending; the queue drops the exit without a record.
        _challenge(
            r, head, body, inc, h2, abi.encodeWithSelector(IShieldedPool.ExitNotPending.selector, 0)
        );
        vm.warp(r.exitableAt);
        // §9 Q1: an exit cancelled before it was queued never enters the heap.
        pool.queueExits(new IShieldedPool.ExitRecord[](0));
        assertEq(pool.exitsQueued(), 1);
        assertEq(pool.queueLength(address(0)), 0);
        assertEq(pool.processExits(address(0), new IShieldedPool.ExitRecord[](0)), 0);
        assertEq(pool.paid(address(0)), 0);
        assertFalse(pool.paidNullifier(r.nullifier0));
    }

    function test_gas_challengeSpent() public {
        vm.warp(T0 + 30 minutes);
        (IShieldedPool.EntryHead memory head, IShieldedPool.TransferBody memory body) = _transfer();
        (Types.BlockHeader memory h2, IShieldedPool.Inclusion memory inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        IShieldedPool.ExitRecord memory r = _startFixtureExit();
        _challenge(r, head, body, inc, h2, "");
        emit log_named_uint("challengeSpent transaction gas", vm.lastCallGas().gasTotalUsed);
        assertLe(vm.lastCallGas().gasTotalUsed, 450_000);
    }

    // ----- what cannot cancel an honest exit (the note is not spent in any valid entry) -----

    function test_challengeSpent_forgedProofInABlock() public {
        vm.warp(T0 + 30 minutes);
        (IShieldedPool.EntryHead memory head, IShieldedPool.TransferBody memory body) = _transfer();
        body.proof[0] ^= 1; // the operator includes an entry whose proof does not verify
        head.bodyHash = keccak256(abi.encode(pool.BODY_TAG(), body));
        (Types.BlockHeader memory h2, IShieldedPool.Inclusion memory inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        IShieldedPool.ExitRecord memory r = _startFixtureExit();
        _challenge(
            r, head, body, inc, h2, abi.encodeWithSelector(IShieldedPool.InvalidProof.selector)
        );
        // Block 3, which imported the exit, holds a spend (its output tampered): that is fraud F5
        // (a later issue), never a challenge.
        (head, body) = _transfer();
        head.commitment1 = 5;
        vm.warp(T0 + 90 minutes);
        Types.BlockHeader memory h3;
        (h3, inc) = _blockWith(head, 1);
        _challenge(
            r,
            head,
            body,
            inc,
            h3,
            abi.encodeWithSelector(IShieldedPool.SpendAfterImport.selector, 0)
        );
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
    }

    function test_challengeSpent_replayedExitProof() public {
        vm.warp(T0 + 30 minutes);
        // The exit's own proof and ext, posted as a TRANSFER entry (S-3.1, S-8.2).
        uint256[8] memory input = _words(".exit.public_inputs");
        IShieldedPool.TransferBody memory body;
        body.rootBlock = 1;
        body.root = input[0];
        body.publicAmount = input[5];
        body.token = input[6];
        body.extDataHash = input[7];
        body.proof = _words(".exit.proof");
        body.ext = _ext("exit");
        IShieldedPool.EntryHead memory head = _head(body, input);
        IShieldedPool.TransferBody memory zeroed = body;
        IShieldedPool.EntryHead memory head2;
        (Types.BlockHeader memory h2, IShieldedPool.Inclusion memory inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        IShieldedPool.ExitRecord memory r = _startFixtureExit();
        _challenge(
            r,
            head,
            body,
            inc,
            h2,
            abi.encodeWithSelector(IShieldedPool.NonZeroPublicAmount.selector)
        );
        // With publicAmount 0 the kind is still EXIT.
        zeroed.publicAmount = 0;
        head2 = _head(zeroed, input);
        head2.firstLeaf = 4;
        vm.warp(T0 + 70 minutes);
        (Types.BlockHeader memory h3, IShieldedPool.Inclusion memory inc3) = _blockWith(head2, 0);
        _challenge(
            r, head2, zeroed, inc3, h3, abi.encodeWithSelector(IShieldedPool.WrongKind.selector, 3)
        );
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
    }

    /// @dev A "spend" that mints from dummy inputs (S-3.1: `publicAmount > 0` on L2 would be an
    ///      unsigned mint): a TRANSFER head spending the exit's nullifier, committed in a block,
    ///      included, its body hashed: refused before any proof is read, the exit stays pending.
    function test_challengeSpent_dummyOnlyMint() public {
        vm.warp(T0 + 30 minutes);
        (IShieldedPool.EntryHead memory head, IShieldedPool.TransferBody memory body) = _transfer();
        body.publicAmount = 1000; // value from nowhere
        head.bodyHash = keccak256(abi.encode(pool.BODY_TAG(), body));
        (Types.BlockHeader memory h2, IShieldedPool.Inclusion memory inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        IShieldedPool.ExitRecord memory r = _startFixtureExit();
        _challenge(
            r,
            head,
            body,
            inc,
            h2,
            abi.encodeWithSelector(IShieldedPool.NonZeroPublicAmount.selector)
        );
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
        assertEq(pool.creditOf(address(0), challenger), 0);
    }

    /// @dev Block 2 holds the fixture's transfer; the exit starts after it (not imported).
    function _spentScenario()
        internal
        returns (
            IShieldedPool.ExitRecord memory r,
            IShieldedPool.EntryHead memory head,
            IShieldedPool.TransferBody memory body,
            IShieldedPool.Inclusion memory inc,
            Types.BlockHeader memory h2
        )
    {
        vm.warp(T0 + 30 minutes);
        (head, body) = _transfer();
        (h2, inc) = _blockWith(head, 0);
        vm.warp(T0 + 1 hours);
        r = _startFixtureExit();
    }

    function test_challengeSpent_badInclusion() public {
        (
            IShieldedPool.ExitRecord memory r,
            IShieldedPool.EntryHead memory head,
            IShieldedPool.TransferBody memory body,
            IShieldedPool.Inclusion memory inc,
            Types.BlockHeader memory h2
        ) = _spentScenario();
        bytes memory bad = abi.encodeWithSelector(IShieldedPool.BadInclusion.selector);
        // Wrong index, wrong sibling, missing sibling, index past the count.
        inc.index = 0;
        _challenge(r, head, body, inc, h2, bad);
        inc.index = 5;
        _challenge(r, head, body, inc, h2, bad);
        inc.index = 1;
        bytes32 sib = inc.siblings[0];
        inc.siblings[0] = bytes32(uint256(1));
        _challenge(r, head, body, inc, h2, bad);
        inc.siblings = new bytes32[](1);
        inc.siblings[0] = sib;
        _challenge(r, head, body, inc, h2, bad);
        // A body the head does not commit to.
        (, inc) = _blockWithoutSubmit(head);
        body.ext.nonce = bytes32(0);
        _challenge(r, head, body, inc, h2, bad);
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
    }

    function test_challengeSpent_uncommittedHeader() public {
        (
            IShieldedPool.ExitRecord memory r,
            IShieldedPool.EntryHead memory head,
            IShieldedPool.TransferBody memory body,
            IShieldedPool.Inclusion memory inc,
            Types.BlockHeader memory h2
        ) = _spentScenario();
        // Block 3 carrying the entry, never submitted.
        Types.BlockHeader memory h3 = _header(bytes32(uint256(1)), 8, h2.entriesRoot, 3, 1, 0);
        _challenge(
            r, head, body, inc, h3, abi.encodeWithSelector(IShieldedPool.UnknownHeader.selector, 3)
        );
        // Block 2 rewritten to hold only the entry.
        h2.entriesRoot = pool.entryLeaf(head);
        h2.entryCount = 1;
        inc.index = 0;
        inc.siblings = new bytes32[](0);
        _challenge(
            r, head, body, inc, h2, abi.encodeWithSelector(IShieldedPool.UnknownHeader.selector, 2)
        );
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
    }

    function test_challengeSpent_rootBlockAndCiphertexts() public {
        (
            IShieldedPool.ExitRecord memory r,
            IShieldedPool.EntryHead memory head,
            IShieldedPool.TransferBody memory body,
            IShieldedPool.Inclusion memory inc,
            Types.BlockHeader memory h2
        ) = _spentScenario();
        // Swapped ciphertexts.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadCiphertextHash.selector));
        pool.challengeSpent(0, r, head, body, inc, h2, h1, ct1, ct0);
        // The wrong root header.
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadRootBlock.selector, 1));
        pool.challengeSpent(0, r, head, body, inc, h2, h2, ct0, ct1);
        // An entry naming its own block as rootBlock (F3: rootBlock < n).
        vm.warp(T0 + 70 minutes);
        body.rootBlock = 3;
        head.bodyHash = keccak256(abi.encode(pool.BODY_TAG(), body));
        Types.BlockHeader memory h3;
        (h3, inc) = _blockWith(head, 0);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadRootBlock.selector, 3));
        pool.challengeSpent(0, r, head, body, inc, h3, h3, ct0, ct1);
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Pending));
    }

    /// @dev The inclusion `_blockWith` would build, without submitting a block.
    function _blockWithoutSubmit(IShieldedPool.EntryHead memory head)
        internal
        view
        returns (bytes32 root, IShieldedPool.Inclusion memory inc)
    {
        bytes32 a = keccak256("filler a");
        bytes32 c = keccak256("filler c");
        root = _node(_node(a, pool.entryLeaf(head)), _node(c, bytes32(0)));
        inc.index = 1;
        inc.siblings = new bytes32[](2);
        inc.siblings[0] = a;
        inc.siblings[1] = _node(c, bytes32(0));
    }

    // ----- cross-check with test-vectors/primitives/shielded_entries.json (wt-hdr) -----

    function test_vectors_entryLeavesBodiesAndExtData() public view {
        string memory v = vm.readFile("../test-vectors/primitives/shielded_entries.json");
        assertEq(vm.parseJsonBytes32(v, ".constants.bodyTag"), pool.BODY_TAG());
        assertEq(vm.parseJsonBytes32(v, ".constants.extTag"), pool.EXT_TAG());
        assertEq(vm.parseJsonUint(v, ".constants.bn254R"), pool.R());
        for (uint256 i = 0; i < 4; i++) {
            string memory e = string.concat(".entries[", vm.toString(i), "]");
            IShieldedPool.EntryHead memory head = abi.decode(
                vm.parseJsonBytes(v, string.concat(e, ".headEncoded")), (IShieldedPool.EntryHead)
            );
            assertEq(pool.entryLeaf(head), vm.parseJsonBytes32(v, string.concat(e, ".leaf")), e);
            bytes memory body = vm.parseJsonBytes(v, string.concat(e, ".bodyEncoded"));
            bytes32 bodyHash = vm.parseJsonBytes32(v, string.concat(e, ".bodyHash"));
            assertEq(head.bodyHash, bodyHash, e);
            if (head.kind == 2) {
                IShieldedPool.TransferBody memory t = abi.decode(body, (IShieldedPool.TransferBody));
                assertEq(keccak256(abi.encode(pool.BODY_TAG(), t)), bodyHash, e);
                assertEq(pool.extDataHash(t.ext), t.extDataHash, e);
            } else {
                uint32 depositIndex = abi.decode(body, (uint32));
                assertEq(keccak256(abi.encode(pool.BODY_TAG(), depositIndex)), bodyHash, e);
            }
        }
        for (uint256 i = 0; i < 6; i++) {
            string memory e = string.concat(".extData[", vm.toString(i), "]");
            IShieldedPool.ExtData memory ext = abi.decode(
                vm.parseJsonBytes(v, string.concat(e, ".encoded")), (IShieldedPool.ExtData)
            );
            assertEq(
                pool.extDataHash(ext), vm.parseJsonUint(v, string.concat(e, ".extDataHash")), e
            );
        }
    }

    function test_vectors_entriesTree() public {
        EntryTreeHarness t = new EntryTreeHarness();
        string memory v = vm.readFile("../test-vectors/primitives/shielded_entries.json");
        for (uint256 i = 0; i < 7; i++) {
            string memory tr = string.concat(".trees[", vm.toString(i), "]");
            uint256 count = vm.parseJsonUint(v, string.concat(tr, ".entryCount"));
            bytes32 root = vm.parseJsonBytes32(v, string.concat(tr, ".root"));
            bytes32[] memory leaves = vm.parseJsonBytes32Array(v, string.concat(tr, ".leaves"));
            for (uint256 j = 0; j < count; j++) {
                string memory p = string.concat(tr, ".proofs[", vm.toString(j), "]");
                assertTrue(
                    t.verify(
                        leaves[j],
                        vm.parseJsonUint(v, string.concat(p, ".index")),
                        vm.parseJsonBytes32Array(v, string.concat(p, ".siblings")),
                        count,
                        root
                    ),
                    p
                );
            }
        }
        for (uint256 i = 0; i < 9; i++) {
            string memory b = string.concat(".badProofs[", vm.toString(i), "]");
            bool ok = t.verify(
                vm.parseJsonBytes32(v, string.concat(b, ".leaf")),
                vm.parseJsonUint(v, string.concat(b, ".proof.index")),
                vm.parseJsonBytes32Array(v, string.concat(b, ".proof.siblings")),
                vm.parseJsonUint(v, string.concat(b, ".entryCount")),
                vm.parseJsonBytes32(v, string.concat(b, ".root"))
            );
            // Only the control proof verifies.
            assertEq(ok, i == 0, vm.parseJsonString(v, string.concat(b, ".name")));
        }
    }
}
