// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Types} from "../../src/lib/Types.sol";
import {IShieldedPool} from "../../src/interfaces/IShieldedPool.sol";
import {PoolBase} from "./PoolBase.sol";

/// @dev A copied exit (docs/shielded.md S-5.10, S-5.12): `startExit`'s calldata is public and its
///      proof binds the payout (nullifiers, token, amount, fee, recipient, feeRecipient), not the
///      bond payer. A front-runner who lands a copy first must not win the honest starter's bond:
///      a copy of the same payout refunds its own bond, whether cancelled by `challengeDuplicate`
///      or dropped at payout. A conflicting exit (another payout of the same note) still pays
///      its bond to the challenger or the processor.
contract PoolExitCopyTest is PoolBase {
    Types.BlockHeader internal h1;
    address internal attacker = makeAddr("attacker");
    address internal keeper = makeAddr("keeper");

    function setUp() public {
        _deployPool();
        h1 = _depositAndCommitRoot();
        vm.warp(T0 + 1 hours);
        vm.deal(attacker, 10 ether);
        vm.deal(keeper, 10 ether);
    }

    function _startAs(address payer, IShieldedPool.ExitRequest memory x)
        internal
        returns (IShieldedPool.ExitRecord memory r)
    {
        r = _record(x, h1, payer, block.timestamp);
        _started(r);
        uint256 bond = pool.exitBond();
        vm.prank(payer);
        pool.startExit{value: bond}(x, h1);
    }

    function _two(IShieldedPool.ExitRecord memory a, IShieldedPool.ExitRecord memory b)
        internal
        pure
        returns (IShieldedPool.ExitRecord[] memory rs)
    {
        rs = new IShieldedPool.ExitRecord[](2);
        rs[0] = a;
        rs[1] = b;
    }

    /// @dev The front-run: the attacker's copy of the fixture's real EXIT request lands first
    ///      (exit 0, the attacker's bond), the honest start second (exit 1, the relayer's bond).
    function _frontRun()
        internal
        returns (IShieldedPool.ExitRecord memory copy, IShieldedPool.ExitRecord memory honest)
    {
        IShieldedPool.ExitRequest memory x = _exitRequest();
        copy = _startAs(attacker, x);
        honest = _startAs(relayer, x);
    }

    // ----- (a) the copy challenges the honest exit as its duplicate -----

    function test_frontRunCopy_challengeDuplicate_refundsHonestBond() public {
        (IShieldedPool.ExitRecord memory copy, IShieldedPool.ExitRecord memory honest) = _frontRun();
        uint256 bond = pool.exitBond();
        vm.prank(attacker);
        pool.challengeDuplicate(0, copy, 1, honest);
        assertEq(uint8(pool.exitStatus(1)), uint8(IShieldedPool.ExitStatus.Cancelled));
        assertEq(pool.creditOf(address(0), attacker), 0, "the challenger gains nothing");
        assertEq(pool.creditOf(address(0), relayer), bond, "the honest payer's bond back");
        // The copy pays the same recipient, once; the attacker only recovers its own bond.
        vm.warp(copy.exitableAt);
        _queueAll(); // the cancelled honest exit is skipped: only the copy enters the heap
        vm.prank(attacker);
        assertEq(pool.processExits(address(0), _two(copy, honest)), 1);
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Paid));
        assertEq(pool.creditOf(address(0), RECIPIENT), 990 gwei);
        assertEq(pool.creditOf(address(0), FEE_RECIPIENT), 10 gwei);
        assertEq(pool.paid(address(0)), 1000 gwei, "paid exactly once");
        assertEq(pool.creditOf(address(0), attacker), bond, "only its own bond");
        assertEq(pool.creditOf(address(0), relayer), bond);
    }

    // ----- (b) nobody challenges; the attacker processes the queue -----

    function test_frontRunCopy_processExits_refundsHonestBond() public {
        (IShieldedPool.ExitRecord memory copy, IShieldedPool.ExitRecord memory honest) = _frontRun();
        uint256 bond = pool.exitBond();
        vm.warp(honest.exitableAt);
        _queueAll();
        vm.expectEmit(address(pool));
        emit IShieldedPool.ExitPaid(0);
        vm.expectEmit(address(pool));
        emit IShieldedPool.ExitNullifierPaid(1);
        vm.prank(attacker);
        assertEq(pool.processExits(address(0), _two(copy, honest)), 2);
        assertEq(uint8(pool.exitStatus(0)), uint8(IShieldedPool.ExitStatus.Paid));
        assertEq(uint8(pool.exitStatus(1)), uint8(IShieldedPool.ExitStatus.Cancelled));
        assertEq(pool.creditOf(address(0), RECIPIENT), 990 gwei);
        assertEq(pool.creditOf(address(0), FEE_RECIPIENT), 10 gwei);
        assertEq(pool.paid(address(0)), 1000 gwei, "paid exactly once");
        assertEq(pool.creditOf(address(0), attacker), bond, "only its own bond");
        assertEq(pool.creditOf(address(0), relayer), bond, "the honest payer's bond back");
        assertTrue(pool.paidNullifier(copy.nullifier0) && pool.paidNullifier(copy.nullifier1));
    }

    /// @dev The copy is paid in one call, the honest exit dropped in a later one by a third
    ///      party: the paid-nullifier record still names the payout, the bond still goes home.
    function test_frontRunCopy_droppedLater_byKeeper_refundsHonestBond() public {
        (IShieldedPool.ExitRecord memory copy, IShieldedPool.ExitRecord memory honest) = _frontRun();
        uint256 bond = pool.exitBond();
        vm.warp(copy.exitableAt);
        IShieldedPool.ExitRecord[] memory one = new IShieldedPool.ExitRecord[](1);
        one[0] = copy;
        _queueAll();
        vm.prank(attacker);
        assertEq(pool.processExits(address(0), one), 1);
        vm.warp(honest.exitableAt);
        one[0] = honest;
        vm.prank(keeper);
        assertEq(pool.processExits(address(0), one), 1);
        assertEq(pool.creditOf(address(0), keeper), 0);
        assertEq(pool.creditOf(address(0), attacker), bond);
        assertEq(pool.creditOf(address(0), relayer), bond);
        assertEq(pool.paid(address(0)), 1000 gwei);
    }

    // ----- conflicting exits: another payout of the same note keeps the penalty -----

    /// @dev Same nullifiers, each payout field changed in turn: a conflict, so the challenger
    ///      and the processor are paid the later exit's bond.
    function test_conflictingDuplicate_paysChallengerAndProcessor() public {
        _acceptAllProofs();
        uint256 bond = pool.exitBond();
        for (uint256 i = 0; i < 5; i++) {
            uint256 nf = 100 + 2 * i;
            IShieldedPool.ExitRequest memory x = _synthetic(nf, nf + 1, 100);
            IShieldedPool.ExitRequest memory y = _synthetic(nf, nf + 1, 100);
            if (i == 0) y.ext.recipient = attacker;
            if (i == 1) y.amount = 99;
            if (i == 2) (y.ext.fee, y.ext.feeRecipient) = (1, attacker);
            if (i == 3) y.ext.feeRecipient = attacker; // fee 0: still another signed payout
            if (i == 4) (y.nullifier0, y.nullifier1) = (nf + 1, nf); // the pair swapped
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32 k = uint32(4 * i);
            IShieldedPool.ExitRecord memory a = _startAs(relayer, x);
            IShieldedPool.ExitRecord memory b = _startAs(relayer, y);
            IShieldedPool.ExitRecord memory c = _startAs(relayer, y);
            IShieldedPool.ExitRecord memory d = _startAs(relayer, x);
            // The challenger of the conflicting b is paid its bond; the copy d is refunded.
            vm.prank(alice);
            pool.challengeDuplicate(k, a, k + 1, b);
            assertEq(pool.creditOf(address(0), alice), (i + 1) * bond, "challenger paid");
            vm.prank(alice);
            pool.challengeDuplicate(k, a, k + 3, d);
            assertEq(pool.creditOf(address(0), alice), (i + 1) * bond, "a copy pays no one");
            // The unchallenged conflicting c is dropped at payout, its bond to the processor.
            vm.warp(a.exitableAt);
            _queueAll(); // skips the cancelled b and d
            vm.prank(keeper);
            assertEq(pool.processExits(address(0), _two(a, c)), 2);
            assertEq(uint8(pool.exitStatus(k + 2)), uint8(IShieldedPool.ExitStatus.Cancelled));
            assertEq(pool.creditOf(address(0), keeper), (i + 1) * bond, "processor paid");
            vm.warp(T0 + 1 hours);
        }
        // Bonds back to the payer: the five paid exits and the five copies.
        assertEq(pool.creditOf(address(0), relayer), 10 * bond);
    }

    /// @dev Gas of the duplicate rules (logged; docs/contracts.md §6b).
    ///      Keeper and attacker hold a credit first, so every call rewrites a nonzero credit slot
    ///      whoever the bond goes to (like-for-like before and after the copy rule).
    function test_gas_duplicateAndDrop() public {
        _acceptAllProofs();
        IShieldedPool.ExitRecord memory w0 = _startAs(keeper, _synthetic(50, 51, 1));
        IShieldedPool.ExitRecord memory w1 = _startAs(attacker, _synthetic(52, 53, 1));
        vm.warp(w1.exitableAt);
        _queueAll();
        pool.processExits(address(0), _two(w0, w1));
        IShieldedPool.ExitRequest memory x = _synthetic(1, 2, 100);
        IShieldedPool.ExitRequest memory y = _synthetic(1, 2, 100);
        y.ext.recipient = attacker;
        IShieldedPool.ExitRecord memory a = _startAs(relayer, x);
        IShieldedPool.ExitRecord memory copy1 = _startAs(attacker, x);
        IShieldedPool.ExitRecord memory conflict1 = _startAs(attacker, y);
        IShieldedPool.ExitRecord memory copy2 = _startAs(attacker, x);
        IShieldedPool.ExitRecord memory conflict2 = _startAs(attacker, y);
        vm.prank(keeper);
        pool.challengeDuplicate(2, a, 3, copy1);
        emit log_named_uint(
            "challengeDuplicate (a copy) transaction gas", vm.lastCallGas().gasTotalUsed
        );
        vm.prank(keeper);
        pool.challengeDuplicate(2, a, 4, conflict1);
        emit log_named_uint(
            "challengeDuplicate (a conflict) transaction gas", vm.lastCallGas().gasTotalUsed
        );
        vm.warp(a.exitableAt);
        IShieldedPool.ExitRecord[] memory three = new IShieldedPool.ExitRecord[](3);
        (three[0], three[1], three[2]) = (a, copy2, conflict2);
        vm.prank(keeper);
        pool.queueExits(three); // queues a, copy2, conflict2; skips the cancelled 3 and 4
        emit log_named_uint(
            "queueExits (three pending, two cancelled skipped) transaction gas",
            vm.lastCallGas().gasTotalUsed
        );
        IShieldedPool.ExitRecord[] memory one = new IShieldedPool.ExitRecord[](1);
        one[0] = a;
        vm.prank(keeper);
        pool.processExits(address(0), one);
        emit log_named_uint(
            "processExits (pays one) transaction gas", vm.lastCallGas().gasTotalUsed
        );
        one[0] = copy2;
        vm.prank(keeper);
        pool.processExits(address(0), one);
        emit log_named_uint(
            "processExits (drops a copy) transaction gas", vm.lastCallGas().gasTotalUsed
        );
        one[0] = conflict2;
        vm.prank(keeper);
        pool.processExits(address(0), one);
        emit log_named_uint(
            "processExits (drops a conflict) transaction gas", vm.lastCallGas().gasTotalUsed
        );
        assertEq(pool.queueLength(address(0)), 0);
    }
}
