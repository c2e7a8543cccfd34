// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "../lib/PrimeLib.sol";
import {Types} from "../lib/Types.sol";
import {IDebyeChain} from "./IDebyeChain.sol";

/// @title IForcedInclusion: the external surface of the forced-inclusion game
/// @notice Events, errors, state types and external functions of `ForcedInclusion`
///         (docs/exit-game.md §12); the rules behind each function are documented on the
///         implementation (src/exit/ForcedInclusion.sol).
interface IForcedInclusion {
    /// @notice Life of a forced transaction.
    enum ForcedStatus {
        None,
        Pending,
        Included,
        Cancelled,
        Lapsed
    }

    /// @notice Why a forced transaction was cancelled (docs/exit-game.md §12.2).
    enum ForcedCancelReason {
        Spent,
        AlreadyIncluded,
        NoSuchOutput,
        Withdrawn
    }

    /// @notice Forced transaction `index` was posted; it may be included from `maturesAt` on.
    event ForcedPosted(
        uint64 indexed index,
        bytes32 indexed txId,
        address poster,
        uint256 position,
        uint40 maturesAt,
        uint256 bond,
        PrimeLib.Transaction transaction
    );
    /// @notice `owner` signed forced transaction `index`; `signature` completes the signed tx.
    event ForcedSigned(uint64 indexed index, address indexed owner, bytes signature);
    /// @notice Forced transaction `index` was cancelled; its bond went to `beneficiary`.
    event ForcedCancelled(uint64 indexed index, ForcedCancelReason reason, address beneficiary);
    /// @notice Forced transaction `index` counts as included at `position`.
    event ForcedIncluded(uint64 indexed index, bytes32 indexed txId, uint256 position);
    /// @notice Forced transaction `index` matured without all signatures; bond refunded.
    event ForcedLapsed(uint64 indexed index);
    /// @notice `to` claimed `amount` wei of forcing bonds credited to it (docs/exit-game.md §5.3).
    event Claimed(address indexed to, uint256 amount);

    /// @notice Only DebyeChain's own evidence types; the caller is not the chain.
    error UnknownForced(uint64 index);
    /// @notice The forced transaction is not pending.
    error ForcedNotPending(uint64 index);
    /// @notice The forced transaction is not included.
    error ForcedNotIncluded(uint64 index);
    /// @notice This transaction was forced already.
    error ForcedExists(bytes32 txId);
    /// @notice Input `input` names a forced output, a block not committed yet, or coins not
    ///         deposited yet (docs/exit-game.md §12.1).
    error BadForcedInput(uint256 input);
    /// @notice `msg.value` is not the forcing bond.
    error WrongForcedBond(uint256 expected, uint256 got);
    /// @notice The signature is not by an input owner of the forced transaction.
    error NotAnOwner(address signer);
    /// @notice `owner` has signed this forced transaction already.
    error AlreadySigned(address owner);
    /// @notice The transaction passed is not forced transaction `index`.
    error WrongTransaction(uint64 index);
    /// @notice The evidence does not prove what the challenge claims.
    error InvalidForcedChallenge();
    /// @notice Not matured yet, or signed too recently (docs/exit-game.md §12.3).
    error ForcedNotMature(uint256 maturesAt);
    /// @notice A bond payment failed.
    error ForcedPaymentFailed(address to);
    /// @notice Re-entered while paying.
    error ForcedReentrancy();

    function chain() external view returns (IDebyeChain);
    function FORCE_BOND_FACTOR() external view returns (uint256);
    function force(PrimeLib.Transaction calldata t) external payable returns (uint64 index);
    function signForced(uint64 index, bytes calldata signature) external;
    function challengeForcedSpent(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.SpendProof calldata p
    ) external;
    function challengeForcedOutput(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.OutputProof calldata p
    ) external;
    function challengeForcedExcluded(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.BlockHeader calldata h,
        PrimeLib.Segment calldata s,
        PrimeLib.SumProof calldata proof
    ) external;
    function challengeForcedDeposit(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.DepositRecord calldata d
    ) external;
    function challengeForcedWithdrawn(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.ExitData calldata done
    ) external;
    function finalizeForced(uint64 index) external;
    function claim() external returns (uint256 amount);
    function creditOf(address account) external view returns (uint256);
    function includedAt(uint64 index) external view returns (bytes32 txId, uint256 position);
    function forcedState(uint64 index)
        external
        view
        returns (ForcedStatus status, bytes32 txId, uint256 position, uint40 maturesAt, bool signed);
    function forceBond() external view returns (uint256);
    function forcedCount() external view returns (uint64);
}
