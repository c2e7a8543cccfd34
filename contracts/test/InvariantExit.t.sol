// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DebyeChain} from "../src/DebyeChain.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {ExitLib} from "../src/lib/ExitLib.sol";
import {ForcedInclusion} from "../src/exit/ForcedInclusion.sol";
import {ForcedFixture} from "./ForcedInclusion.t.sol";
import {Refuser} from "./Hardening.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";
import {IForcedInclusion} from "../src/interfaces/IForcedInclusion.sol";

/// @dev Drives the exit game with random sequences of honest and malicious moves and time jumps.
///      Honest owners follow docs/exit-game.md §8: they exit unspent coins, answer requests on
///      their exits, challenge exits over coins they spent or own, release blocked exits and
///      finalize; they act at every time jump, and time jumps at most T/4 at a time (§7).
///      Malicious moves: a previous owner exits a spent output; the operator includes a forged
///      transfer and Mallory exits it; Mallory opens griefing requests and priority blocks.
///      Forced inclusion (docs/exit-game.md §12): honest owners force transfers the operator
///      censors (the forced outputs are then exited, transferred, forged, griefed like any other,
///      and the forced transaction is the spend, answer and evidence where needed); Mallory
///      forces transactions over honest coins naming herself as owner, and previous owners force
///      re-spends of coins they paid away; watchers refute both within the period.
contract ExitHandler is ForcedFixture {
    struct Utxo {
        address owner;
        uint256 start;
        uint256 end;
        uint64 blockNumber; // deposit's blockNumber, or the tx's block
        bool isDeposit;
        bytes txEnc; // abi.encode(Transaction) for outputs
        int256 prev; // index of the spent utxo, -1 for deposits
        bool spent;
        bytes spendEnc; // abi.encode(SignedTransaction) of its spend
        uint64 spendBlock;
        bool frozen; // exiting or attacked: no more transfers
        bool isForced; // an output of forced transaction `forcedIndex` (txEnc is its content)
        uint64 forcedIndex;
        bool spentByForced; // spent by forced transaction `spendForced` (spendEnc: its content)
        uint64 spendForced;
    }

    struct ForcedRec {
        bytes txEnc; // abi.encode(Transaction)
        uint64 k;
        uint256 utxo; // the spent utxo
        uint8 kind; // 0 honest transfer, 1 owner mismatch (Mallory), 2 re-spend of a spent utxo,
        // 3 a transfer to an accomplice, settled late after an L2 payment (finding 2)
        uint256 postedAt;
        bool done;
    }

    struct ExitRec {
        bytes exitEnc; // abi.encode(ExitData)
        uint256 utxo;
        uint8 kind; // 0 honest, 1 spent-output exit, 2 forged exit, 3 late-settled forced exit
        uint256 startedAt;
        bool requested; // a request is open on it (kind 2: the victim's; kind 0: Mallory's)
        uint256 reqPosition;
        address reqOwner;
    }

    Utxo[] internal utxos;
    ExitRec[] internal exitsLog;
    uint256[2][] internal paid; // settled coin ranges
    bytes32[2][] internal blocks; // (newer, older) pairs

    uint256 public totalDeposited;
    uint256 public totalPaid;
    bool public doublePaid;
    bool public honestLost;
    uint256 public honestLate;
    uint256 public honestPaid;
    uint256 public spentCancelled;
    uint256 public forgedCancelled;
    uint256 public answered;
    uint256 public unblocked;
    ForcedRec[] internal forcedLog;
    uint256 public forcedIncluded;
    uint256 public forcedCancelled;

    address[3] internal honest;
    mapping(address => uint256) internal keyOf;

    /// @dev A request Mallory opened on an honest exit naming a forged output (finding 1).
    struct ForgeryRequest {
        uint256 exitIdx;
        uint256 position;
        uint256 coin;
        bool done;
    }

    /// @dev Recipient utxo index + 1 => the forged utxo index + 1 committed just before its
    ///      payment (docs/exit-game.md §3.4.1).
    mapping(uint256 => uint256) internal forgedSibling;
    ForgeryRequest[] internal forgeryRequests;
    uint256 public forgeryRequestsRefused;
    uint256 public inFlightPaid;
    /// @dev A griefer got its request bond back by answering its own request (§3.4.2).
    bool public griefFree;
    uint256 public lateSettled;
    uint256 public lateAttackRefused;
    uint256 public lateCancelled;
    uint256 public griefsPaidToOwner;
    /// @dev Posts forced transactions from a contract that refuses ETH (§5.3).
    Refuser internal refuser = new Refuser();

    constructor() {
        setUp();
        honest = [alice, bob, carol];
        keyOf[alice] = aliceKey;
        keyOf[bob] = bobKey;
        keyOf[carol] = carolKey;
        keyOf[mallory] = malloryKey;
    }

    // ------------------------------------------------------------------ honest moves

    function deposit(uint256 who, uint256 amount) external {
        amount = bound(amount, 1, 10 ether);
        Types.DepositRecord memory d = _deposit(honest[who % 3], amount);
        totalDeposited += amount;
        utxos.push(
            Utxo(
                d.owner,
                d.start,
                d.end,
                d.blockNumber,
                true,
                "",
                -1,
                false,
                "",
                0,
                false,
                false,
                0,
                false,
                0
            )
        );
    }

    function transfer(uint256 i, uint256 to) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen) return;
        PrimeLib.Transaction memory t = _tx(_inputOf(u), honest[to % 3], type(uint64).max);
        uint64 b = _commit1(t);
        u.spent = true;
        u.spendEnc = abi.encode(_sign(t, keyOf[u.owner]));
        u.spendBlock = b;
        // casting is safe: utxo indices are small
        // forge-lint: disable-next-line(unsafe-typecast)
        _pushOutput(t.outputs[0].owner, u, b, abi.encode(t), int256(i), false, false);
    }

    function honestExit(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen) return;
        u.frozen = true;
        _startExit(i, 0, u.owner);
    }

    // ------------------------------------------------------------------ malicious moves

    /// @dev The previous owner exits an output they already spent.
    function exitSpent(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        if (!utxos[i].spent) return;
        bytes32 id = _exitIdOf(i, utxos[i].owner);
        if (chain.exitState(id).status != IDebyeChain.ExitStatus.None) return;
        _startExit(i, 1, utxos[i].owner);
    }

    /// @dev The operator includes a transfer of an honest owner's coins to Mallory that the owner
    ///      never signed; Mallory exits it.
    function forge(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen) return;
        u.frozen = true; // the victim's history is attacked: they exit instead of transferring
        PrimeLib.Transaction memory t = _tx(_inputOf(u), mallory, type(uint64).max);
        uint64 b = _commit1(t);
        // casting is safe: utxo indices are small
        // forge-lint: disable-next-line(unsafe-typecast)
        _pushOutput(mallory, u, b, abi.encode(t), int256(i), true, true);
        _startExit(utxos.length - 1, 2, mallory);
    }

    /// @dev Mallory asks an honest transaction exit for the spend of its previous output.
    function grief(uint256 k) external {
        if (exitsLog.length == 0) return;
        ExitRec storage x = exitsLog[k % exitsLog.length];
        Utxo storage u = utxos[x.utxo];
        if (x.kind != 0 || x.requested || u.prev < 0) return;
        Types.ExitData memory e = abi.decode(x.exitEnc, (Types.ExitData));
        IDebyeChain.ExitState memory s = chain.exitState(keccak256(x.exitEnc));
        if (s.status != IDebyeChain.ExitStatus.Pending || vm.getBlockTimestamp() >= s.requestsUntil)
        {
            return;
        }
        // casting is safe: utxo indices are small and prev >= 0 here
        // forge-lint: disable-next-line(unsafe-typecast)
        Utxo storage p = utxos[uint256(u.prev)];
        PrimeLib.Transaction memory xt = abi.decode(u.txEnc, (PrimeLib.Transaction));
        vm.deal(mallory, mallory.balance + s.bond);
        if (p.isDeposit) {
            Types.DepositRecord memory d =
                Types.DepositRecord(p.owner, p.start, p.end, p.blockNumber);
            vm.prank(mallory);
            chain.requestWithDeposit{value: s.bond / 4}(e, xt, d, e.start);
            x.reqPosition = uint256(p.blockNumber) * 2;
        } else if (p.isForced) {
            Types.OutputProof memory o =
                _fOut(abi.decode(p.txEnc, (PrimeLib.Transaction)), 0, p.forcedIndex);
            vm.prank(mallory);
            chain.requestWithOutput{value: s.bond / 4}(e, xt, o, e.start);
            (,, x.reqPosition,,) = fi.forcedState(p.forcedIndex);
        } else {
            Types.OutputProof memory o =
                _outputProof(abi.decode(p.txEnc, (PrimeLib.Transaction)), 0, p.blockNumber);
            vm.prank(mallory);
            chain.requestWithOutput{value: s.bond / 4}(e, xt, o, e.start);
            x.reqPosition = uint256(p.blockNumber) * 2 + 1;
        }
        x.requested = true;
        x.reqOwner = p.owner;
    }

    /// @dev Mallory holds an exit back with an older pending overlapping one.
    function blockWith(uint256 a, uint256 b) external {
        if (exitsLog.length < 2) return;
        ExitRec storage newer = exitsLog[a % exitsLog.length];
        ExitRec storage older = exitsLog[b % exitsLog.length];
        Types.ExitData memory n = abi.decode(newer.exitEnc, (Types.ExitData));
        Types.ExitData memory o = abi.decode(older.exitEnc, (Types.ExitData));
        bytes32 nid = keccak256(newer.exitEnc);
        bytes32 oid = keccak256(older.exitEnc);
        if (
            ExitLib.order(o.position) >= ExitLib.order(n.position) || n.start >= o.end
                || o.start >= n.end || chain.exitState(nid).status != IDebyeChain.ExitStatus.Pending
                || chain.exitState(oid).status != IDebyeChain.ExitStatus.Pending
                || chain.isBlocked(nid, oid)
        ) return;
        vm.prank(mallory);
        chain.blockExit(n, o);
        blocks.push([nid, oid]);
    }

    /// @dev Finding 1 (docs/exit-game.md §3.4.1): an honest owner's payment in flight. The
    ///      operator first commits a forged spend of the owner's coins to Mallory, then the
    ///      owner's real payment; Mallory exits the forgery (the victim's request on its parent
    ///      stands unanswered), and may later name the forged output against the recipient's
    ///      exit (`griefWithForgery`).
    function forgeThenPay(uint256 i, uint256 to) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen || u.isForced) return;
        PrimeLib.Transaction memory f = _tx(_inputOf(u), mallory, type(uint64).max);
        uint64 bf = _commit1(f);
        PrimeLib.Transaction memory t = _tx(_inputOf(u), honest[to % 3], type(uint64).max);
        uint64 bt = _commit1(t);
        u.spent = true;
        u.spendEnc = abi.encode(_sign(t, keyOf[u.owner]));
        u.spendBlock = bt;
        // casting is safe: utxo indices are small
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 prev = int256(i);
        _pushOutput(mallory, u, bf, abi.encode(f), prev, true, true);
        uint256 forged = utxos.length - 1;
        _startExit(forged, 2, mallory);
        _pushOutput(t.outputs[0].owner, u, bt, abi.encode(t), prev, false, false);
        forgedSibling[utxos.length] = forged + 1;
        inFlightPaid++;
        // The recipient sees the operator misbehave and exits at once (§8); Mallory tries to
        // name her forged output against that exit.
        utxos[utxos.length - 1].frozen = true;
        _startExit(utxos.length - 1, 0, t.outputs[0].owner);
        this.griefWithForgery(exitsLog.length - 1);
    }

    /// @dev Mallory names the forged output committed before an honest exit's payment (newer
    ///      than its parent) in a request; if the contract takes it, she resolves it later.
    function griefWithForgery(uint256 k) external {
        if (exitsLog.length == 0) return;
        uint256 idx = k % exitsLog.length;
        ExitRec storage x = exitsLog[idx];
        uint256 sib = forgedSibling[x.utxo + 1];
        IDebyeChain.ExitState memory s = chain.exitState(keccak256(x.exitEnc));
        if (
            x.kind != 0 || sib == 0 || s.status != IDebyeChain.ExitStatus.Pending
                || vm.getBlockTimestamp() >= s.requestsUntil
        ) return;
        Utxo storage fu = utxos[sib - 1];
        Types.ExitData memory e = abi.decode(x.exitEnc, (Types.ExitData));
        PrimeLib.Transaction memory xt = abi.decode(utxos[x.utxo].txEnc, (PrimeLib.Transaction));
        Types.OutputProof memory o =
            _outputProof(abi.decode(fu.txEnc, (PrimeLib.Transaction)), 0, fu.blockNumber);
        vm.deal(mallory, mallory.balance + s.bond);
        vm.prank(mallory);
        try chain.requestWithOutput{value: s.bond / 4}(e, xt, o, e.start) {
            forgeryRequests.push(
                ForgeryRequest(idx, uint256(fu.blockNumber) * 2 + 1, e.start, false)
            );
        } catch {
            forgeryRequestsRefused++;
        }
    }

    /// @dev Finding 4 (§3.4.2): Mallory opens a request on an honest exit and answers it herself
    ///      in the same block, to delay it for gas alone. Her bond must go to the exit's owner.
    function griefAndAnswer(uint256 k) external {
        if (exitsLog.length == 0) return;
        ExitRec storage x = exitsLog[k % exitsLog.length];
        Utxo storage u = utxos[x.utxo];
        IDebyeChain.ExitState memory s = chain.exitState(keccak256(x.exitEnc));
        if (
            x.kind != 0 || x.requested || u.prev < 0 || u.isForced
                || s.status != IDebyeChain.ExitStatus.Pending
                || vm.getBlockTimestamp() >= s.requestsUntil
        ) return;
        // casting is safe: utxo indices are small and prev >= 0 here
        // forge-lint: disable-next-line(unsafe-typecast)
        Utxo storage p = utxos[uint256(u.prev)];
        if (!p.isDeposit || p.spentByForced) return;
        Types.ExitData memory e = abi.decode(x.exitEnc, (Types.ExitData));
        PrimeLib.Transaction memory xt = abi.decode(u.txEnc, (PrimeLib.Transaction));
        Types.DepositRecord memory d = Types.DepositRecord(p.owner, p.start, p.end, p.blockNumber);
        Types.SpendProof memory answer = _spendOf(p);
        uint256 mine = chain.creditOf(mallory);
        uint256 owners = chain.creditOf(e.owner);
        vm.deal(mallory, mallory.balance + s.bond);
        vm.startPrank(mallory);
        chain.requestWithDeposit{value: s.bond / 4}(e, xt, d, e.start);
        chain.respondChallenge(e, uint256(p.blockNumber) * 2, p.owner, e.start, answer);
        vm.stopPrank();
        if (chain.creditOf(mallory) > mine) griefFree = true;
        if (chain.creditOf(e.owner) == owners + s.bond / 4) griefsPaidToOwner++;
    }

    // ------------------------------------------------------------------ forced inclusion

    /// @dev Finding 2 (§12.3): a dishonest owner forces a transfer of her coins to Mallory (her
    ///      accomplice), signs it, and lets it mature unsettled; when it is due she pays an honest
    ///      owner the same coins on L2 and settles the forced one in the same L1 block
    ///      (`_settleLate`).
    function lateForcedSettle(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen || u.isForced) return;
        if (u.blockNumber >= chain.nextBlock()) _commitEmpty();
        u.frozen = true;
        PrimeLib.Transaction memory t = _tx(_inputOf(u), mallory, _uniqueMax());
        _postForced(t, u.owner, keyOf[u.owner], i, 3);
    }

    /// @dev Finding 3 (§5.3): a griefer's contract that refuses ETH front-runs an honest owner's
    ///      forced transfer; the owner signs that copy; it must still settle.
    function forcedByRefuser(uint256 i, uint256 to) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen || u.isForced) return;
        if (u.blockNumber >= chain.nextBlock()) _commitEmpty();
        u.frozen = true;
        PrimeLib.Transaction memory t = _tx(_inputOf(u), honest[to % 3], type(uint64).max);
        vm.deal(address(refuser), fbond);
        uint64 k = refuser.force(fi, t, fbond);
        _signF(k, t, keyOf[u.owner]);
        forcedLog.push(ForcedRec(abi.encode(t), k, i, 0, vm.getBlockTimestamp(), false));
    }

    /// @dev An honest owner forces a transfer the operator censors (docs/exit-game.md §12) and
    ///      signs it on L1; the coins wait for the forced game.
    function forcedTransfer(uint256 i, uint256 to) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.spent || u.frozen || u.isForced) return; // §12.1: no forced chains
        if (u.blockNumber >= chain.nextBlock()) _commitEmpty(); // §12.1: a committed block
        u.frozen = true;
        PrimeLib.Transaction memory t = _tx(_inputOf(u), honest[to % 3], type(uint64).max);
        _postForced(t, u.owner, keyOf[u.owner], i, 0);
    }

    /// @dev Mallory forces a transaction spending an honest owner's coins, naming herself as the
    ///      input's owner (the output exists, with another owner: §12.2 (b)).
    function forceSteal(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (u.isForced || u.owner == mallory || u.blockNumber >= chain.nextBlock()) return;
        PrimeLib.Input memory x = _inputOf(u);
        x.owner = mallory;
        PrimeLib.Transaction memory t = _tx(x, mallory, _uniqueMax());
        _postForced(t, mallory, malloryKey, i, 1);
    }

    /// @dev A previous owner forces a re-spend, to Mallory, of coins they paid away on L2
    ///      (§12.2 (a)).
    function forceSpent(uint256 i) external {
        if (utxos.length == 0) return;
        i = i % utxos.length;
        Utxo storage u = utxos[i];
        if (!u.spent || u.spentByForced || u.isForced || u.spendEnc.length == 0) return;
        PrimeLib.Transaction memory t = _tx(_inputOf(u), mallory, _uniqueMax());
        _postForced(t, u.owner, keyOf[u.owner], i, 2);
    }

    function _uniqueMax() internal view returns (uint64) {
        // casting to 'uint64' is safe because forcedLog is short
        // forge-lint: disable-next-line(unsafe-typecast)
        return type(uint64).max - uint64(forcedLog.length) - 1;
    }

    function _postForced(
        PrimeLib.Transaction memory t,
        address poster,
        uint256 key,
        uint256 i,
        uint8 kind
    ) internal {
        vm.deal(poster, poster.balance + fbond);
        vm.prank(poster);
        uint64 k = fi.force{value: fbond}(t);
        _signF(k, t, key);
        forcedLog.push(ForcedRec(abi.encode(t), k, i, kind, vm.getBlockTimestamp(), false));
    }

    /// @dev Watchers refute every dishonest forced transaction while it is pending (§12.2).
    function _forcedDuties() internal {
        for (uint256 j = 0; j < forcedLog.length; j++) {
            ForcedRec storage f = forcedLog[j];
            if (
                f.kind == 0 || f.kind == 3 || _fStatus(f.k) != IForcedInclusion.ForcedStatus.Pending
            ) {
                continue;
            }
            PrimeLib.Transaction memory t = abi.decode(f.txEnc, (PrimeLib.Transaction));
            Utxo storage u = utxos[f.utxo];
            if (f.kind == 2) {
                PrimeLib.SignedTransaction memory st =
                    abi.decode(u.spendEnc, (PrimeLib.SignedTransaction));
                fi.challengeForcedSpent(f.k, t, 0, _fiSpend(st, 0, u.spendBlock));
            } else if (u.isDeposit) {
                fi.challengeForcedDeposit(
                    f.k, t, 0, Types.DepositRecord(u.owner, u.start, u.end, u.blockNumber)
                );
            } else {
                PrimeLib.Transaction memory made = abi.decode(u.txEnc, (PrimeLib.Transaction));
                fi.challengeForcedOutput(
                    f.k,
                    t,
                    0,
                    Types.OutputProof(
                        made, 0, _ph(_headers[u.blockNumber]), _proof(u.blockNumber, u.start)
                    )
                );
            }
            forcedCancelled++;
        }
    }

    /// @dev After time moved: anyone settles matured forced transactions; an included honest
    ///      one moves the coins to its output.
    function _settleForced() internal {
        for (uint256 j = 0; j < forcedLog.length; j++) {
            ForcedRec storage f = forcedLog[j];
            if (f.done) continue;
            if (f.kind == 3) {
                if (vm.getBlockTimestamp() >= f.postedAt + PERIOD) _settleLate(f);
                continue;
            }
            IForcedInclusion.ForcedStatus st = _fStatus(f.k);
            if (st == IForcedInclusion.ForcedStatus.Pending) {
                try fi.finalizeForced(f.k) {}
                catch {
                    // Signed when posted, an honest forced transfer is due one period later
                    // (§12.3); a settlement that still fails then is frozen (§5.3).
                    if (f.kind == 0 && vm.getBlockTimestamp() >= f.postedAt + PERIOD) {
                        honestLate++;
                    }
                    continue;
                }
                st = _fStatus(f.k);
            }
            f.done = true;
            bool included = st == IForcedInclusion.ForcedStatus.Included;
            if (f.kind != 0) {
                if (included) honestLost = true; // a forced theft went through
                continue;
            }
            if (!included) {
                honestLost = true; // an honest forced transfer was cancelled
                continue;
            }
            forcedIncluded++;
            Utxo storage u = utxos[f.utxo];
            PrimeLib.Transaction memory t = abi.decode(f.txEnc, (PrimeLib.Transaction));
            u.spent = true;
            u.spentByForced = true;
            u.spendForced = f.k;
            u.spendEnc = f.txEnc;
            utxos.push(
                Utxo(
                    t.outputs[0].owner,
                    u.start,
                    u.end,
                    0,
                    false,
                    f.txEnc,
                    // casting is safe: utxo indices are small
                    // forge-lint: disable-next-line(unsafe-typecast)
                    int256(f.utxo),
                    false,
                    "",
                    0,
                    false,
                    true,
                    f.k,
                    false,
                    0
                )
            );
        }
    }

    /// @dev The late settlement of `lateForcedSettle`: the owner pays an honest recipient on L2,
    ///      the forced transfer is settled right after that block is committed; the recipient
    ///      exits at once and Mallory exits the forced output. Mallory then tries the forced
    ///      transfer as an "earlier spend" against the recipient's exit.
    function _settleLate(ForcedRec storage f) internal {
        f.done = true;
        Utxo storage u = utxos[f.utxo];
        PrimeLib.Transaction memory pay = _tx(_inputOf(u), honest[f.k % 3], type(uint64).max);
        uint64 b = _commit1(pay);
        fi.finalizeForced(f.k);
        lateSettled++;
        u.spent = true;
        u.spendEnc = abi.encode(_sign(pay, keyOf[u.owner]));
        u.spendBlock = b;
        // casting is safe: utxo indices are small
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 prev = int256(f.utxo);
        _pushOutput(pay.outputs[0].owner, u, b, abi.encode(pay), prev, false, true);
        _startExit(utxos.length - 1, 0, pay.outputs[0].owner);
        Types.ExitData memory honestExit_ =
            abi.decode(exitsLog[exitsLog.length - 1].exitEnc, (Types.ExitData));
        utxos.push(
            Utxo(
                mallory,
                u.start,
                u.end,
                0,
                false,
                f.txEnc,
                prev,
                true,
                "",
                0,
                true,
                true,
                f.k,
                false,
                0
            )
        );
        _startExit(utxos.length - 1, 3, mallory);
        PrimeLib.Transaction memory forced = abi.decode(f.txEnc, (PrimeLib.Transaction));
        try chain.challengeDoubleSpend(honestExit_, pay, 0, _fSpend(forced, 0, f.k)) {}
        catch {
            lateAttackRefused++;
        }
    }

    function forcedCount() external view returns (uint256) {
        return forcedLog.length;
    }

    // ------------------------------------------------------------------ time and duties

    function jump(uint256 seconds_) external {
        _duties();
        vm.warp(vm.getBlockTimestamp() + bound(seconds_, 1, PERIOD / 4));
        _settle();
    }

    /// @dev What honest owners and watchers do before time moves on (docs/exit-game.md §8).
    function _duties() internal {
        for (uint256 k = 0; k < exitsLog.length; k++) {
            ExitRec storage x = exitsLog[k];
            bytes32 id = keccak256(x.exitEnc);
            if (chain.exitState(id).status != IDebyeChain.ExitStatus.Pending) continue;
            Types.ExitData memory e = abi.decode(x.exitEnc, (Types.ExitData));
            Utxo storage u = utxos[x.utxo];
            if (x.kind == 1) {
                // The new owner shows the spend.
                chain.challengeSpent(e, _spendOf(u));
                spentCancelled++;
            } else if (
                x.kind == 2 && !x.requested && vm.getBlockTimestamp() >= x.startedAt + PERIOD / 2
            ) {
                // The victim names their own output (late in the window, so the exit matures
                // while the request is open); nobody can show its spend.
                _victimRequest(x, e);
            } else if (x.kind == 0 && x.requested) {
                _answer(x, e);
            } else if (x.kind == 3) {
                // The recipient shows its L2 payment, committed before the forced transfer was
                // settled: the earlier spend of the forced transfer's input (§12.4).
                Utxo storage v = utxos[uint256(u.prev)];
                PrimeLib.Transaction memory forced = abi.decode(u.txEnc, (PrimeLib.Transaction));
                try chain.challengeDoubleSpend(e, forced, 0, _spendOf(v)) {
                    lateCancelled++;
                } catch {}
            }
        }
        _forcedDuties();
        for (uint256 k = 0; k < blocks.length; k++) {
            if (
                chain.isBlocked(blocks[k][0], blocks[k][1])
                    && chain.exitState(blocks[k][1]).status != IDebyeChain.ExitStatus.Pending
            ) {
                chain.unblockExit(blocks[k][0], blocks[k][1]);
                unblocked++;
            }
        }
    }

    function _victimRequest(ExitRec storage x, Types.ExitData memory e) internal {
        Utxo storage v = utxos[uint256(utxos[x.utxo].prev)];
        uint256 bond4 = chain.exitState(keccak256(x.exitEnc)).bond / 4;
        PrimeLib.Transaction memory xt = abi.decode(utxos[x.utxo].txEnc, (PrimeLib.Transaction));
        if (vm.getBlockTimestamp() >= chain.exitState(keccak256(x.exitEnc)).requestsUntil) {
            honestLost = true; // the watcher acted too late: cannot happen with jumps <= T/4
            return;
        }
        if (v.isDeposit) {
            Types.DepositRecord memory d =
                Types.DepositRecord(v.owner, v.start, v.end, v.blockNumber);
            vm.prank(v.owner);
            chain.requestWithDeposit{value: bond4}(e, xt, d, e.start);
            x.reqPosition = uint256(v.blockNumber) * 2;
        } else if (v.isForced) {
            Types.OutputProof memory o =
                _fOut(abi.decode(v.txEnc, (PrimeLib.Transaction)), 0, v.forcedIndex);
            vm.prank(v.owner);
            chain.requestWithOutput{value: bond4}(e, xt, o, e.start);
            (,, x.reqPosition,,) = fi.forcedState(v.forcedIndex);
        } else {
            Types.OutputProof memory o =
                _outputProof(abi.decode(v.txEnc, (PrimeLib.Transaction)), 0, v.blockNumber);
            vm.prank(v.owner);
            chain.requestWithOutput{value: bond4}(e, xt, o, e.start);
            x.reqPosition = uint256(v.blockNumber) * 2 + 1;
        }
        x.requested = true;
        x.reqOwner = v.owner;
    }

    function _answer(ExitRec storage x, Types.ExitData memory e) internal {
        bytes32 cid =
            keccak256(abi.encode(keccak256(x.exitEnc), x.reqPosition, x.reqOwner, e.start));
        if (chain.challengeState(cid).challenger == address(0)) return;
        Utxo storage p = utxos[uint256(utxos[x.utxo].prev)];
        Types.SpendProof memory sp = _spendOf(p);
        vm.prank(e.owner);
        chain.respondChallenge(e, x.reqPosition, x.reqOwner, e.start, sp);
        answered++;
    }

    /// @dev After time moved: resolve expired requests, finalize matured honest exits.
    function _settle() internal {
        _settleForced();
        for (uint256 k = 0; k < exitsLog.length; k++) {
            ExitRec storage x = exitsLog[k];
            bytes32 id = keccak256(x.exitEnc);
            IDebyeChain.ExitState memory s = chain.exitState(id);
            Types.ExitData memory e = abi.decode(x.exitEnc, (Types.ExitData));
            if (x.kind == 0 && s.status == IDebyeChain.ExitStatus.Cancelled) honestLost = true;
            if (s.status != IDebyeChain.ExitStatus.Pending) continue;
            if (_resolveForgeryRequest(k, e)) continue;
            if (x.kind == 2 && x.requested) {
                bytes32 cid = keccak256(abi.encode(id, x.reqPosition, x.reqOwner, e.start));
                IDebyeChain.ChallengeState memory c = chain.challengeState(cid);
                if (c.challenger != address(0) && vm.getBlockTimestamp() >= c.deadline) {
                    chain.resolveChallenge(e, x.reqPosition, x.reqOwner, e.start);
                    forgedCancelled++;
                    continue;
                }
            }
            // Anyone tries to finalize every matured exit; the contract must refuse the
            // dishonest ones (open requests, blocks) and settle the honest ones.
            if (vm.getBlockTimestamp() >= s.exitableAt) {
                _finalize(x, e);
            } else if (x.kind == 0 && vm.getBlockTimestamp() >= x.startedAt + 2 * PERIOD) {
                honestLate++;
            }
        }
    }

    /// @dev Mallory resolves her expired requests naming a forged output (finding 1); true if
    ///      one was resolved on exit `k`.
    function _resolveForgeryRequest(uint256 k, Types.ExitData memory e) internal returns (bool) {
        for (uint256 j = 0; j < forgeryRequests.length; j++) {
            ForgeryRequest storage r = forgeryRequests[j];
            if (r.done || r.exitIdx != k) continue;
            bytes32 cid =
                keccak256(abi.encode(keccak256(abi.encode(e)), r.position, mallory, r.coin));
            IDebyeChain.ChallengeState memory c = chain.challengeState(cid);
            if (c.challenger == address(0) || vm.getBlockTimestamp() < c.deadline) continue;
            chain.resolveChallenge(e, r.position, mallory, r.coin);
            r.done = true;
            return true;
        }
        return false;
    }

    function _finalize(ExitRec storage x, Types.ExitData memory e) internal {
        uint256 key = uint256(1) << 128;
        for (uint256 k = 0; k < paid.length; k++) {
            if (paid[k][0] < e.end && e.start < paid[k][1]) {
                // Already paid coins: the contract must refuse.
                vm.expectRevert(abi.encodeWithSelector(IDebyeChain.NotExitable.selector, key));
                chain.finalizeExit(e, key);
                if (x.kind == 0) honestLost = true;
                return;
            }
            if (paid[k][0] > e.start && paid[k][0] < key) key = paid[k][0];
        }
        uint256 before = e.owner.balance;
        uint96 b = chain.exitState(keccak256(x.exitEnc)).bond;
        try chain.finalizeExit(e, key) {}
        catch {
            if (x.kind == 0 && vm.getBlockTimestamp() >= x.startedAt + 2 * PERIOD) honestLate++;
            return;
        }
        if (e.owner.balance != before + (e.end - e.start) + b) doublePaid = true;
        totalPaid += e.end - e.start;
        paid.push([e.start, e.end]);
        if (x.kind == 0) honestPaid++;
        if (x.kind != 0) honestLost = true; // a dishonest exit was paid: someone lost coins
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Appends an output of transaction `txEnc` (block `b`) over `u`'s coins, spending
    ///      utxo `prev` (`spent` / `frozen`: taken out of the honest moves).
    function _pushOutput(
        address owner,
        Utxo storage u,
        uint64 b,
        bytes memory txEnc,
        int256 prev,
        bool spent,
        bool frozen
    ) internal {
        utxos.push(
            Utxo(
                owner,
                u.start,
                u.end,
                b,
                false,
                txEnc,
                prev,
                spent,
                "",
                0,
                frozen,
                false,
                0,
                false,
                0
            )
        );
    }

    function _inputOf(Utxo storage u) internal view returns (PrimeLib.Input memory) {
        if (u.isForced) {
            return PrimeLib.Input(u.owner, _fref(u.forcedIndex), 0, 0, _seg(u.start, u.end));
        }
        return u.isDeposit
            ? _depIn(u.owner, u.blockNumber, u.start, u.end)
            : _txIn(u.owner, u.blockNumber, 0, u.start, u.end);
    }

    /// @dev The spend of `u` as exit-game evidence: its L2 spend, or the forced one.
    function _spendOf(Utxo storage u) internal view returns (Types.SpendProof memory) {
        if (u.spentByForced) {
            return _fSpend(abi.decode(u.spendEnc, (PrimeLib.Transaction)), 0, u.spendForced);
        }
        PrimeLib.SignedTransaction memory st = abi.decode(u.spendEnc, (PrimeLib.SignedTransaction));
        return _spendProof(st, 0, u.spendBlock);
    }

    function _exitIdOf(uint256 i, address owner) internal view returns (bytes32) {
        Utxo storage u = utxos[i];
        bytes32 txId = u.isDeposit ? bytes32(0) : _id(abi.decode(u.txEnc, (PrimeLib.Transaction)));
        uint256 pos = uint256(u.blockNumber) * 2 + (u.isDeposit ? 0 : 1);
        if (u.isForced) (,, pos,,) = fi.forcedState(u.forcedIndex);
        return keccak256(abi.encode(Types.ExitData(owner, u.start, u.end, pos, txId)));
    }

    function _startExit(uint256 i, uint8 kind, address owner) internal {
        Utxo storage u = utxos[i];
        vm.deal(owner, owner.balance + bond);
        Types.ExitData memory e;
        if (u.isForced) {
            e = _forcedExit(
                abi.decode(u.txEnc, (PrimeLib.Transaction)), 0, u.forcedIndex, u.start, u.end
            );
        } else if (u.isDeposit) {
            e = _depositExit(
                Types.DepositRecord(u.owner, u.start, u.end, u.blockNumber), u.start, u.end
            );
        } else {
            e = _txExit(
                abi.decode(u.txEnc, (PrimeLib.Transaction)), 0, u.blockNumber, u.start, u.end
            );
        }
        exitsLog.push(ExitRec(abi.encode(e), i, kind, vm.getBlockTimestamp(), false, 0, address(0)));
    }

    function exitCount() external view returns (uint256) {
        return exitsLog.length;
    }
}

/// @dev The invariants of docs/exit-game.md: solvency per token (ETH here), no coin paid twice,
///      honest owners never lose coins and are paid within two exit periods.
contract InvariantExitTest is Test {
    ExitHandler internal handler;

    function setUp() public {
        handler = new ExitHandler();
        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = ExitHandler.deposit.selector;
        selectors[1] = ExitHandler.transfer.selector;
        selectors[2] = ExitHandler.honestExit.selector;
        selectors[3] = ExitHandler.exitSpent.selector;
        selectors[4] = ExitHandler.forge.selector;
        selectors[5] = ExitHandler.grief.selector;
        selectors[6] = ExitHandler.blockWith.selector;
        selectors[7] = ExitHandler.jump.selector;
        selectors[8] = ExitHandler.forcedTransfer.selector;
        selectors[9] = ExitHandler.forceSteal.selector;
        selectors[10] = ExitHandler.forceSpent.selector;
        selectors[11] = ExitHandler.forgeThenPay.selector;
        selectors[12] = ExitHandler.griefWithForgery.selector;
        selectors[13] = ExitHandler.griefAndAnswer.selector;
        selectors[14] = ExitHandler.forcedByRefuser.selector;
        selectors[15] = ExitHandler.lateForcedSettle.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// @dev Every move of the handler does what it claims, in a fixed sequence: the invariants
    ///      below are only as strong as these moves.
    function test_handler_playsEveryMove() public {
        handler.deposit(0, 3 ether); // alice, utxo 0
        handler.deposit(1, 2 ether); // bob, utxo 1
        handler.deposit(2, 1 ether); // carol, utxo 2
        handler.transfer(0, 1); // alice -> bob: utxo 3
        handler.exitSpent(0); // alice exits her spent deposit (exit 0)
        handler.honestExit(3); // bob exits utxo 3 (exit 1)
        handler.blockWith(1, 0); // Mallory holds bob's exit back with alice's older one
        handler.grief(1); // Mallory asks bob for the spend of alice's deposit
        handler.forge(2); // carol's deposit forged to Mallory (utxo 4, exit 2)
        handler.honestExit(1); // bob exits his deposit (exit 3)
        for (uint256 k = 0; k < 12; k++) {
            handler.jump(type(uint256).max);
        }
        assertEq(handler.spentCancelled(), 1, "spent exit challenged");
        assertEq(handler.unblocked(), 1, "bob's exit released");
        assertEq(handler.answered(), 1, "griefing request answered");
        assertEq(handler.forgedCancelled(), 1, "forged exit cancelled by the unanswered request");
        assertEq(handler.honestPaid(), 2, "both honest exits paid");
        assertEq(handler.totalPaid(), 5 ether);
        assertFalse(handler.honestLost());
        assertFalse(handler.doublePaid());
    }

    /// @dev The forced-inclusion moves, in a fixed sequence (docs/exit-game.md §12).
    function test_handler_playsEveryForcedMove() public {
        handler.deposit(0, 3 ether); // alice, utxo 0
        handler.deposit(1, 2 ether); // bob, utxo 1
        handler.deposit(2, 1 ether); // carol, utxo 2
        handler.transfer(1, 2); // bob -> carol: utxo 3 (block 1)
        handler.forcedTransfer(0, 1); // alice forces alice -> bob over utxo 0
        handler.forceSteal(2); // Mallory claims carol's deposit
        handler.forceSteal(3); // Mallory claims carol's output of block 1
        handler.forceSpent(1); // bob forces a re-spend of his paid-away deposit
        assertEq(handler.forcedCount(), 4);
        for (uint256 k = 0; k < 6; k++) {
            handler.jump(type(uint256).max);
        }
        assertEq(handler.forcedCancelled(), 3, "three dishonest forced txs refuted");
        assertEq(handler.forcedIncluded(), 1, "the honest forced transfer included");
        handler.exitSpent(0); // alice exits the deposit her forced tx spent (exit 0)
        handler.honestExit(4); // bob exits the forced output (exit 1)
        handler.grief(1); // Mallory asks bob for the spend of alice's deposit
        for (uint256 k = 0; k < 12; k++) {
            handler.jump(type(uint256).max);
        }
        assertEq(handler.spentCancelled(), 1, "the forced tx cancels alice's exit as its spend");
        assertEq(handler.answered(), 1, "the forced tx answers the request");
        assertEq(handler.honestPaid(), 1, "bob paid from the forced output");
        assertFalse(handler.honestLost());
        assertFalse(handler.doublePaid());
        assertEq(handler.honestLate(), 0);
    }

    /// @dev The hardening review's moves (findings 1, 3, 4), in a fixed sequence.
    function test_handler_playsEveryHardeningMove() public {
        handler.deposit(0, 3 ether); // alice, utxo 0
        handler.deposit(1, 2 ether); // bob, utxo 1
        // Forged alice -> mallory (utxo 2, exit 0); alice -> carol (utxo 3), whom Carol exits at
        // once (exit 1); Mallory names the forged output against Carol's exit: refused.
        handler.forgeThenPay(0, 2);
        handler.griefAndAnswer(1); // Mallory requests and answers herself: her bond goes to carol
        handler.forcedByRefuser(1, 0); // a refusing contract posts bob's forced transfer to alice
        handler.deposit(2, 1 ether); // carol, utxo 4
        handler.lateForcedSettle(4); // carol forces her deposit to Mallory, settles it late
        for (uint256 k = 0; k < 12; k++) {
            handler.jump(type(uint256).max);
        }
        assertEq(handler.inFlightPaid(), 1);
        assertEq(handler.forgeryRequestsRefused(), 1, "the forged output cannot be named");
        assertEq(handler.griefsPaidToOwner(), 1, "the griefer's bond went to the exit's owner");
        assertEq(handler.forgedCancelled(), 1, "the forgery's exit cancelled");
        assertEq(handler.forcedIncluded(), 1, "the refuser's copy settled and was included");
        assertEq(handler.lateSettled(), 1);
        assertEq(handler.lateAttackRefused(), 1, "the late forced transfer is no earlier spend");
        assertEq(handler.lateCancelled(), 1, "the L2 payment cancels the accomplice's exit");
        assertEq(handler.honestPaid(), 2, "carol paid, and the L2 recipient of carol's coins");
        assertFalse(handler.honestLost());
        assertFalse(handler.griefFree());
        assertEq(handler.honestLate(), 0);
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 100
    function invariant_paidAtMostDeposited() public view {
        assertLe(handler.totalPaid(), handler.totalDeposited());
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 100
    function invariant_noCoinPaidTwice() public view {
        assertFalse(handler.doublePaid());
    }

    /// forge-config: default.invariant.runs = 128
    /// forge-config: default.invariant.depth = 100
    function invariant_honestOwnersGetTheirCoins() public view {
        assertFalse(handler.honestLost(), "an honest exit was cancelled or a dishonest one paid");
        assertFalse(handler.griefFree(), "a griefer got its request bond back");
        assertEq(handler.honestLate(), 0, "an honest exit still unpaid after two exit periods");
    }
}
