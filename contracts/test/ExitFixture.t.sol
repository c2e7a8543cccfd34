// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DebyeChain} from "../src/DebyeChain.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";
import {StubDeploy} from "./helpers/StubPool.sol";

/// @dev Shared fixture of the exit-game tests: a chain with a 10-minute exit period, keyed
///      accounts, real EIP-712 signatures (vm.sign) and real sum Merkle trees built here the way
///      `debye-primitives` builds them (gap leaves between transactions, odd nodes carried up).
abstract contract ExitFixture is Test {
    uint64 internal constant PERIOD = 10 minutes;

    struct Leaf {
        uint256 start;
        uint256 length;
        bytes32 hash;
    }

    DebyeChain internal chain;
    address internal operator = makeAddr("operator");
    address internal alice;
    uint256 internal aliceKey;
    address internal bob;
    uint256 internal bobKey;
    address internal carol;
    uint256 internal carolKey;
    address internal mallory;
    uint256 internal malloryKey;
    uint96 internal bond;

    mapping(uint64 number => Leaf[]) internal _leaves;
    mapping(uint64 number => Types.BlockHeader) internal _headers;

    function setUp() public virtual {
        (alice, aliceKey) = makeAddrAndKey("alice");
        (bob, bobKey) = makeAddrAndKey("bob");
        (carol, carolKey) = makeAddrAndKey("carol");
        (mallory, malloryKey) = makeAddrAndKey("mallory");
        (chain,) = StubDeploy.deploy(operator, PERIOD, 0);
        bond = chain.exitBond();
        vm.deal(alice, 100 ether);
        vm.deal(bob, 100 ether);
        vm.deal(carol, 100 ether);
        vm.deal(mallory, 100 ether);
    }

    /// @dev The test contract challenges and resolves too, and takes the bonds it wins.
    receive() external payable {}

    // ------------------------------------------------------------------ deposits

    function _deposit(address who, uint256 amount) internal returns (Types.DepositRecord memory d) {
        uint64 blockNumber = chain.nextBlock();
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        (uint256 start, uint256 end) = chain.depositEth{value: amount}();
        d = Types.DepositRecord(who, start, end, blockNumber);
    }

    function _depositExit(Types.DepositRecord memory d, uint256 start, uint256 end)
        internal
        returns (Types.ExitData memory e)
    {
        vm.prank(d.owner);
        chain.startDepositExit{value: bond}(d, start, end);
        e = Types.ExitData(d.owner, start, end, uint256(d.blockNumber) * 2, bytes32(0));
    }

    // ------------------------------------------------------------------ transactions

    function _seg(uint256 start, uint256 end) internal pure returns (PrimeLib.Segment memory) {
        return PrimeLib.Segment(start, end);
    }

    /// @dev An input spending `[start, end)` of a deposit made for block `blockNumber`.
    function _depIn(address owner, uint64 blockNumber, uint256 start, uint256 end)
        internal
        pure
        returns (PrimeLib.Input memory)
    {
        return PrimeLib.Input(owner, blockNumber, PrimeLib.DEPOSIT_TX_INDEX, 0, _seg(start, end));
    }

    /// @dev An input spending `[start, end)` of output `outputIndex` of a tx in block `blockNumber`.
    function _txIn(address owner, uint64 blockNumber, uint8 outputIndex, uint256 start, uint256 end)
        internal
        pure
        returns (PrimeLib.Input memory)
    {
        return PrimeLib.Input(owner, blockNumber, 0, outputIndex, _seg(start, end));
    }

    /// @dev One input, one output.
    function _tx(PrimeLib.Input memory i, address to, uint64 maxBlock)
        internal
        pure
        returns (PrimeLib.Transaction memory t)
    {
        t.inputs = new PrimeLib.Input[](1);
        t.inputs[0] = i;
        t.outputs = new PrimeLib.Output[](1);
        t.outputs[0] = PrimeLib.Output(to, i.segment);
        t.maxBlockIndex = maxBlock;
    }

    /// @dev One input split at `cut` into two outputs.
    function _split(PrimeLib.Input memory i, uint256 cut, address to0, address to1)
        internal
        pure
        returns (PrimeLib.Transaction memory t)
    {
        t.inputs = new PrimeLib.Input[](1);
        t.inputs[0] = i;
        t.outputs = new PrimeLib.Output[](2);
        t.outputs[0] = PrimeLib.Output(to0, _seg(i.segment.start, cut));
        t.outputs[1] = PrimeLib.Output(to1, _seg(cut, i.segment.end));
        t.maxBlockIndex = type(uint64).max;
    }

    function _id(PrimeLib.Transaction memory t) internal view returns (bytes32) {
        return PrimeLib.txId(t, chain.domainSeparator());
    }

    function _sign(PrimeLib.Transaction memory t, uint256 key)
        internal
        view
        returns (PrimeLib.SignedTransaction memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _id(t));
        return PrimeLib.SignedTransaction(t, abi.encodePacked(r, s, v));
    }

    // ------------------------------------------------------------------ blocks and proofs

    /// @dev Commits the next block holding `txs` (each occupying the span of its outputs, given
    ///      in coin order); returns its number.
    function _commit(PrimeLib.Transaction[] memory txs) internal returns (uint64 number) {
        number = chain.nextBlock();
        Leaf[] storage leaves = _leaves[number];
        uint256 cursor = 0;
        for (uint256 k = 0; k < txs.length; k++) {
            (uint256 s, uint256 e) = _span(txs[k]);
            if (s > cursor) leaves.push(Leaf(cursor, s - cursor, bytes32(0)));
            leaves.push(Leaf(s, e - s, _id(txs[k])));
            cursor = e;
        }
        if (cursor < PrimeLib.COIN_SPACE_END) {
            leaves.push(Leaf(cursor, PrimeLib.COIN_SPACE_END - cursor, bytes32(0)));
        }
        (bytes32 root,) = _tree(leaves, 0);
        Types.BlockHeader memory h = Types.BlockHeader(
            number, chain.blockHash(number - 1), root, 0, 0, 0, 0, 0, 0, 0, uint64(block.timestamp)
        );
        _headers[number] = h;
        vm.prank(operator);
        chain.submitBlock(h);
    }

    function _commit1(PrimeLib.Transaction memory t) internal returns (uint64) {
        PrimeLib.Transaction[] memory txs = new PrimeLib.Transaction[](1);
        txs[0] = t;
        return _commit(txs);
    }

    function _commitEmpty() internal returns (uint64) {
        return _commit(new PrimeLib.Transaction[](0));
    }

    function _span(PrimeLib.Transaction memory t) internal pure returns (uint256 s, uint256 e) {
        s = type(uint256).max;
        for (uint256 k = 0; k < t.outputs.length; k++) {
            if (t.outputs[k].segment.start < s) s = t.outputs[k].segment.start;
            if (t.outputs[k].segment.end > e) e = t.outputs[k].segment.end;
        }
    }

    /// @dev The proof of the leaf of block `number` holding `coin`.
    function _proof(uint64 number, uint256 coin)
        internal
        view
        returns (PrimeLib.SumProof memory p)
    {
        Leaf[] storage leaves = _leaves[number];
        uint256 index = 0;
        while (leaves[index].start + leaves[index].length <= coin) index++;
        (, p) = _tree(leaves, index);
    }

    /// @dev Root of the tree over `leaves` and the proof of leaf `index`.
    function _tree(Leaf[] storage leaves, uint256 index)
        internal
        view
        returns (bytes32 root, PrimeLib.SumProof memory p)
    {
        uint256 n = leaves.length;
        uint256[] memory len = new uint256[](n);
        bytes32[] memory h = new bytes32[](n);
        for (uint256 k = 0; k < n; k++) {
            len[k] = leaves[k].length;
            h[k] = leaves[k].hash;
        }
        p.leafLength = len[index];
        PrimeLib.ProofNode[] memory sibs = new PrimeLib.ProofNode[](64);
        uint256 count = 0;
        uint256 idx = index;
        while (n > 1) {
            uint256 sib = idx ^ 1;
            if (sib < n) {
                if (idx & 1 == 1) p.path |= uint64(1) << count;
                sibs[count++] = PrimeLib.ProofNode(len[sib], h[sib]);
            }
            uint256 m = (n + 1) / 2;
            for (uint256 k = 0; k < m; k++) {
                if (2 * k + 1 < n) {
                    h[k] = keccak256(
                        abi.encodePacked(len[2 * k], h[2 * k], len[2 * k + 1], h[2 * k + 1])
                    );
                    len[k] = len[2 * k] + len[2 * k + 1];
                } else {
                    h[k] = h[2 * k];
                    len[k] = len[2 * k];
                }
            }
            n = m;
            idx >>= 1;
        }
        root = h[0];
        assembly ("memory-safe") {
            mstore(sibs, count)
        }
        p.siblings = sibs;
    }

    // ------------------------------------------------------------------ evidence

    function _outputProof(PrimeLib.Transaction memory t, uint256 outputIndex, uint64 number)
        internal
        view
        returns (Types.OutputProof memory)
    {
        return Types.OutputProof(
            t, outputIndex, _headers[number], _proof(number, t.outputs[outputIndex].segment.start)
        );
    }

    function _spendProof(PrimeLib.SignedTransaction memory s, uint256 inputIndex, uint64 number)
        internal
        view
        returns (Types.SpendProof memory)
    {
        return Types.SpendProof(
            s,
            inputIndex,
            _headers[number],
            _proof(number, s.transaction.inputs[inputIndex].segment.start)
        );
    }

    /// @dev Starts an exit of `[start, end)` of output `outputIndex` of `t` (in block `number`)
    ///      as the output's owner.
    function _txExit(
        PrimeLib.Transaction memory t,
        uint256 outputIndex,
        uint64 number,
        uint256 start,
        uint256 end
    ) internal returns (Types.ExitData memory e) {
        address owner = t.outputs[outputIndex].owner;
        vm.prank(owner);
        chain.startExit{value: bond}(_outputProof(t, outputIndex, number), start, end);
        e = Types.ExitData(owner, start, end, uint256(number) * 2 + 1, _id(t));
    }

    function _status(Types.ExitData memory e) internal view returns (IDebyeChain.ExitStatus) {
        return chain.exitState(keccak256(abi.encode(e))).status;
    }

    /// @dev Key of the exitable range holding ETH coins not yet touched by any exit.
    function _ethKey() internal pure returns (uint256) {
        return uint256(1) << 128;
    }

    /// @dev Claims the bonds credited to `who` (docs/exit-game.md §5.3); returns the amount.
    function _claim(address who) internal returns (uint256 amount) {
        vm.prank(who);
        amount = chain.claim();
    }

    function _mature() internal {
        vm.warp(block.timestamp + PERIOD);
    }
}
