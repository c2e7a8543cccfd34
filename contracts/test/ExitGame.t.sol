// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {TestToken} from "../src/test/TestToken.sol";
import {ExitFixture} from "./ExitFixture.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";

/// @dev The exit game, rule by rule (docs/exit-game.md): each challenge is played as the attack
///      it stops and as the honest exit it must leave alone.
contract ExitGameTest is ExitFixture {
    // ------------------------------------------------------------------ §2 starting exits

    function test_depositExit_wholeAndPart_finalizeAndPay() public {
        Types.DepositRecord memory d = _deposit(alice, 10 ether);
        uint256 before = alice.balance;
        Types.ExitData memory e = _depositExit(d, d.start, d.start + 4 ether);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Pending));

        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.NotFinalizable.selector, keccak256(abi.encode(e)))
        );
        chain.finalizeExit(e, _ethKey());
        _mature();
        chain.finalizeExit(e, _ethKey());
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Withdrawn));
        assertEq(alice.balance, before + 4 ether, "coins and bond back");
        (bool exists, uint256 start) = chain.exitableRange(_ethKey());
        assertTrue(exists);
        assertEq(start, d.start + 4 ether, "the exited coins left the exitable range");

        // The rest of the same deposit exits separately; the withdrawn part cannot.
        Types.ExitData memory rest = _depositExit(d, d.start + 4 ether, d.end);
        _mature();
        chain.finalizeExit(rest, _ethKey());
        assertEq(address(chain).balance, 0, "everything paid out, nothing more");
        vm.prank(alice);
        chain.startDepositExit{value: bond}(d, d.start, d.start + 1);
        _mature();
        Types.ExitData memory again =
            Types.ExitData(alice, d.start, d.start + 1, uint256(d.blockNumber) * 2, 0);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotExitable.selector, _ethKey()));
        chain.finalizeExit(again, _ethKey());
    }

    function test_txExit_ofPartOfAnOutput_finalizes() public {
        Types.DepositRecord memory d = _deposit(alice, 10 ether);
        PrimeLib.Transaction memory t =
            _split(_depIn(alice, d.blockNumber, d.start, d.end), d.start + 3 ether, bob, alice);
        uint64 b = _commit1(t);
        Types.ExitData memory e = _txExit(t, 0, b, d.start + 1 ether, d.start + 3 ether);
        _mature();
        uint256 before = bob.balance;
        chain.finalizeExit(e, _ethKey());
        assertEq(bob.balance, before + 2 ether + bond);
    }

    function test_startExit_onlyTheOwner() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotOwner.selector, alice, mallory));
        chain.startDepositExit{value: bond}(d, d.start, d.end);

        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.OutputProof memory p = _outputProof(t, 0, b);
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotOwner.selector, bob, mallory));
        chain.startExit{value: bond}(p, d.start, d.end);
        vm.prank(bob);
        chain.startExit{value: bond}(p, d.start, d.end);
    }

    function test_startExit_rejectsBadInputs() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.WrongBond.selector, bond, bond - 1));
        chain.startDepositExit{value: bond - 1}(d, d.start, d.end);
        vm.expectRevert(IDebyeChain.RangeOutsideOutput.selector);
        chain.startDepositExit{value: bond}(d, d.start, d.end + 1);
        d.end += 1;
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownDeposit.selector, d.start));
        chain.startDepositExit{value: bond}(d, d.start, d.end);
        d.end -= 1;
        chain.startDepositExit{value: bond}(d, d.start, d.end);
        Types.ExitData memory e =
            Types.ExitData(alice, d.start, d.end, uint256(d.blockNumber) * 2, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ExitExists.selector, keccak256(abi.encode(e)))
        );
        chain.startDepositExit{value: bond}(d, d.start, d.end);
        vm.stopPrank();

        // A header that is not the committed one.
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.OutputProof memory p = _outputProof(t, 0, b);
        p.header.noteRoot = bytes32(uint256(1));
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownHeader.selector, b));
        chain.startExit{value: bond}(p, d.start, d.end);
        // A proof for other coins.
        p = _outputProof(t, 0, b);
        p.proof.leafLength -= 1;
        vm.prank(bob);
        vm.expectRevert();
        chain.startExit{value: bond}(p, d.start, d.end);
    }

    /// @dev §2.4: the operator includes a transaction over coins nobody deposited yet.
    function test_startExit_refusesUndepositedCoins() public {
        PrimeLib.Transaction memory t = _tx(_depIn(mallory, 1, 0, 5 ether), mallory, 99);
        uint64 b = _commit1(t);
        Types.OutputProof memory p = _outputProof(t, 0, b);
        vm.prank(mallory);
        vm.expectRevert(IDebyeChain.CoinsNotDeposited.selector);
        chain.startExit{value: bond}(p, 0, 5 ether);
    }

    /// @dev §3.5: a transaction included after its maxBlockIndex is void: no exit from it.
    function test_startExit_refusesVoidTransaction() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 1);
        uint64 b = _commit1(t); // block 2 > maxBlockIndex 1
        Types.OutputProof memory p = _outputProof(t, 0, b);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(PrimeLib.TxExpired.selector, uint64(1), b));
        chain.startExit{value: bond}(p, d.start, d.end);
    }

    // ------------------------------------------------------------------ §3.1 spent

    /// @dev Attack: Alice pays Bob on L2, then exits her deposit. Response: Bob shows the spend.
    function test_challengeSpent_cancelsExitOfSpentDeposit() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.ExitData memory e = _depositExit(d, d.start, d.start + 1 ether);

        uint256 before = bob.balance;
        Types.SpendProof memory p = _spendProof(_sign(t, aliceKey), 0, b);
        vm.prank(bob);
        chain.challengeSpent(e, p);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
        assertEq(chain.creditOf(bob), bond, "the exit bond is credited to the challenger");
        assertEq(_claim(bob), bond);
        assertEq(bob.balance, before + bond, "and claimed");

        // Bob's own exit stands and pays.
        Types.ExitData memory honest = _txExit(t, 0, b, d.start, d.end);
        _mature();
        chain.finalizeExit(honest, _ethKey());
        assertEq(uint8(_status(honest)), uint8(IDebyeChain.ExitStatus.Withdrawn));
    }

    /// @dev The spend must be signed by the exitor, spend this very output, and overlap the range.
    function test_challengeSpent_rejectsWhatIsNotASpend() public {
        Types.DepositRecord memory d = _deposit(alice, 2 ether);
        PrimeLib.Transaction memory t =
            _split(_depIn(alice, d.blockNumber, d.start, d.end), d.start + 1 ether, bob, alice);
        uint64 b = _commit1(t);
        // Bob exits his output [0, 1 ether); Alice kept [1 ether, 2 ether).
        Types.ExitData memory e = _txExit(t, 0, b, d.start, d.start + 1 ether);
        // Alice spends her own output in block b + 1: not Bob's coins.
        PrimeLib.Transaction memory u = _tx(_txIn(alice, b, 1, d.start + 1 ether, d.end), carol, 99);
        uint64 b2 = _commit1(u);
        Types.SpendProof memory p = _spendProof(_sign(u, aliceKey), 0, b2);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeSpent(e, p);
        // A tx that is signed by the wrong key is no evidence at all.
        PrimeLib.Transaction memory v = _tx(_txIn(bob, b, 0, d.start, d.start + 1 ether), carol, 99);
        uint64 b3 = _commit1(v);
        p = _spendProof(_sign(v, malloryKey), 0, b3);
        vm.expectRevert();
        chain.challengeSpent(e, p);
        // Bob's real spend, included, cancels the exit.
        p = _spendProof(_sign(v, bobKey), 0, b3);
        chain.challengeSpent(e, p);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
    }

    /// @dev §3.5: a spend included after its maxBlockIndex is void: it does not spend.
    function test_challengeSpent_voidSpendIsNoEvidence() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        _commitEmpty();
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 1);
        uint64 b = _commit1(t); // block 2 > maxBlockIndex 1: void, Alice still owns
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        Types.SpendProof memory p = _spendProof(_sign(t, aliceKey), 0, b);
        vm.expectRevert(abi.encodeWithSelector(PrimeLib.TxExpired.selector, uint64(1), b));
        chain.challengeSpent(e, p);
        _mature();
        chain.finalizeExit(e, _ethKey());
    }

    // ------------------------------------------------------------------ §3.2 double spend

    /// @dev Attack: Alice pays Bob (block b1), then signs the same coins to Carol, included later
    ///      (b2); Carol exits. Response: Bob shows the earlier spend.
    function test_challengeDoubleSpend_cancelsTheLaterSpend() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory toBob =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b1 = _commit1(toBob);
        PrimeLib.Transaction memory toCarol =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 98);
        uint64 b2 = _commit1(toCarol);
        Types.ExitData memory carolExit = _txExit(toCarol, 0, b2, d.start, d.end);
        Types.ExitData memory bobExit = _txExit(toBob, 0, b1, d.start, d.end);

        // Honest side first: Carol's earlier... later spend cannot cancel Bob's earlier exit.
        Types.SpendProof memory late = _spendProof(_sign(toCarol, aliceKey), 0, b2);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeDoubleSpend(bobExit, toBob, 0, late);

        Types.SpendProof memory early = _spendProof(_sign(toBob, aliceKey), 0, b1);
        uint256 before = bob.balance;
        vm.prank(bob);
        chain.challengeDoubleSpend(carolExit, toCarol, 0, early);
        assertEq(uint8(_status(carolExit)), uint8(IDebyeChain.ExitStatus.Cancelled));
        _claim(bob);
        assertEq(bob.balance, before + bond);
        _mature();
        chain.finalizeExit(bobExit, _ethKey());
    }

    // ------------------------------------------------------------------ §3.3 deposit after

    /// @dev Attack: the operator includes, in block 1, a tx over coins deposited only in block 2,
    ///      and exits it with an older position than the deposit.
    function test_challengeDepositAfter_cancelsExitOverLaterDeposit() public {
        _deposit(carol, 1 ether); // coins [0, 1 ether), so the forged range below is deposited
        PrimeLib.Transaction memory forged = _tx(_depIn(mallory, 1, 1 ether, 2 ether), mallory, 99);
        uint64 b = _commit1(forged);
        Types.DepositRecord memory d = _deposit(alice, 1 ether); // block 2, [1, 2 ether)
        Types.ExitData memory e = _txExit(forged, 0, b, 1 ether, 2 ether);
        // Alice's own deposit exit is not "after" itself.
        Types.ExitData memory honest = _depositExit(d, d.start, d.end);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.challengeDepositAfter(honest, d);

        vm.prank(alice);
        chain.challengeDepositAfter(e, d);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
    }

    // ------------------------------------------------------------------ §3.4 challenge requests

    /// @dev Attack: the operator includes a forged tx (Alice never signed) moving Alice's deposit
    ///      to Mallory; Mallory exits. Alice asks for the spend of her deposit; nobody can show
    ///      one; the exit is cancelled and Alice takes its bond.
    function test_request_unansweredCancelsForgedExit() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory forged =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b = _commit1(forged);
        Types.ExitData memory e = _txExit(forged, 0, b, d.start, d.end);

        uint256 coin = d.start + 7;
        vm.prank(alice);
        chain.requestWithDeposit{value: bond / 4}(e, forged, d, coin);
        uint256 pos = uint256(d.blockNumber) * 2;
        // Mallory's only "answer" carries her own signature, not Alice's.
        Types.SpendProof memory fake = _spendProof(_sign(forged, malloryKey), 0, b);
        vm.expectRevert();
        chain.respondChallenge(e, pos, alice, coin, fake);
        // The exit cannot finalize while the request is open, even after maturity.
        _mature();
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.NotFinalizable.selector, keccak256(abi.encode(e)))
        );
        chain.finalizeExit(e, _ethKey());
        uint256 before = alice.balance;
        chain.resolveChallenge(e, pos, alice, coin);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
        _claim(alice);
        assertEq(alice.balance, before + bond + bond / 4, "exit bond plus request bond back");

        Types.ExitData memory mine = _depositExit(d, d.start, d.end);
        _mature();
        chain.finalizeExit(mine, _ethKey());
        assertEq(address(chain).balance, 0);
    }

    /// @dev Honest response: a griefer challenges Bob's exit with Alice's (spent) deposit; Bob
    ///      answers with Alice's signed transfer, is credited the request bond and still exits.
    function test_request_answeredByTheExitor() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.ExitData memory e = _txExit(t, 0, b, d.start, d.end);
        uint256 coin = d.start;
        uint256 pos = uint256(d.blockNumber) * 2;
        vm.warp(block.timestamp + PERIOD - 1); // the last second of the window
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, coin);
        vm.prank(mallory);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, coin);
        vm.warp(block.timestamp + PERIOD / 2 - 1); // still inside the response window
        Types.SpendProof memory answer = _spendProof(_sign(t, aliceKey), 0, b);
        vm.prank(bob);
        chain.respondChallenge(e, pos, alice, coin, answer);
        assertEq(chain.creditOf(bob), bond / 4, "the request bond goes to the exit's owner");
        vm.expectRevert(); // nothing left to resolve
        chain.resolveChallenge(e, pos, alice, coin);
        // The original window is over: a fresh request (another coin) is refused, so griefing
        // cannot push the exit back without bound (only continuations of answers remain).
        vm.prank(mallory);
        vm.expectRevert(IDebyeChain.ChallengeWindowClosed.selector);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, coin + 1);
        // The window was stretched so the challenger could go on; then the exit finalizes.
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.NotFinalizable.selector, keccak256(abi.encode(e)))
        );
        chain.finalizeExit(e, _ethKey());
        vm.warp(block.timestamp + PERIOD / 2);
        chain.finalizeExit(e, _ethKey());
    }

    /// @dev The seed's game (A → B → C → D → E, C withheld, D defective): the challenger asks for
    ///      B's spend, the operator answers with the withheld C, the challenger continues with
    ///      C's output, and D (void: included after its maxBlockIndex) is no answer.
    function test_request_continuedPastAWithheldLink_cancelsExitBuiltOnVoidTx() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        // B: Alice -> Bob (block 1). C: Bob -> Mallory (block 2, withheld by the operator).
        PrimeLib.Transaction memory txB = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 bB = _commit1(txB);
        PrimeLib.Transaction memory txC = _tx(_txIn(bob, bB, 0, d.start, d.end), mallory, 99);
        uint64 bC = _commit1(txC);
        // D: Mallory -> Carol, maxBlockIndex 2 but included in block 3: void.
        PrimeLib.Transaction memory txD = _tx(_txIn(mallory, bC, 0, d.start, d.end), carol, 2);
        uint64 bD = _commit1(txD);
        // E: Carol -> Mallory (block 4); Mallory exits E.
        PrimeLib.Transaction memory txE = _tx(_txIn(carol, bD, 0, d.start, d.end), mallory, 99);
        uint64 bE = _commit1(txE);
        Types.ExitData memory e = _txExit(txE, 0, bE, d.start, d.end);

        uint256 coin = d.start + 1;
        // Round 1, late in the window: the watcher asks for the spend of B's output (Bob's).
        vm.warp(block.timestamp + PERIOD - 10);
        Types.OutputProof memory outB = _outputProof(txB, 0, bB);
        vm.prank(carol);
        chain.requestWithOutput{value: bond / 4}(e, txE, outB, coin);
        Types.SpendProof memory answerC = _spendProof(_sign(txC, bobKey), 0, bC);
        vm.prank(mallory);
        chain.respondChallenge(e, uint256(bB) * 2 + 1, bob, coin, answerC);
        // Round 2, after the first window closed: only a continuation with the answer's output
        // and the same coin is accepted; D is void, so no answer exists.
        vm.warp(block.timestamp + 20);
        Types.OutputProof memory outC = _outputProof(txC, 0, bC);
        vm.prank(carol);
        vm.expectRevert(IDebyeChain.ChallengeWindowClosed.selector);
        chain.requestWithOutput{value: bond / 4}(e, txE, outC, coin + 1);
        vm.prank(carol);
        chain.requestWithOutput{value: bond / 4}(e, txE, outC, coin);
        Types.SpendProof memory voidAnswer = _spendProof(_sign(txD, malloryKey), 0, bD);
        vm.expectRevert(abi.encodeWithSelector(PrimeLib.TxExpired.selector, uint64(2), bD));
        chain.respondChallenge(e, uint256(bC) * 2 + 1, mallory, coin, voidAnswer);
        vm.warp(block.timestamp + PERIOD);
        chain.resolveChallenge(e, uint256(bC) * 2 + 1, mallory, coin);
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
    }

    function test_request_rules() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.ExitData memory e = _txExit(t, 0, b, d.start, d.start + 10);
        Types.ExitData memory de = _depositExit(d, d.start + 10, d.end);
        vm.startPrank(carol);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // coin outside the exit
        chain.requestWithDeposit{value: bond / 4}(e, t, d, d.start + 10);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // nothing is older than a deposit
        chain.requestWithDeposit{value: bond / 4}(de, t, d, d.start + 10);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // exitTx is not the exit's
        chain.requestWithDeposit{value: bond / 4}(e, _tx(t.inputs[0], carol, 99), d, d.start);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.WrongBond.selector, bond / 4, 1));
        chain.requestWithDeposit{value: 1}(e, t, d, d.start);
        vm.warp(block.timestamp + PERIOD);
        vm.expectRevert(IDebyeChain.ChallengeWindowClosed.selector);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, d.start);
        vm.stopPrank();
    }

    /// @dev A challenger contract re-entering when it claims its bonds cannot finalize the exit
    ///      it cancelled or resolve another request (the claim holds the re-entrancy lock).
    function test_request_resolveIsNotReentrant() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory forged =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b = _commit1(forged);
        Types.ExitData memory e = _txExit(forged, 0, b, d.start, d.end);
        ReenteringChallenger attacker = new ReenteringChallenger(chain, e, d);
        vm.deal(address(attacker), bond);
        attacker.request(forged, d.start, bond / 4);
        attacker.request(forged, d.start + 1, bond / 4);
        vm.warp(block.timestamp + PERIOD);
        uint256 before = address(chain).balance;
        attacker.resolve(d.start);
        attacker.claim();
        assertTrue(attacker.tried(), "the attacker did re-enter");
        assertFalse(attacker.finalized(), "re-entrant finalization must fail");
        assertFalse(attacker.resolvedAgain(), "re-entrant resolution must fail");
        assertEq(uint8(_status(e)), uint8(IDebyeChain.ExitStatus.Cancelled));
        assertEq(address(chain).balance, before - bond - bond / 4, "exit bond paid once");
        // The second request is only refunded.
        attacker.resolve(d.start + 1);
        attacker.claim();
        assertEq(address(chain).balance, 1 ether, "Alice's coins still backed, nothing else");
    }

    /// @dev Requests left open on an exit cancelled another way are refunded.
    function test_request_refundedWhenExitCancelledOtherwise() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        PrimeLib.Transaction memory u = _tx(_txIn(bob, b, 0, d.start, d.end), carol, 99);
        uint64 b2 = _commit1(u);
        Types.ExitData memory e = _txExit(t, 0, b, d.start, d.end); // Bob already paid Carol
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(e, t, d, d.start);
        chain.challengeSpent(e, _spendProof(_sign(u, bobKey), 0, b2));
        uint256 before = mallory.balance;
        chain.resolveChallenge(e, uint256(d.blockNumber) * 2, alice, d.start);
        _claim(mallory);
        assertEq(mallory.balance, before + bond / 4);
    }

    // ------------------------------------------------------------------ §4 priority

    /// @dev Attack: Mallory's forged exit starts first and would mature first. Alice's older
    ///      deposit exit blocks it; Alice is paid; Mallory's exit is then cancelled.
    function test_priority_olderExitWins() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory forged =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b = _commit1(forged);
        Types.ExitData memory evil = _txExit(forged, 0, b, d.start, d.end);
        vm.warp(block.timestamp + PERIOD / 2);
        Types.ExitData memory mine = _depositExit(d, d.start, d.end);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // the newer cannot block the older
        chain.blockExit(mine, evil);
        chain.blockExit(evil, mine);
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // once per pair
        chain.blockExit(evil, mine);

        vm.warp(block.timestamp + PERIOD / 2);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.NotFinalizable.selector, keccak256(abi.encode(evil)))
        );
        chain.finalizeExit(evil, _ethKey());
        vm.expectRevert(IDebyeChain.InvalidChallenge.selector); // older still pending
        chain.unblockExit(keccak256(abi.encode(evil)), keccak256(abi.encode(mine)));
        vm.warp(block.timestamp + PERIOD / 2);
        chain.finalizeExit(mine, _ethKey());

        // The coins are gone: the forged exit can only be cancelled.
        chain.unblockExit(keccak256(abi.encode(evil)), keccak256(abi.encode(mine)));
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotExitable.selector, _ethKey()));
        chain.finalizeExit(evil, _ethKey());
        uint256 before = carol.balance;
        vm.prank(carol);
        chain.challengeWithdrawn(evil, mine);
        _claim(carol);
        assertEq(carol.balance, before + bond);
        assertEq(address(chain).balance, 0, "one payout for the coins, bonds all settled");
    }

    /// @dev Honest side: a cancelled older exit releases the newer one.
    function test_priority_cancelledOlderReleasesNewer() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        PrimeLib.Transaction memory t = _tx(_depIn(alice, d.blockNumber, d.start, d.end), bob, 99);
        uint64 b = _commit1(t);
        Types.ExitData memory bobExit = _txExit(t, 0, b, d.start, d.end);
        Types.ExitData memory aliceExit = _depositExit(d, d.start, d.end); // she spent it
        chain.blockExit(bobExit, aliceExit);
        Types.SpendProof memory p = _spendProof(_sign(t, aliceKey), 0, b);
        vm.prank(bob);
        chain.challengeSpent(aliceExit, p);
        chain.unblockExit(keccak256(abi.encode(bobExit)), keccak256(abi.encode(aliceExit)));
        _mature();
        chain.finalizeExit(bobExit, _ethKey());
        assertEq(uint8(_status(bobExit)), uint8(IDebyeChain.ExitStatus.Withdrawn));
    }

    // ------------------------------------------------------------------ §5 bonds

    function test_bond_changesOnlyWithinBoundsAfterDelay() public {
        uint96 b0 = chain.exitBond();
        assertEq(b0, chain.DEFAULT_EXIT_BOND());
        vm.expectRevert(IDebyeChain.NotOperator.selector);
        chain.scheduleExitBond(b0 + 1);
        vm.startPrank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.BondOutOfBounds.selector, b0, b0 * 2 + 1)
        );
        chain.scheduleExitBond(b0 * 2 + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.BondOutOfBounds.selector, b0, b0 / 2 - 1)
        );
        chain.scheduleExitBond(b0 / 2 - 1);
        chain.scheduleExitBond(b0 * 2);
        vm.stopPrank();
        assertEq(chain.exitBond(), b0, "not before a full exit period");

        // An exit started now keeps the bond it paid.
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        vm.warp(block.timestamp + PERIOD);
        assertEq(chain.exitBond(), b0 * 2);
        uint256 before = alice.balance;
        chain.finalizeExit(e, _ethKey());
        assertEq(alice.balance, before + 1 ether + b0);
    }

    // ------------------------------------------------------------------ §6 batch, tokens

    function test_finalizeExits_settlesAndSkips_thenWithdraw() public {
        Types.DepositRecord memory d1 = _deposit(alice, 1 ether);
        Types.DepositRecord memory d2 = _deposit(bob, 2 ether);
        Types.ExitData[] memory es = new Types.ExitData[](3);
        es[0] = _depositExit(d1, d1.start, d1.end);
        es[1] = _depositExit(d2, d2.start, d2.end);
        es[2] = Types.ExitData(carol, 0, 1, 2, 0); // never started: skipped
        uint256[] memory keys = new uint256[](3);
        keys[0] = keys[1] = keys[2] = _ethKey();
        _mature();
        assertEq(chain.finalizeExits(es, keys), 2);
        assertEq(uint8(_status(es[0])), uint8(IDebyeChain.ExitStatus.Finalized));
        vm.expectRevert(IDebyeChain.LengthMismatch.selector);
        chain.finalizeExits(es, new uint256[](1));
        uint256 before = bob.balance;
        chain.withdraw(es[1]);
        assertEq(bob.balance, before + 2 ether + bond);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDebyeChain.NotWithdrawable.selector, keccak256(abi.encode(es[1]))
            )
        );
        chain.withdraw(es[1]);
        chain.withdraw(es[0]);
        assertEq(address(chain).balance, 0);
    }

    function test_tokenExit_paysTokensAndEthBond() public {
        TestToken token = new TestToken("T", "T");
        vm.prank(operator);
        chain.listToken(address(token));
        token.mint(alice, 500);
        vm.startPrank(alice);
        token.approve(address(chain), 500);
        uint64 bn = chain.nextBlock();
        (uint256 s, uint256 e) = chain.depositToken(address(token), 500);
        chain.startDepositExit{value: bond}(Types.DepositRecord(alice, s, e, bn), s, s + 200);
        vm.stopPrank();
        _mature();
        Types.ExitData memory x = Types.ExitData(alice, s, s + 200, uint256(bn) * 2, 0);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotExitable.selector, _ethKey()));
        chain.finalizeExit(x, _ethKey());
        uint256 before = alice.balance;
        chain.finalizeExit(x, uint256(2) << 128);
        assertEq(token.balanceOf(alice), 200);
        assertEq(alice.balance, before + bond);
    }
}

/// @dev Opens challenge requests, resolves one, then tries to finalize the challenged exit and
///      resolve the other request from inside the ETH payment that `claim` makes to it.
contract ReenteringChallenger {
    DebyeChain internal immutable chain;
    Types.ExitData internal exit;
    Types.DepositRecord internal dep;
    bool public tried;
    bool public finalized;
    bool public resolvedAgain;

    constructor(DebyeChain chain_, Types.ExitData memory exit_, Types.DepositRecord memory dep_) {
        chain = chain_;
        exit = exit_;
        dep = dep_;
    }

    function request(PrimeLib.Transaction calldata exitTx, uint256 coin, uint256 value) external {
        chain.requestWithDeposit{value: value}(exit, exitTx, dep, coin);
    }

    function claim() external {
        chain.claim();
    }

    function resolve(uint256 coin) external {
        chain.resolveChallenge(exit, uint256(dep.blockNumber) * 2, dep.owner, coin);
    }

    receive() external payable {
        if (tried) return;
        tried = true;
        try chain.finalizeExit(exit, uint256(1) << 128) {
            finalized = true;
        } catch {}
        try chain.resolveChallenge(exit, uint256(dep.blockNumber) * 2, dep.owner, dep.start + 1) {
            resolvedAgain = true;
        } catch {}
    }
}
