// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "../lib/PrimeLib.sol";

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
        out = tx_.outputs[outputIndex];
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
    ) external pure returns (PrimeLib.Input memory input) {
        PrimeLib.SignedTransaction memory s = stx;
        bytes32 id = PrimeLib.verifySignedTransaction(s, domainSeparator);
        PrimeLib.checkNotExpired(s.transaction, blockNumber);
        input = s.transaction.inputs[inputIndex];
        PrimeLib.verifyInclusion(txRoot, input.segment, id, proof);
    }

    /// @notice Input `inputIndex` of `t` and `t`'s id.
    function inputOf(PrimeLib.Transaction calldata t, uint256 inputIndex, bytes32 domainSeparator)
        external
        pure
        returns (PrimeLib.Input memory input, bytes32 id)
    {
        PrimeLib.Transaction memory tx_ = t;
        id = PrimeLib.txId(tx_, domainSeparator);
        input = tx_.inputs[inputIndex];
    }
}
