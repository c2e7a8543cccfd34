// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "../lib/PrimeLib.sol";
import {ExitLib} from "../lib/ExitLib.sol";

/// @title ExitVerifier: the stateless evidence checks of DebyeChain's exit game
/// @notice Transaction ids, signatures, validity rules, expiry and sum Merkle inclusion, in a
///         contract of its own so that DebyeChain stays under the 24 576-byte code size limit
///         (docs/exit-game.md §9). DebyeChain deploys it in its constructor and checks the block
///         headers against its own storage before asking it anything. It holds no state and no
///         funds: anybody may call it, nothing depends on who does.
contract ExitVerifier {
    /// @notice An included transaction's output `outputIndex`: reverts unless `t` is not expired
    ///         at `blockNumber` and `out.segment` lies in a leaf of its id under `txRoot`
    ///         (docs/exit-game.md §2.2, §3.5). Signatures are not checked (§2.5).
    function verifyOutput(
        PrimeLib.Transaction calldata t,
        uint256 outputIndex,
        uint64 blockNumber,
        bytes32 txRoot,
        PrimeLib.SumProof calldata proof,
        bytes32 domainSeparator
    ) external pure returns (PrimeLib.Output memory out, bytes32 id) {
        PrimeLib.Transaction memory tx_ = t;
        PrimeLib.checkNotExpired(tx_, blockNumber);
        id = PrimeLib.txId(tx_, domainSeparator);
        out = _output(tx_, outputIndex);
        PrimeLib.verifyInclusion(txRoot, out.segment, id, proof);
    }

    /// @notice A valid transaction signed by its input owners, not expired at `blockNumber`, whose
    ///         input `inputIndex` lies in a leaf of its id under `txRoot`; returns that input
    ///         (docs/exit-game.md §3.1, §3.5).
    function verifySpend(
        PrimeLib.SignedTransaction calldata stx,
        uint256 inputIndex,
        uint64 blockNumber,
        bytes32 txRoot,
        PrimeLib.SumProof calldata proof,
        bytes32 domainSeparator
    ) external pure returns (PrimeLib.Input memory input, bytes32 id) {
        PrimeLib.SignedTransaction memory s = stx;
        id = PrimeLib.verifySignedTransaction(s, domainSeparator);
        PrimeLib.checkNotExpired(s.transaction, blockNumber);
        input = _input(s.transaction, inputIndex);
        PrimeLib.verifyInclusion(txRoot, input.segment, id, proof);
    }

    /// @notice Input `inputIndex` of `t` and `t`'s id.
    function inputOf(PrimeLib.Transaction calldata t, uint256 inputIndex, bytes32 domainSeparator)
        external
        pure
        returns (PrimeLib.Input memory input, bytes32 id)
    {
        PrimeLib.Transaction memory tx_ = t;
        return (_input(tx_, inputIndex), PrimeLib.txId(tx_, domainSeparator));
    }

    /// @notice Output `outputIndex` of `t` and `t`'s id (an output of a forced transaction,
    ///         docs/exit-game.md §12.4).
    function outputOf(PrimeLib.Transaction calldata t, uint256 outputIndex, bytes32 domainSeparator)
        external
        pure
        returns (PrimeLib.Output memory out, bytes32 id)
    {
        PrimeLib.Transaction memory tx_ = t;
        return (_output(tx_, outputIndex), PrimeLib.txId(tx_, domainSeparator));
    }

    /// @notice `t`'s id and the one input of `t` holding `coin`: the exited transaction's parent
    ///         for that coin (docs/exit-game.md §3.4). `found` is false when no input or more
    ///         than one holds it (an invalid transaction: then it has no single parent).
    function parentOf(PrimeLib.Transaction calldata t, uint256 coin, bytes32 domainSeparator)
        external
        pure
        returns (bytes32 id, PrimeLib.Input memory input, bool found)
    {
        PrimeLib.Transaction memory tx_ = t;
        id = PrimeLib.txId(tx_, domainSeparator);
        uint256 hits = 0;
        for (uint256 k = 0; k < tx_.inputs.length; k++) {
            PrimeLib.Segment memory s = tx_.inputs[k].segment;
            if (ExitLib.contains(s.start, s.end, coin)) {
                input = tx_.inputs[k];
                hits++;
            }
        }
        found = hits == 1;
    }

    /// @notice The stateless rules of docs/formats.md §5 (1, 4-13) for an unsigned transaction
    ///         posted for forced inclusion: returns its id and its distinct input owners in
    ///         signature order (docs/exit-game.md §12.1).
    function checkTransaction(PrimeLib.Transaction calldata t, bytes32 domainSeparator)
        external
        pure
        returns (bytes32 id, address[] memory owners)
    {
        PrimeLib.Transaction memory tx_ = t;
        for (uint256 k = 0; k < tx_.inputs.length; k++) {
            PrimeLib.checkSegment(tx_.inputs[k].segment);
        }
        for (uint256 k = 0; k < tx_.outputs.length; k++) {
            PrimeLib.checkSegment(tx_.outputs[k].segment);
        }
        owners = PrimeLib.validate(tx_);
        id = PrimeLib.txId(tx_, domainSeparator);
    }

    /// @notice Reverts unless `s` lies in a gap leaf of the tree `txRoot` (docs/formats.md §6.4;
    ///         the non-inclusion challenge of docs/exit-game.md §12.2).
    function verifyExclusion(
        bytes32 txRoot,
        PrimeLib.Segment calldata s,
        PrimeLib.SumProof calldata proof
    ) external pure {
        PrimeLib.verifyExclusion(txRoot, s, proof);
    }

    /// @dev Rule (docs/exit-game.md §3): an index past the end is a typed error, not a panic.
    function _input(PrimeLib.Transaction memory t, uint256 index)
        private
        pure
        returns (PrimeLib.Input memory)
    {
        if (index >= t.inputs.length) revert ExitLib.IndexOutOfRange(index, t.inputs.length);
        return t.inputs[index];
    }

    function _output(PrimeLib.Transaction memory t, uint256 index)
        private
        pure
        returns (PrimeLib.Output memory)
    {
        if (index >= t.outputs.length) revert ExitLib.IndexOutOfRange(index, t.outputs.length);
        return t.outputs[index];
    }
}
