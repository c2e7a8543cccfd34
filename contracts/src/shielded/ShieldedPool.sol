// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Types} from "../lib/Types.sol";
import {L1Util} from "../lib/L1Util.sol";
import {IShieldedPool} from "../interfaces/IShieldedPool.sol";
import {PoseidonT4Hasher} from "./PoseidonT4Hasher.sol";
import {EntryTree} from "./EntryTree.sol";
import {JoinSplitVerifier} from "../verifier/JoinSplitVerifier.sol";

/// @dev The part of `DebyeChain` the pool uses: its hooks (docs/shielded.md S-2.3), its header
///      commitments and its operator (who lists tokens, as on the anchor).
interface IChainForPool {
    function onShieldedQueue(uint256 queue) external returns (uint32 index, uint64 lastBlock);
    function closeShieldedDeposits(uint32 floor) external;
    function blockHash(uint64 number) external view returns (bytes32);
    function chainWord() external view returns (uint256);
    function operator() external view returns (address);
}

/// @title ShieldedPool: L1 custody of the shielded ledger (docs/shielded.md §5)
/// @notice Takes deposits as note commitments the operator must append (S-5.3), refunds deposits
///         never appended (S-5.4), and pays ZK exits (S-5.5) in per-token priority order after
///         their exit period (S-5.6, S-5.7), unless a spend committed on L2 cancels them (S-5.8)
///         or another exit shares a nullifier (S-5.10). Every payment is pulled (`withdraw`).
/// @dev No owner, no pause, no upgrade path. Its custody is separate from `DebyeChain`'s (S-5.1):
///      the anchor never pays from this balance, nor this contract from the anchor's. It is
///      deployed *before* the chain, for the chain's future address (docs/contracts.md §6a), and
///      deploys its own `JoinSplitVerifier` and `PoseidonT4Hasher`, so neither is a trust choice of
///      the deployer.
///      Fraud proofs, pins and `restartExit` (S-5.11, S-5.13, S-5.14, §7.2) are not built yet:
///      `firstInvalid` stays at its initial `type(uint64).max`, but is checked wherever §7.1 says.
contract ShieldedPool is IShieldedPool {
    using SafeERC20 for IERC20;

    // ---------------------------------------------------------------------------------------
    // Constants (docs/shielded.md §1.4)
    // ---------------------------------------------------------------------------------------

    /// @notice Order of the BN254 scalar field (every public input and `ownerPart` is below it).
    uint256 public constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice `Poseidon(0, 0, 0)`: the commitment both outputs of an exit must carry (S-4.1,
    ///         S-5.5). Checked against `PoseidonT4` and test-vectors/zk/notes.json by a test.
    uint256 public constant CM_ZERO =
        5317387130258456662214331362918410991734007599705406860481038345552731150762;
    /// @notice Exit-period bounds and default: the same as `DebyeChain`'s, whose constructor
    ///         requires `pool.exitPeriod()` to equal its own (docs/contracts.md §6a).
    uint64 public constant DEFAULT_EXIT_PERIOD = 7 days;
    uint64 public constant MIN_EXIT_PERIOD = 2 minutes;
    uint64 public constant MAX_EXIT_PERIOD = 60 days;
    /// @notice Default exit bond: 350 000 gas × 100 gwei × 4 = 0.14 ETH (S-7.5).
    uint96 public constant DEFAULT_EXIT_BOND = 350_000 * 100 gwei * 4;
    /// @notice One ETH note unit: 1 gwei (S-5.2).
    uint64 public constant ETH_UNIT = 1 gwei;
    /// @notice Root-age padding added to a young root's exit clock (S-5.6).
    uint256 public constant REP = 1 days;
    /// @notice How far past the time it executes an intent's expiry may lie (S-8.3).
    uint256 public constant MAX_LIFETIME = 86_400;
    /// @notice A deposit not appended this long after queueing is refundable (S-5.4).
    uint256 public constant REFUND_AFTER = 1 days;
    /// @notice Exact length of a note ciphertext (S-6.1).
    uint256 public constant CT_LEN = 123;
    /// @notice The only policy version (S-3.4).
    uint32 public constant POLICY = 1;
    /// @notice Entry and intent kinds (S-3.1).
    uint8 public constant KIND_DEPOSIT = 1;
    uint8 public constant KIND_TRANSFER = 2;
    uint8 public constant KIND_EXIT = 3;
    /// @notice Domain tags of the hashed encodings (S-3.4, S-3.5, S-5.3, S-5.5).
    bytes32 public constant EXT_TAG = keccak256("debye/shielded/v1/ext-data");
    bytes32 public constant BODY_TAG = keccak256("debye/shielded/v1/body");
    bytes32 public constant DEP_TAG = keccak256("debye/shielded/v1/deposit");
    bytes32 public constant EXIT_TAG = keccak256("debye/shielded/v1/exit");

    /// @dev Record words (deposits and exits): `queuedAt/startedAt (uint32) ‖ status (uint8) ‖
    ///      uint216(keccak256(abi.encode(TAG, record)))`, high bits first (S-5.3, S-5.5).
    uint256 private constant STATUS_SHIFT = 216;
    uint256 private constant TIME_SHIFT = 224;
    uint256 private constant HASH_MASK = (uint256(1) << 216) - 1;
    /// @dev Chain-word offset of the committed `depositCursor` (DebyeChain `_chainWord`).
    uint256 private constant DEPOSIT_CURSOR_SHIFT = 104;

    // ---------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------

    /// @dev Per token: value in (deposits) and out (exits, fees, refunds), base units (S-7.4).
    ///      One slot, so a payout's limit check reads one word. 128 bits each: one deposit is
    ///      below 2^64 units × a 64-bit unit, and a sum that would pass 2^128 reverts the deposit.
    struct Ledger {
        uint128 deposited;
        uint128 paid;
    }

    /// @dev A packed binary min-heap (see `_queues`).
    struct Heap {
        uint256 length;
        mapping(uint256 slot => uint256 word) words;
    }

    /// @dev A challenge reward (S-5.8, S-5.9): the cancelled exit's bond, for `to`, claimable
    ///      once `claimableAt` has passed and only while `evidenceBlock < firstInvalid`.
    struct Reward {
        address to;
        uint96 bond;
        uint64 evidenceBlock;
        uint40 claimableAt;
    }

    /// @dev Slot 0: §7.1's `firstInvalid` (`type(uint64).max` until a fraud proof, a later issue)
    ///      and S-5.4's `refundFloor` (`type(uint32).max` until the first refund closes deposits).
    uint64 private _firstInvalid;
    uint32 private _refundFloor;
    /// @dev Slot 0 too: how many exits, in start order `k`, `queueExits` has moved into their
    ///      token's heap (or skipped, cancelled before). `processExits` pays nothing while a
    ///      started exit is not queued (S-5.7; docs/shielded.md §9 Q1).
    uint32 private _exitsQueued;
    /// @dev Token => note unit in base units; 0: not listed (S-5.2).
    mapping(address token => uint64 unit) private _units;
    mapping(address token => Ledger) private _ledgers;
    /// @dev Deposit index (the chain's deposit count at queueing) => record word (S-5.3).
    mapping(uint32 index => uint256 word) private _deposits;
    /// @dev Exit index (the chain's exit count at start) => record word (S-5.5).
    mapping(uint32 index => uint256 word) private _exits;
    /// @dev Per token, a binary min-heap of `prioKey << 32 | k` (S-5.7), two 128-bit nodes per
    ///      slot (node `i` in `words[i / 2]`, the low half for even `i`). `startExit` does not
    ///      push (its one fresh slot is the record word); `queueExits` pushes, in start order,
    ///      paid by whoever processes the queue (docs/shielded.md §9 Q1).
    mapping(address token => Heap) private _queues;
    /// @dev Nullifiers of paid exits (S-5.12) => the `_payoutHash` of the exit that paid them
    ///      (0: unpaid; one nonzero slot, as a bool would be): a later exit of the same note is
    ///      told apart at payout as a copy of that payout or a conflicting one (S-5.10).
    mapping(uint256 nullifier => bytes32 payout) private _paidNf;
    /// @dev Pull payments: token => account => base units (S-5.15).
    mapping(address token => mapping(address account => uint256 amount)) private _credits;
    /// @dev Exit index => the challenge reward its cancellation earned (S-5.8).
    mapping(uint32 index => Reward) private _rewards;

    IChainForPool private immutable _chain;
    uint64 private immutable _exitPeriod;
    uint96 private immutable _exitBond;
    JoinSplitVerifier private immutable _verifier;
    /// @dev `PoseidonT4` in its own contract (size: see `PoseidonT4Hasher`), deployed here.
    PoseidonT4Hasher private immutable _hasher;
    /// @dev Transient reentrancy lock, held by every state-changing function.
    bool private transient _locked;

    /// @param chain_ The `DebyeChain` this pool serves: its future CREATE address when the pool is
    ///        deployed first (docs/contracts.md §6a).
    /// @param exitPeriod_ `T`, the chain's exit period; 0 for `DEFAULT_EXIT_PERIOD`. Must equal
    ///        the chain's (the chain's constructor checks it).
    /// @param exitBond_ The ETH bond of `startExit`; 0 for `DEFAULT_EXIT_BOND` (S-7.5).
    constructor(address chain_, uint64 exitPeriod_, uint96 exitBond_) {
        if (exitPeriod_ == 0) exitPeriod_ = DEFAULT_EXIT_PERIOD;
        if (exitPeriod_ < MIN_EXIT_PERIOD || exitPeriod_ > MAX_EXIT_PERIOD) {
            revert BadExitPeriod(exitPeriod_);
        }
        _chain = IChainForPool(chain_);
        _exitPeriod = exitPeriod_;
        _exitBond = exitBond_ == 0 ? DEFAULT_EXIT_BOND : exitBond_;
        _verifier = new JoinSplitVerifier();
        _hasher = new PoseidonT4Hasher();
        _firstInvalid = type(uint64).max;
        _refundFloor = type(uint32).max;
        _units[address(0)] = ETH_UNIT;
        emit PoolTokenListed(address(0), ETH_UNIT);
    }

    /// @dev Rule: no state-changing call re-enters another. Stops a hostile ERC-20 (or a payee)
    ///      from acting on the pool in the middle of a transfer (docs/contracts.md §4.4).
    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    // ---------------------------------------------------------------------------------------
    // Tokens
    // ---------------------------------------------------------------------------------------

    /// @notice Lists `token` for the pool with note unit `unit` base units (S-5.2).
    /// @dev Rule: only the chain's operator lists, once per token, with a nonzero unit (S-5.2).
    ///      Stops a second unit for a token (two scales for one balance) and listings nobody
    ///      vetted. ETH (`address(0)`) is listed at construction with `ETH_UNIT`.
    function listToken(address token, uint64 unit) external nonReentrant {
        if (msg.sender != _chain.operator()) revert NotOperator();
        if (_units[token] != 0) revert TokenAlreadyListed(token);
        if (unit == 0) revert BadUnit(unit);
        _units[token] = unit;
        emit PoolTokenListed(token, unit);
    }

    // ---------------------------------------------------------------------------------------
    // Deposits (S-5.3, S-5.4)
    // ---------------------------------------------------------------------------------------

    /// @notice Queues a deposit of `msg.value` wei (a whole number of gwei units) as the note
    ///         `Poseidon(ownerPart, 0, msg.value / 1 gwei)`; `ct` is its 123-byte ciphertext.
    function depositEth(uint256 ownerPart, bytes calldata ct)
        external
        payable
        nonReentrant
        returns (uint32)
    {
        // S-5.2: ETH deposits are whole gwei units.
        if (msg.value % ETH_UNIT != 0) revert BadAmount(msg.value);
        return _deposit(address(0), msg.value, msg.value / ETH_UNIT, ownerPart, ct);
    }

    /// @notice Queues a deposit of `amount` base units of `token` (a whole number of its units),
    ///         pulled from the caller (approve first).
    /// @dev Rule (S-5.3, docs/contracts.md §4.5): the pool's balance must grow by exactly
    ///      `amount`. Stops fee-on-transfer or lying tokens from crediting value never received.
    function depositToken(address token, uint256 amount, uint256 ownerPart, bytes calldata ct)
        external
        nonReentrant
        returns (uint32)
    {
        uint64 unit = _units[token];
        if (unit == 0 || token == address(0)) revert UnknownToken(token);
        // S-5.2: whole units only.
        if (amount % unit != 0) revert BadAmount(amount);
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(amount, received);
        return _deposit(token, amount, amount / unit, ownerPart, ct);
    }

    /// @dev The checks and effects shared by both deposits (S-5.3).
    function _deposit(
        address token,
        uint256 amount,
        uint256 units,
        uint256 ownerPart,
        bytes calldata ct
    ) private returns (uint32 index) {
        // S-5.4, S-7.1: a refund (or, later, a fraud proof) closes shielded deposits for good.
        if (_refundFloor != type(uint32).max || _firstInvalid != type(uint64).max) {
            revert DepositsClosed();
        }
        // S-5.3: 0 < amount/unit < 2^64 (a note amount is 64 bits in the circuit).
        if (units == 0 || units > type(uint64).max) revert BadAmount(amount);
        // S-5.3: `ownerPart` is a field element (Poseidon would refuse it anyway).
        if (ownerPart >= R) revert BadOwnerPart();
        // S-6.1: a ciphertext is exactly CT_LEN bytes.
        if (ct.length != CT_LEN) revert BadCiphertextLength(ct.length);
        // S-7.4: `deposited` grows only by what was received.
        // amount < 2^64 units × a 64-bit unit < 2^128 (checked above); the sum is checked.
        // forge-lint: disable-next-line(unsafe-typecast)
        _ledgers[token].deposited += uint128(amount);
        // S-4.1, S-5.3: L1 computes the commitment itself, so it knows token and amount.
        uint256 cm = _hasher.hash([ownerPart, uint256(uint160(token)), units]);
        // S-2.3: the chain counts the deposit; its index is the chain's deposit count.
        uint64 queuedAtBlock;
        (index, queuedAtBlock) = _chain.onShieldedQueue(0);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 units64 = uint64(units); // below 2^64, checked above
        bytes32 h = keccak256(abi.encode(DEP_TAG, cm, token, units64, msg.sender, queuedAtBlock));
        _deposits[index] = (block.timestamp << TIME_SHIFT)
            | (uint256(uint8(DepositStatus.Queued)) << STATUS_SHIFT) | (uint256(h) & HASH_MASK);
        emit ShieldedDeposit(index, cm, token, units64, msg.sender, queuedAtBlock, ct);
    }

    /// @notice Refunds deposit `index`, never appended, to its depositor (credited; `withdraw`).
    /// @dev Rule (S-5.4): the deposit is `Queued`, not covered by the committed `depositCursor`,
    ///      and queued `REFUND_AFTER` ago or longer. Then the refund floor drops to `index` and the
    ///      chain refuses any header whose cursor passes it (S-2.2 rule 2), and new deposits are
    ///      refused. Stops a refund raced by a header that appends the same deposit (paid twice).
    ///      The second case of S-5.4 (appended at or after `firstInvalid`) needs fraud proofs and
    ///      is not built yet. Rule (S-7.4): the refund counts against `deposited`.
    function refundDeposit(uint32 index, DepositRecord calldata record) external nonReentrant {
        uint256 word = _deposits[index];
        if (word == 0 || !_sameHash(word, _depositHash(record))) {
            revert UnknownDeposit(index);
        }
        if (_status(word) != uint8(DepositStatus.Queued)) {
            revert NotRefundable(index);
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 cursor = uint32(_chain.chainWord() >> DEPOSIT_CURSOR_SHIFT);
        if (index < cursor || L1Util.now_() < (word >> TIME_SHIFT) + REFUND_AFTER) {
            revert NotRefundable(index);
        }
        _deposits[index] = (word & ~(uint256(0xff) << STATUS_SHIFT))
            | (uint256(uint8(DepositStatus.Refunded)) << STATUS_SHIFT);
        uint32 floor = _refundFloor;
        if (index < floor) {
            floor = index;
            _refundFloor = index;
            _chain.closeShieldedDeposits(index);
        }
        uint256 amount = uint256(record.amountUnits) * _units[record.token];
        _pay(record.token, amount);
        _credit(record.token, record.depositor, amount);
        emit DepositRefunded(index, floor);
    }

    function _depositHash(DepositRecord calldata record) private pure returns (bytes32) {
        return keccak256(abi.encode(DEP_TAG, record));
    }

    // ---------------------------------------------------------------------------------------
    // Exits (S-5.5 .. S-5.15)
    // ---------------------------------------------------------------------------------------

    /// @notice Starts the exit of a whole note: `x.proof` spends it with kind `EXIT` against the
    ///         `noteRoot` of committed block `rootHeader.number`. Bond: `exitBond()` wei.
    /// @dev Rules (S-5.5), each stopping the threat named in docs/shielded.md:
    ///      the bond is exact (S-7.5); `ext.kind = EXIT` (S-3.1, S-8.2: no L2 transfer proof
    ///      executes as an exit); `0 < amount < 2^64` and the outputs are `CM_ZERO` (whole-note
    ///      exits: nothing left behind to claim again, S-7.4); token listed; `chainId`, `anchor`,
    ///      `policy` (S-3.4, S-8.3: no cross-chain or cross-pool replay); `now ≤ expiry ≤ now +
    ///      MAX_LIFETIME` (S-8.3); `recipient ≠ 0`, `fee ≤ amount`, fee only with a fee recipient,
    ///      no ciphertext hashes (S-3.4); `extDataHash` recomputed from `ext` (S-3.4); the root
    ///      is the `noteRoot ≠ 0` of a committed header before `firstInvalid` (S-5.5, S-7.1);
    ///      distinct, unpaid nullifiers (S-5.12); the proof verifies.
    function startExit(ExitRequest calldata x, Types.BlockHeader calldata rootHeader)
        external
        payable
        nonReentrant
        returns (uint32 index)
    {
        uint96 bond = _exitBond;
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        _checkExitExt(x);
        uint64 rootBlock = rootHeader.number;
        // S-5.5, S-7.1: a committed header whose block is valid for the shielded ledger.
        _checkHeader(rootHeader);
        if (rootBlock >= _firstInvalid) revert RootBlockInvalid(rootBlock);
        uint256 root = uint256(rootHeader.noteRoot);
        if (root == 0) revert BadRoot();
        // S-5.12: distinct nullifiers, neither paid yet (payout re-checks).
        if (x.nullifier0 == x.nullifier1) revert SameNullifier();
        if (_paidNf[x.nullifier0] != 0) revert NullifierPaid(x.nullifier0);
        if (_paidNf[x.nullifier1] != 0) revert NullifierPaid(x.nullifier1);
        // S-5.5: public inputs rebuilt on L1; outputs CM_ZERO; publicAmount = r - v.
        if (!_verify(
                x.proof,
                [
                    root,
                    x.nullifier0,
                    x.nullifier1,
                    CM_ZERO,
                    CM_ZERO,
                    R - x.amount,
                    uint256(uint160(x.token)),
                    extDataHash(x.ext)
                ]
            )) revert InvalidProof();
        // S-2.3, S-2.2 rule 3: the chain counts the exit; the operator must import it.
        (index,) = _chain.onShieldedQueue(1);
        // S-5.6: exitableAt = max(start + T, time(rootBlock) + T + REP); prioKey = 2·rootBlock.
        uint256 exitableAt = block.timestamp + _exitPeriod;
        uint256 aged = uint256(rootHeader.timestamp) + _exitPeriod + REP;
        if (aged > exitableAt) exitableAt = aged;
        ExitRecord memory r = ExitRecord({
            nullifier0: x.nullifier0,
            nullifier1: x.nullifier1,
            token: x.token,
            amount: x.amount,
            fee: x.ext.fee,
            recipient: x.ext.recipient,
            feeRecipient: x.ext.feeRecipient,
            prioKey: 2 * rootBlock,
            // forge-lint: disable-next-line(unsafe-typecast)
            exitableAt: uint64(exitableAt),
            bond: bond,
            bondPayer: msg.sender
        });
        // §9 Q1: the record word is the exit's only fresh slot; `queueExits` pushes its node.
        _exits[index] = (block.timestamp << TIME_SHIFT)
            | (uint256(uint8(ExitStatus.Pending)) << STATUS_SHIFT)
            | (uint256(keccak256(abi.encode(EXIT_TAG, r))) & HASH_MASK);
        emit ShieldedExitStarted(index, rootBlock, r);
    }

    /// @notice Moves started exits, in start order from `exitsQueued()`, into their token's
    ///         queue: `records` are the records of the *pending* ones met, in order (an exit
    ///         cancelled before it is queued is skipped without one). Stops when every started
    ///         exit is queued or `records` runs out; anyone may call it.
    /// @dev Rule (S-5.7, docs/shielded.md §9 Q1): `startExit` only writes its record word, so
    ///      its gas stays within S-5.5's target; the heap push (a fresh slot every second node)
    ///      is paid here, by whoever processes the queue. Order is kept because `processExits`
    ///      pays nothing while any started exit is unqueued, so the heap then holds every
    ///      pending exit of the token and pops in `(prioKey, k)` order, exactly as if each
    ///      start had pushed. Each record is checked against the stored hash, so a caller cannot
    ///      queue an exit under another token or key.
    /// @return queued `exitsQueued()` after the call.
    function queueExits(ExitRecord[] calldata records)
        external
        nonReentrant
        returns (uint32 queued)
    {
        queued = _exitsQueued;
        uint256 next = 0;
        while (true) {
            uint256 word = _exits[queued];
            if (word == 0) break; // every started exit is queued
            if (_status(word) == uint8(ExitStatus.Pending)) {
                if (next == records.length) break;
                ExitRecord calldata r = records[next++];
                if (!_sameHash(word, _exitHash(r))) revert UnknownExit(queued);
                _heapPush(_queues[r.token], (uint256(r.prioKey) << 32) | queued);
            }
            queued++;
        }
        _exitsQueued = queued;
    }

    /// @dev The field checks of an exit's request (S-5.5, S-3.4, S-8.3).
    function _checkExitExt(ExitRequest calldata x) private view {
        ExtData calldata e = x.ext;
        if (e.kind != KIND_EXIT) revert WrongKind(e.kind);
        if (x.amount == 0) revert BadAmount(0);
        // ETH is always listed (constructor): skip its read.
        if (x.token != address(0) && _units[x.token] == 0) revert UnknownToken(x.token);
        _checkDomain(e);
        if (e.recipient == address(0)) revert BadRecipient();
        if (e.fee > x.amount || (e.fee != 0 && e.feeRecipient == address(0))) {
            revert BadFee(e.fee);
        }
        if (e.ctHash0 != 0 || e.ctHash1 != 0) revert BadCiphertextHash();
        _checkExpiry(e.expiry, block.timestamp);
    }

    /// @dev S-3.4, S-8.3: the intent names this L1 chain, this pool and policy 1. Stops replay of
    ///      a proof on another chain, another pool, or under another policy.
    function _checkDomain(ExtData calldata e) private view {
        if (e.chainId != block.chainid) revert WrongChain(e.chainId);
        if (e.anchor != address(this)) revert WrongAnchor(e.anchor);
        if (e.policy != POLICY) revert WrongPolicy(e.policy);
    }

    /// @dev S-8.3: `time ≤ expiry ≤ time + MAX_LIFETIME`. Stops an expired intent from executing
    ///      and an intent from staying executable for longer than a day.
    function _checkExpiry(uint64 expiry, uint256 time) private pure {
        if (expiry < time || expiry > time + MAX_LIFETIME) revert BadExpiry(expiry, time);
    }

    /// @dev A header is the one L1 committed for its number (hashed as passed; non-canonical
    ///      encodings never match, `submitBlock` commits canonical ones only).
    function _checkHeader(Types.BlockHeader calldata h) private view {
        if (Types.hashHeader(h) != _chain.blockHash(h.number)) revert UnknownHeader(h.number);
    }

    /// @dev Whether the pool's verifier accepts `proof` for `input`. A revert of the verifier
    ///      (`InsufficientGas()` when the caller starves it) is passed on, never read as "invalid",
    ///      so a starved call cannot make a valid proof look invalid.
    function _verify(uint256[8] calldata proof, uint256[8] memory input)
        private
        view
        returns (bool)
    {
        (bool ok, bytes memory ret) = address(_verifier)
            .staticcall(abi.encodeCall(JoinSplitVerifier.verifyProof, (proof, input)));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret.length == 32 && abi.decode(ret, (uint256)) == 1;
    }

    /// @notice Processes the head of `token`'s exit queue, in `(prioKey, k)` order, until the
    ///         head is not mature, the payout limit stops it, the queue is empty, or `records` (the
    ///         records of the pending heads met, in order) runs out. Cancelled heads are dropped
    ///         without a record.
    /// @dev Rules (S-5.7): strict order (a fake exit is never paid before an older honest one,
    ///      §7.3); stop at the first immature head; a head whose root block is at or after
    ///      `firstInvalid` is refused, bond back (S-7.1); a head with a paid nullifier is dropped
    ///      (S-5.12): a copy of the same payout refunds its own bond (its nullifiers were paid by
    ///      an identical payout: nobody was harmed, and a front-runner's copy of `startExit` must
    ///      not win the honest starter's bond, S-5.10), any other (a conflicting exit of the
    ///      note) gives its bond to the caller; the payout limit `paid + x ≤ deposited` stops
    ///      processing (S-7.4, S-5.15). Makes no external call: every payment is credited.
    ///      Refuses to run while a started exit is not queued (`queueExits` first): an unqueued
    ///      exit may have an older key than the head, so paying the head could break the order.
    /// @return processed Heads removed from the queue (paid, refused or dropped).
    function processExits(address token, ExitRecord[] calldata records)
        external
        nonReentrant
        returns (uint256 processed)
    {
        Heap storage heap = _queues[token];
        uint256 next = 0;
        uint256 unit = _units[token];
        while (heap.length != 0) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32 k = uint32(_heapGet(heap, 0));
            uint256 word = _exits[k];
            if (_status(word) != uint8(ExitStatus.Pending)) {
                _heapPop(heap); // cancelled by a challenge or a duplicate (S-5.7)
                processed++;
                continue;
            }
            if (next == records.length) break;
            ExitRecord calldata r = records[next++];
            if (r.token != token || !_sameHash(word, _exitHash(r))) {
                revert UnknownExit(k);
            }
            // S-5.7: strictly in order; stop at the first immature head.
            if (L1Util.now_() < r.exitableAt) break;
            _requireQueuedBefore(r.exitableAt);
            if (r.prioKey / 2 >= _firstInvalid) {
                // S-7.1: the root block is invalid now; refused at payout, bond back.
                _setExitStatus(k, word, ExitStatus.Refused);
                _credit(address(0), r.bondPayer, r.bond);
                emit ExitRefused(k);
            } else {
                bytes32 payout = _payoutHash(r);
                bytes32 paid0 = _paidNf[r.nullifier0];
                if (paid0 != 0 || _paidNf[r.nullifier1] != 0) {
                    // S-5.12: a nullifier was paid by another exit; this one is dropped. A copy
                    // of the same payout refunds its own bond (S-5.10): both its nullifiers were
                    // paid by that payout, so `paid0` names it. Else the bond is the caller's.
                    _setExitStatus(k, word, ExitStatus.Cancelled);
                    _credit(address(0), paid0 == payout ? r.bondPayer : msg.sender, r.bond);
                    emit ExitNullifierPaid(k);
                } else {
                    uint256 value = uint256(r.amount) * unit;
                    // S-7.4, S-5.15: never pay more than was deposited; the exit stays Pending.
                    Ledger storage l = _ledgers[token];
                    if (uint256(l.paid) + value > l.deposited) break;
                    // forge-lint: disable-next-line(unsafe-typecast)
                    l.paid += uint128(value);
                    // S-5.12: both nullifiers paid, by this payout.
                    _paidNf[r.nullifier0] = payout;
                    _paidNf[r.nullifier1] = payout;
                    _setExitStatus(k, word, ExitStatus.Paid);
                    uint256 fee = uint256(r.fee) * unit;
                    _credit(token, r.recipient, value - fee);
                    if (fee != 0) _credit(token, r.feeRecipient, fee);
                    _credit(address(0), r.bondPayer, r.bond);
                    emit ExitPaid(k);
                }
            }
            _heapPop(heap);
            processed++;
        }
    }

    /// @dev S-5.7, §7.3: an exit started before the head matured may come before it in
    ///      priority, so the head is paid only once every such exit is queued. Starts are appended
    ///      in time order, so the first unqueued exit is the oldest unqueued one. An exit started at
    ///      or after the head's maturity never holds it back, so a stream of fresh starts cannot
    ///      stall payouts (§9 Q1).
    function _requireQueuedBefore(uint256 maturity) private view {
        uint32 next = _exitsQueued;
        uint256 startedAt = _exits[next] >> TIME_SHIFT; // 0: every started exit is queued
        if (startedAt != 0 && startedAt < maturity) revert ExitsNotQueued(next);
    }

    function _exitHash(ExitRecord calldata r) private pure returns (bytes32) {
        return keccak256(abi.encode(EXIT_TAG, r));
    }

    /// @dev The payout an exit's proof binds (S-5.5: nullifiers, token, amount and, through
    ///      `extDataHash`, fee, recipient, feeRecipient), without the bond payer, the start time
    ///      or the bond. Two exits with equal payout hashes are copies of one signed payout
    ///      (S-5.10, S-5.12); never 0 (keccak256).
    function _payoutHash(ExitRecord calldata r) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                r.nullifier0, r.nullifier1, r.token, r.amount, r.fee, r.recipient, r.feeRecipient
            )
        );
    }

    /// @dev The status byte of a record word.
    function _status(uint256 word) private pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint8(word >> STATUS_SHIFT);
    }

    /// @dev Whether a record word stores (the low 216 bits of) `h`.
    function _sameHash(uint256 word, bytes32 h) private pure returns (bool) {
        return word & HASH_MASK == uint256(h) & HASH_MASK;
    }

    function _setExitStatus(uint32 k, uint256 word, ExitStatus status) private {
        _exits[k] =
            (word & ~(uint256(0xff) << STATUS_SHIFT)) | (uint256(uint8(status)) << STATUS_SHIFT);
    }

    /// @dev The pending exit `k` whose record is `r` (reverts otherwise).
    function _pendingExit(uint32 k, ExitRecord calldata r) private view returns (uint256 word) {
        word = _exits[k];
        if (word == 0 || !_sameHash(word, _exitHash(r))) revert UnknownExit(k);
        if (_status(word) != uint8(ExitStatus.Pending)) revert ExitNotPending(k);
    }

    /// @notice Pays `account` everything credited to it in `token` (anyone may call: a relayer
    ///         collects its fee and pays out a fresh recipient that holds no gas, S-5.15).
    /// @dev Checks-effects-interactions under the lock; a failing ETH payee only hurts itself.
    function withdraw(address token, address account)
        external
        nonReentrant
        returns (uint256 amount)
    {
        amount = _credits[token][account];
        if (amount == 0) return 0;
        _credits[token][account] = 0;
        if (token == address(0)) {
            (bool ok,) = account.call{value: amount}("");
            if (!ok) revert PaymentFailed(account);
        } else {
            IERC20(token).safeTransfer(account, amount);
        }
        emit Withdrawn(token, account, amount);
    }

    /// @dev S-7.4: every outflow of deposited value counts against `deposited`, refused beyond it.
    function _pay(address token, uint256 amount) private {
        Ledger storage l = _ledgers[token];
        uint256 paid_ = uint256(l.paid) + amount;
        if (paid_ > l.deposited) revert BadAmount(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        l.paid = uint128(paid_);
    }

    function _credit(address token, address account, uint256 amount) private {
        _credits[token][account] += amount;
        emit Credited(token, account, amount);
    }

    // ---------------------------------------------------------------------------------------
    // Challenges (S-5.8 .. S-5.10)
    // ---------------------------------------------------------------------------------------

    /// @notice Cancels pending exit `index` with a `TRANSFER` entry of committed block
    ///         `header.number` that spends one of its nullifiers; the bond becomes the caller's,
    ///         claimable once `time(n) + T` has passed (`claimChallengeReward`).
    /// @dev Rules (S-5.8): the evidence must pass every L1-checkable validity rule (F1–F3), so a
    ///      forged or dummy "spend", the exit's own proof replayed (kind `EXIT`), an entry not in
    ///      a committed block or one from an invalid block cannot cancel an honest exit:
    ///      the header is committed and `< firstInvalid` (S-7.1); if it already imported this exit
    ///      the spend is fraud F5, not a challenge; the head is a `TRANSFER` spending one of the
    ///      exit's nullifiers, included in `entriesRoot` (S-3.5, S-3.7) with its body's hash;
    ///      `publicAmount = 0` and `ext` a TRANSFER's (S-3.1, S-3.4); expiry against header `n`
    ///      (S-8.3); `rootBlock < n` with a committed, matching, nonzero root (F3); ciphertexts
    ///      hash to `ctHash_i` (S-6.1); the proof verifies (F1). Spend pins (S-5.13) come with the
    ///      fraud-proof issue; the head and ciphertexts are logged now for the outputs' owners.
    function challengeSpent(
        uint32 index,
        ExitRecord calldata record,
        EntryHead calldata head,
        TransferBody calldata body,
        Inclusion calldata inclusion,
        Types.BlockHeader calldata header,
        Types.BlockHeader calldata rootHeader,
        bytes calldata ct0,
        bytes calldata ct1
    ) external nonReentrant {
        uint256 word = _pendingExit(index, record);
        uint64 n = header.number;
        _checkHeader(header);
        // S-5.9, S-7.1: evidence from an invalid block proves nothing.
        if (n >= _firstInvalid) revert EvidenceBlockInvalid(n);
        // S-5.8: an exit the block had already imported makes the spend fraud F5.
        if (header.exitCursor > index) revert SpendAfterImport(index);
        // The head spends one of the exit's nullifiers.
        if (head.kind != KIND_TRANSFER) revert WrongKind(head.kind);
        if (
            head.nullifier0 != record.nullifier0 && head.nullifier0 != record.nullifier1
                && head.nullifier1 != record.nullifier0 && head.nullifier1 != record.nullifier1
        ) revert NotASpend();
        // S-3.5, S-3.7: the head is a leaf of header n's entries, and commits to this body.
        if (head.bodyHash != keccak256(abi.encode(BODY_TAG, body))) revert BadInclusion();
        if (!EntryTree.verify(
                entryLeaf(head),
                inclusion.index,
                inclusion.siblings,
                header.entryCount,
                header.entriesRoot
            )) revert BadInclusion();
        _checkSpendBody(head, body, header, rootHeader, ct0, ct1);
        // Effects: cancel; the bond waits for time(n) + T (S-5.9).
        _setExitStatus(index, word, ExitStatus.Cancelled);
        _rewards[index] = Reward({
            to: msg.sender,
            bond: record.bond,
            evidenceBlock: n,
            // forge-lint: disable-next-line(unsafe-typecast)
            claimableAt: uint40(uint256(header.timestamp) + _exitPeriod)
        });
        emit ExitChallenged(index, msg.sender, n, head, ct0, ct1);
    }

    /// @dev The F1–F3 validity of a revealed spend (S-5.8), against header `n` and its root block.
    function _checkSpendBody(
        EntryHead calldata head,
        TransferBody calldata body,
        Types.BlockHeader calldata header,
        Types.BlockHeader calldata rootHeader,
        bytes calldata ct0,
        bytes calldata ct1
    ) private view {
        ExtData calldata e = body.ext;
        // S-3.1 (F2): a TRANSFER mints nothing and is signed as a TRANSFER.
        if (body.publicAmount != 0) revert NonZeroPublicAmount();
        if (e.kind != KIND_TRANSFER) revert WrongKind(e.kind);
        if (e.recipient != address(0) || e.feeRecipient != address(0)) revert BadRecipient();
        if (e.fee != 0) revert BadFee(e.fee);
        _checkDomain(e);
        uint256 extHash = extDataHash(e);
        if (body.extDataHash != extHash) revert BadExtDataHash();
        // F3: expiry against header n's clock.
        _checkExpiry(e.expiry, header.timestamp);
        // F3: rootBlock < n, its committed root, nonzero.
        if (body.rootBlock >= header.number || rootHeader.number != body.rootBlock) {
            revert BadRootBlock(body.rootBlock);
        }
        _checkHeader(rootHeader);
        if (body.root == 0 || body.root != uint256(rootHeader.noteRoot)) revert BadRoot();
        // F4 within one entry: its two nullifiers differ.
        if (head.nullifier0 == head.nullifier1) revert SameNullifier();
        // S-6.1: the ciphertexts are the ones the intent bound.
        if (ct0.length != CT_LEN) revert BadCiphertextLength(ct0.length);
        if (ct1.length != CT_LEN) revert BadCiphertextLength(ct1.length);
        if (keccak256(ct0) != e.ctHash0 || keccak256(ct1) != e.ctHash1) {
            revert BadCiphertextHash();
        }
        // F1: the proof verifies for exactly these public inputs.
        if (!_verify(
                body.proof,
                [
                    body.root,
                    head.nullifier0,
                    head.nullifier1,
                    head.commitment0,
                    head.commitment1,
                    0,
                    body.token,
                    extHash
                ]
            )) revert InvalidProof();
    }

    /// @notice The leaf of an entry head (S-3.5): `keccak256(0x00 ‖ abi.encode(head))`.
    function entryLeaf(EntryHead calldata head) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), abi.encode(head)));
    }

    /// @notice Cancels the later of two pending exits that share a nullifier (S-5.10); its bond
    ///         is credited at once (the evidence is L1's own records): to the caller for a
    ///         conflicting exit, to its own bond payer for a copy of the same payout.
    /// @dev Rule (S-5.10, S-5.12): two exits of one note would each hold the same value in the
    ///      queue; cancelling the later-started one keeps one claim per nullifier while pending.
    ///      A copy of the same payout refunds its own bond: equal `_payoutHash` (nullifiers,
    ///      token, amount, fee, recipient, feeRecipient) pays the same parties, harms nobody,
    ///      and is what a front-runner makes of a public `startExit` with its own bond; were its
    ///      bond the challenger's, the copier would win the honest starter's bond. Only a
    ///      conflicting exit (another payout, which only the note's owner can sign) pays the
    ///      challenger.
    function challengeDuplicate(
        uint32 earlier,
        ExitRecord calldata earlierRecord,
        uint32 later,
        ExitRecord calldata laterRecord
    ) external nonReentrant {
        if (earlier >= later) revert NotDuplicate();
        _pendingExit(earlier, earlierRecord);
        uint256 word = _pendingExit(later, laterRecord);
        uint256 a0 = earlierRecord.nullifier0;
        uint256 a1 = earlierRecord.nullifier1;
        uint256 b0 = laterRecord.nullifier0;
        uint256 b1 = laterRecord.nullifier1;
        if (a0 != b0 && a0 != b1 && a1 != b0 && a1 != b1) revert NotDuplicate();
        _setExitStatus(later, word, ExitStatus.Cancelled);
        // Field by field: equal `_payoutHash`es, without hashing.
        bool copy = a0 == b0 && a1 == b1 && earlierRecord.token == laterRecord.token
            && earlierRecord.amount == laterRecord.amount && earlierRecord.fee == laterRecord.fee
            && earlierRecord.recipient == laterRecord.recipient
            && earlierRecord.feeRecipient == laterRecord.feeRecipient;
        _credit(address(0), copy ? laterRecord.bondPayer : msg.sender, laterRecord.bond);
        emit ExitDuplicate(later, earlier, msg.sender);
    }

    /// @notice Credits the bond of exit `index`, cancelled by `challengeSpent`, to its challenger.
    /// @dev Rule (S-5.9): only once `now ≥ time(n) + T`, and only if the evidence block `n` is
    ///      still before `firstInvalid`: void evidence pays nothing.
    function claimChallengeReward(uint32 index) external nonReentrant {
        Reward memory r = _rewards[index];
        if (r.to == address(0) || r.evidenceBlock >= _firstInvalid) revert NoReward(index);
        if (L1Util.now_() < r.claimableAt) revert RewardNotYetClaimable(r.claimableAt);
        delete _rewards[index];
        _credit(address(0), r.to, r.bond);
        emit ChallengeRewardClaimed(index, r.to, r.bond);
    }

    // ---------------------------------------------------------------------------------------
    // Priority queue: a binary min-heap of `prioKey << 32 | k` per token (S-5.7)
    // ---------------------------------------------------------------------------------------

    uint256 private constant NODE_MASK = type(uint128).max;

    function _heapGet(Heap storage heap, uint256 i) private view returns (uint256) {
        return (heap.words[i >> 1] >> ((i & 1) << 7)) & NODE_MASK;
    }

    function _heapSet(Heap storage heap, uint256 i, uint256 node) private {
        uint256 shift = (i & 1) << 7;
        uint256 w = heap.words[i >> 1];
        heap.words[i >> 1] = (w & ~(NODE_MASK << shift)) | (node << shift);
    }

    /// @dev Sift-up insertion; `node < 2^97` (prioKey < 2^65, k < 2^32).
    function _heapPush(Heap storage heap, uint256 node) private {
        uint256 i = heap.length;
        heap.length = i + 1;
        while (i != 0) {
            uint256 parent = (i - 1) >> 1;
            uint256 p = _heapGet(heap, parent);
            if (p <= node) break;
            _heapSet(heap, i, p);
            i = parent;
        }
        _heapSet(heap, i, node);
    }

    /// @dev Removes the minimum: the last node sifts down from the root; its old place is zeroed.
    function _heapPop(Heap storage heap) private {
        uint256 n = heap.length - 1;
        uint256 last = _heapGet(heap, n);
        _heapSet(heap, n, 0);
        heap.length = n;
        if (n == 0) return;
        uint256 i = 0;
        while (true) {
            uint256 c = 2 * i + 1;
            if (c >= n) break;
            uint256 v = _heapGet(heap, c);
            if (c + 1 < n) {
                uint256 w = _heapGet(heap, c + 1);
                if (w < v) {
                    c++;
                    v = w;
                }
            }
            if (last <= v) break;
            _heapSet(heap, i, v);
            i = c;
        }
        _heapSet(heap, i, last);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice `uint256(keccak256(abi.encode(EXT_TAG, ext))) % R` (S-3.4).
    function extDataHash(ExtData calldata ext) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(EXT_TAG, ext))) % R;
    }

    /// @notice When deposit (`queue` 0) or exit (`queue` 1) `index` was queued, unix seconds;
    ///         0 if none. `DebyeChain.submitBlock` reads it for S-2.2 rules 2 and 3.
    function queuedAt(uint256 queue, uint256 index) external view returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 i = uint32(index);
        if (index != i) return 0;
        return (queue == 0 ? _deposits[i] : _exits[i]) >> TIME_SHIFT;
    }

    function chain() external view returns (address) {
        return address(_chain);
    }

    function exitPeriod() external view returns (uint64) {
        return _exitPeriod;
    }

    function exitBond() external view returns (uint96) {
        return _exitBond;
    }

    function verifier() external view returns (address) {
        return address(_verifier);
    }

    /// @notice The `PoseidonT4Hasher` the pool deployed and computes commitments with.
    function hasher() external view returns (address) {
        return address(_hasher);
    }

    function firstInvalid() external view returns (uint64) {
        return _firstInvalid;
    }

    function refundFloor() external view returns (uint32) {
        return _refundFloor;
    }

    function tokenUnit(address token) external view returns (uint64) {
        return _units[token];
    }

    function deposited(address token) external view returns (uint256) {
        return _ledgers[token].deposited;
    }

    function paid(address token) external view returns (uint256) {
        return _ledgers[token].paid;
    }

    function paidNullifier(uint256 nullifier) external view returns (bool) {
        return _paidNf[nullifier] != 0;
    }

    function creditOf(address token, address account) external view returns (uint256) {
        return _credits[token][account];
    }

    function depositQueuedAt(uint32 index) external view returns (uint256) {
        return _deposits[index] >> TIME_SHIFT;
    }

    function depositStatus(uint32 index) external view returns (DepositStatus) {
        return DepositStatus(_status(_deposits[index]));
    }

    function exitStartedAt(uint32 index) external view returns (uint256) {
        return _exits[index] >> TIME_SHIFT;
    }

    function exitStatus(uint32 index) external view returns (ExitStatus) {
        return ExitStatus(_status(_exits[index]));
    }

    /// @notice How many exits, in start order, `queueExits` has queued (or skipped as cancelled);
    ///         `processExits` runs only when this equals the chain's exit count.
    function exitsQueued() external view returns (uint32) {
        return _exitsQueued;
    }

    function queueLength(address token) external view returns (uint256) {
        return _queues[token].length;
    }

    /// @notice The head of `token`'s queue (zeros when empty).
    function queueHead(address token) external view returns (uint64 prioKey, uint32 index) {
        Heap storage heap = _queues[token];
        if (heap.length == 0) return (0, 0);
        uint256 node = _heapGet(heap, 0);
        // forge-lint: disable-next-line(unsafe-typecast)
        return (uint64(node >> 32), uint32(node));
    }
}
