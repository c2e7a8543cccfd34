// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {ForcedInclusion} from "../src/exit/ForcedInclusion.sol";
import {ForcedFixture} from "./ForcedInclusion.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";

/// @dev Gas of every exit-game call against the budgets of docs/exit-game.md §9: start ≤ 150k,
///      each challenge ≤ 150k, finalize ≤ 60k, ≤ 15k per exit in a batch of 100 — whole
///      transactions (intrinsic gas included), measured with `isolate = true` so each call is its
///      own transaction with cold storage. Proofs are 20 levels deep (a block of ~10^6 leaves).
///      `./forge test --match-contract ExitGasTest -vv` prints the table.
contract ExitGasTest is ForcedFixture {
    uint256 internal constant DEPTH = 20;
    uint256 internal constant BUDGET = 150_000;
    /// @dev Budget of the calls that carry a maximal (16x16, 2-signer) transaction, twice for
    ///      the forced-game challenges that carry two: the gas basis of the forcing bond,
    ///      3 x 150 000 (docs/exit-game.md §5.1, §9).
    uint256 internal constant MAXIMAL_BUDGET = 450_000;

    /// @dev Whole-transaction gas of the last call (after refunds) and its execution gas
    ///      (minus 21000 and 4/16 per zero/non-zero calldata byte), logged and checked.
    function _report(string memory name, bytes memory callData, uint256 budget)
        internal
        returns (uint256 total)
    {
        total = vm.lastCallGas().gasTotalUsed;
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < callData.length; i++) {
            intrinsic += callData[i] == 0 ? 4 : 16;
        }
        emit log_named_uint(string.concat(name, " tx gas"), total);
        emit log_named_uint(string.concat(name, " execution gas"), total - intrinsic);
        assertLe(total, budget, name);
        assertGt(total, intrinsic, "measurement is real");
    }

    /// @dev Commits a block whose tree has `t` in one leaf over its span, with a 20-level proof:
    ///      a left sibling for the coins before, then right siblings (one coin each, the last the
    ///      rest of the space). Returns the block number; the proof is kept for `_deep`.
    function _commitDeep(PrimeLib.Transaction memory t) internal returns (uint64 number) {
        (uint256 s, uint256 e) = _span(t);
        PrimeLib.SumProof memory p = _deepProof(s, e, _id(t));
        (bytes32 root,) = PrimeLib.computeRoot(p, _id(t));
        number = chain.nextBlock();
        Types.BlockHeader memory h = Types.BlockHeader(
            number, chain.blockHash(number - 1), root, 0, 0, 0, 0, 0, 0, 0, uint64(block.timestamp)
        );
        _headers[number] = h;
        vm.prank(operator);
        chain.submitBlock(h);
    }

    function _deepProof(uint256 s, uint256 e, bytes32 salt)
        internal
        pure
        returns (PrimeLib.SumProof memory p)
    {
        p.leafLength = e - s;
        p.siblings = new PrimeLib.ProofNode[](DEPTH);
        uint256 covered = e - s;
        for (uint256 k = 0; k < DEPTH; k++) {
            bytes32 h = keccak256(abi.encode(salt, k));
            if (k == 0) {
                p.siblings[k] = PrimeLib.ProofNode(s, h); // all coins before the leaf
                p.path = 1;
                covered += s;
            } else if (k < DEPTH - 1) {
                p.siblings[k] = PrimeLib.ProofNode(1, h);
                covered += 1;
            } else {
                p.siblings[k] = PrimeLib.ProofNode(PrimeLib.COIN_SPACE_END - covered, h);
            }
        }
    }

    function _deepOut(PrimeLib.Transaction memory t, uint256 k, uint64 number)
        internal
        view
        returns (Types.OutputProof memory)
    {
        (uint256 s, uint256 e) = _span(t);
        return Types.OutputProof(t, k, _headers[number], _deepProof(s, e, _id(t)));
    }

    function _deepSpend(PrimeLib.SignedTransaction memory st, uint64 number)
        internal
        view
        returns (Types.SpendProof memory)
    {
        (uint256 s, uint256 e) = _span(st.transaction);
        return Types.SpendProof(st, 0, _headers[number], _deepProof(s, e, _id(st.transaction)));
    }

    /// @dev Alice deposits 2 ether after 5 ether of others' coins; she splits it to Bob and
    ///      herself in a deep block.
    function _scene()
        internal
        returns (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b)
    {
        _deposit(carol, 5 ether);
        d = _deposit(alice, 2 ether);
        t = _split(_depIn(alice, d.blockNumber, d.start, d.end), d.start + 1 ether, bob, alice);
        b = _commitDeep(t);
    }

    function test_gas_startExits() public {
        (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        vm.prank(alice);
        chain.startDepositExit{value: bond}(d, d.start, d.end);
        _report(
            "startDepositExit",
            abi.encodeCall(DebyeChain.startDepositExit, (d, d.start, d.end)),
            BUDGET
        );
        Types.OutputProof memory p = _deepOut(t, 0, b);
        vm.prank(bob);
        chain.startExit{value: bond}(p, d.start, d.start + 1 ether);
        _report(
            "startExit (tx output, 20-level proof)",
            abi.encodeCall(DebyeChain.startExit, (p, d.start, d.start + 1 ether)),
            BUDGET
        );
    }

    function test_gas_challengeSpent() public {
        (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        Types.SpendProof memory p = _deepSpend(_sign(t, aliceKey), b);
        chain.challengeSpent(e, p);
        _report("challengeSpent", abi.encodeCall(DebyeChain.challengeSpent, (e, p)), BUDGET);
    }

    function test_gas_challengeDoubleSpend() public {
        (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        PrimeLib.Transaction memory t2 = _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 7);
        uint64 b2 = _commitDeep(t2);
        Types.ExitData memory e = _txExit2(t2, b2, d.start, d.end);
        Types.SpendProof memory p = _deepSpend(_sign(t, aliceKey), b);
        chain.challengeDoubleSpend(e, t2, 0, p);
        _report(
            "challengeDoubleSpend",
            abi.encodeCall(DebyeChain.challengeDoubleSpend, (e, t2, 0, p)),
            BUDGET
        );
    }

    function _txExit2(PrimeLib.Transaction memory t, uint64 b, uint256 s, uint256 e)
        internal
        returns (Types.ExitData memory x)
    {
        Types.OutputProof memory p = _deepOut(t, 0, b);
        vm.prank(t.outputs[0].owner);
        chain.startExit{value: bond}(p, s, e);
        x = Types.ExitData(t.outputs[0].owner, s, e, uint256(b) * 2 + 1, _id(t));
    }

    function test_gas_challengeDepositAfter_and_Withdrawn_and_block() public {
        _deposit(carol, 1 ether);
        PrimeLib.Transaction memory forged = _tx(_depIn(mallory, 1, 1 ether, 2 ether), mallory, 99);
        uint64 b = _commitDeep(forged);
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        Types.ExitData memory evil = _txExit2(forged, b, 1 ether, 2 ether);
        chain.challengeDepositAfter(evil, d);
        _report(
            "challengeDepositAfter",
            abi.encodeCall(DebyeChain.challengeDepositAfter, (evil, d)),
            BUDGET
        );

        PrimeLib.Transaction memory forged2 =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b2 = _commitDeep(forged2);
        Types.ExitData memory evil2 = _txExit2(forged2, b2, d.start, d.end);
        Types.ExitData memory mine = _depositExit(d, d.start, d.end);
        chain.blockExit(evil2, mine);
        _report("blockExit", abi.encodeCall(DebyeChain.blockExit, (evil2, mine)), BUDGET);
        _mature();
        chain.finalizeExit(mine, _ethKey());
        bytes32 evilId = keccak256(abi.encode(evil2));
        bytes32 mineId = keccak256(abi.encode(mine));
        chain.unblockExit(evilId, mineId);
        _report("unblockExit", abi.encodeCall(DebyeChain.unblockExit, (evilId, mineId)), BUDGET);
        chain.challengeWithdrawn(evil2, mine);
        _report(
            "challengeWithdrawn",
            abi.encodeCall(DebyeChain.challengeWithdrawn, (evil2, mine)),
            BUDGET
        );
    }

    function test_gas_requestGame() public {
        (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        PrimeLib.Transaction memory u = _tx(_txIn(bob, b, 0, d.start, d.start + 1 ether), carol, 99);
        uint64 b2 = _commitDeep(u);
        Types.ExitData memory e = _txExit2(u, b2, d.start, d.start + 1 ether);
        uint256 coin = d.start + 5;

        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(e, u, d, coin);
        _report(
            "requestWithDeposit",
            abi.encodeCall(DebyeChain.requestWithDeposit, (e, u, d, coin)),
            BUDGET
        );
        Types.OutputProof memory o = _deepOut(t, 0, b);
        vm.prank(mallory);
        chain.requestWithOutput{value: bond / 4}(e, u, o, coin);
        _report(
            "requestWithOutput",
            abi.encodeCall(DebyeChain.requestWithOutput, (e, u, o, coin)),
            BUDGET
        );
        uint256 pos = uint256(d.blockNumber) * 2;
        Types.SpendProof memory answer = _deepSpend(_sign(t, aliceKey), b);
        chain.respondChallenge(e, pos, alice, coin, answer);
        _report(
            "respondChallenge",
            abi.encodeCall(DebyeChain.respondChallenge, (e, pos, alice, coin, answer)),
            BUDGET
        );
        vm.warp(block.timestamp + PERIOD);
        uint256 pos2 = uint256(b) * 2 + 1;
        chain.resolveChallenge(e, pos2, bob, coin);
        _report(
            "resolveChallenge (cancels the exit)",
            abi.encodeCall(DebyeChain.resolveChallenge, (e, pos2, bob, coin)),
            BUDGET
        );
    }

    function test_gas_finalizeExit_single() public {
        Types.DepositRecord memory d = _deposit(alice, 1 ether);
        Types.ExitData memory e = _depositExit(d, d.start, d.end);
        _mature();
        uint256 key = _ethKey();
        chain.finalizeExit(e, key);
        _report(
            "finalizeExit (pays ETH)", abi.encodeCall(DebyeChain.finalizeExit, (e, key)), 60_000
        );
    }

    /// @dev A mass exit: 100 depositors, 100 matured exits, one transaction.
    function test_gas_finalizeExits_batchOf100() public {
        uint256 n = 100;
        Types.ExitData[] memory es = new Types.ExitData[](n);
        uint256[] memory keys = new uint256[](n);
        for (uint256 k = 0; k < n; k++) {
            address owner = vm.addr(0x10000 + k);
            Types.DepositRecord memory d = _deposit(owner, 1 ether + k);
            vm.deal(owner, bond);
            es[k] = _depositExit(d, d.start, d.end);
            keys[k] = _ethKey();
        }
        _mature();
        chain.finalizeExits(es, keys);
        uint256 total = _report(
            "finalizeExits (100 exits)",
            abi.encodeCall(DebyeChain.finalizeExits, (es, keys)),
            15_000 * n
        );
        emit log_named_uint("finalizeExits tx gas per exit", total / n);
        for (uint256 k = 0; k < n; k++) {
            assertEq(uint8(_status(es[k])), uint8(IDebyeChain.ExitStatus.Finalized));
        }
        chain.withdraw(es[7]);
        _report("withdraw (pays ETH)", abi.encodeCall(DebyeChain.withdraw, (es[7])), 60_000);
    }

    // ------------------------------------------------------------------ maximal transactions

    /// @dev 16 deposits of 1 ether, alternately Alice's and Bob's, back to back.
    function _sixteenDeposits() internal returns (Types.DepositRecord[] memory ds) {
        _deposit(carol, 5 ether);
        ds = new Types.DepositRecord[](16);
        for (uint256 k = 0; k < 16; k++) {
            ds[k] = _deposit(k % 2 == 0 ? alice : bob, 1 ether);
        }
    }

    /// @dev The maximal transaction: 16 inputs (the 16 deposits, two owners), 16 outputs to `to`.
    function _maximal(Types.DepositRecord[] memory ds, address to, uint64 maxBlock)
        internal
        pure
        returns (PrimeLib.Transaction memory t)
    {
        t.inputs = new PrimeLib.Input[](16);
        t.outputs = new PrimeLib.Output[](16);
        for (uint256 k = 0; k < 16; k++) {
            t.inputs[k] = _depIn(ds[k].owner, ds[k].blockNumber, ds[k].start, ds[k].end);
            t.outputs[k] = PrimeLib.Output(to, _seg(ds[k].start, ds[k].end));
        }
        t.maxBlockIndex = maxBlock;
    }

    function _sign2(PrimeLib.Transaction memory t)
        internal
        view
        returns (PrimeLib.SignedTransaction memory)
    {
        (uint8 v1, bytes32 r1, bytes32 s1) = vm.sign(aliceKey, _id(t));
        (uint8 v2, bytes32 r2, bytes32 s2) = vm.sign(bobKey, _id(t));
        return PrimeLib.SignedTransaction(t, abi.encodePacked(r1, s1, v1, r2, s2, v2));
    }

    /// @dev docs/exit-game.md §9: the exit-game calls that carry a whole transaction, with the
    ///      largest valid one (16 inputs, 16 outputs, 2 signers) and 20-level proofs.
    function test_gas_maximalTransaction() public {
        Types.DepositRecord[] memory ds = _sixteenDeposits();
        PrimeLib.Transaction memory t = _maximal(ds, carol, 99);
        uint64 b = _commitDeep(t);
        Types.SpendProof memory sp = _deepSpend(_sign2(t), b);

        Types.OutputProof memory op = _deepOut(t, 0, b);
        vm.prank(carol);
        chain.startExit{value: bond}(op, ds[0].start, ds[0].end);
        _report(
            "startExit (16x16 tx)",
            abi.encodeCall(DebyeChain.startExit, (op, ds[0].start, ds[0].end)),
            MAXIMAL_BUDGET
        );
        Types.ExitData memory ce =
            Types.ExitData(carol, ds[0].start, ds[0].end, uint256(b) * 2 + 1, _id(t));

        Types.ExitData memory ae = _depositExit(ds[0], ds[0].start, ds[0].end);
        chain.challengeSpent(ae, sp);
        _report(
            "challengeSpent (16x16 spend)",
            abi.encodeCall(DebyeChain.challengeSpent, (ae, sp)),
            MAXIMAL_BUDGET
        );

        uint256 coin = ds[0].start;
        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(ce, t, ds[0], coin);
        uint256 pos = uint256(ds[0].blockNumber) * 2;
        chain.respondChallenge(ce, pos, alice, coin, sp);
        _report(
            "respondChallenge (16x16 answer)",
            abi.encodeCall(DebyeChain.respondChallenge, (ce, pos, alice, coin, sp)),
            MAXIMAL_BUDGET
        );
        PrimeLib.Transaction memory t2 = _maximal(ds, mallory, 98);
        uint64 b2 = _commitDeep(t2);
        Types.ExitData memory me = _txExit2(t2, b2, ds[0].start, ds[0].end);
        chain.challengeDoubleSpend(me, t2, 0, sp);
        _report(
            "challengeDoubleSpend (16x16 exited tx and spend)",
            abi.encodeCall(DebyeChain.challengeDoubleSpend, (me, t2, 0, sp)),
            MAXIMAL_BUDGET
        );
    }

    // ------------------------------------------------------------------ forced inclusion

    /// @dev docs/exit-game.md §9, §12: the forced-inclusion game with the maximal transaction as
    ///      the forced one and as the evidence, 20-level proofs.
    function test_gas_forcedInclusion_forceSignAndSpent() public {
        Types.DepositRecord[] memory ds = _sixteenDeposits();
        _commitEmpty();
        PrimeLib.Transaction memory f = _maximal(ds, carol, 99);
        vm.prank(carol);
        uint64 k = fi.force{value: fbond}(f);
        _report("force (16x16 tx)", abi.encodeCall(ForcedInclusion.force, (f)), 1_000_000);
        bytes memory sig = _sigOf(f, aliceKey);
        fi.signForced(k, sig);
        _report("signForced", abi.encodeCall(ForcedInclusion.signForced, (k, sig)), BUDGET);

        // (a) spent: Alice's and Bob's maximal L2 spend of the same deposits.
        PrimeLib.Transaction memory l2 = _maximal(ds, mallory, 99);
        uint64 b = _commitDeep(l2);
        Types.SpendProof memory sp = _deepFiSpend(l2, b);
        fi.challengeForcedSpent(k, f, 0, sp);
        _report(
            "challengeForcedSpent (16x16 forced tx and spend)",
            abi.encodeCall(ForcedInclusion.challengeForcedSpent, (k, f, 0, sp)),
            MAXIMAL_BUDGET
        );
    }

    function _deepFiSpend(PrimeLib.Transaction memory t, uint64 b)
        internal
        view
        returns (Types.SpendProof memory)
    {
        (uint256 s0, uint256 e0) = _span(t);
        return Types.SpendProof(_sign2(t), 0, _ph(_headers[b]), _deepProof(s0, e0, _id(t)));
    }

    /// @dev The maximal forced transaction spending the 16 outputs of block `b` as `owner`.
    function _maximalFromBlock(Types.DepositRecord[] memory ds, address owner, uint64 b)
        internal
        pure
        returns (PrimeLib.Transaction memory g)
    {
        g = _maximal(ds, owner, 99);
        for (uint256 j = 0; j < 16; j++) {
            // casting to 'uint8' is safe because j < 16
            // forge-lint: disable-next-line(unsafe-typecast)
            g.inputs[j] = _txIn(owner, b, uint8(j), ds[j].start, ds[j].end);
        }
    }

    function test_gas_forcedInclusion_ownerMismatch() public {
        Types.DepositRecord[] memory ds = _sixteenDeposits();
        PrimeLib.Transaction memory l2 = _maximal(ds, mallory, 99);
        uint64 b = _commitDeep(l2);
        // Mallory owns l2's outputs, not Carol.
        PrimeLib.Transaction memory g = _maximalFromBlock(ds, carol, b);
        vm.prank(carol);
        uint64 k = fi.force{value: fbond}(g);
        (uint256 s0, uint256 e0) = _span(l2);
        Types.OutputProof memory op =
            Types.OutputProof(l2, 0, _ph(_headers[b]), _deepProof(s0, e0, _id(l2)));
        fi.challengeForcedOutput(k, g, 0, op);
        _report(
            "challengeForcedOutput (16x16 forced tx and output tx)",
            abi.encodeCall(ForcedInclusion.challengeForcedOutput, (k, g, 0, op)),
            MAXIMAL_BUDGET
        );

        // Mallory names Alice's deposit as hers.
        PrimeLib.Transaction memory m = _maximal(ds, mallory, 97);
        for (uint256 j = 0; j < 16; j += 2) {
            m.inputs[j].owner = mallory; // Alice's deposits, claimed by Mallory
        }
        vm.prank(mallory);
        uint64 k2 = fi.force{value: fbond}(m);
        Types.DepositRecord memory dr =
            Types.DepositRecord(alice, ds[0].start, ds[0].end, ds[0].blockNumber);
        fi.challengeForcedDeposit(k2, m, 0, dr);
        _report(
            "challengeForcedDeposit (16x16 forced tx)",
            abi.encodeCall(ForcedInclusion.challengeForcedDeposit, (k2, m, 0, dr)),
            MAXIMAL_BUDGET
        );
    }

    function test_gas_forcedInclusion_excluded() public {
        Types.DepositRecord[] memory ds = _sixteenDeposits();
        uint64 empty = _commitDeepEmpty(ds[0].start, ds[15].end);
        PrimeLib.Transaction memory h = _maximalFromBlock(ds, carol, empty);
        vm.prank(carol);
        uint64 k = fi.force{value: fbond}(h);
        Types.BlockHeader memory eh = _ph(_headers[empty]);
        PrimeLib.Segment memory seg = _seg(ds[0].start, ds[0].end);
        PrimeLib.SumProof memory xp = _deepProof(ds[0].start, ds[15].end, bytes32(0));
        fi.challengeForcedExcluded(k, h, 0, eh, seg, xp);
        _report(
            "challengeForcedExcluded (16x16 forced tx)",
            abi.encodeCall(ForcedInclusion.challengeForcedExcluded, (k, h, 0, eh, seg, xp)),
            MAXIMAL_BUDGET
        );
    }

    /// @dev The forced game with 1-input transactions (the common case) against the 150k budget.
    function test_gas_forcedInclusion_oneInput() public {
        (Types.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        PrimeLib.Transaction memory f = _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 99);
        vm.prank(alice);
        uint64 k = fi.force{value: fbond}(f);
        _report("force (1-input tx)", abi.encodeCall(ForcedInclusion.force, (f)), 250_000);
        (uint256 s0, uint256 e0) = _span(t);
        Types.SpendProof memory sp =
            Types.SpendProof(_sign(t, aliceKey), 0, _ph(_headers[b]), _deepProof(s0, e0, _id(t)));
        fi.challengeForcedSpent(k, f, 0, sp);
        _report(
            "challengeForcedSpent (1-input)",
            abi.encodeCall(ForcedInclusion.challengeForcedSpent, (k, f, 0, sp)),
            BUDGET
        );
        PrimeLib.Transaction memory g =
            _tx(_txIn(carol, b, 0, d.start, d.start + 1 ether), carol, 99);
        vm.prank(carol);
        uint64 k2 = fi.force{value: fbond}(g);
        Types.OutputProof memory op =
            Types.OutputProof(t, 0, _ph(_headers[b]), _deepProof(s0, e0, _id(t)));
        fi.challengeForcedOutput(k2, g, 0, op);
        _report(
            "challengeForcedOutput (1-input)",
            abi.encodeCall(ForcedInclusion.challengeForcedOutput, (k2, g, 0, op)),
            BUDGET
        );
    }

    /// @dev An honest forced transaction through inclusion, exit and use as evidence.
    function test_gas_forcedInclusion_included() public {
        Types.DepositRecord[] memory ds = _sixteenDeposits();
        _commitEmpty();
        PrimeLib.Transaction memory f = _maximal(ds, carol, 99);
        vm.prank(carol);
        uint64 k = fi.force{value: fbond}(f);
        fi.signForced(k, _sigOf(f, aliceKey));
        fi.signForced(k, _sigOf(f, bobKey));
        _mature();
        fi.finalizeForced(k);
        _report("finalizeForced", abi.encodeCall(ForcedInclusion.finalizeForced, (k)), BUDGET);

        Types.OutputProof memory op = _fOut(f, 0, k);
        vm.prank(carol);
        chain.startExit{value: bond}(op, ds[0].start, ds[0].end);
        _report(
            "startExit (forced 16x16 output)",
            abi.encodeCall(DebyeChain.startExit, (op, ds[0].start, ds[0].end)),
            MAXIMAL_BUDGET
        );
        Types.ExitData memory ae = _depositExit(ds[0], ds[0].start, ds[0].end);
        Types.SpendProof memory sp = _fSpend(f, 0, k);
        chain.challengeSpent(ae, sp);
        _report(
            "challengeSpent (forced 16x16 spend)",
            abi.encodeCall(DebyeChain.challengeSpent, (ae, sp)),
            MAXIMAL_BUDGET
        );
    }

    /// @dev Commits a block with no transaction, whose tree has a gap leaf `[s, e)` 20 levels deep.
    function _commitDeepEmpty(uint256 s, uint256 e) internal returns (uint64 number) {
        PrimeLib.SumProof memory p = _deepProof(s, e, bytes32(0));
        (bytes32 root,) = PrimeLib.computeRoot(p, bytes32(0));
        number = chain.nextBlock();
        Types.BlockHeader memory h = Types.BlockHeader(
            number, chain.blockHash(number - 1), root, 0, 0, 0, 0, 0, 0, 0, uint64(block.timestamp)
        );
        _headers[number] = h;
        vm.prank(operator);
        chain.submitBlock(h);
    }
}
