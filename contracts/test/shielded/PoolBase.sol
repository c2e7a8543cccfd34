// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {Types} from "../../src/lib/Types.sol";
import {IShieldedPool} from "../../src/interfaces/IShieldedPool.sol";
import {ShieldedPool} from "../../src/shielded/ShieldedPool.sol";
import {JoinSplitVerifier} from "../../src/verifier/JoinSplitVerifier.sol";
import {PoolDeploy} from "../helpers/PoolDeploy.sol";

/// @dev The chain and the real pool deployed at the fixture's anchor address, the fixture
///      (test-vectors/zk/pool_fixture.json) parsed, and header helpers.
abstract contract PoolBase is Test {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    address internal constant ANCHOR = 0x00000000000000000000000000000000DEb1e001;
    address internal constant RECIPIENT = 0x000000000000000000000000000000000000bEEF;
    address internal constant FEE_RECIPIENT = 0x000000000000000000000000000000000000FEE0;
    uint64 internal constant EXPIRY = 2_000_000_000;
    /// @dev Block 1's time: the fixture's expiry minus 20 hours, so both intents are live.
    uint64 internal constant T0 = EXPIRY - 20 hours;

    address internal operator = makeAddr("operator");
    address internal alice = makeAddr("alice");
    address internal relayer = makeAddr("relayer");
    DebyeChain internal chain;
    ShieldedPool internal pool;
    string internal fx;
    bytes internal ct;

    function _deployPool() internal {
        vm.warp(T0);
        (chain, pool) = PoolDeploy.deploy(operator, 0, 0, ANCHOR);
        fx = vm.readFile("../test-vectors/zk/pool_fixture.json");
        ct = new bytes(123);
        vm.deal(alice, 100 ether);
        vm.deal(relayer, 100 ether);
    }

    // ----- fixture -----

    function _words(string memory key) internal view returns (uint256[8] memory out) {
        uint256[] memory w = vm.parseJsonUintArray(fx, key);
        for (uint256 i = 0; i < 8; i++) {
            out[i] = w[i];
        }
    }

    function _ext(string memory entry) internal view returns (IShieldedPool.ExtData memory e) {
        string memory k = string.concat(".", entry, ".ext.");
        // forge-lint: disable-next-line(unsafe-typecast)
        e.kind = uint8(vm.parseJsonUint(fx, string.concat(k, "kind")));
        e.recipient = vm.parseJsonAddress(fx, string.concat(k, "recipient"));
        e.feeRecipient = vm.parseJsonAddress(fx, string.concat(k, "feeRecipient"));
        // forge-lint: disable-next-line(unsafe-typecast)
        e.fee = uint64(vm.parseJsonUint(fx, string.concat(k, "fee")));
        // forge-lint: disable-next-line(unsafe-typecast)
        e.expiry = uint64(vm.parseJsonUint(fx, string.concat(k, "expiry")));
        // forge-lint: disable-next-line(unsafe-typecast)
        e.chainId = uint64(vm.parseJsonUint(fx, string.concat(k, "chainId")));
        e.anchor = vm.parseJsonAddress(fx, string.concat(k, "anchor"));
        // forge-lint: disable-next-line(unsafe-typecast)
        e.policy = uint32(vm.parseJsonUint(fx, string.concat(k, "policy")));
        e.nonce = vm.parseJsonBytes32(fx, string.concat(k, "nonce"));
        e.ctHash0 = vm.parseJsonBytes32(fx, string.concat(k, "ctHash0"));
        e.ctHash1 = vm.parseJsonBytes32(fx, string.concat(k, "ctHash1"));
    }

    /// @dev The fixture's EXIT as a request.
    function _exitRequest() internal view returns (IShieldedPool.ExitRequest memory x) {
        uint256[8] memory input = _words(".exit.public_inputs");
        x.nullifier0 = input[1];
        x.nullifier1 = input[2];
        x.token = address(0);
        x.amount = 1000;
        x.proof = _words(".exit.proof");
        x.ext = _ext("exit");
    }

    /// @dev Alice deposits the fixture's note; block 1 appends it with the fixture's root.
    function _depositAndCommitRoot() internal returns (Types.BlockHeader memory h1) {
        vm.prank(alice);
        pool.depositEth{value: 1000 gwei}(vm.parseJsonUint(fx, ".deposit.owner_part"), ct);
        h1 = _header(bytes32(vm.parseJsonUint(fx, ".tree.root")), 2, bytes32(0), 0, 1, 0);
        _submit(h1);
    }

    // ----- the exit queue (S-5.7): `queueExits` before `processExits` -----

    /// @dev Exit `k`'s record, in start order: every start of a test that processes the queue
    ///      registers its record here (`_started`), so `_queueAll` can name the pending ones.
    IShieldedPool.ExitRecord[] internal startedRecords;

    function _started(IShieldedPool.ExitRecord memory r) internal {
        startedRecords.push(r);
    }

    /// @dev The records `queueExits` needs now: those of the started exits from
    ///      `exitsQueued()` on that are still pending, in start order.
    function _toQueue() internal view returns (IShieldedPool.ExitRecord[] memory rs) {
        uint32 q = pool.exitsQueued();
        rs = new IShieldedPool.ExitRecord[](startedRecords.length - q);
        uint256 n = 0;
        for (uint256 k = q; k < startedRecords.length; k++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            if (pool.exitStatus(uint32(k)) == IShieldedPool.ExitStatus.Pending) {
                rs[n++] = startedRecords[k];
            }
        }
        assembly ("memory-safe") {
            mstore(rs, n)
        }
    }

    /// @dev Queues every started exit (anyone may; the tests' keeper is the test contract).
    function _queueAll() internal {
        pool.queueExits(_toQueue());
        assertEq(pool.exitsQueued(), startedRecords.length, "every started exit queued");
    }

    // ----- headers -----

    function _header(
        bytes32 noteRoot,
        uint64 noteCount,
        bytes32 entriesRoot,
        uint32 entryCount,
        uint32 depositCursor,
        uint32 exitCursor
    ) internal view returns (Types.BlockHeader memory h) {
        uint64 n = chain.nextBlock();
        h.number = n;
        h.prevHash = chain.blockHash(n - 1);
        h.txRoot = keccak256(abi.encode("tx", n));
        h.noteRoot = noteRoot;
        h.noteCount = noteCount;
        h.entriesRoot = entriesRoot;
        h.entryCount = entryCount;
        h.depositCursor = depositCursor;
        h.exitCursor = exitCursor;
        h.timestamp = uint64(block.timestamp);
    }

    function _submit(Types.BlockHeader memory h) internal {
        vm.prank(operator);
        chain.submitBlock(h);
    }

    /// @dev An empty block carrying the previous note state and cursors.
    function _submitEmpty(Types.BlockHeader memory prev)
        internal
        returns (Types.BlockHeader memory h)
    {
        h = _header(
            prev.noteRoot, prev.noteCount, bytes32(0), 0, prev.depositCursor, prev.exitCursor
        );
        _submit(h);
    }

    /// @dev A transaction's intrinsic gas: 21,000 and 4 (zero) or 16 (other) per calldata byte
    ///      (its EIP-7623 floor is far below these calls' execution, so it never applies).
    function _intrinsic(bytes memory callData) internal pure returns (uint256 intrinsic) {
        intrinsic = 21_000;
        for (uint256 i = 0; i < callData.length; i++) {
            intrinsic += callData[i] == 0 ? 4 : 16;
        }
    }

    /// @dev The last call's execution gas: its isolated transaction less the intrinsic gas.
    function _executionGas(bytes memory callData) internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed - _intrinsic(callData);
    }

    /// @dev Makes the pool's verifier accept every proof (queue tests with synthetic notes).
    function _acceptAllProofs() internal {
        vm.mockCall(
            pool.verifier(),
            abi.encodeWithSelector(JoinSplitVerifier.verifyProof.selector),
            abi.encode(true)
        );
    }

    /// @dev The record `startExit` stores for `x` started now by `payer` from `root`.
    function _record(
        IShieldedPool.ExitRequest memory x,
        Types.BlockHeader memory root,
        address payer,
        uint256 startedAt
    ) internal view returns (IShieldedPool.ExitRecord memory r) {
        r.nullifier0 = x.nullifier0;
        r.nullifier1 = x.nullifier1;
        r.token = x.token;
        r.amount = x.amount;
        r.fee = x.ext.fee;
        r.recipient = x.ext.recipient;
        r.feeRecipient = x.ext.feeRecipient;
        r.prioKey = 2 * root.number;
        uint256 a = startedAt + pool.exitPeriod();
        uint256 b = uint256(root.timestamp) + pool.exitPeriod() + pool.REP();
        // forge-lint: disable-next-line(unsafe-typecast)
        r.exitableAt = uint64(a > b ? a : b);
        r.bond = pool.exitBond();
        r.bondPayer = payer;
    }

    /// An EXIT request with made-up nullifiers and no proof, for tests whose verifier accepts
    /// any proof (queue order, duplicates, copies).
    function _synthetic(uint256 nf0, uint256 nf1, uint64 amount)
        internal
        view
        returns (IShieldedPool.ExitRequest memory x)
    {
        x.nullifier0 = nf0;
        x.nullifier1 = nf1;
        x.amount = amount;
        x.ext.kind = 3;
        x.ext.recipient = RECIPIENT;
        x.ext.expiry = uint64(block.timestamp + 1 hours);
        x.ext.chainId = uint64(block.chainid);
        x.ext.anchor = ANCHOR;
        x.ext.policy = 1;
    }
}
