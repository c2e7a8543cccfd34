// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Types} from "../lib/Types.sol";

/// @title IShieldedPool: the external surface of the shielded ledger's L1 custody
/// @notice Structs, events, errors and functions of `ShieldedPool` (docs/shielded.md §3, §5, §7).
///         The rules behind each function are on the implementation (src/shielded/ShieldedPool.sol),
///         each citing the `S-x.y` rule of docs/shielded.md it implements.
interface IShieldedPool {
    // ---------------------------------------------------------------------------------------
    // Structs (docs/shielded.md §3.3, §3.4; field order is the hashed encoding)
    // ---------------------------------------------------------------------------------------

    /// @notice External data a TRANSFER or EXIT proof binds through `extDataHash` (S-3.4):
    ///         `extDataHash = uint256(keccak256(abi.encode(EXT_TAG, ext))) % r`.
    struct ExtData {
        uint8 kind;
        address recipient;
        address feeRecipient;
        uint64 fee;
        uint64 expiry;
        uint64 chainId;
        address anchor;
        uint32 policy;
        bytes32 nonce;
        bytes32 ctHash0;
        bytes32 ctHash1;
    }

    /// @notice An entry's head (S-3.5): `leaf = keccak256(0x00 ‖ abi.encode(head))`.
    struct EntryHead {
        uint8 kind;
        uint64 firstLeaf;
        bytes32 checkpointRoot;
        uint256 nullifier0;
        uint256 nullifier1;
        uint256 commitment0;
        uint256 commitment1;
        bytes32 bodyHash;
    }

    /// @notice A TRANSFER entry's body (S-3.5): `bodyHash = keccak256(abi.encode(BODY_TAG, body))`.
    struct TransferBody {
        uint64 rootBlock;
        uint256 root;
        uint256 publicAmount;
        uint256 token;
        uint256 extDataHash;
        uint256[8] proof;
        ExtData ext;
    }

    /// @notice What `startExit` takes besides the root block's header (S-5.5). The public
    ///         inputs are rebuilt on L1: `root = header.noteRoot`, outputs `CM_ZERO`,
    ///         `publicAmount = r - amount`, `token` as a field element, `extDataHash` from `ext`.
    struct ExitRequest {
        uint256 nullifier0;
        uint256 nullifier1;
        address token;
        uint64 amount;
        uint256[8] proof;
        ExtData ext;
    }

    /// @notice An exit record; `exits[k]` stores `uint216(keccak256(abi.encode(EXIT_TAG, record)))`
    ///         beside its start time and status (S-5.5). `amount` and `fee` are token units.
    struct ExitRecord {
        uint256 nullifier0;
        uint256 nullifier1;
        address token;
        uint64 amount;
        uint64 fee;
        address recipient;
        address feeRecipient;
        uint64 prioKey;
        uint64 exitableAt;
        uint96 bond;
        address bondPayer;
    }

    /// @notice A deposit record; `deposits[d]` stores `uint216(keccak256(abi.encode(DEP_TAG,
    ///         record)))` beside its queueing time and status (S-5.3).
    struct DepositRecord {
        uint256 cm;
        address token;
        uint64 amountUnits;
        address depositor;
        uint64 queuedAtBlock;
    }

    /// @notice An entry leaf's place in a header's `entriesRoot` (S-3.7): its index and the
    ///         `ceil(log2(entryCount))` siblings from the leaf up.
    struct Inclusion {
        uint256 index;
        bytes32[] siblings;
    }

    enum DepositStatus {
        None,
        Queued,
        Refunded,
        Pinned
    }

    enum ExitStatus {
        None,
        Pending,
        Cancelled,
        Refused,
        Paid
    }

    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    /// @notice `token` may be deposited; one note unit is `unit` of its base units (S-5.2).
    event PoolTokenListed(address indexed token, uint64 unit);
    /// @notice Deposit `index` was queued with commitment `cm` (S-5.3); `ct` is its note ciphertext.
    event ShieldedDeposit(
        uint32 indexed index,
        uint256 cm,
        address indexed token,
        uint64 amountUnits,
        address indexed depositor,
        uint64 queuedAtBlock,
        bytes ct
    );
    /// @notice Deposit `index` was refunded (S-5.4); shielded deposits are closed from `floor` on.
    event DepositRefunded(uint32 indexed index, uint32 floor);
    /// @notice Exit `index` started (S-5.5); the record is every field of its hash.
    event ShieldedExitStarted(uint32 indexed index, uint64 rootBlock, ExitRecord record);
    /// @notice Exit `index` was cancelled by a spend in block `blockNumber` (S-5.8); the spend's
    ///         head and ciphertexts are logged for the outputs' owners (S-6.1).
    event ExitChallenged(
        uint32 indexed index,
        address indexed challenger,
        uint64 blockNumber,
        EntryHead head,
        bytes ct0,
        bytes ct1
    );
    /// @notice Exit `index` shares a nullifier with the earlier exit `earlier` (S-5.10), cancelled
    ///         by `challenger`; its bond went to `challenger`, or back to its own bond payer if it
    ///         is a copy of the same payout (a copy of the same payout refunds its own bond).
    event ExitDuplicate(uint32 indexed index, uint32 indexed earlier, address challenger);
    /// @notice Exit `index` was dropped at payout: a nullifier was already paid (S-5.7, S-5.12);
    ///         its bond went to the caller, or back to its own bond payer if the nullifiers were
    ///         paid by the same payout (a copy of the same payout refunds its own bond).
    event ExitNullifierPaid(uint32 indexed index);
    /// @notice Exit `index` was refused at payout: its root block is at or after `firstInvalid`.
    event ExitRefused(uint32 indexed index);
    /// @notice Exit `index` was paid: its amount less fee and its fee credited (S-5.15).
    event ExitPaid(uint32 indexed index);
    /// @notice `amount` base units of `token` credited to `account` (pulled by `withdraw`).
    event Credited(address indexed token, address indexed account, uint256 amount);
    /// @notice `amount` base units of `token` paid to `account`.
    event Withdrawn(address indexed token, address indexed account, uint256 amount);
    /// @notice The challenge reward for exit `index` (its bond) became claimable by `to`.
    event ChallengeRewardClaimed(uint32 indexed index, address indexed to, uint96 bond);

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    error NotOperator();
    error NotChain();
    error Reentrancy();
    error BadExitPeriod(uint64 period);
    error TokenAlreadyListed(address token);
    error UnknownToken(address token);
    error BadUnit(uint64 unit);
    error BadAmount(uint256 amount);
    error BadOwnerPart();
    error BadCiphertextLength(uint256 length);
    error TransferAmountMismatch(uint256 expected, uint256 received);
    error DepositsClosed();
    error UnknownDeposit(uint32 index);
    error NotRefundable(uint32 index);
    error WrongBond(uint256 expected, uint256 got);
    error WrongKind(uint8 kind);
    error WrongChain(uint64 chainId);
    error WrongAnchor(address anchor);
    error WrongPolicy(uint32 policy);
    error BadExpiry(uint64 expiry, uint256 time);
    error BadRecipient();
    error BadFee(uint64 fee);
    error BadCiphertextHash();
    error BadExtDataHash();
    error UnknownHeader(uint64 number);
    error BadRoot();
    error RootBlockInvalid(uint64 rootBlock);
    error SameNullifier();
    error NullifierPaid(uint256 nullifier);
    error InvalidProof();
    error UnknownExit(uint32 index);
    error ExitNotPending(uint32 index);
    error WrongQueueHead(uint32 expected, uint32 got);
    /// @notice `processExits` reached a mature exit while an exit started before it matured is
    ///         not queued yet (it may come first): call `queueExits` with the records of the
    ///         pending exits from `next` on (their `ShieldedExitStarted` logs).
    error ExitsNotQueued(uint32 next);
    error BadInclusion();
    error NotASpend();
    error NonZeroPublicAmount();
    error BadRootBlock(uint64 rootBlock);
    error SpendAfterImport(uint32 index);
    error EvidenceBlockInvalid(uint64 blockNumber);
    error NotDuplicate();
    error NoReward(uint32 index);
    error RewardNotYetClaimable(uint256 claimableAt);
    error PaymentFailed(address to);

    // ---------------------------------------------------------------------------------------
    // Functions
    // ---------------------------------------------------------------------------------------

    function listToken(address token, uint64 unit) external;
    function depositEth(uint256 ownerPart, bytes calldata ct) external payable returns (uint32);
    function depositToken(address token, uint256 amount, uint256 ownerPart, bytes calldata ct)
        external
        returns (uint32);
    function refundDeposit(uint32 index, DepositRecord calldata record) external;
    function startExit(ExitRequest calldata x, Types.BlockHeader calldata rootHeader)
        external
        payable
        returns (uint32);
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
    ) external;
    function challengeDuplicate(
        uint32 earlier,
        ExitRecord calldata earlierRecord,
        uint32 later,
        ExitRecord calldata laterRecord
    ) external;
    function claimChallengeReward(uint32 index) external;
    function queueExits(ExitRecord[] calldata records) external returns (uint32 queued);
    function processExits(address token, ExitRecord[] calldata records)
        external
        returns (uint256 processed);
    function withdraw(address token, address account) external returns (uint256 amount);

    function chain() external view returns (address);
    function exitPeriod() external view returns (uint64);
    function exitBond() external view returns (uint96);
    function verifier() external view returns (address);
    function firstInvalid() external view returns (uint64);
    function refundFloor() external view returns (uint32);
    function tokenUnit(address token) external view returns (uint64);
    function deposited(address token) external view returns (uint256);
    function paid(address token) external view returns (uint256);
    function paidNullifier(uint256 nullifier) external view returns (bool);
    function creditOf(address token, address account) external view returns (uint256);
    function queuedAt(uint256 queue, uint256 index) external view returns (uint256);
    function depositQueuedAt(uint32 index) external view returns (uint256);
    function depositStatus(uint32 index) external view returns (DepositStatus);
    function exitStartedAt(uint32 index) external view returns (uint256);
    function exitStatus(uint32 index) external view returns (ExitStatus);
    function exitsQueued() external view returns (uint32);
    function queueLength(address token) external view returns (uint256);
    function queueHead(address token) external view returns (uint64 prioKey, uint32 index);
    function extDataHash(ExtData calldata ext) external pure returns (uint256);
    function entryLeaf(EntryHead calldata head) external pure returns (bytes32);
}
