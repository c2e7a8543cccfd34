// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {ForcedInclusion} from "../src/exit/ForcedInclusion.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {ExitLib} from "../src/lib/ExitLib.sol";
import {ExitFixture} from "./ExitFixture.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";
import {IForcedInclusion} from "../src/interfaces/IForcedInclusion.sol";

/// @dev Shared helpers of the forced-inclusion tests (docs/exit-game.md §12).
abstract contract ForcedFixture is ExitFixture {
    ForcedInclusion internal fi;
    uint256 internal fbond;

    function setUp() public virtual override {
        super.setUp();
        fi = ForcedInclusion(chain.forcedInclusion());
        fbond = fi.forceBond();
    }

    function _force(PrimeLib.Transaction memory t, address poster) internal returns (uint64 k) {
        vm.prank(poster);
        k = fi.force{value: fbond}(t);
    }

    function _sigOf(PrimeLib.Transaction memory t, uint256 key)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _id(t));
        return abi.encodePacked(r, s, v);
    }

    function _signF(uint64 k, PrimeLib.Transaction memory t, uint256 key) internal {
        fi.signForced(k, _sigOf(t, key));
    }

    /// @dev Forces `t` as `poster`, signs it with `key`, waits the period and settles it.
    function _include(PrimeLib.Transaction memory t, address poster, uint256 key)
        internal
        returns (uint64 k)
    {
        k = _force(t, poster);
        _signF(k, t, key);
        _mature();
        fi.finalizeForced(k);
    }

    /// @dev Claims the forcing bonds credited to `who` (docs/exit-game.md §5.3).
    function _claimF(address who) internal returns (uint256 amount) {
        vm.prank(who);
        amount = fi.claim();
    }

    function _fref(uint64 k) internal pure returns (uint64) {
        return ExitLib.FORCED_BLOCK | k;
    }

    function _fHeader(uint64 k) internal pure returns (Types.BlockHeader memory h) {
        h.number = _fref(k);
    }

    function _emptyProof() internal pure returns (PrimeLib.SumProof memory p) {
        p.siblings = new PrimeLib.ProofNode[](0);
    }

    /// @dev DebyeChain evidence naming forced transaction `k`'s output / input.
    function _fOut(PrimeLib.Transaction memory t, uint256 outputIndex, uint64 k)
        internal
        pure
        returns (Types.OutputProof memory)
    {
        return Types.OutputProof(t, outputIndex, _fHeader(k), _emptyProof());
    }

    function _fSpend(PrimeLib.Transaction memory t, uint256 inputIndex, uint64 k)
        internal
        pure
        returns (Types.SpendProof memory)
    {
        return Types.SpendProof(
            PrimeLib.SignedTransaction(t, ""), inputIndex, _fHeader(k), _emptyProof()
        );
    }

    function _ph(Types.BlockHeader memory h) internal pure returns (Types.BlockHeader memory) {
        return h;
    }

    /// @dev ForcedInclusion evidence: signed `s` in block `number`, its input `inputIndex`.
    function _fiSpend(PrimeLib.SignedTransaction memory s, uint256 inputIndex, uint64 number)
        internal
        view
        returns (Types.SpendProof memory)
    {
        return Types.SpendProof(
            s,
            inputIndex,
            _ph(_headers[number]),
            _proof(number, s.transaction.inputs[inputIndex].segment.start)
        );
    }

    function _fiSpendForced(PrimeLib.Transaction memory t, uint256 inputIndex, uint64 k)
        internal
        pure
        returns (Types.SpendProof memory)
    {
        return Types.SpendProof(
            PrimeLib.SignedTransaction(t, ""),
            inputIndex,
            Types.BlockHeader(_fref(k), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            _emptyProof()
        );
    }

    function _fStatus(uint64 k) internal view returns (IForcedInclusion.ForcedStatus s) {
        (s,,,,) = fi.forcedState(k);
    }

    /// @dev Starts an exit of `[start, end)` of output `outputIndex` of included forced tx `k`.
    function _forcedExit(
        PrimeLib.Transaction memory t,
        uint256 outputIndex,
        uint64 k,
        uint256 start,
        uint256 end
    ) internal returns (Types.ExitData memory e) {
        address owner = t.outputs[outputIndex].owner;
        (,, uint256 position,,) = fi.forcedState(k);
        vm.prank(owner);
        chain.startExit{value: bond}(_fOut(t, outputIndex, k), start, end);
        e = Types.ExitData(owner, start, end, position, _id(t));
    }
}

/// @dev The forced-inclusion game, rule by rule (docs/exit-game.md §12): every challenge as the
///      attack it stops and as the honest forced transaction it must leave alone.
contract ForcedInclusionTest is ForcedFixture {
    // ------------------------------------------------------------------ §12.1, §12.3 honest path

    /// @dev Alice's L2 payment to Bob is censored; she forces it, signs on L1, it is included
    ///      at the position of its (newest) input, Bob exits the forced output and is paid.
    function test_forceBond_isThreeExitBonds() public view {
        assertEq(fbond, uint256(bond) * 3);
        assertEq(fbond, 0.18 ether);
    }

    function test_forced_honest_includedAndExited() public {
        Types.DepositRecord memory d = _deposit(alice, 10 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint256 posterBefore = carol.balance;
        uint64 k = _force(t, carol);
        assertEq(carol.balance, posterBefore - fbond, "fbond taken");
        _signF(k, t, aliceKey);
        vm.expectRevert(
            abi.encodeWithSelector(
                IForcedInclusion.ForcedNotMature.selector, block.timestamp + PERIOD
            )
        );
        fi.finalizeForced(k);
        _mature();
        fi.finalizeForced(k);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Included));
        assertEq(_claimF(carol), fbond, "bond credited back to the poster");
        assertEq(carol.balance, posterBefore, "and claimed");
        (bytes32 id, uint256 position) = fi.includedAt(k);
        assertEq(id, _id(t));
        assertEq(position, ExitLib.forcedPosition(k, uint256(d.blockNumber) * 2));
        assertEq(position, (uint256(k + 1) << 128) | (uint256(d.blockNumber) * 2 + 1));

        Types.ExitData memory e = _forcedExit(t, 0, k, d.start, d.end);
        assertEq(e.position, position);
        _mature();
        uint256 before = bob.balance;
        chain.finalizeExit(e, _ethKey());
        assertEq(bob.balance, before + 10 ether + bond, "Bob exits the forced output");
    }

    /// @dev Without every owner's signature the forced transaction lapses at maturity: not
    ///      included, bond refunded; its outputs cannot be exited.
    function test_forced_unsigned_lapses() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        Types.DepositRecord memory d2 = _deposit(bob, 1 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t;
        t.inputs = new PrimeLib.Input[](2);
        t.inputs[0] = _depIn(alice, d.blockNumber, d.start, d.end);
        t.inputs[1] = _depIn(bob, d2.blockNumber, d2.start, d2.end);
        t.outputs = new PrimeLib.Output[](1);
        t.outputs[0] = PrimeLib.Output(carol, _seg(d.start, d2.end));
        t.maxBlockIndex = 99;
        uint64 k = _force(t, carol);
        _signF(k, t, aliceKey); // Bob never signs
        bytes memory wrong = _sigOf(t, malloryKey);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.NotAnOwner.selector, mallory));
        fi.signForced(k, wrong);
        _mature();
        uint256 before = carol.balance;
        fi.finalizeForced(k);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Lapsed));
        _claimF(carol);
        assertEq(carol.balance, before + fbond);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedNotIncluded.selector, k));
        fi.includedAt(k);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedNotIncluded.selector, k));
        chain.startExit{value: bond}(_fOut(t, 0, k), d.start, d.end);
        // A lapsed transaction may be forced again (it is nowhere); a pending one may not.
        uint64 again = _force(t, alice);
        assertEq(again, k + 1);
        bytes32 tid = _id(t);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedExists.selector, tid));
        fi.force{value: fbond}(t);
    }

    function test_force_rejectsBadTransactions() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        // The deposit's block is not committed yet.
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.BadForcedInput.selector, 0));
        fi.force{value: fbond}(t);
        _commitEmpty();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IForcedInclusion.WrongForcedBond.selector, fbond, fbond - 1)
        );
        fi.force{value: fbond - 1}(t);
        // A forced output is not a forced input.
        PrimeLib.Transaction memory chained =
            _tx(PrimeLib.Input(alice, _fref(0), 0, 0, _seg(d.start, d.end)), bob, 99);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.BadForcedInput.selector, 0));
        fi.force{value: fbond}(chained);
        // Coins not deposited.
        PrimeLib.Transaction memory ghost =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end + 1), bob, 99);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.BadForcedInput.selector, 0));
        fi.force{value: fbond}(ghost);
        // Expired at the last committed block (§3.5).
        _commitEmpty();
        PrimeLib.Transaction memory old = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 1);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(PrimeLib.TxExpired.selector, 1, 2));
        fi.force{value: fbond}(old);
        // Invalid transaction (formats §5).
        PrimeLib.Transaction memory bad = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        bad.outputs[0] = PrimeLib.Output(bob, _seg(d.start, d.end - 1));
        vm.prank(alice);
        vm.expectRevert(PrimeLib.UnionMismatch.selector);
        fi.force{value: fbond}(bad);
        // Forced once.
        uint64 k = _force(t, alice);
        bytes32 tid = _id(t);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedExists.selector, tid));
        fi.force{value: fbond}(t);
        // A signature arriving after the transaction expired does not count.
        _commitEmpty();
        PrimeLib.Transaction memory soon = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 3);
        uint64 k2 = _force(soon, alice);
        _commitEmpty();
        bytes memory late = _sigOf(soon, aliceKey);
        vm.expectRevert(abi.encodeWithSelector(PrimeLib.TxExpired.selector, 3, 4));
        fi.signForced(k2, late);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Pending));
    }

    /// @dev §12.3: a signature added at the last moment restarts a half-period clock, so a
    ///      watcher still has time to challenge.
    function test_forced_lateSignature_delaysInclusion() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _force(t, alice);
        vm.warp(block.timestamp + PERIOD - 1);
        bytes memory sig = _sigOf(t, aliceKey);
        fi.signForced(k, sig);
        // A replayed signature cannot restart the clock (anybody could delay it for ever).
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.AlreadySigned.selector, alice));
        fi.signForced(k, sig);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                IForcedInclusion.ForcedNotMature.selector, block.timestamp - 1 + PERIOD / 2
            )
        );
        fi.finalizeForced(k);
        vm.warp(block.timestamp + PERIOD / 2);
        fi.finalizeForced(k);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Included));
    }

    // ------------------------------------------------------------------ §12.2 (a) spent input

    /// @dev Attack: Alice pays Bob on L2 (block 2), then forces a transaction giving the same
    ///      coins to herself. Bob (any watcher) cancels it with the L2 spend and takes the bond.
    function test_forced_spentInput_isChallenged() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory pay = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(pay);
        PrimeLib.Transaction memory back =
            _split(_depIn(alice, d.blockNumber, d.start, d.end), d.start + 1, alice, carol);
        uint64 k = _force(back, alice);
        _signF(k, back, aliceKey);

        // Honest-side checks first: evidence that proves nothing is refused.
        PrimeLib.SignedTransaction memory s = _sign(pay, aliceKey);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.WrongTransaction.selector, k));
        fi.challengeForcedSpent(k, pay, 0, _fiSpend(s, 0, b));
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 3, 1));
        fi.challengeForcedSpent(k, back, 3, _fiSpend(s, 0, b));

        uint256 before = bob.balance;
        vm.prank(bob);
        fi.challengeForcedSpent(k, back, 0, _fiSpend(s, 0, b));
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
        _claimF(bob);
        assertEq(bob.balance, before + fbond, "the challenger takes the fbond");
        _mature();
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedNotPending.selector, k));
        fi.finalizeForced(k);
    }

    /// @dev Honest: a spend of a different output (other coins, same owner) is no challenge.
    function test_forced_unrelatedSpend_isNoChallenge() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        Types.DepositRecord memory d2 = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory pay =
            _tx(_depIn(alice, d2.blockNumber, d2.start, d2.end), bob, 99);
        uint64 b = _commit1(pay);
        PrimeLib.Transaction memory mine =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _force(mine, alice);
        _signF(k, mine, aliceKey);
        Types.SpendProof memory other = _fiSpend(_sign(pay, aliceKey), 0, b);
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedSpent(k, mine, 0, other);
        _mature();
        fi.finalizeForced(k);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Included));
    }

    /// @dev Griefing stopped: the operator includes the very transaction that was forced (it saw
    ///      the signatures on L1). The forced copy is cancelled (one copy only), but the bond goes
    ///      back to the poster, not to the operator.
    function test_forced_sameTxIncludedOnL2_refundsPoster() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _force(t, alice);
        _signF(k, t, aliceKey);
        uint64 b = _commit1(t);
        uint256 before = alice.balance;
        vm.prank(operator);
        fi.challengeForcedSpent(k, t, 0, _fiSpend(_sign(t, aliceKey), 0, b));
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
        _claimF(alice);
        assertEq(alice.balance, before + fbond, "the poster gets the fbond back");
        assertEq(fi.creditOf(operator), 0);
    }

    /// @dev Attack: Alice signs two forced transactions spending one deposit. Either cancels the
    ///      other; the cancelled one can no longer cancel the survivor.
    function test_forced_twoForcedSpendsOfOneInput() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t1 = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        PrimeLib.Transaction memory t2 =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 99);
        uint64 k1 = _force(t1, bob);
        uint64 k2 = _force(t2, carol);
        // Unsigned k2 is no evidence yet: no one can be cancelled by a transaction that may lapse.
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedSpent(k1, t1, 0, _fiSpendForced(t2, 0, k2));
        _signF(k1, t1, aliceKey);
        _signF(k2, t2, aliceKey);
        vm.prank(bob);
        fi.challengeForcedSpent(k2, t2, 0, _fiSpendForced(t1, 0, k1));
        assertEq(uint8(_fStatus(k2)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedSpent(k1, t1, 0, _fiSpendForced(t2, 0, k2));
        _mature();
        fi.finalizeForced(k1);
        assertEq(uint8(_fStatus(k1)), uint8(IForcedInclusion.ForcedStatus.Included));
    }

    /// @dev Seed: "spend of inputs (including withdrawals)". Alice exits her deposit and forces a
    ///      spend of it; once the exit settled, the forced transaction is cancelled.
    function test_forced_withdrawnInput_isChallenged() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _force(t, alice);
        Types.ExitData memory done = Types.ExitData(e.owner, e.start, e.end, e.position, e.txId);
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedWithdrawn(k, t, 0, done); // still pending: not withdrawn
        _mature();
        chain.finalizeExit(e, _ethKey());
        vm.prank(bob);
        fi.challengeForcedWithdrawn(k, t, 0, done);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
    }

    // ------------------------------------------------------------------ §12.2 (b) no such output

    /// @dev Attack: Mallory forces a transaction spending "her" output in block 2, where no
    ///      transaction touched those coins. Exclusion proof cancels it.
    function test_forced_nonInclusion_exclusionProof() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        uint64 b = _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_txIn(mallory, b, 0, d.start, d.end), mallory, 99);
        uint64 k = _force(t, mallory);
        _signF(k, t, malloryKey);
        PrimeLib.Segment memory s = _seg(d.start, d.start + 1);
        Types.BlockHeader memory h = _ph(_headers[b]);
        // Honest-side: an exclusion in another block proves nothing.
        Types.BlockHeader memory h1 = _ph(_headers[1]);
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedExcluded(k, t, 0, h1, s, _proof(1, s.start));
        vm.prank(alice);
        fi.challengeForcedExcluded(k, t, 0, h, s, _proof(b, s.start));
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
    }

    /// @dev Honest: the input's output is included, so no exclusion proof exists for its coins.
    function test_forced_includedInput_hasNoExclusionProof() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory pay = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(pay);
        PrimeLib.Transaction memory t = _tx(_txIn(bob, b, 0, d.start, d.end), carol, 99);
        uint64 k = _force(t, bob);
        PrimeLib.Segment memory s = _seg(d.start, d.start + 1);
        vm.expectRevert(PrimeLib.RootMismatch.selector);
        fi.challengeForcedExcluded(k, t, 0, _ph(_headers[b]), s, _proof(b, s.start));
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedOutput(k, t, 0, _fiOut(pay, 0, b));
    }

    function _fiOut(PrimeLib.Transaction memory t, uint256 outputIndex, uint64 number)
        internal
        view
        returns (Types.OutputProof memory)
    {
        return Types.OutputProof(
            t,
            outputIndex,
            _ph(_headers[number]),
            _proof(number, t.outputs[outputIndex].segment.start)
        );
    }

    /// @dev Attack: the output exists but is Bob's; Mallory names herself as its owner. The
    ///      included output with the other owner cancels the forced transaction.
    function test_forced_ownerMismatch_includedOutput() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory pay = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(pay);
        PrimeLib.Transaction memory t = _tx(_txIn(mallory, b, 0, d.start, d.end), mallory, 99);
        uint64 k = _force(t, mallory);
        _signF(k, t, malloryKey);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 1, 1));
        fi.challengeForcedOutput(
            k, t, 0, Types.OutputProof(pay, 1, _ph(_headers[b]), _proof(b, d.start))
        );
        vm.prank(bob);
        fi.challengeForcedOutput(k, t, 0, _fiOut(pay, 0, b));
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
    }

    /// @dev Attack and honest case on a deposit input: Mallory claims Alice's deposit.
    function test_forced_ownerMismatch_deposit() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory honest =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k0 = _force(honest, alice);
        Types.DepositRecord memory r = Types.DepositRecord(d.owner, d.start, d.end, d.blockNumber);
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedDeposit(k0, honest, 0, r);

        PrimeLib.Transaction memory t =
            _tx(_depIn(mallory, d.blockNumber, d.start, d.start + 1 ether), mallory, 99);
        uint64 k = _force(t, mallory);
        _signF(k, t, malloryKey);
        fi.challengeForcedDeposit(k, t, 0, r);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Cancelled));
        assertEq(uint8(_fStatus(k0)), uint8(IForcedInclusion.ForcedStatus.Pending));
    }

    // ------------------------------------------------------------------ §12.4 in the exit game

    /// @dev Attack: Alice forces a payment to Bob, then exits the deposit it spent. The forced
    ///      transaction is the spend that cancels her exit (challengeSpent).
    function test_challengeSpent_withForcedTx() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _force(t, alice);
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        // Not included yet: not a spend.
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedNotIncluded.selector, k));
        chain.challengeSpent(e, _fSpend(t, 0, k));
        _signF(k, t, aliceKey);
        _mature();
        fi.finalizeForced(k);
        uint256 before = carol.balance;
        vm.prank(carol);
        chain.challengeSpent(e, _fSpend(t, 0, k));
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
        _claim(carol);
        assertEq(carol.balance, before + bond);

        // Honest: Bob's exit of the forced output is not "spent" by the forced tx itself.
        Types.ExitData memory be = _forcedExit(t, 0, k, d.start, d.end);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeSpent(be, _fSpend(t, 0, k));
        // A different transaction passed under k's name is refused.
        PrimeLib.Transaction memory other =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 99);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownHeader.selector, _fref(k)));
        chain.challengeSpent(be, _fSpend(other, 0, k));
    }

    /// @dev Bob spends his forced output on L2 (input blockIndex FORCED_BLOCK | k) to Carol,
    ///      then tries to exit the forced output: the L2 spend cancels it.
    function test_l2SpendOfForcedOutput_cancelsItsExit() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _include(t, alice, aliceKey);
        PrimeLib.Transaction memory u =
            _tx(PrimeLib.Input(bob, _fref(k), 0, 0, _seg(d.start, d.end)), carol, 99);
        uint64 b = _commit1(u);
        Types.ExitData memory be = _forcedExit(t, 0, k, d.start, d.end);
        chain.challengeSpent(be, _spendProof(_sign(u, bobKey), 0, b));
        assertEq(uint8(_status(be)), uint8(IDebyeChain.ExitStatus.Cancelled));
        // Carol's exit of the L2 output, older-checked against the forced history, finalizes.
        Types.ExitData memory ce = _txExit(u, 0, b, d.start, d.end);
        // A griefer names Alice's deposit; the forced transaction is the answer.
        uint256 coin = d.start + 7;
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(ce, u, d, coin);
        chain.respondChallenge(ce, uint256(d.blockNumber) * 2, alice, coin, _fSpend(t, 0, k));
        // The griefer continues with the forced output; Carol's own tx answers.
        (,, uint256 fpos,,) = fi.forcedState(k);
        vm.prank(mallory);
        chain.requestWithOutput{value: bond / 4}(ce, u, _fOut(t, 0, k), coin);
        chain.respondChallenge(ce, fpos, bob, coin, _spendProof(_sign(u, bobKey), 0, b));
        vm.warp(block.timestamp + PERIOD);
        uint256 before = carol.balance;
        chain.finalizeExit(ce, _ethKey());
        assertEq(carol.balance, before + 2 ether + bond);
    }

    /// @dev respondChallenge with a forced answer: Bob exits the forced output, a griefer names
    ///      Alice's deposit, the forced transaction answers; Bob is paid.
    function test_respondChallenge_withForcedTx() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _include(t, alice, aliceKey);
        Types.ExitData memory be = _forcedExit(t, 0, k, d.start, d.end);
        uint256 coin = d.start;
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(be, t, d, coin);
        chain.respondChallenge(be, uint256(d.blockNumber) * 2, alice, coin, _fSpend(t, 0, k));
        assertEq(chain.creditOf(bob), bond / 4, "the answered request's bond goes to the exitor");
        vm.warp(block.timestamp + PERIOD);
        chain.finalizeExit(be, _ethKey());
        assertEq(uint8(_status(be)), uint8(IDebyeChain.ExitStatus.Withdrawn));
    }

    /// @dev Double spend after a forced inclusion: Alice's forced payment to Bob is included;
    ///      later the operator includes Alice's second spend of the same deposit to Carol. Carol's
    ///      exit falls to challengeDoubleSpend with the (earlier) forced transaction; Bob's exit
    ///      is not touched by the later L2 spend.
    function test_challengeDoubleSpend_withForcedTx() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 k = _include(t, alice, aliceKey);
        PrimeLib.Transaction memory t2 =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 98);
        uint64 b2 = _commit1(t2);
        Types.ExitData memory ce = _txExit(t2, 0, b2, d.start, d.end);
        Types.ExitData memory be = _forcedExit(t, 0, k, d.start, d.end);
        Types.SpendProof memory later = _spendProof(_sign(t2, aliceKey), 0, b2);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeDoubleSpend(be, t, 0, later);
        chain.challengeDoubleSpend(ce, t2, 0, _fSpend(t, 0, k));
        assertEq(uint8(_status(ce)), uint8(IDebyeChain.ExitStatus.Cancelled));
        _mature();
        chain.finalizeExit(be, _ethKey());
        assertEq(uint8(_status(be)), uint8(IDebyeChain.ExitStatus.Withdrawn));
    }

    /// @dev The laundering attack of docs/exit-game.md §12.4. Mallory holds a tiny valid old
    ///      deposit (block 1). Victim Vic deposits later (block 2). The operator includes, in block
    ///      3, a forged transaction giving Vic's coins to Mallory. Mallory forces a transaction
    ///      spending both her old deposit and the forged output. Both inputs exist as referenced,
    ///      so no forced-game challenge applies, and it is included. Under the seed's
    ///      oldest-input rule its outputs would exit at position 3 (block 1), older than Vic's
    ///      deposit (4): Vic could neither block the exit nor name an older output. Under the
    ///      newest-input rule the position is 7 (block 3): Vic's challenge request on her deposit
    ///      goes unanswered and cancels Mallory's exit, and Vic's own exit blocks it meanwhile.
    function test_laundering_throughForcedTx_fails() public {
        Types.DepositRecord memory old = _deposit(mallory, 1);
        _commitEmpty(); // block 1
        address vic = makeAddr("vic");
        Types.DepositRecord memory v = _deposit(vic, 5 ether);
        _commitEmpty(); // block 2
        PrimeLib.Transaction memory forged =
            _tx(_depIn(vic, v.blockNumber, v.start, v.end), mallory, 99);
        uint64 q = _commit1(forged); // block 3, never signed by Vic

        PrimeLib.Transaction memory t;
        t.inputs = new PrimeLib.Input[](2);
        t.inputs[0] = _depIn(mallory, old.blockNumber, old.start, old.end);
        t.inputs[1] = _txIn(mallory, q, 0, v.start, v.end);
        t.outputs = new PrimeLib.Output[](1);
        t.outputs[0] = PrimeLib.Output(mallory, _seg(old.start, v.end));
        t.maxBlockIndex = 99;
        uint64 k = _force(t, mallory);
        // The forged input exists as referenced: the non-inclusion challenges fail.
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedOutput(k, t, 1, _fiOut(forged, 0, q));
        vm.expectRevert(IForcedInclusion.InvalidForcedChallenge.selector);
        fi.challengeForcedDeposit(
            k, t, 0, Types.DepositRecord(mallory, old.start, old.end, old.blockNumber)
        );
        _signF(k, t, malloryKey);
        _mature();
        fi.finalizeForced(k);

        (, uint256 position) = fi.includedAt(k);
        assertEq(ExitLib.order(position) >> 1, uint256(q) * 2 + 1, "newest input's rank");
        uint256 oldestRank = uint256(old.blockNumber) * 2 + 1;
        uint256 vicRank = uint256(v.blockNumber) * 2;
        assertLt(oldestRank, vicRank, "the oldest-input rule would have ranked it before Vic");
        assertGt(ExitLib.order(position), ExitLib.order(vicRank));

        Types.ExitData memory me = _forcedExit(t, 0, k, v.start, v.end);
        // Vic exits her deposit and blocks the newer exit; she also names her deposit.
        vm.deal(vic, 10 ether);
        Types.ExitData memory ve = _depositExit(v, v.start, v.end);
        chain.blockExit(me, ve);
        vm.prank(vic);
        chain.requestWithDeposit{value: bond / 4}(me, t, v, v.start);
        // Nobody can answer: only a spend signed by Vic would do, and the forced tx is none.
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.respondChallenge(me, vicRank, vic, v.start, _fSpend(t, 1, k));
        _mature();
        chain.resolveChallenge(me, vicRank, vic, v.start);
        assertEq(uint8(_status(me)), uint8(IDebyeChain.ExitStatus.Cancelled));
        uint256 before = vic.balance;
        chain.finalizeExit(ve, _ethKey());
        assertEq(vic.balance, before + 5 ether + bond, "Vic keeps her coins");
    }

    // ------------------------------------------------------------------ typed errors

    function _requestWithBadIndex(
        Types.ExitData memory be,
        PrimeLib.Transaction memory t,
        uint64 b,
        uint256 coin
    ) internal {
        Types.OutputProof memory o = Types.OutputProof(t, 9, _headers[b], _proof(b, coin));
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 9, 1));
        chain.requestWithOutput{value: bond / 4}(be, t, o, coin);
    }

    /// @dev A bad output or input index is a typed error, never a Solidity panic.
    function test_badIndex_isATypedError() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.OutputProof memory p = _outputProof(t, 0, b);
        p.outputIndex = 1;
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 1, 1));
        chain.startExit{value: bond}(p, d.start, d.end);
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        Types.SpendProof memory s = _spendProof(_sign(t, aliceKey), 0, b);
        s.inputIndex = 5;
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 5, 1));
        chain.challengeSpent(e, s);
        Types.ExitData memory be = _txExit(t, 0, b, d.start, d.end);
        Types.SpendProof memory s0 = _spendProof(_sign(t, aliceKey), 0, b);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 2, 1));
        chain.challengeDoubleSpend(be, t, 2, s0);
        _requestWithBadIndex(be, t, b, d.start);
        // Forced evidence with a bad index, too.
        _commitEmpty();
        PrimeLib.Transaction memory f = _tx(_txIn(bob, b, 0, d.start, d.end), carol, 99);
        uint64 k = _include(f, bob, bobKey);
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 4, 1));
        chain.startExit{value: bond}(_fOut(f, 4, k), d.start, d.end);
        vm.expectRevert(abi.encodeWithSelector(ExitLib.IndexOutOfRange.selector, 4, 1));
        chain.challengeSpent(be, _fSpend(f, 4, k));
    }
}
