// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Types} from "./Types.sol";

/// @title PrimeLib: Plasma Prime transactions, signatures and sum Merkle proofs on L1
/// @notice The Solidity twin of the Rust crate `debye-primitives`. Both follow docs/formats.md and
///         are pinned by the same committed vectors (test-vectors/primitives, checked by
///         test/PrimeVectors.t.sol): same EIP-712 digest, same accept/reject decisions, and the
///         same error for every rejected case (the custom errors below carry the Rust
///         `Error::code()` names).
/// @dev Threats (docs/formats.md §9): a forged or replayed signature (EIP-712 domain binds chain id
///      and contract; low-s rule removes ECDSA malleability; signers must be exactly the distinct
///      input owners); a transaction creating coins (union of inputs == union of outputs, both
///      sides disjoint); an operator committing a malformed sum tree to make two transactions
///      claim one coin, or a coin appear in no leaf (checked arithmetic, total length 2^160,
///      implicit leaf ranges: docs/formats.md §6.4).
library PrimeLib {
    // ------------------------------------------------------------------ types (docs/formats.md §3)

    /// @notice Coins `[start, end)`, non-empty, inside one token's space.
    struct Segment {
        uint256 start;
        uint256 end;
    }

    /// @notice A spent coin range and the output (or deposit) that created it.
    struct Input {
        address owner;
        uint64 blockIndex;
        uint32 txIndex;
        uint8 outputIndex;
        Segment segment;
    }

    /// @notice A created coin range.
    struct Output {
        address owner;
        Segment segment;
    }

    /// @notice The signed content of a transaction ("TX netto").
    struct Transaction {
        Input[] inputs;
        Output[] outputs;
        uint64 maxBlockIndex;
    }

    /// @notice Wire form of a signed transaction: `signatures` is 65-byte `r‖s‖v` signatures,
    ///         concatenated, one per distinct input owner in order of first appearance.
    struct SignedTransaction {
        Transaction transaction;
        bytes signatures;
    }

    /// @notice A proof sibling: a sum tree node.
    struct ProofNode {
        uint256 length;
        bytes32 hash;
    }

    /// @notice A sum Merkle proof: bit `i` of `path` set means `siblings[i]` is a left sibling.
    struct SumProof {
        uint256 leafLength;
        uint64 path;
        ProofNode[] siblings;
    }

    // ------------------------------------------------------------------ constants

    /// @notice One past the last coin: 2^160, also the total length of every sum tree.
    uint256 internal constant COIN_SPACE_END = 1 << 160;
    uint256 internal constant MAX_INPUTS = 16;
    uint256 internal constant MAX_OUTPUTS = 16;
    uint256 internal constant MAX_OWNERS = 2;
    uint256 internal constant MAX_PROOF_DEPTH = 64;
    uint32 internal constant DEPOSIT_TX_INDEX = type(uint32).max;
    /// @notice floor(secp256k1 n / 2): the largest accepted `s`.
    uint256 internal constant HALF_N =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    bytes32 internal constant DOMAIN_TYPEHASH = keccak256(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    );
    bytes32 internal constant SEGMENT_TYPEHASH = keccak256("Segment(uint256 start,uint256 end)");
    bytes32 internal constant INPUT_TYPEHASH = keccak256(
        "Input(address owner,uint64 blockIndex,uint32 txIndex,uint8 outputIndex,Segment segment)"
        "Segment(uint256 start,uint256 end)"
    );
    bytes32 internal constant OUTPUT_TYPEHASH =
        keccak256("Output(address owner,Segment segment)Segment(uint256 start,uint256 end)");
    bytes32 internal constant TRANSACTION_TYPEHASH = keccak256(
        "Transaction(Input[] inputs,Output[] outputs,uint64 maxBlockIndex)"
        "Input(address owner,uint64 blockIndex,uint32 txIndex,uint8 outputIndex,Segment segment)"
        "Output(address owner,Segment segment)Segment(uint256 start,uint256 end)"
    );
    bytes32 internal constant NAME_HASH = keccak256("Debye");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    // ------------------------------------------------------------------ errors (Rust Error::code)

    error EmptySegment();
    error SegmentOutOfSpace();
    error SegmentCrossesToken();
    error NoInputs();
    error TooManyInputs(uint256 count);
    error NoOutputs();
    error TooManyOutputs(uint256 count);
    error ZeroOwner();
    error InvalidOutputIndex(uint256 input);
    error OverlappingInputs();
    error OverlappingOutputs();
    error UnionMismatch();
    error TooManyOwners(uint256 count);
    error SignatureCount(uint256 expected, uint256 got);
    error InvalidSignatureEncoding(uint256 length);
    error HighS(uint256 index);
    error InvalidSignature(uint256 index);
    error WrongSigner(uint256 index, address expected, address recovered);
    error TxExpired(uint64 maxBlockIndex, uint64 blockNumber);
    error ZeroTxId();
    error ProofTooLong(uint256 siblings);
    error NonCanonicalPath();
    error ProofOverflow();
    error WrongTotalLength(uint256 total);
    error RootMismatch();
    error SegmentOutsideLeaf();

    // ------------------------------------------------------------------ segments (§2)

    /// @notice Reverts unless `s` is non-empty, inside [0, 2^160) and inside one token.
    function checkSegment(Segment memory s) internal pure {
        if (s.start >= s.end) revert EmptySegment();
        if (s.end > COIN_SPACE_END) revert SegmentOutOfSpace();
        if (s.start >> 128 != (s.end - 1) >> 128) revert SegmentCrossesToken();
    }

    // ------------------------------------------------------------------ EIP-712 (§3, §4)

    /// @notice The domain separator of the Debye chain anchored at `verifyingContract`.
    function domainSeparator(uint256 chainId, address verifyingContract)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, verifyingContract)
        );
    }

    function hashSegment(Segment memory s) internal pure returns (bytes32) {
        return keccak256(abi.encode(SEGMENT_TYPEHASH, s.start, s.end));
    }

    function hashInput(Input memory i) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                INPUT_TYPEHASH,
                i.owner,
                i.blockIndex,
                i.txIndex,
                i.outputIndex,
                hashSegment(i.segment)
            )
        );
    }

    function hashOutput(Output memory o) internal pure returns (bytes32) {
        return keccak256(abi.encode(OUTPUT_TYPEHASH, o.owner, hashSegment(o.segment)));
    }

    /// @notice EIP-712 `hashStruct(transaction)`; arrays hash as keccak256 of their elements'
    ///         struct hashes, concatenated.
    function hashTransaction(Transaction memory t) internal pure returns (bytes32) {
        bytes32[] memory ins = new bytes32[](t.inputs.length);
        for (uint256 k = 0; k < ins.length; k++) {
            ins[k] = hashInput(t.inputs[k]);
        }
        bytes32[] memory outs = new bytes32[](t.outputs.length);
        for (uint256 k = 0; k < outs.length; k++) {
            outs[k] = hashOutput(t.outputs[k]);
        }
        return keccak256(
            abi.encode(
                TRANSACTION_TYPEHASH,
                keccak256(abi.encodePacked(ins)),
                keccak256(abi.encodePacked(outs)),
                t.maxBlockIndex
            )
        );
    }

    /// @notice The transaction id: the EIP-712 signing digest (signatures excluded).
    function txId(Transaction memory t, bytes32 domainSep) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSep, hashTransaction(t)));
    }

    // ------------------------------------------------------------------ validity (§5)

    /// @notice Full stateless check of a signed transaction, in the order of docs/formats.md §5:
    ///         segments, signature encoding, transaction rules, signatures. Returns the tx id.
    function verifySignedTransaction(SignedTransaction memory stx, bytes32 domainSep)
        internal
        pure
        returns (bytes32 id)
    {
        Transaction memory t = stx.transaction;
        for (uint256 k = 0; k < t.inputs.length; k++) {
            checkSegment(t.inputs[k].segment);
        }
        for (uint256 k = 0; k < t.outputs.length; k++) {
            checkSegment(t.outputs[k].segment);
        }
        bytes memory sigs = stx.signatures;
        if (sigs.length % 65 != 0) revert InvalidSignatureEncoding(sigs.length);
        uint256 count = sigs.length / 65;
        for (uint256 k = 0; k < count; k++) {
            uint8 v = uint8(sigs[65 * k + 64]);
            if (v != 27 && v != 28) revert InvalidSignature(k);
        }
        address[] memory owners = validate(t);
        if (count != owners.length) revert SignatureCount(owners.length, count);
        id = txId(t, domainSep);
        for (uint256 k = 0; k < count; k++) {
            address recovered = recover(id, sigs, k);
            if (recovered != owners[k]) revert WrongSigner(k, owners[k], recovered);
        }
    }

    /// @notice The transaction rules (segments assumed checked). Returns the distinct input
    ///         owners in order of first appearance.
    function validate(Transaction memory t) internal pure returns (address[] memory owners) {
        uint256 nIn = t.inputs.length;
        uint256 nOut = t.outputs.length;
        if (nIn == 0) revert NoInputs();
        if (nIn > MAX_INPUTS) revert TooManyInputs(nIn);
        if (nOut == 0) revert NoOutputs();
        if (nOut > MAX_OUTPUTS) revert TooManyOutputs(nOut);
        for (uint256 k = 0; k < nIn; k++) {
            Input memory i = t.inputs[k];
            if (i.owner == address(0)) revert ZeroOwner();
            bool indexOk =
                i.txIndex == DEPOSIT_TX_INDEX ? i.outputIndex == 0 : i.outputIndex < MAX_OUTPUTS;
            if (!indexOk) revert InvalidOutputIndex(k);
        }
        for (uint256 k = 0; k < nOut; k++) {
            if (t.outputs[k].owner == address(0)) revert ZeroOwner();
        }
        Segment[] memory ins = new Segment[](nIn);
        for (uint256 k = 0; k < nIn; k++) {
            ins[k] = t.inputs[k].segment;
        }
        Segment[] memory outs = new Segment[](nOut);
        for (uint256 k = 0; k < nOut; k++) {
            outs[k] = t.outputs[k].segment;
        }
        if (!_sortDisjoint(ins)) revert OverlappingInputs();
        if (!_sortDisjoint(outs)) revert OverlappingOutputs();
        if (!_sameUnion(ins, outs)) revert UnionMismatch();
        owners = new address[](nIn);
        uint256 n = 0;
        for (uint256 k = 0; k < nIn; k++) {
            address o = t.inputs[k].owner;
            bool seen = false;
            for (uint256 j = 0; j < n; j++) {
                if (owners[j] == o) {
                    seen = true;
                    break;
                }
            }
            if (!seen) owners[n++] = o;
        }
        if (n > MAX_OWNERS) revert TooManyOwners(n);
        assembly ("memory-safe") {
            mstore(owners, n)
        }
    }

    /// @notice Reverts with `TxExpired` when `t` may not be included in block `blockNumber`.
    function checkNotExpired(Transaction memory t, uint64 blockNumber) internal pure {
        if (blockNumber > t.maxBlockIndex) revert TxExpired(t.maxBlockIndex, blockNumber);
    }

    /// @notice Signer of the `index`-th 65-byte signature in `sigs` over `digest`: `v` must be
    ///         27 or 28, `s` at most `HALF_N`, and `ecrecover` must find a key.
    function recover(bytes32 digest, bytes memory sigs, uint256 index)
        internal
        pure
        returns (address signer)
    {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            let p := add(add(sigs, 0x20), mul(index, 65))
            r := mload(p)
            s := mload(add(p, 0x20))
            v := byte(0, mload(add(p, 0x40)))
        }
        if (v != 27 && v != 28) revert InvalidSignature(index);
        if (uint256(s) > HALF_N) revert HighS(index);
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature(index);
    }

    /// @dev Insertion sort by (start, end) (at most 16 elements); false if neighbours overlap.
    function _sortDisjoint(Segment[] memory a) private pure returns (bool) {
        for (uint256 k = 1; k < a.length; k++) {
            Segment memory x = a[k];
            uint256 j = k;
            while (
                j > 0
                    && (a[j - 1].start > x.start
                        || (a[j - 1].start == x.start && a[j - 1].end > x.end))
            ) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = x;
        }
        for (uint256 k = 1; k < a.length; k++) {
            if (a[k - 1].end > a[k].start) return false;
        }
        return true;
    }

    /// @dev Whether two sorted disjoint lists cover the same coins: compares their maximal runs
    ///      (touching neighbours merged).
    function _sameUnion(Segment[] memory a, Segment[] memory b) private pure returns (bool) {
        uint256 i = 0;
        uint256 j = 0;
        while (i < a.length && j < b.length) {
            uint256 aStart = a[i].start;
            uint256 aEnd = a[i].end;
            while (i + 1 < a.length && a[i + 1].start == aEnd) {
                aEnd = a[++i].end;
            }
            uint256 bStart = b[j].start;
            uint256 bEnd = b[j].end;
            while (j + 1 < b.length && b[j + 1].start == bEnd) {
                bEnd = b[++j].end;
            }
            if (aStart != bStart || aEnd != bEnd) return false;
            i++;
            j++;
        }
        return i == a.length && j == b.length;
    }

    // ------------------------------------------------------------------ sum Merkle proofs (§6)

    /// @notice Folds `p` from a leaf with hash `leafHash` to the root. Reverts, in order, with
    ///         ProofTooLong, NonCanonicalPath, ProofOverflow, WrongTotalLength. Returns the root
    ///         and the leaf's implicit start (sum of the left siblings' lengths).
    function computeRoot(SumProof memory p, bytes32 leafHash)
        internal
        pure
        returns (bytes32 root, uint256 leafStart)
    {
        uint256 n = p.siblings.length;
        if (n > MAX_PROOF_DEPTH) revert ProofTooLong(n);
        uint256 path = p.path;
        if (n < MAX_PROOF_DEPTH && path >> n != 0) revert NonCanonicalPath();
        uint256 length = p.leafLength;
        root = leafHash;
        for (uint256 k = 0; k < n; k++) {
            ProofNode memory sib = p.siblings[k];
            uint256 sum;
            unchecked {
                sum = length + sib.length;
            }
            if (sum < length) revert ProofOverflow();
            if ((path >> k) & 1 == 1) {
                // leafStart <= sum: no overflow once `sum` did not overflow.
                unchecked {
                    leafStart += sib.length;
                }
                root = _hashPair(sib.length, sib.hash, length, root);
            } else {
                root = _hashPair(length, root, sib.length, sib.hash);
            }
            length = sum;
        }
        if (length != COIN_SPACE_END) revert WrongTotalLength(length);
    }

    /// @notice Reverts unless `p` proves that `s` lies in a leaf with hash `leafHash` under `root`.
    function verifyLeaf(bytes32 root, Segment memory s, bytes32 leafHash, SumProof memory p)
        internal
        pure
    {
        (bytes32 computed, uint256 start) = computeRoot(p, leafHash);
        if (computed != root) revert RootMismatch();
        // start + leafLength <= 2^160: both are parts of the checked total.
        if (s.start < start || s.end > start + p.leafLength) revert SegmentOutsideLeaf();
    }

    /// @notice Inclusion: `s` lies inside a leaf of transaction `id` in the tree `root`.
    function verifyInclusion(bytes32 root, Segment memory s, bytes32 id, SumProof memory p)
        internal
        pure
    {
        checkSegment(s);
        if (id == bytes32(0)) revert ZeroTxId();
        verifyLeaf(root, s, id, p);
    }

    /// @notice Exclusion: `s` lies inside a gap (zero-hash) leaf of the tree `root`.
    function verifyExclusion(bytes32 root, Segment memory s, SumProof memory p) internal pure {
        checkSegment(s);
        verifyLeaf(root, s, bytes32(0), p);
    }

    /// @dev keccak256(ll ‖ lh ‖ rl ‖ rh), 128 bytes, in scratch memory past the free pointer.
    function _hashPair(uint256 ll, bytes32 lh, uint256 rl, bytes32 rh)
        private
        pure
        returns (bytes32 h)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, ll)
            mstore(add(m, 0x20), lh)
            mstore(add(m, 0x40), rl)
            mstore(add(m, 0x60), rh)
            h := keccak256(m, 0x80)
        }
    }

    // ------------------------------------------------------------------ headers (§7)

    /// @notice What DebyeChain stores for a block: keccak256(abi.encode(header)).
    function headerHash(Types.BlockHeader memory h) internal pure returns (bytes32) {
        return keccak256(abi.encode(h));
    }
}
