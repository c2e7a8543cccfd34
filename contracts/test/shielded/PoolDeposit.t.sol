// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {ExitVerifier} from "../../src/exit/ExitVerifier.sol";
import {Types} from "../../src/lib/Types.sol";
import {IDebyeChain} from "../../src/interfaces/IDebyeChain.sol";
import {IShieldedPool} from "../../src/interfaces/IShieldedPool.sol";
import {ShieldedPool} from "../../src/shielded/ShieldedPool.sol";
import {PoseidonT4} from "../../src/shielded/PoseidonT4.sol";
import {TestToken} from "../../src/test/TestToken.sol";
import {PoolDeploy} from "../helpers/PoolDeploy.sol";

/// @dev A token that keeps 1% of every transfer: the pool must refuse what it did not receive.
contract FeeToken is TestToken {
    constructor() TestToken("Fee", "FEE") {}

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            super._update(from, address(0xdead), value / 100);
            value -= value / 100;
        }
        super._update(from, to, value);
    }
}

/// @dev A token that re-enters the pool from `transferFrom` (docs/contracts.md §4.4).
contract ReenteringPoolToken is TestToken {
    ShieldedPool internal pool;

    constructor(ShieldedPool pool_) TestToken("Re", "RE") {
        pool = pool_;
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        pool.withdraw(address(this), from);
        return super.transferFrom(from, to, value);
    }
}

/// @dev A payee that re-enters `withdraw` when paid.
contract ReenteringPayee {
    ShieldedPool internal pool;

    constructor(ShieldedPool pool_) {
        pool = pool_;
    }

    receive() external payable {
        pool.withdraw(address(0), address(this));
    }
}

/// @dev Deployment and deposits of the real pool: docs/shielded.md S-5.1 .. S-5.4, S-2.2 rule 2.
contract PoolDepositTest is Test {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    address internal operator = makeAddr("operator");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    DebyeChain internal chain;
    ShieldedPool internal pool;
    TestToken internal token;
    bytes internal ct;

    function setUp() public {
        vm.warp(1_700_000_000);
        (chain, pool) = PoolDeploy.deploy(operator, 0, 0, address(0));
        token = new TestToken("Test", "TST");
        ct = new bytes(123);
        ct[0] = 0x01;
        ct[122] = 0x7f;
    }

    function _header(uint32 depositCursor) internal view returns (Types.BlockHeader memory h) {
        uint64 n = chain.nextBlock();
        h.number = n;
        h.prevHash = chain.blockHash(n - 1);
        h.noteCount = 2 * depositCursor;
        h.depositCursor = depositCursor;
        h.timestamp = uint64(block.timestamp);
    }

    function _submit(uint32 depositCursor) internal {
        Types.BlockHeader memory h = _header(depositCursor);
        vm.prank(operator);
        chain.submitBlock(h);
    }

    function _depositLimit() internal view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(chain.chainWord() >> 168);
    }

    function _executionGas(bytes memory callData) internal view returns (uint256) {
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < callData.length; i++) {
            intrinsic += callData[i] == 0 ? 4 : 16;
        }
        return vm.lastCallGas().gasTotalUsed - intrinsic;
    }

    // ----- deployment (S-5.1, docs/contracts.md §6a) -----

    function test_deploy_wiring() public view {
        assertEq(pool.chain(), address(chain));
        assertEq(chain.shieldedPool(), address(pool));
        assertEq(pool.exitPeriod(), 7 days);
        assertEq(chain.exitPeriod(), 7 days);
        assertEq(pool.exitBond(), 0.14 ether);
        assertEq(pool.tokenUnit(address(0)), 1 gwei);
        assertEq(pool.firstInvalid(), type(uint64).max);
        assertEq(pool.refundFloor(), type(uint32).max);
        assertGt(pool.verifier().code.length, 0);
        assertGt(pool.hasher().code.length, 0);
    }

    function test_deploy_cmZeroIsPoseidonOfZeros() public view {
        assertEq(pool.CM_ZERO(), PoseidonT4.hash([uint256(0), 0, 0]));
        string memory notes = vm.readFile("../test-vectors/zk/notes.json");
        assertEq(pool.CM_ZERO(), vm.parseJsonUint(notes, ".cm_zero"));
        assertEq(pool.EXT_TAG(), keccak256("debye/shielded/v1/ext-data"));
        assertEq(pool.BODY_TAG(), keccak256("debye/shielded/v1/body"));
    }

    function test_deploy_refusesBadExitPeriod() public {
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadExitPeriod.selector, 1));
        new ShieldedPool(address(1), 1, 0);
    }

    function test_deploy_chainRefusesPoolWithOtherPeriod() public {
        ExitVerifier v = new ExitVerifier();
        address future = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        ShieldedPool p = new ShieldedPool(future, 3 days, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ShieldedPoolMismatch.selector, address(p))
        );
        new DebyeChain(operator, 0, 0, address(p), address(v));
    }

    // ----- ETH deposits (S-5.2, S-5.3) -----

    function test_depositEth_recordsEventAndCounts() public {
        _submit(0); // block 1: queuedAtBlock is the last committed block
        uint256 ownerPart = 0x1234;
        uint256 cm = PoseidonT4.hash([ownerPart, 0, 5_000_000_000]);
        vm.deal(alice, 10 ether);
        vm.expectEmit(address(pool));
        emit IShieldedPool.ShieldedDeposit(0, cm, address(0), 5_000_000_000, alice, 1, ct);
        vm.prank(alice);
        uint32 d = pool.depositEth{value: 5 ether}(ownerPart, ct);
        assertEq(d, 0);
        assertEq(address(pool).balance, 5 ether);
        assertEq(address(chain).balance, 0, "custody apart from the anchor (S-5.1)");
        assertEq(pool.deposited(address(0)), 5 ether);
        assertEq(_depositLimit(), 1);
        assertEq(pool.queuedAt(0, 0), block.timestamp);
        assertEq(pool.depositQueuedAt(0), block.timestamp);
        assertEq(uint8(pool.depositStatus(0)), uint8(IShieldedPool.DepositStatus.Queued));
        vm.prank(alice);
        assertEq(pool.depositEth{value: 1 gwei}(ownerPart, ct), 1);
        assertEq(_depositLimit(), 2);
    }

    function test_depositEth_refusals() public {
        vm.deal(alice, type(uint128).max);
        vm.startPrank(alice);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, 0));
        pool.depositEth{value: 0}(1, ct);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, 1 gwei + 1));
        pool.depositEth{value: 1 gwei + 1}(1, ct);
        uint256 tooMuch = (uint256(1) << 64) * 1 gwei;
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, tooMuch));
        pool.depositEth{value: tooMuch}(1, ct);
        vm.expectRevert(IShieldedPool.BadOwnerPart.selector);
        pool.depositEth{value: 1 gwei}(R, ct);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadCiphertextLength.selector, 122));
        pool.depositEth{value: 1 gwei}(1, new bytes(122));
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadCiphertextLength.selector, 124));
        pool.depositEth{value: 1 gwei}(1, new bytes(124));
        // The refusals changed nothing: no deposit counted, recorded or credited.
        assertEq(_depositLimit(), 0);
        assertEq(pool.depositQueuedAt(0), 0);
        assertEq(pool.deposited(address(0)), 0);
        assertEq(address(pool).balance, 0);
        // The largest amount is accepted.
        pool.depositEth{value: tooMuch - 1 gwei}(R - 1, ct);
        vm.stopPrank();
        assertEq(pool.deposited(address(0)), tooMuch - 1 gwei);
    }

    // ----- ERC-20 (S-5.2, S-5.3) -----

    function test_listToken_rules() public {
        vm.expectRevert(IShieldedPool.NotOperator.selector);
        pool.listToken(address(token), 1);
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadUnit.selector, 0));
        pool.listToken(address(token), 0);
        vm.expectEmit(address(pool));
        emit IShieldedPool.PoolTokenListed(address(token), 1e6);
        pool.listToken(address(token), 1e6);
        vm.expectRevert(
            abi.encodeWithSelector(IShieldedPool.TokenAlreadyListed.selector, address(token))
        );
        pool.listToken(address(token), 1);
        vm.expectRevert(
            abi.encodeWithSelector(IShieldedPool.TokenAlreadyListed.selector, address(0))
        );
        pool.listToken(address(0), 1);
        vm.stopPrank();
        assertEq(pool.tokenUnit(address(token)), 1e6);
    }

    function test_depositToken_unitsAndEvent() public {
        vm.prank(operator);
        pool.listToken(address(token), 1e6);
        token.mint(bob, 10e18);
        vm.prank(bob);
        token.approve(address(pool), type(uint256).max);
        uint256 cm = PoseidonT4.hash([uint256(7), uint256(uint160(address(token))), 3e12]);
        vm.expectEmit(address(pool));
        emit IShieldedPool.ShieldedDeposit(0, cm, address(token), 3e12, bob, 0, ct);
        vm.prank(bob);
        pool.depositToken(address(token), 3e18, 7, ct);
        assertEq(token.balanceOf(address(pool)), 3e18);
        assertEq(pool.deposited(address(token)), 3e18);
        assertEq(_depositLimit(), 1);
        vm.startPrank(bob);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, 1e6 + 1));
        pool.depositToken(address(token), 1e6 + 1, 7, ct);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, 0));
        pool.depositToken(address(token), 0, 7, ct);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.UnknownToken.selector, address(0)));
        pool.depositToken(address(0), 1e9, 7, ct);
        // Huge: 2^64 units, one past the note's 64-bit amount.
        uint256 huge = (uint256(1) << 64) * 1e6;
        token.mint(bob, huge);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadAmount.selector, huge));
        pool.depositToken(address(token), huge, 7, ct);
        vm.expectRevert(IShieldedPool.BadOwnerPart.selector);
        pool.depositToken(address(token), 1e6, R, ct);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.BadCiphertextLength.selector, 0));
        pool.depositToken(address(token), 1e6, 7, "");
        vm.stopPrank();
        // The refusals changed nothing: one deposit, its tokens only.
        assertEq(_depositLimit(), 1);
        assertEq(pool.depositQueuedAt(1), 0);
        assertEq(token.balanceOf(address(pool)), 3e18);
        assertEq(pool.deposited(address(token)), 3e18);
    }

    function test_depositToken_refusesUnlistedAndShortTransfers() public {
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.UnknownToken.selector, address(token)));
        pool.depositToken(address(token), 1, 1, ct);
        FeeToken fee = new FeeToken();
        vm.prank(operator);
        pool.listToken(address(fee), 1);
        fee.mint(bob, 1000);
        vm.startPrank(bob);
        fee.approve(address(pool), 1000);
        vm.expectRevert(
            abi.encodeWithSelector(IShieldedPool.TransferAmountMismatch.selector, 1000, 990)
        );
        pool.depositToken(address(fee), 1000, 1, ct);
        vm.stopPrank();
    }

    // ----- S-2.2 rule 2 against the real pool's queue times -----

    function test_chainCoverage_readsPoolQueueTimes() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        pool.depositEth{value: 1 gwei}(1, ct);
        vm.warp(block.timestamp + 1 hours);
        Types.BlockHeader memory h = _header(0);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.DepositNotImported.selector, 0));
        chain.submitBlock(h);
        _submit(1);
    }

    // ----- refunds (S-5.4) -----

    function _record(uint256 ownerPart, address tok, uint64 units, address who, uint64 blk)
        internal
        view
        returns (IShieldedPool.DepositRecord memory r)
    {
        r.cm = PoseidonT4.hash([ownerPart, uint256(uint160(tok)), units]);
        r.token = tok;
        r.amountUnits = units;
        r.depositor = who;
        r.queuedAtBlock = blk;
    }

    function test_refund_afterRefundAfter_closesDeposits() public {
        vm.deal(alice, 1 ether);
        vm.startPrank(alice);
        pool.depositEth{value: 2 gwei}(11, ct); // 0: appended below
        pool.depositEth{value: 3 gwei}(12, ct); // 1: never appended
        pool.depositEth{value: 4 gwei}(13, ct); // 2: never appended
        vm.stopPrank();
        _submit(1);
        IShieldedPool.DepositRecord memory r0 = _record(11, address(0), 2, alice, 0);
        IShieldedPool.DepositRecord memory r1 = _record(12, address(0), 3, alice, 0);
        // Too early.
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.NotRefundable.selector, 1));
        pool.refundDeposit(1, r1);
        vm.warp(block.timestamp + 1 days);
        // Appended (the committed cursor covers it).
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.NotRefundable.selector, 0));
        pool.refundDeposit(0, r0);
        // Wrong record.
        IShieldedPool.DepositRecord memory bad = _record(12, address(0), 4, alice, 0);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.UnknownDeposit.selector, 1));
        pool.refundDeposit(1, bad);
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.UnknownDeposit.selector, 9));
        pool.refundDeposit(9, r1);
        // Anyone may trigger it; the depositor is credited.
        vm.expectEmit(address(pool));
        emit IShieldedPool.DepositRefunded(1, 1);
        vm.prank(bob);
        pool.refundDeposit(1, r1);
        assertEq(pool.creditOf(address(0), alice), 3 gwei);
        assertEq(pool.paid(address(0)), 3 gwei);
        assertEq(pool.refundFloor(), 1);
        assertEq(_depositLimit(), 1, "S-2.2 rule 2: no header may pass the floor");
        assertEq(uint8(pool.depositStatus(1)), uint8(IShieldedPool.DepositStatus.Refunded));
        vm.expectRevert(abi.encodeWithSelector(IShieldedPool.NotRefundable.selector, 1));
        pool.refundDeposit(1, r1);
        // The later deposit is refundable too; the floor stays.
        pool.refundDeposit(2, _record(13, address(0), 4, alice, 0));
        assertEq(pool.refundFloor(), 1);
        // Deposits are closed for good.
        vm.prank(alice);
        vm.expectRevert(IShieldedPool.DepositsClosed.selector);
        pool.depositEth{value: 1 gwei}(1, ct);
        // A header appending the refunded deposit is refused.
        Types.BlockHeader memory h = _header(2);
        h.timestamp = uint64(block.timestamp);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.DepositCursorOutOfRange.selector, 1, 2, 1)
        );
        chain.submitBlock(h);
        // The pull payment.
        uint256 before = alice.balance;
        assertEq(pool.withdraw(address(0), alice), 7 gwei);
        assertEq(alice.balance, before + 7 gwei);
        assertEq(pool.withdraw(address(0), alice), 0);
        assertLe(pool.paid(address(0)), pool.deposited(address(0)));
    }

    function test_refund_erc20() public {
        vm.prank(operator);
        pool.listToken(address(token), 100);
        token.mint(bob, 1000);
        vm.startPrank(bob);
        token.approve(address(pool), 1000);
        pool.depositToken(address(token), 500, 5, ct);
        vm.stopPrank();
        vm.warp(block.timestamp + 1 days);
        pool.refundDeposit(0, _record(5, address(token), 5, bob, 0));
        pool.withdraw(address(token), bob);
        assertEq(token.balanceOf(bob), 1000);
        assertEq(IERC20(address(token)).balanceOf(address(pool)), 0);
    }

    // ----- reentrancy (every state-changing function holds the lock) -----

    function test_reentrancy_tokenAndPayee() public {
        ReenteringPoolToken re = new ReenteringPoolToken(pool);
        vm.prank(operator);
        pool.listToken(address(re), 1);
        re.mint(bob, 100);
        vm.prank(bob);
        re.approve(address(pool), 100);
        vm.prank(bob);
        vm.expectRevert(IShieldedPool.Reentrancy.selector);
        pool.depositToken(address(re), 100, 1, ct);
        // A payee re-entering withdraw: its payment fails, nothing is paid twice.
        ReenteringPayee payee = new ReenteringPayee(pool);
        vm.deal(address(payee), 1 ether);
        vm.prank(address(payee));
        pool.depositEth{value: 5 gwei}(1, ct);
        vm.warp(block.timestamp + 1 days);
        pool.refundDeposit(0, _record(1, address(0), 5, address(payee), 0));
        vm.expectRevert(
            abi.encodeWithSelector(IShieldedPool.PaymentFailed.selector, address(payee))
        );
        pool.withdraw(address(0), address(payee));
        assertEq(pool.creditOf(address(0), address(payee)), 5 gwei);
    }

    // ----- gas (docs/contracts.md; `forge test --match-test test_gas -vv`) -----

    function test_gas_deposits() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        pool.depositEth{value: 1 gwei}(1, ct);
        vm.prank(alice);
        pool.depositEth{value: 1 gwei}(1, ct);
        uint256 eth = _executionGas(abi.encodeCall(ShieldedPool.depositEth, (1, ct)));
        emit log_named_uint("pool depositEth execution gas (not first)", eth);
        emit log_named_uint("pool depositEth transaction gas", vm.lastCallGas().gasTotalUsed);
        vm.prank(operator);
        pool.listToken(address(token), 1);
        token.mint(bob, 1000);
        vm.prank(bob);
        token.approve(address(pool), 1000);
        vm.prank(bob);
        pool.depositToken(address(token), 100, 1, ct);
        bytes memory cd = abi.encodeCall(ShieldedPool.depositToken, (address(token), 100, 1, ct));
        emit log_named_uint("pool depositToken execution gas, first", _executionGas(cd));
        vm.prank(bob);
        pool.depositToken(address(token), 100, 1, ct);
        emit log_named_uint("pool depositToken execution gas, later", _executionGas(cd));
        emit log_named_uint("pool depositToken transaction gas", vm.lastCallGas().gasTotalUsed);
        assertLe(eth, 100_000);
    }
}
