// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "../lib/PrimeLib.sol";
import {Types} from "../lib/Types.sol";

/// @title IDebyeChain: the external surface of the Debye L1 anchor
/// @notice Events, errors, exit-game state types and external functions of `DebyeChain`; the
///         rules behind each function are documented on the implementation (src/DebyeChain.sol)
///         and in docs/exit-game.md.
interface IDebyeChain {
    // ---------------------------------------------------------------------------------------
    // Deposits and blocks
    // ---------------------------------------------------------------------------------------

    /// @notice `token` may be deposited from now on; its coins carry `tokenId`.
    event TokenListed(address indexed token, uint32 indexed tokenId);
    /// @notice `owner` deposited the coins `[start, end)` of `tokenId`; they may be spent from
    ///         child block `blockNumber` on.
    event Deposit(
        address indexed owner,
        uint32 indexed tokenId,
        uint256 start,
        uint256 end,
        uint64 blockNumber
    );
    /// @notice Child block `number` was committed as `headerHash = keccak256(abi.encode(header))`;
    ///         the log carries every header field, so that a watcher reading only logs has the
    ///         preimage (docs/shielded.md S-2.3).
    event BlockSubmitted(uint64 indexed number, bytes32 headerHash, Types.BlockHeader header);

    /// @notice The caller is not the operator.
    error NotOperator();
    /// @notice A deposit of nothing.
    error ZeroAmount();
    /// @notice `token` is not listed (or is `address(0)` passed to `depositToken`).
    error UnknownToken(address token);
    /// @notice No token has id `tokenId`.
    error UnknownTokenId(uint32 tokenId);
    /// @notice `token` already has a token id.
    error TokenAlreadyListed(address token);
    /// @notice A deposit was entered while another deposit's token transfer was still running.
    error Reentrancy();
    /// @notice The header's number is not the next block.
    error WrongBlockNumber(uint64 expected, uint64 got);
    /// @notice The header does not extend the last committed block.
    error WrongPrevHash(bytes32 expected, bytes32 got);
    /// @notice The deposit does not fit in what is left of the token's 2^128-unit coin space.
    error CoinSpaceExhausted(uint32 tokenId);
    /// @notice All 2^32 - 1 token ids are taken.
    error TooManyTokens();
    /// @notice The contract's token balance grew by `received`, not by the `expected` amount.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    // ---------------------------------------------------------------------------------------
    // Shielded pool wiring and header rules (docs/shielded.md §2.2, S-2.2 / S-2.3)
    // ---------------------------------------------------------------------------------------

    /// @notice The shielded pool passed to the constructor does not name this chain (or has a
    ///         different exit period): it was not deployed for it (docs/contracts.md §6).
    error ShieldedPoolMismatch(address pool);
    /// @notice The caller is not the shielded pool.
    error NotShieldedPool();
    /// @notice A narrow header field carries dirty high bits: only canonical encodings are
    ///         committed, so that header hashes compare exactly (docs/shielded.md S-3.8).
    error NonCanonicalHeader();
    /// @notice S-2.2 rule 1: the header's timestamp is before its parent's, after the L1
    ///         block's, or more than `TS_WINDOW` behind it.
    error BadTimestamp(uint256 parent, uint256 got, uint256 now);
    /// @notice The exit verifier passed to the constructor is not `ExitVerifier`'s code.
    error ExitVerifierMismatch(address verifier);
    /// @notice S-2.2 rule 2: `depositCursor` moves back, or past the deposits queued (or past
    ///         the refund floor, S-5.4); `limit` is `min(depositCount, refundFloor)`.
    error DepositCursorOutOfRange(uint256 parent, uint256 got, uint256 limit);
    /// @notice S-2.2 rule 2: deposit `index`, at the cursor, was queued `Q_WINDOW` ago or more.
    error DepositNotImported(uint256 index);
    /// @notice S-2.2 rule 3: `exitCursor` moves back, or past the exits started.
    error ExitCursorOutOfRange(uint256 parent, uint256 got, uint256 count);
    /// @notice S-2.2 rule 3: exit `index`, at the cursor, started `Q_WINDOW` ago or more.
    error ExitNotImported(uint256 index);

    // ---------------------------------------------------------------------------------------
    // Exit game (docs/exit-game.md)
    // ---------------------------------------------------------------------------------------

    /// @notice Life of an exit: Pending → Withdrawn (paid by `finalizeExit`), Pending → Finalized
    ///         (settled by `finalizeExits`) → Withdrawn (paid by `withdraw`), Pending → Cancelled.
    enum ExitStatus {
        None,
        Pending,
        Finalized,
        Withdrawn,
        Cancelled
    }

    /// @notice Why an exit was cancelled (docs/exit-game.md §3).
    enum CancelReason {
        Spent,
        DoubleSpend,
        DepositAfter,
        Unanswered,
        Withdrawn
    }

    /// @dev One slot per exit: 5 + 12 + 1 + 2 + 5 bytes. `requestsUntil` is the end of the
    ///      window for fresh challenge requests (the first `exitableAt`); answers move
    ///      `exitableAt` but not it (docs/exit-game.md §3.4).
    struct ExitState {
        uint40 exitableAt;
        uint96 bond;
        ExitStatus status;
        uint16 open;
        uint40 requestsUntil;
    }

    /// @dev One slot per open challenge request: 20 + 5 + 7 bytes. `bound` limits the answer
    ///      (docs/exit-game.md §3.4): 0 when the request names the exited transaction's parent,
    ///      which only the exited transaction itself answers; otherwise the order
    ///      (`ExitLib.order`) of that parent, which the answer may not be newer than.
    struct ChallengeState {
        address challenger;
        uint40 deadline;
        uint56 bound;
    }

    /// @notice An exit of `[start, end)` by `owner` began; it matures at `exitableAt`.
    event ExitStarted(
        bytes32 indexed exitId,
        address indexed owner,
        uint256 start,
        uint256 end,
        uint256 position,
        bytes32 txId,
        uint40 exitableAt,
        uint96 bond
    );
    /// @notice The transaction exit `exitId` exits from (no signatures): published so that a
    ///         challenger who never saw its block can name its parent in a request
    ///         (docs/exit-game.md §3.4.1).
    event ExitTransaction(bytes32 indexed exitId, PrimeLib.Transaction transaction);
    /// @notice Exit `exitId` was cancelled for `reason`; its bond was credited to `beneficiary`.
    event ExitCancelled(bytes32 indexed exitId, CancelReason reason, address beneficiary);
    /// @notice Exit `exitId` was settled: its coins are withdrawn from the chain.
    event ExitFinalized(bytes32 indexed exitId, address indexed owner, uint256 start, uint256 end);
    /// @notice `finalizeExits` passed over `exitId` (not matured, blocked, or coins not exitable).
    event ExitSkipped(bytes32 indexed exitId);
    /// @notice The coins and bond of exit `exitId` were paid to `owner`.
    event ExitWithdrawn(bytes32 indexed exitId, address indexed owner, uint256 amount, uint96 bond);
    /// @notice Exit `newer` waits for the older overlapping exit `older` (docs/exit-game.md §4.2).
    event ExitBlocked(bytes32 indexed newer, bytes32 indexed older);
    /// @notice `older` is resolved: it no longer holds `newer` back.
    event ExitUnblocked(bytes32 indexed newer, bytes32 indexed older);
    /// @notice A challenge request: someone must show a spend of the output at `outputPosition`
    ///         owned by `outputOwner` containing `coin` before `deadline` (docs/exit-game.md §3.4).
    event ChallengeRequested(
        bytes32 indexed exitId,
        bytes32 indexed challengeId,
        uint256 outputPosition,
        address outputOwner,
        uint256 coin,
        address challenger,
        uint40 deadline
    );
    /// @notice Challenge request `challengeId` was answered by `responder`.
    event ChallengeAnswered(bytes32 indexed exitId, bytes32 indexed challengeId, address responder);
    /// @notice Challenge request `challengeId` was closed after its exit ended (bond refunded).
    event ChallengeClosed(bytes32 indexed exitId, bytes32 indexed challengeId);
    /// @notice The exit bond becomes `bond` at `effectiveAt` (docs/exit-game.md §5).
    event ExitBondScheduled(uint96 bond, uint40 effectiveAt);
    /// @notice `to` claimed `amount` wei of bonds credited to it (docs/exit-game.md §5.3).
    event Claimed(address indexed to, uint256 amount);

    /// @notice The header is not the committed header of its block.
    error UnknownHeader(uint64 number);
    /// @notice The deposit record does not match `depositHash(start)`.
    error UnknownDeposit(uint256 start);
    /// @notice Only the owner of an output or deposit may exit it.
    error NotOwner(address owner, address caller);
    /// @notice The exit range is empty or not inside the output or deposit.
    error RangeOutsideOutput();
    /// @notice The exit range reaches coins not deposited yet.
    error CoinsNotDeposited();
    /// @notice `msg.value` is not the bond asked for.
    error WrongBond(uint256 expected, uint256 got);
    /// @notice An exit with this id already exists (any status).
    error ExitExists(bytes32 exitId);
    /// @notice The exit is not pending.
    error ExitNotPending(bytes32 exitId);
    /// @notice The evidence does not prove what the challenge claims.
    error InvalidChallenge();
    /// @notice The exit's challenge window is over.
    error ChallengeWindowClosed();
    /// @notice No such open challenge request.
    error UnknownChallenge(bytes32 challengeId);
    /// @notice The challenge request's response window is still open.
    error ChallengeNotExpired(uint40 deadline);
    /// @notice The exit may not be finalized yet.
    error NotFinalizable(bytes32 exitId);
    /// @notice The coins are not inside the exitable range named by the hint.
    error NotExitable(uint256 rangeKey);
    /// @notice The exit is not settled and unpaid.
    error NotWithdrawable(bytes32 exitId);
    /// @notice A bond change beyond ×2 / ÷2 of the current bond, or zero.
    error BondOutOfBounds(uint96 current, uint96 proposed);
    /// @notice An ETH payment failed.
    error PaymentFailed(address to);
    /// @notice The exit period is out of `[MIN_EXIT_PERIOD, MAX_EXIT_PERIOD]`.
    error BadExitPeriod(uint64 period);
    /// @notice Arrays of different lengths.
    error LengthMismatch();

    // ---------------------------------------------------------------------------------------
    // Functions
    // ---------------------------------------------------------------------------------------

    function listToken(address token) external returns (uint32 tokenId);
    function submitBlock(Types.BlockHeader calldata header) external;
    function depositEth() external payable returns (uint256 start, uint256 end);
    function depositToken(address token, uint256 amount)
        external
        returns (uint256 start, uint256 end);
    function startDepositExit(Types.DepositRecord calldata d, uint256 start, uint256 end)
        external
        payable
        returns (bytes32);
    function startExit(Types.OutputProof calldata p, uint256 start, uint256 end)
        external
        payable
        returns (bytes32);
    function challengeSpent(Types.ExitData calldata e, Types.SpendProof calldata p) external;
    function challengeDoubleSpend(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        uint256 exitInput,
        Types.SpendProof calldata p
    ) external;
    function challengeDepositAfter(Types.ExitData calldata e, Types.DepositRecord calldata d)
        external;
    function challengeWithdrawn(Types.ExitData calldata e, Types.ExitData calldata done) external;
    function blockExit(Types.ExitData calldata newer, Types.ExitData calldata older) external;
    function unblockExit(bytes32 newerId, bytes32 olderId) external;
    function requestWithDeposit(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        Types.DepositRecord calldata d,
        uint256 coin
    ) external payable returns (bytes32);
    function requestWithOutput(
        Types.ExitData calldata e,
        PrimeLib.Transaction calldata exitTx,
        Types.OutputProof calldata p,
        uint256 coin
    ) external payable returns (bytes32);
    function respondChallenge(
        Types.ExitData calldata e,
        uint256 position,
        address owner,
        uint256 coin,
        Types.SpendProof calldata p
    ) external;
    function resolveChallenge(
        Types.ExitData calldata e,
        uint256 position,
        address owner,
        uint256 coin
    ) external;
    function finalizeExit(Types.ExitData calldata e, uint256 rangeKey) external;
    function finalizeExits(Types.ExitData[] calldata es, uint256[] calldata rangeKeys)
        external
        returns (uint256 settled);
    function claim() external returns (uint256 amount);
    function withdraw(Types.ExitData calldata e) external;
    function scheduleExitBond(uint96 bond) external;
    function onShieldedQueue(uint256 queue) external returns (uint32 index, uint64 lastBlock);
    function closeShieldedDeposits(uint32 floor) external;
    function shieldedPool() external view returns (address);
    function chainWord() external view returns (uint256);
    function operator() external view returns (address);
    function tokenIdOf(address token) external view returns (uint32);
    function tokenAddress(uint32 tokenId) external view returns (address);
    function tokenCount() external view returns (uint32);
    function nextBlock() external view returns (uint64);
    function blockHash(uint64 number) external view returns (bytes32);
    function depositHash(uint256 start) external view returns (bytes32);
    function nextOffset(uint32 tokenId) external view returns (uint128);
    function exitPeriod() external view returns (uint64);
    function exitBond() external view returns (uint96);
    function domainSeparator() external view returns (bytes32);
    function exitVerifier() external view returns (address);
    function forcedInclusion() external view returns (address);
    function exitState(bytes32 id) external view returns (ExitState memory);
    function creditOf(address account) external view returns (uint256);
    function challengeState(bytes32 challengeId) external view returns (ChallengeState memory);
    function isBlocked(bytes32 newerId, bytes32 olderId) external view returns (bool);
    function exitableRange(uint256 end) external view returns (bool exists, uint256 start);
}
