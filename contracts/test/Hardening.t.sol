// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {ForcedInclusion} from "../src/exit/ForcedInclusion.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {ExitLib} from "../src/lib/ExitLib.sol";
import {ForcedFixture} from "./ForcedInclusion.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";
import {IForcedInclusion} from "../src/interfaces/IForcedInclusion.sol";

/// @dev The attacks of the hardening review, each played against the rule that stops it
///      (docs/exit-game.md §3.4.1 payments in flight, §12.4 late settlement, §5.3 pulled bonds,
///      §3.4 griefing cost). Each test fails with its rule removed (docs/testing.md).
contract HardeningTest is ForcedFixture {
    // ------------------------------------------------------------------ §3.4.1 in flight

    /// @dev Alice signs a payment to Bob valid for a few blocks. The operator first commits a
    ///      forged, unsigned spend of Alice's deposit to Mallory, then Alice's real payment.
    ///      Mallory may not name her forged output against Bob's exit (it is newer than Bob's
    ///      parent, Alice's deposit); a request on the deposit is answered by Bob's own
    ///      transaction; Mallory's exit falls to the request on the deposit. Bob is paid, and
    ///      Mallory loses her bonds.
    function test_inFlight_forgeryBeforeThePayment_cannotCancelIt() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Input memory aliceIn = _depIn(alice, d.blockNumber, d.start, d.end);
        PrimeLib.Transaction memory pay = _tx(aliceIn, bob, d.blockNumber + 3);
        PrimeLib.Transaction memory forged = _tx(aliceIn, mallory, 99); // never signed
        uint64 nF = _commit1(forged);
        uint64 nP = _commit1(pay);
        _playInFlight(d, pay, nP, forged, nF);
    }

    /// @dev The same with a self-signed forgery: the forged input claims Alice's deposit but
    ///      names Mallory as its owner, so it carries a valid signature (Mallory's). It is no
    ///      earlier spend of Bob's parent (another owner) and no answer to a request on it.
    function test_inFlight_selfSignedForgery_cannotCancelIt() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory pay =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, d.blockNumber + 3);
        PrimeLib.Transaction memory forged =
            _tx(_depIn(mallory, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 nF = _commit1(forged);
        uint64 nP = _commit1(pay);
        _playInFlight(d, pay, nP, forged, nF);
    }

    /// @dev The forced-payment variant: Alice forces her payment to Bob; the operator commits a
    ///      forgery of her deposit first, then includes the forced transaction on L2 and has the
    ///      forced copy cancelled as already included (bond back to Alice). Bob's exit of the L2
    ///      output is safe from the forged output as above.
    function test_inFlight_forcedPayment_includedAfterForgery_isSafe() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        PrimeLib.Input memory aliceIn = _depIn(alice, d.blockNumber, d.start, d.end);
        PrimeLib.Transaction memory pay = _tx(aliceIn, bob, 99);
        uint64 k = _force(pay, alice);
        _signF(k, pay, aliceKey);
        PrimeLib.Transaction memory forged = _tx(aliceIn, mallory, 99);
        uint64 nF = _commit1(forged);
        uint64 nP = _commit1(pay);
        vm.prank(operator);
        fi.challengeForcedSpent(k, pay, 0, _fiSpend(_sign(pay, aliceKey), 0, nP));
        assertEq(fi.creditOf(alice), fbond, "the forcing bond goes back to Alice");
        _playInFlight(d, pay, nP, forged, nF);
    }

    uint256 internal bobBefore;
    uint256 internal malloryBefore;

    /// @dev Bob exits the in-flight payment; Mallory tries every request she can; Mallory's own
    ///      exit of the forgery is cancelled; Bob is paid in full plus Mallory's griefing bond.
    function _playInFlight(
        Types.DepositRecord memory d,
        PrimeLib.Transaction memory pay,
        uint64 nP,
        PrimeLib.Transaction memory forged,
        uint64 nF
    ) internal {
        bobBefore = bob.balance;
        malloryBefore = mallory.balance;
        Types.ExitData memory be = _bobDefends(d, pay, nP, forged, nF);
        Types.ExitData memory me = _txExit(forged, 0, nF, d.start, d.end);
        // Mallory's exit of the forgery is older and blocks Bob's until it falls.
        chain.blockExit(be, me);
        _malloryFalls(d, me, forged, pay, nP);
        chain.unblockExit(_eid(be), _eid(me));
        chain.finalizeExit(be, _ethKey());
        _claim(bob);
        // Bob: his coins and bond, Mallory's request bond (his answer), her exit bond (his
        // request went unanswered; its own bond came back).
        assertEq(bob.balance, bobBefore + 1 ether + bond + bond / 4, "Bob is paid");
        assertEq(mallory.balance, malloryBefore - bond - bond / 4, "Mallory lost her bonds");
    }

    function _bobDefends(
        Types.DepositRecord memory d,
        PrimeLib.Transaction memory pay,
        uint64 nP,
        PrimeLib.Transaction memory forged,
        uint64 nF
    ) internal returns (Types.ExitData memory be) {
        be = _txExit(pay, 0, nP, d.start, d.end);
        uint256 coin = d.start + 3;
        // The forgery is no earlier spend of Bob's parent (unsigned, or another owner's).
        Types.SpendProof memory forgedSpend = _spendProof(_sign(forged, malloryKey), 0, nF);
        vm.expectRevert();
        chain.challengeDoubleSpend(be, pay, 0, forgedSpend);
        // The forged output is newer than Bob's parent: not Bob's to answer for.
        Types.OutputProof memory forgedOut = _outputProof(forged, 0, nF);
        vm.prank(mallory);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.requestWithOutput{value: bond / 4}(be, pay, forgedOut, coin);
        // A request on the parent itself is answered by Bob's own transaction, and only by it.
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(be, pay, d, coin);
        uint256 dpos = uint256(d.blockNumber) * 2;
        vm.expectRevert(); // the forgery is no answer (unsigned, or signed by another owner)
        chain.respondChallenge(be, dpos, alice, coin, forgedSpend);
        Types.SpendProof memory paySpend = _spendProof(_sign(pay, aliceKey), 0, nP);
        vm.prank(bob);
        chain.respondChallenge(be, dpos, alice, coin, paySpend);
    }

    function _malloryFalls(
        Types.DepositRecord memory d,
        Types.ExitData memory me,
        PrimeLib.Transaction memory forged,
        PrimeLib.Transaction memory pay,
        uint64 nP
    ) internal {
        uint256 coin = d.start + 3;
        uint256 dpos = uint256(d.blockNumber) * 2;
        vm.prank(bob);
        chain.requestWithDeposit{value: bond / 4}(me, forged, d, coin);
        // Alice's payment is included after the forgery: no answer for Mallory.
        Types.SpendProof memory paySpend = _spendProof(_sign(pay, aliceKey), 0, nP);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.respondChallenge(me, dpos, alice, coin, paySpend);
        vm.warp(block.timestamp + PERIOD);
        chain.resolveChallenge(me, dpos, alice, coin);
        assertEq(uint8(_status(me)), uint8(IDebyeChain.ExitStatus.Cancelled));
    }

    function _eid(Types.ExitData memory e) internal pure returns (bytes32) {
        return keccak256(abi.encode(e));
    }

    // ------------------------------------------------------------------ §12.4 late settlement

    /// @dev Alice forces a transfer of her deposit to her second address, leaves it matured but
    ///      unsettled, pays Carol the same coins on L2, and settles the forced transaction right
    ///      after Carol's block is committed. The forced transaction counts as included after
    ///      that block, so it is not an earlier spend against Carol's exit, and Carol's earlier
    ///      spend cancels the exit of Alice's second address.
    function test_lateSettlement_cannotJumpAheadOfAPaymentCommittedMeanwhile() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        address alice2 = makeAddr("alice2");
        vm.deal(alice2, 1 ether);
        PrimeLib.Input memory aliceIn = _depIn(alice, d.blockNumber, d.start, d.end);
        PrimeLib.Transaction memory back = _tx(aliceIn, alice2, 99);
        uint64 k = _force(back, alice);
        _signF(k, back, aliceKey);
        _mature();
        PrimeLib.Transaction memory toCarol = _tx(aliceIn, carol, 99);
        uint64 m = _commit1(toCarol);
        fi.finalizeForced(k); // same L1 block as the commitment of block m
        (, uint256 position) = fi.includedAt(k);
        assertEq(ExitLib.blockOf(position), m, "ranked after every block committed meanwhile");

        Types.ExitData memory ce = _txExit(toCarol, 0, m, d.start, d.end);
        Types.ExitData memory ae = _forcedExit(back, 0, k, d.start, d.end);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeDoubleSpend(ce, toCarol, 0, _fSpend(back, 0, k));
        Types.SpendProof memory earlier = _spendProof(_sign(toCarol, aliceKey), 0, m);
        vm.prank(carol);
        chain.challengeDoubleSpend(ae, back, 0, earlier);
        assertEq(uint8(_status(ae)), uint8(IDebyeChain.ExitStatus.Cancelled));
        _mature();
        uint256 before = carol.balance;
        chain.finalizeExit(ce, _ethKey());
        _claim(carol);
        assertEq(carol.balance, before + 1 ether + 2 * uint256(bond), "coins, bond, Alice2's bond");
    }

    // ------------------------------------------------------------------ §5.3 pulled bonds

    /// @dev A griefer whose contract refuses ETH front-runs the victim's `force(t)`. The victim
    ///      signs that copy; it still settles (the poster's bond is credited, not pushed) and
    ///      the victim's transaction is included.
    function test_refusingPoster_cannotFreezeAForcedTransaction() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        Refuser griefer = new Refuser();
        vm.deal(address(griefer), fbond);
        uint64 k = griefer.force(fi, t, fbond);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IForcedInclusion.ForcedExists.selector, _id(t)));
        fi.force{value: fbond}(t);
        _signF(k, t, aliceKey);
        _mature();
        fi.finalizeForced(k);
        assertEq(uint8(_fStatus(k)), uint8(IForcedInclusion.ForcedStatus.Included));
        assertEq(fi.creditOf(address(griefer)), fbond, "credited; its claim is its own problem");
        vm.expectRevert(
            abi.encodeWithSelector(IForcedInclusion.ForcedPaymentFailed.selector, address(griefer))
        );
        griefer.claimForced(fi);
    }

    /// @dev A challenger contract that refuses ETH cannot stop its own request from resolving
    ///      or a refund from being settled: every bond is credited.
    function test_refusingChallenger_cannotBlockResolution() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory forged =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b = _commit1(forged);
        Types.ExitData memory e = _txExit(forged, 0, b, d.start, d.end);
        Refuser challenger = new Refuser();
        vm.deal(address(challenger), bond);
        challenger.request(chain, e, forged, d, d.start, bond / 4);
        vm.warp(block.timestamp + PERIOD);
        chain.resolveChallenge(e, uint256(d.blockNumber) * 2, alice, d.start);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
        assertEq(chain.creditOf(address(challenger)), bond + bond / 4);
    }

    // ------------------------------------------------------------------ §3.4 griefing cost

    /// @dev Mallory opens a request on Bob's honest exit and answers it herself in the same L1
    ///      block, to delay the exit for gas alone. The request bond goes to Bob: each delay
    ///      costs her a quarter bond.
    function test_griefingRequest_costsTheGriefer() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.ExitData memory e = _txExit(t, 0, b, d.start, d.end);
        uint256 before = mallory.balance;
        vm.startPrank(mallory);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, d.start);
        chain.respondChallenge(
            e, uint256(d.blockNumber) * 2, alice, d.start, _spendProof(_sign(t, aliceKey), 0, b)
        );
        chain.claim();
        vm.stopPrank();
        assertEq(mallory.balance, before - bond / 4, "the delay cost Mallory a quarter bond");
        assertEq(chain.creditOf(bob), bond / 4, "paid to the delayed exit's owner");
    }
}

/// @dev A contract that refuses every ETH payment (no receive, no fallback).
contract Refuser {
    function force(ForcedInclusion fi, PrimeLib.Transaction calldata t, uint256 value)
        external
        returns (uint64)
    {
        return fi.force{value: value}(t);
    }

    function request(
        DebyeChain chain,
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        Types.DepositRecord calldata d,
        uint256 coin,
        uint256 value
    ) external {
        chain.requestWithDeposit{value: value}(e, exitTx, d, coin);
    }

    function claimForced(ForcedInclusion fi) external {
        fi.claim();
    }
}
