// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {ExitVerifier} from "../../src/exit/ExitVerifier.sol";
import {Types} from "../../src/lib/Types.sol";
import {IDebyeChain} from "../../src/interfaces/IDebyeChain.sol";
import {StubDeploy, StubPool} from "../helpers/StubPool.sol";

/// @dev docs/shielded.md S-2.2 / S-2.3: what `submitBlock` refuses, against a stub pool whose
///      queue times the tests set by warping.
contract ChainHeaderTest is Test {
    address internal operator = makeAddr("operator");
    DebyeChain internal chain;
    StubPool internal pool;

    function setUp() public {
        vm.warp(1_700_000_000);
        (chain, pool) = StubDeploy.deploy(operator, 0, 0);
    }

    function _word()
        internal
        view
        returns (uint64 nb, uint64 ts, uint32 dc, uint32 xc, uint32 dl, uint32 xn)
    {
        uint256 w = chain.chainWord();
        return (
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64(w),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint40(w >> 64),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32(w >> 104),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32(w >> 136),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32(w >> 168),
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32(w >> 200)
        );
    }

    function _header(uint64 ts, uint32 dc, uint32 xc)
        internal
        view
        returns (Types.BlockHeader memory h)
    {
        uint64 n = chain.nextBlock();
        h.number = n;
        h.prevHash = chain.blockHash(n - 1);
        h.txRoot = keccak256(abi.encode("tx", n));
        h.noteRoot = keccak256(abi.encode("note", n));
        h.noteCount = 2 * dc;
        h.depositCursor = dc;
        h.exitCursor = xc;
        h.timestamp = ts;
    }

    function _submit(Types.BlockHeader memory h) internal {
        vm.prank(operator);
        chain.submitBlock(h);
    }

    function _expectSubmitRevert(Types.BlockHeader memory h, bytes memory err) internal {
        vm.prank(operator);
        vm.expectRevert(err);
        chain.submitBlock(h);
    }

    function test_timestamp_rule1() public {
        uint64 t = uint64(block.timestamp);
        _submit(_header(t - 100, 0, 0));
        // Before the parent's timestamp.
        Types.BlockHeader memory h = _header(t - 101, 0, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.BadTimestamp.selector, t - 100, t - 101, t)
        );
        // After L1 time.
        h = _header(t + 1, 0, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.BadTimestamp.selector, t - 100, t + 1, t)
        );
        // More than TS_WINDOW behind L1 time.
        vm.warp(t + 30 minutes);
        h = _header(t - 1, 0, 0);
        _expectSubmitRevert(
            h,
            abi.encodeWithSelector(
                IDebyeChain.BadTimestamp.selector, t - 100, t - 1, t + 30 minutes
            )
        );
        // Exactly TS_WINDOW behind, equal to nothing newer: accepted, and stored.
        _submit(_header(t, 0, 0));
        (uint64 nb, uint64 ts,,,,) = _word();
        assertEq(nb, 3);
        assertEq(ts, t);
    }

    function test_depositCursor_rule2() public {
        pool.queueDeposit();
        pool.queueDeposit();
        (,,,, uint32 dl,) = _word();
        assertEq(dl, 2);
        uint64 t = uint64(block.timestamp);
        // Past the queue.
        Types.BlockHeader memory h = _header(t, 3, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.DepositCursorOutOfRange.selector, 0, 3, 2)
        );
        // Lagging within Q_WINDOW: fine.
        _submit(_header(t, 1, 0));
        // Back.
        h = _header(t, 0, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.DepositCursorOutOfRange.selector, 1, 0, 2)
        );
        // Deposit 1 is now Q_WINDOW old: a header leaving it behind is refused.
        vm.warp(t + 1 hours);
        h = _header(uint64(block.timestamp), 1, 0);
        _expectSubmitRevert(h, abi.encodeWithSelector(IDebyeChain.DepositNotImported.selector, 1));
        _submit(_header(uint64(block.timestamp), 2, 0));
    }

    function test_depositCursor_refundFloor() public {
        pool.queueDeposit();
        pool.queueDeposit();
        pool.queueDeposit();
        pool.close(1); // deposit 1 refunded: no header may append it
        Types.BlockHeader memory h = _header(uint64(block.timestamp), 2, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.DepositCursorOutOfRange.selector, 0, 2, 1)
        );
        // Nor leave deposit 0 behind once due.
        vm.warp(block.timestamp + 2 hours);
        h = _header(uint64(block.timestamp), 0, 0);
        _expectSubmitRevert(h, abi.encodeWithSelector(IDebyeChain.DepositNotImported.selector, 0));
        _submit(_header(uint64(block.timestamp), 1, 0));
        // A higher floor never raises the limit again.
        pool.close(3);
        (,,,, uint32 dl,) = _word();
        assertEq(dl, 1);
    }

    function test_exitCursor_rule3() public {
        pool.startExit();
        uint64 t = uint64(block.timestamp);
        Types.BlockHeader memory h = _header(t, 0, 2);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.ExitCursorOutOfRange.selector, 0, 2, 1)
        );
        _submit(_header(t, 0, 0));
        vm.warp(t + 1 hours);
        h = _header(uint64(block.timestamp), 0, 0);
        _expectSubmitRevert(h, abi.encodeWithSelector(IDebyeChain.ExitNotImported.selector, 0));
        _submit(_header(uint64(block.timestamp), 0, 1));
        h = _header(uint64(block.timestamp), 0, 0);
        _expectSubmitRevert(
            h, abi.encodeWithSelector(IDebyeChain.ExitCursorOutOfRange.selector, 1, 0, 1)
        );
    }

    function test_hooks_poolOnly() public {
        vm.expectRevert(IDebyeChain.NotShieldedPool.selector);
        chain.onShieldedQueue(0);
        vm.expectRevert(IDebyeChain.NotShieldedPool.selector);
        chain.closeShieldedDeposits(0);
        (uint32 i, uint64 last) = pool.queueDeposit();
        assertEq(i, 0);
        assertEq(last, 0);
        _submit(_header(uint64(block.timestamp), 1, 0));
        (i, last) = pool.queueDeposit();
        assertEq(i, 1);
        assertEq(last, 1);
        assertEq(pool.startExit(), 0);
        assertEq(pool.startExit(), 1);
    }

    function test_nonCanonicalHeader_refused() public {
        Types.BlockHeader memory h = _header(uint64(block.timestamp), 0, 0);
        bytes memory call = abi.encodeCall(DebyeChain.submitBlock, (h));
        call[4 + 7 * 32 + 27] = 0x01; // a bit above entryCount's 32 bits
        vm.prank(operator);
        (bool ok, bytes memory ret) = address(chain).call(call);
        assertFalse(ok);
        // forge-lint: disable-next-line(unsafe-typecast)
        assertEq(bytes4(ret), IDebyeChain.NonCanonicalHeader.selector);
    }

    function test_event_carriesEveryField() public {
        Types.BlockHeader memory h = _header(uint64(block.timestamp), 0, 0);
        h.entriesRoot = keccak256("entries");
        h.entryCount = 7;
        vm.expectEmit(true, false, false, true, address(chain));
        emit IDebyeChain.BlockSubmitted(1, keccak256(abi.encode(h)), h);
        _submit(h);
        assertEq(chain.blockHash(1), keccak256(abi.encode(h)));
    }

    function test_constructor_refusesForeignPool() public {
        ExitVerifier v = new ExitVerifier();
        StubPool other = new StubPool(address(0xdead), 7 days);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ShieldedPoolMismatch.selector, address(other))
        );
        new DebyeChain(operator, 0, 0, address(other), address(v));
        // Right address, wrong exit period.
        address future = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        StubPool wrongPeriod = new StubPool(future, 1 days);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ShieldedPoolMismatch.selector, address(wrongPeriod))
        );
        new DebyeChain(operator, 0, 0, address(wrongPeriod), address(v));
        // No code at all.
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ShieldedPoolMismatch.selector, address(0xbeef))
        );
        new DebyeChain(operator, 0, 0, address(0xbeef), address(v));
    }

    /// @dev docs/shielded.md S-2.3 target: the caught-up `submitBlock` within 10k gas of the
    ///      five-field one (33,323 execution gas at the parent commit, test_gas_submitBlock_withinBudget).
    function test_gas_submitBlock_caughtUp() public {
        pool.queueDeposit();
        pool.startExit();
        _submit(_header(uint64(block.timestamp), 1, 1));
        Types.BlockHeader memory h = _header(uint64(block.timestamp), 1, 1);
        h.txRoot = keccak256("t");
        h.accumulator = keccak256("a");
        h.entriesRoot = keccak256("e");
        h.entryCount = 1000;
        h.noteCount = 4000;
        vm.prank(operator);
        chain.submitBlock(h);
        bytes memory data = abi.encodeCall(DebyeChain.submitBlock, (h));
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < data.length; i++) {
            intrinsic += data[i] == 0 ? 4 : 16;
        }
        uint256 total = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("submitBlock (caught up) total gas", total);
        emit log_named_uint("submitBlock (caught up) execution gas", total - intrinsic);
        assertLe(total - intrinsic, 33_323 + 10_000);
    }

    function test_gas_submitBlock_lagging() public {
        pool.queueDeposit();
        pool.queueDeposit();
        pool.startExit();
        pool.startExit();
        Types.BlockHeader memory h = _header(uint64(block.timestamp), 1, 1);
        vm.prank(operator);
        chain.submitBlock(h);
        bytes memory data = abi.encodeCall(DebyeChain.submitBlock, (h));
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < data.length; i++) {
            intrinsic += data[i] == 0 ? 4 : 16;
        }
        emit log_named_uint(
            "submitBlock (both cursors lag) execution gas",
            vm.lastCallGas().gasTotalUsed - intrinsic
        );
    }
}
