// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {DebyeChain} from "../../src/DebyeChain.sol";
import {Types} from "../../src/lib/Types.sol";
import {IShieldedPool} from "../../src/interfaces/IShieldedPool.sol";
import {ShieldedPool} from "../../src/shielded/ShieldedPool.sol";
import {JoinSplitVerifier} from "../../src/verifier/JoinSplitVerifier.sol";
import {PoolDeploy} from "../helpers/PoolDeploy.sol";

/// @dev Drives the pool at random: deposits, refunds, exit starts (any proof accepted, nullifiers
///      drawn from a small set so duplicates and re-exits of paid notes happen; two bond payers,
///      two recipients and three amounts, so both copies of one payout and conflicting exits
///      occur), duplicates challenged and the queue processed by a keeper, withdrawals, time.
///      Ghost state: which nullifiers have been paid, by which payout, whether any was paid
///      twice, and the bonds the keeper has earned (conflicting exits only, S-5.10, S-5.12).
contract PoolHandler is Test {
    DebyeChain internal chain;
    ShieldedPool internal pool;
    Types.BlockHeader internal h1;
    address internal operator;
    bytes internal ct = new bytes(123);

    mapping(uint32 => IShieldedPool.ExitRecord) internal records;
    mapping(uint32 => bool) internal counted;
    mapping(uint32 => IShieldedPool.DepositRecord) internal deposits;
    uint32 internal exitCount;
    uint32 internal depositCount;
    mapping(uint256 => bool) public ghostPaid;
    mapping(uint256 => bytes32) internal ghostPayout;
    address public constant KEEPER = address(0x4EE9);
    address internal constant PAYER_B = address(0xB0B);
    uint256 public keeperEarned;
    uint256 public doublePaid;
    uint256 public paidExits;

    constructor(DebyeChain chain_, ShieldedPool pool_, address operator_) {
        chain = chain_;
        pool = pool_;
        operator = operator_;
    }

    function init() external {
        deposit(1_000);
        h1.number = 1;
        h1.noteRoot = bytes32(uint256(1));
        h1.noteCount = 2;
        h1.depositCursor = 1;
        h1.timestamp = uint64(block.timestamp);
        vm.prank(operator);
        chain.submitBlock(h1);
    }

    function deposit(uint64 units) public {
        if (pool.refundFloor() != type(uint32).max) return;
        units = uint64(bound(units, 1000, 1e6));
        address who = address(uint160(0x1000 + depositCount % 7));
        vm.deal(who, uint256(units) * 1 gwei);
        vm.prank(who);
        uint32 d = pool.depositEth{value: uint256(units) * 1 gwei}(depositCount, ct);
        deposits[d] = IShieldedPool.DepositRecord({
            cm: 0, token: address(0), amountUnits: units, depositor: who, queuedAtBlock: 0
        });
        // The cm is in the event only; recompute it the way the pool does.
        deposits[d].cm = _cm(depositCount, units);
        deposits[d].queuedAtBlock = d == 0 ? 0 : 1;
        depositCount++;
    }

    function _cm(uint256 ownerPart, uint64 units) internal view returns (uint256) {
        (bool ok, bytes memory ret) = pool.hasher()
            .staticcall(abi.encodeWithSignature("hash(uint256[3])", [ownerPart, 0, uint256(units)]));
        require(ok);
        return abi.decode(ret, (uint256));
    }

    function refund(uint32 d) external {
        if (depositCount < 2) return;
        d = uint32(bound(d, 1, depositCount - 1));
        if (uint8(pool.depositStatus(d)) != uint8(IShieldedPool.DepositStatus.Queued)) return;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < pool.depositQueuedAt(d) + 1 days) return;
        pool.refundDeposit(d, deposits[d]);
    }

    function startExit(uint8 nfA, uint8 nfB, uint64 amount) external {
        uint256 nf0 = 1 + (nfA % 12);
        uint256 nf1 = 1 + (nfB % 12);
        if (nf0 == nf1 || pool.paidNullifier(nf0) || pool.paidNullifier(nf1)) return;
        _startExit(
            nf0,
            nf1,
            uint64(100 * (1 + amount % 3)), // below most deposits: the queue moves
            nfB >= 128 ? address(0xCAFE) : address(0xbEEF),
            nfA >= 128 ? PAYER_B : address(this)
        );
    }

    /// @dev The front-run: a copy of pending exit `i`'s payout, started by the other payer.
    function copyExit(uint32 i) external {
        if (exitCount == 0) return;
        i = uint32(bound(i, 0, exitCount - 1));
        IShieldedPool.ExitRecord memory r = records[i];
        if (pool.paidNullifier(r.nullifier0) || pool.paidNullifier(r.nullifier1)) return;
        address payer = r.bondPayer == PAYER_B ? address(this) : PAYER_B;
        _startExit(r.nullifier0, r.nullifier1, r.amount, r.recipient, payer);
    }

    function _startExit(uint256 nf0, uint256 nf1, uint64 amount, address recipient, address payer)
        internal
    {
        IShieldedPool.ExitRequest memory x;
        x.nullifier0 = nf0;
        x.nullifier1 = nf1;
        x.amount = amount;
        x.ext.kind = 3;
        x.ext.recipient = recipient;
        x.ext.expiry = uint64(block.timestamp + 1 hours);
        x.ext.chainId = uint64(block.chainid);
        x.ext.anchor = address(pool);
        x.ext.policy = 1;
        vm.mockCall(
            pool.verifier(),
            abi.encodeWithSelector(JoinSplitVerifier.verifyProof.selector),
            abi.encode(true)
        );
        uint96 bond = pool.exitBond();
        vm.deal(payer, bond);
        uint256 start = block.timestamp;
        vm.prank(payer);
        uint32 k = pool.startExit{value: bond}(x, h1);
        uint256 a = start + pool.exitPeriod();
        uint256 b = uint256(h1.timestamp) + pool.exitPeriod() + 1 days;
        records[k] = IShieldedPool.ExitRecord({
            nullifier0: nf0,
            nullifier1: nf1,
            token: address(0),
            amount: x.amount,
            fee: 0,
            recipient: recipient,
            feeRecipient: address(0),
            prioKey: 2,
            exitableAt: uint64(a > b ? a : b),
            bond: bond,
            bondPayer: payer
        });
        exitCount = k + 1;
    }

    function challengeDuplicate(uint32 i, uint32 j) external {
        if (exitCount < 2) return;
        i = uint32(bound(i, 0, exitCount - 2));
        j = uint32(bound(j, i + 1, exitCount - 1));
        IShieldedPool.ExitRecord memory a = records[i];
        IShieldedPool.ExitRecord memory b = records[j];
        if (
            uint8(pool.exitStatus(i)) != 1 || uint8(pool.exitStatus(j)) != 1
                || (a.nullifier0 != b.nullifier0
                    && a.nullifier0 != b.nullifier1
                    && a.nullifier1 != b.nullifier0
                    && a.nullifier1 != b.nullifier1)
        ) return;
        vm.prank(KEEPER);
        pool.challengeDuplicate(i, a, j, b);
        // A copy of the same payout refunds its own bond; a conflicting exit pays the keeper.
        if (_payout(a) != _payout(b)) keeperEarned += b.bond;
    }

    function _payout(IShieldedPool.ExitRecord memory r) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                r.nullifier0, r.nullifier1, r.token, r.amount, r.fee, r.recipient, r.feeRecipient
            )
        );
    }

    function processExits(uint8 n) external {
        // The records of the pending heads in queue order, read off a copy of the heap walk:
        // process one head at a time so each call names exactly the head's record.
        n = uint8(bound(n, 1, 8));
        _queueAll();
        for (uint256 step = 0; step < n; step++) {
            if (pool.queueLength(address(0)) == 0) break;
            (, uint32 k) = pool.queueHead(address(0));
            IShieldedPool.ExitRecord[] memory rs = new IShieldedPool.ExitRecord[](1);
            rs[0] = records[k];
            uint256 before = pool.queueLength(address(0));
            bool pending = uint8(pool.exitStatus(k)) == uint8(IShieldedPool.ExitStatus.Pending);
            vm.prank(KEEPER);
            pool.processExits(address(0), rs);
            if (
                pending && uint8(pool.exitStatus(k)) == uint8(IShieldedPool.ExitStatus.Cancelled)
                    && ghostPayout[rs[0].nullifier0] != _payout(rs[0])
            ) keeperEarned += rs[0].bond; // dropped, its nullifier paid by another payout
            _ghost(k);
            if (pool.queueLength(address(0)) == before) break; // immature or over the limit
        }
    }

    /// @dev `queueExits` with the records of every pending exit not yet queued (§9 Q1).
    function _queueAll() internal {
        uint32 q = pool.exitsQueued();
        IShieldedPool.ExitRecord[] memory rs = new IShieldedPool.ExitRecord[](exitCount - q);
        uint256 m = 0;
        for (uint32 k = q; k < exitCount; k++) {
            if (uint8(pool.exitStatus(k)) == uint8(IShieldedPool.ExitStatus.Pending)) {
                rs[m++] = records[k];
            }
        }
        assembly ("memory-safe") {
            mstore(rs, m)
        }
        vm.prank(KEEPER);
        pool.queueExits(rs);
        assert(pool.exitsQueued() == exitCount);
    }

    function _ghost(uint32 k) internal {
        if (counted[k] || uint8(pool.exitStatus(k)) != uint8(IShieldedPool.ExitStatus.Paid)) {
            return;
        }
        counted[k] = true;
        paidExits++;
        IShieldedPool.ExitRecord memory r = records[k];
        if (ghostPaid[r.nullifier0] || ghostPaid[r.nullifier1]) doublePaid++;
        ghostPaid[r.nullifier0] = true;
        ghostPaid[r.nullifier1] = true;
        ghostPayout[r.nullifier0] = _payout(r);
        ghostPayout[r.nullifier1] = _payout(r);
    }

    function withdraw() external {
        pool.withdraw(address(0), address(0xbEEF));
        pool.withdraw(address(0), address(0xCAFE));
        pool.withdraw(address(0), address(this));
        pool.withdraw(address(0), PAYER_B);
    }

    function warp(uint32 s) external {
        vm.warp(block.timestamp + bound(s, 1 minutes, 3 days));
    }

    receive() external payable {}
}

/// @dev docs/shielded.md S-7.4's forge invariant: per token `paid ≤ deposited`, no nullifier
///      paid twice; and the pool holds at least what it still owes (`deposited − paid`).
contract PoolInvariantTest is Test {
    PoolHandler internal handler;
    ShieldedPool internal pool;

    function setUp() public {
        vm.warp(1_700_000_000);
        address operator = makeAddr("operator");
        DebyeChain chain;
        (chain, pool) = PoolDeploy.deploy(operator, 0, 0, address(0));
        handler = new PoolHandler(chain, pool, operator);
        handler.init();
        bytes4[] memory selectors = new bytes4[](8);
        selectors[0] = PoolHandler.deposit.selector;
        selectors[1] = PoolHandler.refund.selector;
        selectors[2] = PoolHandler.startExit.selector;
        selectors[3] = PoolHandler.challengeDuplicate.selector;
        selectors[4] = PoolHandler.processExits.selector;
        selectors[5] = PoolHandler.withdraw.selector;
        selectors[6] = PoolHandler.warp.selector;
        selectors[7] = PoolHandler.copyExit.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
        targetContract(address(handler));
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_paidAtMostDeposited() public view {
        assertLe(pool.paid(address(0)), pool.deposited(address(0)));
        assertGe(address(pool).balance, pool.deposited(address(0)) - pool.paid(address(0)));
    }

    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_noNullifierPaidTwice() public view {
        assertEq(handler.doublePaid(), 0);
    }

    /// @dev S-5.10, S-5.12: the keeper (every challenge and payout call) earns exactly the bonds
    ///      of conflicting exits; a copy of the same payout refunds its own bond.
    /// forge-config: default.invariant.runs = 32
    /// forge-config: default.invariant.depth = 60
    function invariant_keeperEarnsOnlyConflictBonds() public view {
        assertEq(pool.creditOf(address(0), handler.KEEPER()), handler.keeperEarned());
    }

    /// @dev The handler reaches payouts at all (the invariants are not vacuous).
    function test_handler_paysSomething() public {
        handler.startExit(1, 2, 100);
        handler.warp(3 days);
        handler.warp(3 days);
        handler.warp(3 days);
        handler.processExits(1);
        assertEq(handler.paidExits(), 1);
        assertTrue(handler.ghostPaid(2) && handler.ghostPaid(3)); // nullifiers 1 + (1 % 12), 1 + (2 % 12)
    }
}
