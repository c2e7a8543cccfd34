// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {PrimeLib} from "./lib/PrimeLib.sol";
import {Types} from "./lib/Types.sol";
import {L1Util} from "./lib/L1Util.sol";
import {IDebyeChain} from "./interfaces/IDebyeChain.sol";
import {ExitLib} from "./lib/ExitLib.sol";
import {ExitVerifier} from "./exit/ExitVerifier.sol";
import {ForcedInclusion} from "./exit/ForcedInclusion.sol";
import {IForcedInclusion} from "./interfaces/IForcedInclusion.sol";
import {IShieldedPool} from "./interfaces/IShieldedPool.sol";

/// @title DebyeChain: the L1 anchor of the Debye Plasma chain
/// @notice Holds deposited ETH and ERC-20 tokens, gives every deposited unit a coin id, records
///         one commitment per child-chain block, and runs the exit game that lets every honest
///         owner take their coins back to L1 (rules, attacks and timing: docs/exit-game.md).
/// @dev Coin ids are `uint256`s: the token id in bits [128,160), the offset inside that token's
///      coin space in bits [0,128). A deposit of `amount` units owns the half-open range
///      `[start, end)`, `end = start + amount`. Rules and threats: docs/contracts.md; every
///      `Rule` note below names the attack it stops and the section of that file that motivates it.
///      Storage layout (docs/contracts.md §2): slot 0 is the chain word `_state` (next block,
///      last header timestamp, shielded cursors and counts: docs/shielded.md S-2.3); slot 1
///      `_tokenCount`; slot 6 packs the bond schedule; every other item lives in a mapping; the operator and the exit
///      period are immutables (no storage read).
contract DebyeChain is IDebyeChain {
    using SafeERC20 for IERC20;

    /// @dev Per-token state, one slot: 16 + 4 + 1 bytes. `listed` keeps the slot non-zero from the
    ///      moment of listing, so a token's first deposit pays a warm rewrite, not a fresh slot.
    struct TokenState {
        uint128 nextOffset;
        uint32 id;
        bool listed;
    }

    /// @dev Slot 6: the exit bond now, the next one and when it takes effect (12 + 12 + 5 bytes).
    struct BondSchedule {
        uint96 current;
        uint96 next;
        uint40 nextAt;
    }

    /// @notice Default exit period: 7 days (docs/exit-game.md §7).
    uint64 public constant DEFAULT_EXIT_PERIOD = 7 days;
    /// @notice Bounds of the exit period a deployment may choose.
    uint64 public constant MIN_EXIT_PERIOD = 2 minutes;
    uint64 public constant MAX_EXIT_PERIOD = 60 days;
    /// @notice Default exit bond: 150 000 gas (the dearest challenge, incl. intrinsic gas) ×
    ///         100 gwei (gas-price bound) × 4 (safety factor) = 0.06 ETH (docs/exit-game.md §5).
    uint96 public constant DEFAULT_EXIT_BOND = 150_000 * 100 gwei * 4;
    /// @dev `_exitable` keys a range by its end and stores `start + 1` (0: no range).
    uint256 private constant TOKEN_BITS = 128;
    /// @notice How far a header's `timestamp` may lag L1 time at `submitBlock` (docs/shielded.md
    ///         §1.4, S-2.2 rule 1).
    uint256 internal constant TS_WINDOW = 30 minutes;
    /// @notice Shielded deposits queued and exits started longer ago than this must be imported
    ///         by any new header (docs/shielded.md §1.4, S-2.2 rules 2 and 3).
    uint256 internal constant Q_WINDOW = 1 hours;
    /// @dev `keccak256` of `ExitVerifier`'s runtime code as this source tree compiles it; the
    ///      constructor refuses any other verifier. A test recomputes it from a fresh deployment.
    bytes32 private constant EXIT_VERIFIER_CODEHASH =
        0x555a1a9cc321ef97ac66e5735a7fc11b0265a491fa4a06338b6a4c3670825dd1;
    /// @dev Bit offsets of the chain word's fields (`_chainWord`).
    uint256 private constant TS_SHIFT = 64;
    uint256 private constant DEPOSIT_CURSOR_SHIFT = 104;
    uint256 private constant EXIT_CURSOR_SHIFT = 136;
    uint256 private constant DEPOSIT_LIMIT_SHIFT = 168;
    uint256 private constant EXIT_COUNT_SHIFT = 200;

    /// @dev The only account that may list tokens and submit blocks. Immutable: it costs no
    ///      storage read, and no transaction can ever replace it (docs/contracts.md §4.1).
    address private immutable _operator;

    /// @dev Slot 0, the chain word, rewritten by every `submitBlock` (docs/shielded.md S-2.3),
    ///      low bits first: `nextBlock` (64 bits, starts at 1) ‖ `lastTimestamp` (40) ‖
    ///      `depositCursor` (32) ‖ `exitCursor` (32) ‖ `depositLimit` (32) ‖ `exitCount` (32).
    ///      `depositLimit` is `min(depositCount, refundFloor)`: the pool bumps it with each queued
    ///      deposit and lowers it to the refund floor when a refund closes deposits (S-5.4),
    ///      after which no deposit is queued again, so one field serves both bounds of S-2.2
    ///      rule 2. In the caught-up case `submitBlock` reads no other slot. Kept as a raw word
    ///      (shifts, no struct) because the anchor is at its code-size limits.
    uint256 private _chainWord;
    /// @dev Slot 1: token ids handed out so far (ETH's 0 included). Starts at 1.
    uint32 private _tokenCount;
    /// @dev Block number => `keccak256(abi.encode(header))`. The one slot each block costs.
    mapping(uint64 number => bytes32 headerHash) private _blockHashes;
    /// @dev Token address => its id and coin-space cursor. `address(0)` is ETH.
    mapping(address token => TokenState) private _tokens;
    /// @dev Token id => token address (the reverse of `_tokens`).
    mapping(uint32 tokenId => address token) private _tokenAddresses;
    /// @dev Range start => `keccak256(abi.encode(owner, start, end, blockNumber))`.
    mapping(uint256 start => bytes32 depositHash) private _deposits;
    /// @dev Slot 6: the exit bond schedule (docs/exit-game.md §5).
    BondSchedule private _bond;
    /// @dev Exit id => its state, one slot (docs/exit-game.md §1.1).
    mapping(bytes32 exitId => ExitState) private _exits;
    /// @dev Challenge id => its challenger and deadline (docs/exit-game.md §3.4).
    mapping(bytes32 challengeId => ChallengeState) private _challenges;
    /// @dev keccak256(newer, older) => whether `older` holds `newer` back (docs/exit-game.md §4.2).
    mapping(bytes32 pair => bool) private _blocks;
    /// @dev keccak256(exitId, output position, coin) => until when a request may continue with
    ///      that output of an answer (docs/exit-game.md §3.4).
    mapping(bytes32 continuation => uint256 until) private _continuations;
    /// @dev Exitable coins: range end => range start + 1 (docs/exit-game.md §4.1). Each token
    ///      starts as one range keyed by `(tokenId + 1) << 128`.
    mapping(uint256 end => uint256 startPlusOne) private _exitable;
    /// @dev Bonds won or refunded, waiting to be claimed (docs/exit-game.md §5.3).
    mapping(address account => uint256 amount) private _credits;
    /// @dev The exit period, seconds (docs/exit-game.md §7).
    uint64 private immutable _exitPeriod;
    /// @dev The stateless evidence checker, deployed by the constructor (docs/exit-game.md §9).
    ExitVerifier private immutable _verifier;
    /// @dev The forced-inclusion game, deployed by the constructor (docs/exit-game.md §12).
    ForcedInclusion private immutable _forced;
    /// @dev The shielded pool (docs/shielded.md S-5.1): its own custody, deployed before this
    ///      contract for this contract's address (docs/contracts.md §6).
    IShieldedPool private immutable _pool;
    /// @dev Transient reentrancy lock: set for the duration of a token transfer.
    bool private transient _locked;

    /// @param operator_ The operator: lists tokens, submits blocks, schedules bond changes.
    /// @param exitPeriod_ Seconds an exit waits before it can be finalized; 0 for
    ///        `DEFAULT_EXIT_PERIOD` (docs/exit-game.md §7).
    /// @param exitBond_ Initial exit bond in wei; 0 for `DEFAULT_EXIT_BOND` (docs/exit-game.md §5).
    /// @param shieldedPool_ The `ShieldedPool` deployed for this chain's address and exit period.
    /// @param exitVerifier_ An `ExitVerifier`, deployed beforehand: its code must hash to
    ///        `EXIT_VERIFIER_CODEHASH`, so the anchor still runs exactly the audited checker.
    ///        Deployed apart (not by this constructor, as before) because the 11-word header and
    ///        the shielded rules put this contract's init code over EIP-3860's 49 152 bytes
    ///        (docs/contracts.md §6).
    /// @dev Rule (docs/shielded.md S-5.1, docs/contracts.md §6): the pool must name this contract
    ///      as its chain and share its exit period `T`. Stops a chain wired to a pool that takes
    ///      cursor bumps from, or checks headers against, another anchor.
    constructor(
        address operator_,
        uint64 exitPeriod_,
        uint96 exitBond_,
        address shieldedPool_,
        address exitVerifier_
    ) {
        if (exitPeriod_ == 0) exitPeriod_ = DEFAULT_EXIT_PERIOD;
        if (exitPeriod_ < MIN_EXIT_PERIOD || exitPeriod_ > MAX_EXIT_PERIOD) {
            revert BadExitPeriod(exitPeriod_);
        }
        if (exitBond_ == 0) exitBond_ = DEFAULT_EXIT_BOND;
        if (
            shieldedPool_.code.length == 0 || IShieldedPool(shieldedPool_).chain() != address(this)
                || IShieldedPool(shieldedPool_).exitPeriod() != exitPeriod_
        ) revert ShieldedPoolMismatch(shieldedPool_);
        _pool = IShieldedPool(shieldedPool_);
        _operator = operator_;
        _exitPeriod = exitPeriod_;
        if (exitVerifier_.codehash != EXIT_VERIFIER_CODEHASH) {
            revert ExitVerifierMismatch(exitVerifier_);
        }
        _verifier = ExitVerifier(exitVerifier_);
        _forced = new ForcedInclusion(_verifier);
        _bond = BondSchedule({current: exitBond_, next: exitBond_, nextAt: 0});
        _chainWord = 1; // nextBlock 1, everything else 0
        _tokenCount = 1; // ETH: token id 0, address(0); `_tokenAddresses[0]` is already address(0).
        _tokens[address(0)] = TokenState({nextOffset: 0, id: 0, listed: true});
        _exitable[uint256(1) << TOKEN_BITS] = 1; // ETH's whole space [0, 2^128) is exitable.
        emit TokenListed(address(0), 0);
    }

    /// @dev Rule: only the operator may list tokens or submit blocks. Stops anyone else from
    ///      committing blocks (forging the chain's history) or from listing a hostile token
    ///      (docs/contracts.md §4.1).
    modifier onlyOperator() {
        if (msg.sender != _operator) revert NotOperator();
        _;
    }

    /// @dev Rule: no deposit may start while a token transfer of another deposit is running.
    ///      Stops a token (hostile, or with transfer hooks) from re-entering to allocate coin
    ///      ranges in the middle of another deposit (docs/contracts.md §4.4). The exit game's
    ///      paying functions hold it too: on top of checks-effects-interactions, no payment
    ///      recipient can re-enter the exit game or a deposit (docs/exit-game.md §6).
    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    // ---------------------------------------------------------------------------------------
    // Operator
    // ---------------------------------------------------------------------------------------

    /// @notice Gives `token` the next token id, so that it can be deposited.
    /// @dev Rule: a token is listed once. Stops a second id for the same token, which would let
    ///      the same L1 balance back two coin spaces (docs/contracts.md §4.2).
    ///      Rule: ids stop at 2^32 - 2. Stops the id from wrapping onto ETH's 0 and aliasing a
    ///      listed token's coins (docs/contracts.md §4.2).
    /// @return tokenId The new id; ids count up from 1 (ETH is 0).
    function listToken(address token) external onlyOperator returns (uint32 tokenId) {
        if (_tokens[token].listed) revert TokenAlreadyListed(token);
        tokenId = _tokenCount;
        if (tokenId == type(uint32).max) revert TooManyTokens();
        _tokenCount = tokenId + 1;
        _tokens[token] = TokenState({nextOffset: 0, id: tokenId, listed: true});
        _tokenAddresses[tokenId] = token;
        // The token's whole space is exitable (docs/exit-game.md §4.1).
        _exitable[(uint256(tokenId) + 1) << TOKEN_BITS] = (uint256(tokenId) << TOKEN_BITS) + 1;
        emit TokenListed(token, tokenId);
    }

    /// @notice Commits child block `header.number` as `keccak256(abi.encode(header))`.
    /// @dev Rule: blocks are committed in order, one per number. Stops the operator from
    ///      rewriting or skipping a committed block after users relied on it (docs/contracts.md
    ///      §4.3). Rule: `prevHash` is the previous commitment. Stops a fork: every committed block
    ///      extends the one committed before it (docs/contracts.md §4.3). Costs one new storage
    ///      slot and a constant amount of gas whatever the block holds, plus one read of the
    ///      pool per lagging cursor (docs/shielded.md S-2.3).
    ///      The shielded rules of docs/shielded.md S-2.2 (`prev` = the chain word):
    ///      rule 1: `prev.timestamp ≤ header.timestamp ≤ now` and `header.timestamp + TS_WINDOW
    ///      ≥ now` (stops back- and future-dated headers: expiry and exit clocks);
    ///      rule 2: `prev.depositCursor ≤ depositCursor ≤ min(depositCount, refundFloor)` and a
    ///      cursor behind that bound points at a deposit queued less than `Q_WINDOW` ago (stops
    ///      skipped, reordered or ignored deposits, and an append racing a refund, S-5.4);
    ///      rule 3: the same for `exitCursor` against the exits started (stops an operator that
    ///      never imports an L1 exit and keeps spending the exited note on L2).
    ///      Rule 4: nothing about the note tree or entries (fraud proofs, docs/shielded.md §7.2).
    function submitBlock(Types.BlockHeader calldata header) external onlyOperator {
        uint256 w = _chainWord;
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 number = uint64(w);
        if (header.number != number) revert WrongBlockNumber(number, header.number);
        bytes32 prevHash = _blockHashes[number - 1]; // bytes32(0) for block 1
        if (header.prevHash != prevHash) revert WrongPrevHash(prevHash, header.prevHash);
        uint256 now_ = L1Util.now_();
        uint256 ts = header.timestamp;
        // S-2.2 rule 1.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 parent = uint40(w >> TS_SHIFT);
        if (ts < parent || ts > now_ || ts + TS_WINDOW < now_) {
            revert BadTimestamp(parent, ts, now_);
        }
        // S-2.2 rule 2 (the limit is min(depositCount, refundFloor)).
        uint256 deposits = header.depositCursor;
        // forge-lint: disable-next-line(unsafe-typecast)
        parent = uint32(w >> DEPOSIT_CURSOR_SHIFT);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 bound = uint32(w >> DEPOSIT_LIMIT_SHIFT);
        if (deposits < parent || deposits > bound) {
            revert DepositCursorOutOfRange(parent, deposits, bound);
        }
        if (deposits < bound && _overdue(0, deposits, now_)) revert DepositNotImported(deposits);
        // S-2.2 rule 3.
        uint256 exits = header.exitCursor;
        // forge-lint: disable-next-line(unsafe-typecast)
        parent = uint32(w >> EXIT_CURSOR_SHIFT);
        bound = w >> EXIT_COUNT_SHIFT;
        if (exits < parent || exits > bound) revert ExitCursorOutOfRange(parent, exits, bound);
        if (exits < bound && _overdue(1, exits, now_)) revert ExitNotImported(exits);
        // Only canonical encodings are committed (the fields read above were checked when
        // read; this checks the rest), so `Types.hashHeader` comparisons stay exact.
        if (!Types.isCanonical(header)) revert NonCanonicalHeader();
        bytes32 headerHash = Types.hashHeader(header);
        _blockHashes[number] = headerHash;
        _chainWord = (w >> DEPOSIT_LIMIT_SHIFT << DEPOSIT_LIMIT_SHIFT)
            | (exits << EXIT_CURSOR_SHIFT) | (deposits << DEPOSIT_CURSOR_SHIFT) | (ts << TS_SHIFT)
            | (number + 1);
        // emit BlockSubmitted(number, headerHash, header): the canonical header copied as it is.
        bytes32 topic = BlockSubmitted.selector;
        uint256 numberTopic = number;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, headerHash)
            calldatacopy(add(m, 0x20), header, 352)
            log2(m, 384, topic, numberTopic)
        }
    }

    /// @dev Whether the queued deposit (`queue` 0) or started exit (`queue` 1) `index` is
    ///      `Q_WINDOW` old or older (docs/shielded.md S-2.2 rules 2 and 3): one read of the pool.
    function _overdue(uint256 queue, uint256 index, uint256 now_) private view returns (bool) {
        return _pool.queuedAt(queue, index) + Q_WINDOW <= now_;
    }

    // ---------------------------------------------------------------------------------------
    // Shielded pool hooks (docs/shielded.md S-2.3)
    // ---------------------------------------------------------------------------------------

    /// @dev Rule (docs/shielded.md S-2.3): only the pool moves the shielded counts. Stops anyone
    ///      else from inflating or closing the queues the cursors are checked against.
    modifier onlyPool() {
        if (msg.sender != address(_pool)) revert NotShieldedPool();
        _;
    }

    /// @notice Counts a queued shielded deposit (`queue` 0, docs/shielded.md S-5.3) or a started
    ///         shielded exit (`queue` 1, S-5.5): returns its index and the last committed block
    ///         (a deposit's `queuedAtBlock`).
    /// @dev No overflow check: 2^32 deposits or exits would cost more gas (≥ 80k, or a 0.14 ETH
    ///      bond, each) than L1 offers in decades.
    function onShieldedQueue(uint256 queue)
        external
        onlyPool
        returns (uint32 index, uint64 lastBlock)
    {
        uint256 w = _chainWord;
        uint256 shift = queue == 0 ? DEPOSIT_LIMIT_SHIFT : EXIT_COUNT_SHIFT;
        // forge-lint: disable-next-line(unsafe-typecast)
        index = uint32(w >> shift);
        // forge-lint: disable-next-line(incorrect-shift)
        _chainWord = w + (1 << shift);
        // forge-lint: disable-next-line(unsafe-typecast)
        lastBlock = uint64(w) - 1;
    }

    /// @notice Lowers the deposit bound to the refund floor (docs/shielded.md S-5.4, S-2.2 rule
    ///         2: no header's `depositCursor` may pass a refunded deposit).
    function closeShieldedDeposits(uint32 floor) external onlyPool {
        uint256 w = _chainWord;
        // forge-lint: disable-next-line(unsafe-typecast)
        if (floor < uint32(w >> DEPOSIT_LIMIT_SHIFT)) {
            _chainWord = (w & ~(uint256(type(uint32).max) << DEPOSIT_LIMIT_SHIFT))
                | (uint256(floor) << DEPOSIT_LIMIT_SHIFT);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------

    /// @notice Deposits `msg.value` wei as the ETH coins `[start, end)`, owned by the caller.
    /// @dev Checks the lock (it makes no external call itself, so it does not take it).
    function depositEth() external payable returns (uint256 start, uint256 end) {
        if (_locked) revert Reentrancy();
        if (msg.value == 0) revert ZeroAmount();
        return _allocate(_tokens[address(0)], msg.sender, msg.value);
    }

    /// @notice Takes `amount` of `token` from the caller (who must have approved this contract)
    ///         and deposits it as the coins `[start, end)` of the token's id, owned by the caller.
    /// @dev Rule: only listed ERC-20 tokens, never `address(0)` (ETH goes through `depositEth`).
    ///      Stops deposits of unvetted tokens and coins minted for a transfer that moved nothing
    ///      (docs/contracts.md §4.2). Rule: the balance must grow by exactly `amount`. Stops
    ///      fee-on-transfer or otherwise short-paying tokens from minting coins the contract does
    ///      not hold, which later exits would pay out of other depositors' funds
    ///      (docs/contracts.md §4.5).
    function depositToken(address token, uint256 amount)
        external
        nonReentrant
        returns (uint256 start, uint256 end)
    {
        if (amount == 0) revert ZeroAmount();
        TokenState storage state = _tokens[token];
        if (token == address(0) || !state.listed) revert UnknownToken(token);
        (start, end) = _allocate(state, msg.sender, amount);
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balanceAfter = IERC20(token).balanceOf(address(this));
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @dev Gives `owner` the next `amount` coins of the token in `state` and records the deposit.
    ///      Rule: ranges are handed out in order from a per-token cursor and never reused. Stops
    ///      two deposits from owning the same coin (docs/contracts.md §4.4). Rule: the cursor
    ///      stays below 2^128. Stops a range from running into the next token's id bits
    ///      (docs/contracts.md §4.4); as a consequence the last unit of each space is never used.
    function _allocate(TokenState storage state, address owner, uint256 amount)
        private
        returns (uint256 start, uint256 end)
    {
        uint128 offset = state.nextOffset;
        uint32 tokenId = state.id;
        if (amount > type(uint128).max - offset) revert CoinSpaceExhausted(tokenId);
        start = (uint256(tokenId) << 128) | offset;
        end = start + amount;
        // casting to 'uint128' is safe because amount <= type(uint128).max - offset (checked above)
        // forge-lint: disable-next-line(unsafe-typecast)
        state.nextOffset = offset + uint128(amount);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 blockNumber = uint64(_chainWord);
        _deposits[start] = keccak256(abi.encode(owner, start, end, blockNumber));
        emit Deposit(owner, tokenId, start, end, blockNumber);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: starting exits (docs/exit-game.md §2)
    // ---------------------------------------------------------------------------------------

    /// @notice Starts an exit of `[start, end)`, part or all of the caller's deposit `d`, with the
    ///         current exit bond as `msg.value`. Position `2 * d.blockNumber`.
    /// @dev Rule (docs/exit-game.md §2.1): the deposit record must match `depositHash`. Rule
    ///      (§2.3): only the depositor may exit it. Rule (§2.2): the range lies inside the deposit.
    function startDepositExit(Types.DepositRecord calldata d, uint256 start, uint256 end)
        external
        payable
        returns (bytes32)
    {
        _checkDeposit(d);
        if (d.owner != msg.sender) revert NotOwner(d.owner, msg.sender);
        if (start >= end || start < d.start || end > d.end) revert RangeOutsideOutput();
        return _startExit(
            Types.ExitData(
                msg.sender, start, end, ExitLib.depositPosition(d.blockNumber), bytes32(0)
            )
        );
    }

    /// @notice Starts an exit of `[start, end)`, part or all of output `p.outputIndex` of a
    ///         transaction included in a committed block, with the current exit bond as
    ///         `msg.value`. Position `2 * block + 1`.
    /// @dev Rule (docs/exit-game.md §2.2): the transaction must be included in a committed block
    ///      over the exited coins. Rule (§2.3): only the output's owner may exit (Loom's fix:
    ///      nobody can start, and lose, an exit in someone else's name). Rule (§3.5): a
    ///      transaction included after its `maxBlockIndex` is void and cannot be exited from.
    ///      Rule (§2.5): the transaction's signatures are not checked here. Rule (§12.4): an
    ///      output of a forced transaction exits only once that transaction is included, at its
    ///      forced position (newest input's), so a forged input cannot be laundered older.
    function startExit(Types.OutputProof calldata p, uint256 start, uint256 end)
        external
        payable
        returns (bytes32)
    {
        (PrimeLib.Output memory out, uint256 position, bytes32 id) = _verifyOutput(p);
        if (out.owner != msg.sender) revert NotOwner(out.owner, msg.sender);
        if (start >= end || start < out.segment.start || end > out.segment.end) {
            revert RangeOutsideOutput();
        }
        bytes32 exitId = _startExit(Types.ExitData(msg.sender, start, end, position, id));
        emit ExitTransaction(exitId, p.transaction);
        return exitId;
    }

    /// @dev Rule (docs/exit-game.md §2.4): every exited coin must be deposited already. Rule
    ///      (§5): the bond is the current one, paid in full. Rule (§1.1): an exit id is used once.
    function _startExit(Types.ExitData memory e) private returns (bytes32 exitId) {
        PrimeLib.checkSegment(PrimeLib.Segment(e.start, e.end));
        uint256 tokenId = e.start >> TOKEN_BITS;
        if (tokenId >= _tokenCount) revert CoinsNotDeposited();
        // casting to 'uint32' is safe because tokenId < _tokenCount (a uint32)
        // forge-lint: disable-next-line(unsafe-typecast)
        uint256 cursor = _tokens[_tokenAddresses[uint32(tokenId)]].nextOffset;
        if (e.end > (tokenId << TOKEN_BITS) + cursor) revert CoinsNotDeposited();
        uint96 bond = _currentBond();
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        exitId = keccak256(abi.encode(e));
        if (_exits[exitId].status != ExitStatus.None) revert ExitExists(exitId);
        uint40 exitableAt = L1Util.time(L1Util.now_() + _exitPeriod);
        _exits[exitId] = ExitState(exitableAt, bond, ExitStatus.Pending, 0, exitableAt);
        emit ExitStarted(exitId, e.owner, e.start, e.end, e.position, e.txId, exitableAt, bond);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: immediate challenges (docs/exit-game.md §3)
    // ---------------------------------------------------------------------------------------

    /// @notice Cancels exit `e` with a transaction signed by its owner, included in a committed
    ///         block, whose input `p.inputIndex` spends the exited output and overlaps the range.
    ///         The exit's bond goes to the caller.
    /// @dev Rule (docs/exit-game.md §3.1): a spent output cannot be exited. Stops an owner from
    ///      paying someone on L2 and exiting the same coins on L1. Rule (§3.5): a spend included
    ///      after its `maxBlockIndex` is void and proves nothing.
    ///      Rule (§12.4): an included forced transaction is a spend too.
    function challengeSpent(Types.ExitData calldata e, Types.SpendProof calldata p)
        external
        nonReentrant
    {
        bytes32 exitId = _pending(e);
        (PrimeLib.Input memory i,,) = _verifySpend(p);
        if (
            i.owner != e.owner || !ExitLib.refersTo(i, e.position)
                || !ExitLib.overlaps(i.segment.start, i.segment.end, e.start, e.end)
        ) revert InvalidChallenge();
        _cancel(exitId, CancelReason.Spent, msg.sender);
    }

    /// @notice Cancels exit `e` (a transaction output) with a spend, by the same owner, of what
    ///         input `exitInput` of the exited transaction spends, included in a block before the
    ///         exited transaction's block: the exited transaction double-spends.
    /// @dev Rule (docs/exit-game.md §3.2, Plasma Cash's "between" case): stops an owner (or an
    ///      operator with their old signature) from paying Alice, then paying Bob the same coins
    ///      in a later block, and Bob exiting them. Rule (§12.4): either transaction may be an
    ///      included forced one, ordered by `ExitLib.order` (after the block of its newest input).
    function challengeDoubleSpend(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        uint256 exitInput,
        Types.SpendProof calldata p
    ) external nonReentrant {
        bytes32 exitId = _pending(e);
        if (e.position & 1 == 0) revert InvalidChallenge();
        (PrimeLib.Input memory x, bytes32 id) =
            _verifier.inputOf(exitTx, exitInput, _domainSeparator());
        if (id != e.txId) revert InvalidChallenge();
        (PrimeLib.Input memory i, uint256 spendPosition,) = _verifySpend(p);
        uint256 lo = _max(_max(x.segment.start, i.segment.start), e.start);
        uint256 hi = _min(_min(x.segment.end, i.segment.end), e.end);
        if (
            ExitLib.order(spendPosition) >= ExitLib.order(e.position) || i.owner != x.owner
                || i.blockIndex != x.blockIndex
                || (i.txIndex == PrimeLib.DEPOSIT_TX_INDEX)
                    != (x.txIndex == PrimeLib.DEPOSIT_TX_INDEX) || lo >= hi
        ) revert InvalidChallenge();
        _cancel(exitId, CancelReason.DoubleSpend, msg.sender);
    }

    /// @notice Cancels exit `e` with a deposit of some of its coins made after the exited
    ///         output's block: the exit's history cannot be valid.
    /// @dev Rule (docs/exit-game.md §3.3): stops an operator from including, in an old block, a
    ///      transaction over coins that are deposited only later, and exiting them with a
    ///      position older than the deposit.
    function challengeDepositAfter(Types.ExitData calldata e, Types.DepositRecord calldata d)
        external
        nonReentrant
    {
        bytes32 exitId = _pending(e);
        _checkDeposit(d);
        if (
            ExitLib.order(ExitLib.depositPosition(d.blockNumber)) <= ExitLib.order(e.position)
                || !ExitLib.overlaps(d.start, d.end, e.start, e.end)
        ) revert InvalidChallenge();
        _cancel(exitId, CancelReason.DepositAfter, msg.sender);
    }

    /// @notice Cancels exit `e` with a settled exit `done` over some of the same coins.
    /// @dev Rule (docs/exit-game.md §4.1): a coin is paid once; an exit over withdrawn coins can
    ///      never finalize, and its bond goes to whoever points it out.
    function challengeWithdrawn(Types.ExitData calldata e, Types.ExitData calldata done)
        external
        nonReentrant
    {
        bytes32 exitId = _pending(e);
        ExitStatus s = _exits[keccak256(abi.encode(done))].status;
        if (
            (s != ExitStatus.Finalized && s != ExitStatus.Withdrawn)
                || !ExitLib.overlaps(done.start, done.end, e.start, e.end)
        ) revert InvalidChallenge();
        _cancel(exitId, CancelReason.Withdrawn, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: priority (docs/exit-game.md §4)
    // ---------------------------------------------------------------------------------------

    /// @notice Holds exit `newer` back while the pending exit `older`, with an older position
    ///         over some of the same coins, is unresolved.
    /// @dev Rule (docs/exit-game.md §4.2): the older-rooted exit wins. Stops a fraudulent exit
    ///      that started earlier (so matures earlier) from taking coins an older owner is exiting.
    ///      Positions compare by `ExitLib.order` (§1.2, §12.4).
    function blockExit(Types.ExitData calldata newer, Types.ExitData calldata older) external {
        bytes32 newerId = _pending(newer);
        bytes32 olderId = _pending(older);
        bytes32 pair = keccak256(abi.encode(newerId, olderId));
        if (
            ExitLib.order(older.position) >= ExitLib.order(newer.position) || _blocks[pair]
                || !ExitLib.overlaps(older.start, older.end, newer.start, newer.end)
        ) revert InvalidChallenge();
        _blocks[pair] = true;
        _exits[newerId].open += 1;
        emit ExitBlocked(newerId, olderId);
    }

    /// @notice Lets exit `newer` go on once `older` is no longer pending.
    /// @dev docs/exit-game.md §4.2: if `older` was settled, `newer` then falls to
    ///      `challengeWithdrawn`; if it was cancelled, `newer` may finalize.
    function unblockExit(bytes32 newerId, bytes32 olderId) external {
        bytes32 pair = keccak256(abi.encode(newerId, olderId));
        if (!_blocks[pair] || _exits[olderId].status == ExitStatus.Pending) {
            revert InvalidChallenge();
        }
        delete _blocks[pair];
        _exits[newerId].open -= 1;
        emit ExitUnblocked(newerId, olderId);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: challenge requests (docs/exit-game.md §3.4)
    // ---------------------------------------------------------------------------------------

    /// @notice Challenge request against the transaction exit `e` (whose transaction is
    ///         `exitTx`) with the deposit `d` holding `coin`, no newer than the exited
    ///         transaction's parent for `coin`; bond: a quarter of the exit's bond.
    function requestWithDeposit(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        Types.DepositRecord calldata d,
        uint256 coin
    ) external payable returns (bytes32) {
        _checkDeposit(d);
        return
            _request(
                e, exitTx, ExitLib.depositPosition(d.blockNumber), d.owner, coin, d.start, d.end
            );
    }

    /// @notice Challenge request against the transaction exit `e` (whose transaction is
    ///         `exitTx`) with an included output holding `coin`, no newer than the exited
    ///         transaction's parent for `coin`; bond: a quarter of the exit's bond.
    function requestWithOutput(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        Types.OutputProof calldata p,
        uint256 coin
    ) external payable returns (bytes32) {
        (PrimeLib.Output memory out, uint256 position,) = _verifyOutput(p);
        return _request(e, exitTx, position, out.owner, coin, out.segment.start, out.segment.end);
    }

    /// @dev Rules (docs/exit-game.md §3.4): the challenged output is strictly older than the
    ///      exit, no newer than the exited transaction's parent for `coin` (§3.4.1: outputs
    ///      between the parent and the exit are not the exitor's to answer for, so an operator
    ///      cannot cancel a payment it included after a forgery of its input), and holds `coin`,
    ///      a coin of the exit; fresh requests open only before the exit's first maturity; after
    ///      it, only a continuation (an output of an answer, same coin, within half an exit
    ///      period of the answer), so a griefer cannot delay an exit without bound; the request
    ///      bond is a quarter of the exit bond; one request per (exit, output, coin).
    function _request(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        uint256 position,
        address owner,
        uint256 coin,
        uint256 start,
        uint256 end
    ) private returns (bytes32 challengeId) {
        bytes32 exitId = _pending(e);
        ExitState storage s = _exits[exitId];
        if (
            L1Util.now_() >= s.requestsUntil
                && _continuations[keccak256(abi.encode(exitId, position, coin))] <= L1Util.now_()
        ) revert ChallengeWindowClosed();
        uint256 parent = _parentOf(e, exitTx, coin);
        if (
            e.position & 1 == 0 || ExitLib.order(position) >= ExitLib.order(e.position)
                || ExitLib.order(position) > ExitLib.order(parent)
                || !ExitLib.contains(start, end, coin) || !ExitLib.contains(e.start, e.end, coin)
        ) revert InvalidChallenge();
        uint256 bond = s.bond / 4;
        if (msg.value != bond) revert WrongBond(bond, msg.value);
        challengeId = keccak256(abi.encode(exitId, position, owner, coin));
        if (_challenges[challengeId].challenger != address(0)) revert InvalidChallenge();
        uint40 deadline = L1Util.time(L1Util.now_() + _exitPeriod / 2);
        // casting to 'uint56' is safe because the parent is older than the exit, whose block
        // was committed here: orders stay below 2^56 until block 2^53.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint56 answerBound = position == parent ? 0 : uint56(ExitLib.order(parent));
        _challenges[challengeId] = ChallengeState(msg.sender, deadline, answerBound);
        s.open += 1;
        emit ChallengeRequested(exitId, challengeId, position, owner, coin, msg.sender, deadline);
    }

    /// @notice Answers a challenge request with a spend of the challenged output: signed by its
    ///         owner, input `p.inputIndex` holding the challenged coin; for a request on the
    ///         exited transaction's parent, the exited transaction itself; otherwise included no
    ///         later than that parent. The request bond is credited to the exit's owner.
    /// @dev Rule (docs/exit-game.md §3.4): an answered request closes; its bond goes to the
    ///      exit's owner, so delaying an honest exit costs the griefer a quarter bond per request
    ///      (§3.4, threat-model "griefing"); the challenger may go on with the answer's output
    ///      holding the same coin for half an exit period, and the exit waits at least that long
    ///      (§7). Rule (§3.4.1): the parent is answered only by the exited transaction signed by
    ///      the parent's owner (Plasma Cash's rule: a forged exit cannot be answered with the
    ///      real owner's other spend), an older output only by a spend no newer than the parent.
    ///      Rule (§3.5): a void (expired) spend is no answer. Rule (§12.4): an included forced
    ///      transaction answers like a signed one (its owners signed on L1).
    function respondChallenge(
        Types.ExitData calldata e,
        uint256 position,
        address owner,
        uint256 coin,
        Types.SpendProof calldata p
    ) external nonReentrant {
        bytes32 exitId = _pending(e);
        bytes32 challengeId = keccak256(abi.encode(exitId, position, owner, coin));
        ChallengeState memory c = _challenges[challengeId];
        if (c.challenger == address(0)) revert UnknownChallenge(challengeId);
        (PrimeLib.Input memory i, uint256 next, bytes32 answerId) = _verifySpend(p);
        if (
            i.owner != owner || !ExitLib.refersTo(i, position)
                || !ExitLib.contains(i.segment.start, i.segment.end, coin)
                || (c.bound == 0 ? answerId != e.txId : ExitLib.order(next) > c.bound)
        ) revert InvalidChallenge();
        delete _challenges[challengeId];
        ExitState storage s = _exits[exitId];
        s.open -= 1;
        uint256 until = L1Util.now_() + _exitPeriod / 2;
        if (until > s.exitableAt) s.exitableAt = L1Util.time(until);
        if (c.bound != 0 && ExitLib.order(next) < ExitLib.order(e.position)) {
            _continuations[keccak256(abi.encode(exitId, next, coin))] = until;
        }
        emit ChallengeAnswered(exitId, challengeId, msg.sender);
        _credit(e.owner, s.bond / 4);
    }

    /// @notice Closes a challenge request: unanswered past its deadline, it cancels the exit and
    ///         pays the exit bond and the request bond to the challenger; if the exit already
    ///         ended another way, it just refunds the request bond.
    /// @dev Rule (docs/exit-game.md §3.4): an exit whose history nobody can show is cancelled.
    function resolveChallenge(
        Types.ExitData calldata e,
        uint256 position,
        address owner,
        uint256 coin
    ) external nonReentrant {
        bytes32 exitId = keccak256(abi.encode(e));
        bytes32 challengeId = keccak256(abi.encode(exitId, position, owner, coin));
        ChallengeState memory c = _challenges[challengeId];
        if (c.challenger == address(0)) revert UnknownChallenge(challengeId);
        ExitState storage s = _exits[exitId];
        delete _challenges[challengeId];
        if (s.status == ExitStatus.Pending) {
            if (L1Util.now_() < c.deadline) revert ChallengeNotExpired(c.deadline);
            s.open -= 1;
            _cancel(exitId, CancelReason.Unanswered, c.challenger);
        } else {
            emit ChallengeClosed(exitId, challengeId);
        }
        _credit(c.challenger, s.bond / 4);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: finalization (docs/exit-game.md §6)
    // ---------------------------------------------------------------------------------------

    /// @notice Settles a matured, unchallenged, unblocked exit and pays its coins and bond to its
    ///         owner. `rangeKey` names the exitable range holding its coins (the range's end; see
    ///         `exitableRange`).
    /// @dev Rule (docs/exit-game.md §6.1): only after `exitableAt`, with no open request or
    ///      block. Rule (§4.1): the coins must still be exitable, and stop being so.
    function finalizeExit(Types.ExitData calldata e, uint256 rangeKey) external nonReentrant {
        bytes32 exitId = keccak256(abi.encode(e));
        ExitState storage s = _exits[exitId];
        if (!_matured(s)) revert NotFinalizable(exitId);
        if (!_consume(e.start, e.end, rangeKey)) revert NotExitable(rangeKey);
        s.status = ExitStatus.Withdrawn;
        emit ExitFinalized(exitId, e.owner, e.start, e.end);
        _payExit(exitId, e, s.bond);
    }

    /// @notice Settles many exits in one transaction (a mass exit); entries that cannot be settled
    ///         are skipped. Settled exits are paid by `withdraw`. Returns how many were settled.
    /// @dev docs/exit-game.md §6.2: pull payments keep a batch from being stopped by one
    ///      recipient that refuses ETH or a token that blacklists one owner.
    function finalizeExits(Types.ExitData[] calldata es, uint256[] calldata rangeKeys)
        external
        returns (uint256 settled)
    {
        if (es.length != rangeKeys.length) revert LengthMismatch();
        for (uint256 k = 0; k < es.length; k++) {
            Types.ExitData calldata e = es[k];
            bytes32 exitId = keccak256(abi.encode(e));
            ExitState storage s = _exits[exitId];
            if (!_matured(s) || !_consume(e.start, e.end, rangeKeys[k])) {
                emit ExitSkipped(exitId);
                continue;
            }
            s.status = ExitStatus.Finalized;
            emit ExitFinalized(exitId, e.owner, e.start, e.end);
            settled++;
        }
    }

    /// @notice Pays the caller every bond credited to it (won by challenges, refunded requests,
    ///         request bonds paid to an exit's owner); returns the amount.
    /// @dev Rule (docs/exit-game.md §5.3): bonds are pulled, never pushed, so no recipient that
    ///      refuses ETH can make a challenge, an answer or a resolution revert.
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        delete _credits[msg.sender];
        emit Claimed(msg.sender, amount);
        _sendEth(msg.sender, amount);
    }

    /// @notice Pays a settled exit's coins and bond to its owner (anyone may call).
    function withdraw(Types.ExitData calldata e) external nonReentrant {
        bytes32 exitId = keccak256(abi.encode(e));
        ExitState storage s = _exits[exitId];
        if (s.status != ExitStatus.Finalized) revert NotWithdrawable(exitId);
        s.status = ExitStatus.Withdrawn;
        _payExit(exitId, e, s.bond);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: bond governance (docs/exit-game.md §5)
    // ---------------------------------------------------------------------------------------

    /// @notice Schedules a new exit bond, effective one exit period from now.
    /// @dev Rule (docs/exit-game.md §5.2): operator only; at most ×2 and at least ÷2 of the bond
    ///      in force; effective only after a full exit period, so every exit already started and
    ///      every watcher's budget are unaffected by a sudden change.
    function scheduleExitBond(uint96 bond) external onlyOperator {
        uint96 current = _currentBond();
        if (bond == 0 || bond > uint256(current) * 2 || uint256(bond) * 2 < current) {
            revert BondOutOfBounds(current, bond);
        }
        uint40 effectiveAt = L1Util.time(L1Util.now_() + _exitPeriod);
        _bond = BondSchedule({current: current, next: bond, nextAt: effectiveAt});
        emit ExitBondScheduled(bond, effectiveAt);
    }

    // ---------------------------------------------------------------------------------------
    // Exit game: internals
    // ---------------------------------------------------------------------------------------

    function _currentBond() private view returns (uint96) {
        BondSchedule memory b = _bond;
        return L1Util.now_() >= b.nextAt ? b.next : b.current;
    }

    function _domainSeparator() private view returns (bytes32) {
        return PrimeLib.domainSeparator(block.chainid, address(this));
    }

    /// @dev The id of `e`, which must be pending.
    function _pending(Types.ExitData calldata e) private view returns (bytes32 exitId) {
        exitId = keccak256(abi.encode(e));
        if (_exits[exitId].status != ExitStatus.Pending) revert ExitNotPending(exitId);
    }

    function _matured(ExitState storage s) private view returns (bool) {
        return s.status == ExitStatus.Pending && L1Util.now_() >= s.exitableAt && s.open == 0;
    }

    /// @dev Cancels a pending exit and credits its bond to `beneficiary` (§5.3: pulled).
    function _cancel(bytes32 exitId, CancelReason reason, address beneficiary) private {
        ExitState storage s = _exits[exitId];
        s.status = ExitStatus.Cancelled;
        emit ExitCancelled(exitId, reason, beneficiary);
        _credit(beneficiary, s.bond);
    }

    function _credit(address to, uint256 amount) private {
        _credits[to] += amount;
    }

    /// @dev The position of the output the exited transaction `exitTx` spends holding `coin`
    ///      (docs/exit-game.md §3.4.1), or `e.position` when it names no older one (no single
    ///      input holds the coin, or a forced output that is not included): any older output
    ///      may then be named, as before the parent rule. Reverts unless `exitTx` is `e`'s.
    function _parentOf(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        uint256 coin
    ) private view returns (uint256 parent) {
        (bytes32 id, PrimeLib.Input memory x, bool found) =
            _verifier.parentOf(exitTx, coin, _domainSeparator());
        if (id != e.txId) revert InvalidChallenge();
        parent = e.position;
        if (!found) return parent;
        uint256 claimed;
        if (x.blockIndex >= ExitLib.FORCED_BLOCK) {
            (IForcedInclusion.ForcedStatus st,, uint256 pos,,) =
                _forced.forcedState(x.blockIndex ^ ExitLib.FORCED_BLOCK);
            if (st != IForcedInclusion.ForcedStatus.Included) return parent;
            claimed = pos;
        } else {
            claimed = x.txIndex == PrimeLib.DEPOSIT_TX_INDEX
                ? ExitLib.depositPosition(x.blockIndex)
                : ExitLib.outputPosition(x.blockIndex);
        }
        if (ExitLib.refersTo(x, claimed) && ExitLib.order(claimed) < ExitLib.order(e.position)) {
            parent = claimed;
        }
    }

    /// @dev The header's number, after checking it is the committed header of that block.
    function _checkHeader(Types.BlockHeader calldata h) private view returns (uint64) {
        if (_blockHashes[h.number] != Types.hashHeader(h)) revert UnknownHeader(h.number);
        return h.number;
    }

    function _checkDeposit(Types.DepositRecord calldata d) private view {
        bytes32 h = keccak256(abi.encode(d.owner, d.start, d.end, d.blockNumber));
        if (_deposits[d.start] != h) revert UnknownDeposit(d.start);
    }

    /// @dev An output of an included transaction and its position (docs/exit-game.md §2.2,
    ///      §3.5), or of an included forced transaction (§12.4: only once it is included).
    function _verifyOutput(Types.OutputProof calldata p)
        private
        view
        returns (PrimeLib.Output memory out, uint256 position, bytes32 id)
    {
        bytes32 forcedId;
        (forcedId, position) = _evidenceAt(p.header);
        if (_isForced(p.header)) {
            (out, id) = _verifier.outputOf(p.transaction, p.outputIndex, _domainSeparator());
        } else {
            (out, id) = _verifier.verifyOutput(
                p.transaction,
                p.outputIndex,
                p.header.number,
                p.header.txRoot,
                p.proof,
                _domainSeparator()
            );
        }
        _checkForcedId(p.header, forcedId, id);
    }

    /// @dev A valid, signed transaction included (not expired) in a committed block, or an
    ///      included forced transaction (docs/exit-game.md §12.4: its owners signed on L1, and it
    ///      counts as included at its settlement); returns its input `p.inputIndex`, the
    ///      position of its outputs and its id (docs/exit-game.md §3.1, §3.5).
    function _verifySpend(Types.SpendProof calldata p)
        private
        view
        returns (PrimeLib.Input memory input, uint256 position, bytes32 id)
    {
        bytes32 forcedId;
        (forcedId, position) = _evidenceAt(p.header);
        if (_isForced(p.header)) {
            (input, id) = _verifier.inputOf(p.spend.transaction, p.inputIndex, _domainSeparator());
        } else {
            (input, id) = _verifier.verifySpend(
                p.spend, p.inputIndex, p.header.number, p.header.txRoot, p.proof, _domainSeparator()
            );
        }
        _checkForcedId(p.header, forcedId, id);
    }

    function _isForced(Types.BlockHeader calldata h) private pure returns (bool) {
        return h.number >= ExitLib.FORCED_BLOCK;
    }

    /// @dev Where evidence under `h` stands: for `FORCED_BLOCK | k` the id and position of the
    ///      included forced transaction `k` (reverts unless included), else `2n + 1` after
    ///      checking `h` is the committed header of block `n`.
    function _evidenceAt(Types.BlockHeader calldata h)
        private
        view
        returns (bytes32 forcedId, uint256 position)
    {
        if (_isForced(h)) return _forced.includedAt(h.number ^ ExitLib.FORCED_BLOCK);
        position = ExitLib.outputPosition(_checkHeader(h));
    }

    /// @dev Forced evidence must carry the included forced transaction itself.
    function _checkForcedId(Types.BlockHeader calldata h, bytes32 forcedId, bytes32 id)
        private
        pure
    {
        if (_isForced(h) && id != forcedId) revert UnknownHeader(h.number);
    }

    /// @dev Removes `[start, end)` from the exitable range keyed `key` (its end); false if the
    ///      coins are not all in it (docs/exit-game.md §4.1).
    function _consume(uint256 start, uint256 end, uint256 key) private returns (bool) {
        uint256 v = _exitable[key];
        if (v == 0) return false;
        uint256 rangeStart = v - 1;
        if (start < rangeStart || end > key || start >= end) return false;
        if (start > rangeStart) _exitable[start] = v;
        if (end < key) _exitable[key] = end + 1;
        else delete _exitable[key];
        return true;
    }

    /// @dev Pays an exit's coins (ETH or its token) and its ETH bond to its owner.
    function _payExit(bytes32 exitId, Types.ExitData calldata e, uint96 bond) private {
        uint256 amount = e.end - e.start;
        // casting to 'uint32' is safe because coin ids are below 2^160
        // forge-lint: disable-next-line(unsafe-typecast)
        address token = _tokenAddresses[uint32(e.start >> TOKEN_BITS)];
        emit ExitWithdrawn(exitId, e.owner, amount, bond);
        if (token == address(0)) {
            _sendEth(e.owner, amount + bond);
        } else {
            IERC20(token).safeTransfer(e.owner, amount);
            _sendEth(e.owner, bond);
        }
    }

    function _sendEth(address to, uint256 amount) private {
        if (amount == 0) return;
        if (!L1Util.send(to, amount)) revert PaymentFailed(to);
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice The operator.
    function operator() external view returns (address) {
        return _operator;
    }

    /// @notice The id of a listed token (0 for ETH, `address(0)`).
    function tokenIdOf(address token) external view returns (uint32) {
        TokenState storage state = _tokens[token];
        if (!state.listed) revert UnknownToken(token);
        return state.id;
    }

    /// @notice The address of token `tokenId` (`address(0)` for ETH, id 0).
    /// @dev Reverts for ids never handed out, so that an unknown id is never mistaken for ETH.
    function tokenAddress(uint32 tokenId) public view returns (address) {
        if (tokenId >= _tokenCount) revert UnknownTokenId(tokenId);
        return _tokenAddresses[tokenId];
    }

    /// @notice How many token ids exist, ETH's included: the ids are `[0, tokenCount())`.
    function tokenCount() external view returns (uint32) {
        return _tokenCount;
    }

    /// @notice The number the next submitted block must carry (1 before any block).
    function nextBlock() external view returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(_chainWord);
    }

    /// @notice The shielded pool wired to this chain (docs/shielded.md S-5.1).
    function shieldedPool() external view returns (address) {
        return address(_pool);
    }

    /// @notice The chain word (docs/shielded.md S-2.3), low bits first: `nextBlock` (64 bits) ‖
    ///         the last header's `timestamp` (40) ‖ its `depositCursor` (32) ‖ its `exitCursor`
    ///         (32) ‖ `min(depositCount, refundFloor)` (32) ‖ exits started (32).
    function chainWord() external view returns (uint256) {
        return _chainWord;
    }

    /// @notice The commitment of block `number`, or `bytes32(0)` if it has not been submitted.
    function blockHash(uint64 number) external view returns (bytes32) {
        return _blockHashes[number];
    }

    /// @notice `keccak256(abi.encode(owner, start, end, blockNumber))` of the deposit whose range
    ///         starts at `start`, or `bytes32(0)` if there is none.
    function depositHash(uint256 start) external view returns (bytes32) {
        return _deposits[start];
    }

    /// @notice The offset the next deposit of token `tokenId` will start at.
    function nextOffset(uint32 tokenId) external view returns (uint128) {
        return _tokens[tokenAddress(tokenId)].nextOffset;
    }

    /// @notice The exit period in seconds; challenge requests get half of it to be answered.
    function exitPeriod() external view returns (uint64) {
        return _exitPeriod;
    }

    /// @notice The exit bond asked from a new exit now (challenge requests: a quarter of the
    ///         challenged exit's bond).
    function exitBond() external view returns (uint96) {
        return _currentBond();
    }

    /// @notice The EIP-712 domain separator transactions of this chain are signed under.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator();
    }

    /// @notice The stateless evidence checker this chain deployed (docs/exit-game.md §9).
    function exitVerifier() external view returns (address) {
        return address(_verifier);
    }

    /// @notice The forced-inclusion game of this chain (docs/exit-game.md §12).
    function forcedInclusion() external view returns (address) {
        return address(_forced);
    }

    /// @notice The state of exit `id`: status, maturity, bond, open requests and blocks.
    function exitState(bytes32 id) external view returns (ExitState memory) {
        return _exits[id];
    }

    /// @notice Bonds credited to `account` and not yet claimed (docs/exit-game.md §5.3).
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @notice An open challenge request's challenger, deadline and answer bound (zero when
    ///         closed or unknown).
    function challengeState(bytes32 challengeId) external view returns (ChallengeState memory) {
        return _challenges[challengeId];
    }

    /// @notice Whether `older` holds `newer` back.
    function isBlocked(bytes32 newerId, bytes32 olderId) external view returns (bool) {
        return _blocks[keccak256(abi.encode(newerId, olderId))];
    }

    /// @notice The exitable range ending at `end`: `(true, start)`, or `(false, 0)` if none.
    function exitableRange(uint256 end) external view returns (bool exists, uint256 start) {
        uint256 v = _exitable[end];
        return v == 0 ? (false, 0) : (true, v - 1);
    }
}
