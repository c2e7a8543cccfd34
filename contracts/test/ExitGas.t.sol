// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {ExitFixture} from "./ExitFixture.t.sol";

/// @dev Gas of every exit-game call against the budgets of docs/exit-game.md §9: start ≤ 150k,
///      each challenge ≤ 150k, finalize ≤ 60k, ≤ 15k per exit in a batch of 100 — whole
///      transactions (intrinsic gas included), measured with `isolate = true` so each call is its
///      own transaction with cold storage. Proofs are 20 levels deep (a block of ~10^6 leaves).
///      `./forge test --match-contract ExitGasTest -vv` prints the table.
contract ExitGasTest is ExitFixture {
    uint256 internal constant DEPTH = 20;
    uint256 internal constant BUDGET = 150_000;

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
        DebyeChain.BlockHeader memory h =
            DebyeChain.BlockHeader(number, chain.blockHash(number - 1), root, 0, 0);
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
        returns (DebyeChain.OutputProof memory)
    {
        (uint256 s, uint256 e) = _span(t);
        return DebyeChain.OutputProof(t, k, _headers[number], _deepProof(s, e, _id(t)));
    }

    function _deepSpend(PrimeLib.SignedTransaction memory st, uint64 number)
        internal
        view
        returns (DebyeChain.SpendProof memory)
    {
        (uint256 s, uint256 e) = _span(st.transaction);
        return DebyeChain.SpendProof(st, 0, _headers[number], _deepProof(s, e, _id(st.transaction)));
    }

    /// @dev Alice deposits 2 ether after 5 ether of others' coins; she splits it to Bob and
    ///      herself in a deep block.
    function _scene()
        internal
        returns (DebyeChain.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b)
    {
        _deposit(carol, 5 ether);
        d = _deposit(alice, 2 ether);
        t = _split(_depIn(alice, d.blockNumber, d.start, d.end), d.start + 1 ether, bob, alice);
        b = _commitDeep(t);
    }

    function test_gas_startExits() public {
        (DebyeChain.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        vm.prank(alice);
        chain.startDepositExit{value: bond}(d, d.start, d.end);
        _report(
            "startDepositExit",
            abi.encodeCall(DebyeChain.startDepositExit, (d, d.start, d.end)),
            BUDGET
        );
        DebyeChain.OutputProof memory p = _deepOut(t, 0, b);
        vm.prank(bob);
        chain.startExit{value: bond}(p, d.start, d.start + 1 ether);
        _report(
            "startExit (tx output, 20-level proof)",
            abi.encodeCall(DebyeChain.startExit, (p, d.start, d.start + 1 ether)),
            BUDGET
        );
    }

    function test_gas_challengeSpent() public {
        (DebyeChain.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        DebyeChain.ExitData memory e = _depositExit(d, d.start, d.end);
        DebyeChain.SpendProof memory p = _deepSpend(_sign(t, aliceKey), b);
        chain.challengeSpent(e, p);
        _report("challengeSpent", abi.encodeCall(DebyeChain.challengeSpent, (e, p)), BUDGET);
    }

    function test_gas_challengeDoubleSpend() public {
        (DebyeChain.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        PrimeLib.Transaction memory t2 = _tx(_depIn(alice, d.blockNumber, d.start, d.end), carol, 7);
        uint64 b2 = _commitDeep(t2);
        DebyeChain.ExitData memory e = _txExit2(t2, b2, d.start, d.end);
        DebyeChain.SpendProof memory p = _deepSpend(_sign(t, aliceKey), b);
        chain.challengeDoubleSpend(e, t2, 0, p);
        _report(
            "challengeDoubleSpend",
            abi.encodeCall(DebyeChain.challengeDoubleSpend, (e, t2, 0, p)),
            BUDGET
        );
    }

    function _txExit2(PrimeLib.Transaction memory t, uint64 b, uint256 s, uint256 e)
        internal
        returns (DebyeChain.ExitData memory x)
    {
        DebyeChain.OutputProof memory p = _deepOut(t, 0, b);
        vm.prank(t.outputs[0].owner);
        chain.startExit{value: bond}(p, s, e);
        x = DebyeChain.ExitData(t.outputs[0].owner, s, e, uint256(b) * 2 + 1, _id(t));
    }

    function test_gas_challengeDepositAfter_and_Withdrawn_and_block() public {
        _deposit(carol, 1 ether);
        PrimeLib.Transaction memory forged = _tx(_depIn(mallory, 1, 1 ether, 2 ether), mallory, 99);
        uint64 b = _commitDeep(forged);
        DebyeChain.DepositRecord memory d = _deposit(alice, 1 ether);
        DebyeChain.ExitData memory evil = _txExit2(forged, b, 1 ether, 2 ether);
        chain.challengeDepositAfter(evil, d);
        _report(
            "challengeDepositAfter",
            abi.encodeCall(DebyeChain.challengeDepositAfter, (evil, d)),
            BUDGET
        );

        PrimeLib.Transaction memory forged2 =
            _tx(_depIn(alice, d.blockNumber, d.start, d.end), mallory, 99);
        uint64 b2 = _commitDeep(forged2);
        DebyeChain.ExitData memory evil2 = _txExit2(forged2, b2, d.start, d.end);
        DebyeChain.ExitData memory mine = _depositExit(d, d.start, d.end);
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
        (DebyeChain.DepositRecord memory d, PrimeLib.Transaction memory t, uint64 b) = _scene();
        PrimeLib.Transaction memory u = _tx(_txIn(bob, b, 0, d.start, d.start + 1 ether), carol, 99);
        uint64 b2 = _commitDeep(u);
        DebyeChain.ExitData memory e = _txExit2(u, b2, d.start, d.start + 1 ether);
        uint256 coin = d.start + 5;

        vm.prank(mallory);
        chain.requestWithDeposit{value: bond / 4}(e, d, coin);
        _report(
            "requestWithDeposit",
            abi.encodeCall(DebyeChain.requestWithDeposit, (e, d, coin)),
            BUDGET
        );
        DebyeChain.OutputProof memory o = _deepOut(t, 0, b);
        vm.prank(mallory);
        chain.requestWithOutput{value: bond / 4}(e, o, coin);
        _report(
            "requestWithOutput", abi.encodeCall(DebyeChain.requestWithOutput, (e, o, coin)), BUDGET
        );
        uint256 pos = uint256(d.blockNumber) * 2;
        DebyeChain.SpendProof memory answer = _deepSpend(_sign(t, aliceKey), b);
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
        DebyeChain.DepositRecord memory d = _deposit(alice, 1 ether);
        DebyeChain.ExitData memory e = _depositExit(d, d.start, d.end);
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
        DebyeChain.ExitData[] memory es = new DebyeChain.ExitData[](n);
        uint256[] memory keys = new uint256[](n);
        for (uint256 k = 0; k < n; k++) {
            address owner = vm.addr(0x10000 + k);
            DebyeChain.DepositRecord memory d = _deposit(owner, 1 ether + k);
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
            assertEq(uint8(_status(es[k])), uint8(DebyeChain.ExitStatus.Finalized));
        }
        chain.withdraw(es[7]);
        _report("withdraw (pays ETH)", abi.encodeCall(DebyeChain.withdraw, (es[7])), 60_000);
    }
}
