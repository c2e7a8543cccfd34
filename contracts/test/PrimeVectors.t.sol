// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test, console} from "forge-std/Test.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";
import {DebyeChain} from "../src/DebyeChain.sol";
import {Types} from "../src/lib/Types.sol";

/// @dev External entry points over PrimeLib so that the tests can catch reverts, and so that the
///      gas test measures what an L1 call pays (calldata decoding included).
contract PrimeHarness {
    function verifySigned(bytes calldata encoded, bytes32 domainSep)
        external
        pure
        returns (bytes32)
    {
        PrimeLib.SignedTransaction memory stx = abi.decode(encoded, (PrimeLib.SignedTransaction));
        return PrimeLib.verifySignedTransaction(stx, domainSep);
    }

    function hashes(bytes calldata encodedTx, bytes32 domainSep)
        external
        pure
        returns (bytes32 id, bytes32 structHash, address[] memory owners)
    {
        PrimeLib.Transaction memory t = abi.decode(encodedTx, (PrimeLib.Transaction));
        return (PrimeLib.txId(t, domainSep), PrimeLib.hashTransaction(t), PrimeLib.validate(t));
    }

    function checkExpiry(bytes calldata encodedTx, uint64 blockNumber) external pure {
        PrimeLib.checkNotExpired(abi.decode(encodedTx, (PrimeLib.Transaction)), blockNumber);
    }

    function verifyProof(
        bool inclusion,
        bytes32 root,
        PrimeLib.Segment calldata s,
        bytes32 id,
        bytes calldata encodedProof
    ) external pure {
        PrimeLib.SumProof memory p = abi.decode(encodedProof, (PrimeLib.SumProof));
        if (inclusion) PrimeLib.verifyInclusion(root, s, id, p);
        else PrimeLib.verifyExclusion(root, s, p);
    }

    /// @dev The shape an exit-game function would have: the proof as a calldata struct.
    function verifyInclusion(
        bytes32 root,
        PrimeLib.Segment calldata s,
        bytes32 id,
        PrimeLib.SumProof calldata p
    ) external pure {
        PrimeLib.verifyInclusion(root, s, id, p);
    }
}

/// @dev Checks PrimeLib against the committed vectors in test-vectors/primitives (generated and
///      checked by the Rust crate, cross-checked with viem): every valid case is accepted with
///      the committed digest, every malformed case is rejected with the committed error.
contract PrimeVectorsTest is Test {
    PrimeHarness internal h;
    string internal txs;
    string internal trees;
    string internal headers;

    function setUp() public {
        h = new PrimeHarness();
        string memory dir = string.concat(vm.projectRoot(), "/../test-vectors/primitives/");
        txs = vm.readFile(string.concat(dir, "transactions.json"));
        trees = vm.readFile(string.concat(dir, "trees.json"));
        headers = vm.readFile(string.concat(dir, "headers.json"));
    }

    // ------------------------------------------------------------------ helpers

    function _at(string memory base, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(base, "[", vm.toString(i), "]", field);
    }

    function _domainSep() internal view returns (bytes32) {
        return PrimeLib.domainSeparator(
            vm.parseJsonUint(txs, ".domain.chainId"),
            vm.parseJsonAddress(txs, ".domain.verifyingContract")
        );
    }

    /// @dev Selector of the PrimeLib error named `code` (the Rust `Error::code()`).
    function _selector(string memory code) internal pure returns (bytes4) {
        bytes32 c = keccak256(bytes(code));
        if (c == keccak256("EmptySegment")) return PrimeLib.EmptySegment.selector;
        if (c == keccak256("SegmentOutOfSpace")) return PrimeLib.SegmentOutOfSpace.selector;
        if (c == keccak256("SegmentCrossesToken")) return PrimeLib.SegmentCrossesToken.selector;
        if (c == keccak256("NoInputs")) return PrimeLib.NoInputs.selector;
        if (c == keccak256("TooManyInputs")) return PrimeLib.TooManyInputs.selector;
        if (c == keccak256("NoOutputs")) return PrimeLib.NoOutputs.selector;
        if (c == keccak256("TooManyOutputs")) return PrimeLib.TooManyOutputs.selector;
        if (c == keccak256("ZeroOwner")) return PrimeLib.ZeroOwner.selector;
        if (c == keccak256("InvalidOutputIndex")) return PrimeLib.InvalidOutputIndex.selector;
        if (c == keccak256("OverlappingInputs")) return PrimeLib.OverlappingInputs.selector;
        if (c == keccak256("OverlappingOutputs")) return PrimeLib.OverlappingOutputs.selector;
        if (c == keccak256("UnionMismatch")) return PrimeLib.UnionMismatch.selector;
        if (c == keccak256("TooManyOwners")) return PrimeLib.TooManyOwners.selector;
        if (c == keccak256("SignatureCount")) return PrimeLib.SignatureCount.selector;
        if (c == keccak256("InvalidSignatureEncoding")) {
            return PrimeLib.InvalidSignatureEncoding.selector;
        }
        if (c == keccak256("HighS")) return PrimeLib.HighS.selector;
        if (c == keccak256("InvalidSignature")) return PrimeLib.InvalidSignature.selector;
        if (c == keccak256("WrongSigner")) return PrimeLib.WrongSigner.selector;
        if (c == keccak256("TxExpired")) return PrimeLib.TxExpired.selector;
        if (c == keccak256("ZeroTxId")) return PrimeLib.ZeroTxId.selector;
        if (c == keccak256("ProofTooLong")) return PrimeLib.ProofTooLong.selector;
        if (c == keccak256("NonCanonicalPath")) return PrimeLib.NonCanonicalPath.selector;
        if (c == keccak256("ProofOverflow")) return PrimeLib.ProofOverflow.selector;
        if (c == keccak256("WrongTotalLength")) return PrimeLib.WrongTotalLength.selector;
        if (c == keccak256("RootMismatch")) return PrimeLib.RootMismatch.selector;
        if (c == keccak256("SegmentOutsideLeaf")) return PrimeLib.SegmentOutsideLeaf.selector;
        revert(string.concat("no PrimeLib error named ", code));
    }

    /// @dev "" when the call succeeded, else the first 4 bytes of the revert data.
    function _outcome(bool ok, bytes memory reason) internal pure returns (bytes4) {
        if (ok) return bytes4(0);
        if (reason.length < 4) return bytes4(0xffffffff);
        // casting to 'bytes4' is safe because it keeps the selector, the first 4 bytes, by design
        // forge-lint: disable-next-line(unsafe-typecast)
        return bytes4(reason);
    }

    function _expectedError(string memory json, string memory key) internal view returns (bytes4) {
        // A case that must pass has `"error": null`, which forge reads back as "null".
        if (!vm.keyExistsJson(json, key)) return bytes4(0);
        string memory code = vm.parseJsonString(json, key);
        return keccak256(bytes(code)) == keccak256("null") ? bytes4(0) : _selector(code);
    }

    function _segment(string memory json, string memory key)
        internal
        pure
        returns (PrimeLib.Segment memory)
    {
        return PrimeLib.Segment(
            vm.parseJsonUint(json, string.concat(key, ".start")),
            vm.parseJsonUint(json, string.concat(key, ".end"))
        );
    }

    function _proofOutcome(string memory json, string memory base, bytes32 root)
        internal
        view
        returns (bytes4)
    {
        bool inclusion = keccak256(bytes(vm.parseJsonString(json, string.concat(base, ".kind"))))
            == keccak256("inclusion");
        try h.verifyProof(
            inclusion,
            root,
            _segment(json, string.concat(base, ".segment")),
            vm.parseJsonBytes32(json, string.concat(base, ".txId")),
            vm.parseJsonBytes(json, string.concat(base, ".encoded"))
        ) {
            return bytes4(0);
        } catch (bytes memory reason) {
            return _outcome(false, reason);
        }
    }

    // ------------------------------------------------------------------ transactions.json

    function test_typeHashesAndDomain() public view {
        assertEq(PrimeLib.SEGMENT_TYPEHASH, vm.parseJsonBytes32(txs, ".types.Segment.typeHash"));
        assertEq(PrimeLib.INPUT_TYPEHASH, vm.parseJsonBytes32(txs, ".types.Input.typeHash"));
        assertEq(PrimeLib.OUTPUT_TYPEHASH, vm.parseJsonBytes32(txs, ".types.Output.typeHash"));
        assertEq(
            PrimeLib.TRANSACTION_TYPEHASH, vm.parseJsonBytes32(txs, ".types.Transaction.typeHash")
        );
        assertEq(PrimeLib.DOMAIN_TYPEHASH, vm.parseJsonBytes32(txs, ".types.EIP712Domain.typeHash"));
        assertEq(_domainSep(), vm.parseJsonBytes32(txs, ".domainSeparator"));
        assertEq(vm.parseJsonString(txs, ".domain.name"), "Debye");
        assertEq(vm.parseJsonString(txs, ".domain.version"), "1");
    }

    function test_validTransactions() public view {
        bytes32 ds = _domainSep();
        uint256 n;
        for (; vm.keyExistsJson(txs, _at(".valid", n, "")); n++) {
            string memory name = vm.parseJsonString(txs, _at(".valid", n, ".name"));
            bytes32 id = vm.parseJsonBytes32(txs, _at(".valid", n, ".txId"));
            assertEq(
                h.verifySigned(vm.parseJsonBytes(txs, _at(".valid", n, ".encoded")), ds), id, name
            );
            (bytes32 id2, bytes32 structHash, address[] memory owners) =
                h.hashes(vm.parseJsonBytes(txs, _at(".valid", n, ".encodedTransaction")), ds);
            assertEq(id2, id, name);
            assertEq(structHash, vm.parseJsonBytes32(txs, _at(".valid", n, ".structHash")), name);
            address[] memory signers = vm.parseJsonAddressArray(txs, _at(".valid", n, ".signers"));
            assertEq(owners, signers, name);
        }
        assertGe(n, 8);
    }

    function test_invalidTransactions() public view {
        bytes32 ds = _domainSep();
        uint256 n;
        for (; vm.keyExistsJson(txs, _at(".invalid", n, "")); n++) {
            string memory name = vm.parseJsonString(txs, _at(".invalid", n, ".name"));
            bytes4 want = _selector(vm.parseJsonString(txs, _at(".invalid", n, ".error")));
            bytes4 got;
            try h.verifySigned(vm.parseJsonBytes(txs, _at(".invalid", n, ".encoded")), ds) {
                got = bytes4(0);
            } catch (bytes memory reason) {
                got = _outcome(false, reason);
            }
            assertEq(got, want, name);
        }
        assertGe(n, 30);
    }

    function test_expiry() public view {
        uint256 n;
        for (; vm.keyExistsJson(txs, _at(".expiry", n, "")); n++) {
            bytes4 want = _expectedError(txs, _at(".expiry", n, ".error"));
            bytes4 got;
            try h.checkExpiry(
                vm.parseJsonBytes(txs, _at(".expiry", n, ".encodedTransaction")),
                uint64(vm.parseJsonUint(txs, _at(".expiry", n, ".block")))
            ) {
                got = bytes4(0);
            } catch (bytes memory reason) {
                got = _outcome(false, reason);
            }
            assertEq(got, want, vm.toString(n));
        }
        assertEq(n, 3);
    }

    // ------------------------------------------------------------------ trees.json

    function test_treeProofs() public view {
        uint256 checked;
        for (uint256 t; vm.keyExistsJson(trees, _at(".trees", t, "")); t++) {
            string memory name = vm.parseJsonString(trees, _at(".trees", t, ".name"));
            bytes32 root = vm.parseJsonBytes32(trees, _at(".trees", t, ".root"));
            string memory proofs = _at(".trees", t, ".proofs");
            for (uint256 p; vm.keyExistsJson(trees, _at(proofs, p, "")); p++) {
                assertEq(_proofOutcome(trees, _at(proofs, p, ""), root), bytes4(0), name);
                checked++;
            }
        }
        assertGe(checked, 40);
    }

    function test_malformedProofs() public view {
        uint256 n;
        for (; vm.keyExistsJson(trees, _at(".malformed", n, "")); n++) {
            string memory base = _at(".malformed", n, "");
            bytes4 want = _expectedError(trees, string.concat(base, ".error"));
            bytes32 root = vm.parseJsonBytes32(trees, string.concat(base, ".root"));
            assertEq(
                _proofOutcome(trees, base, root),
                want,
                vm.parseJsonString(trees, string.concat(base, ".name"))
            );
        }
        assertGe(n, 20);
    }

    /// @dev Gas of one inclusion proof in a 2^16-leaf tree (16 siblings): the library call on a
    ///      decoded proof, and a whole external call with the proof as a calldata struct.
    function test_gasInclusionProof65536Leaves() public {
        assertEq(vm.parseJsonUint(trees, ".gas.leaves"), 65536);
        bytes32 root = vm.parseJsonBytes32(trees, ".gas.root");
        PrimeLib.Segment memory s = _segment(trees, ".gas.segment");
        bytes32 id = vm.parseJsonBytes32(trees, ".gas.txId");
        PrimeLib.SumProof memory p =
            abi.decode(vm.parseJsonBytes(trees, ".gas.encoded"), (PrimeLib.SumProof));
        assertEq(p.siblings.length, 16);

        uint256 before = gasleft();
        PrimeLib.verifyInclusion(root, s, id, p);
        uint256 libGas = before - gasleft();

        before = gasleft();
        h.verifyInclusion(root, s, id, p);
        uint256 callGas = before - gasleft();

        console.log("PrimeLib.verifyInclusion, 2^16 leaves, library call gas:", libGas);
        console.log("PrimeLib.verifyInclusion, 2^16 leaves, external call gas:", callGas);
        assertLe(libGas, 30_000);
        assertLe(callGas, 30_000);
    }

    /// @dev Gas of the full stateless check of a signed transaction (segments, rules, ecrecover)
    ///      for the 2-owner atomic swap and the maximal 16-input/16-output vector.
    function test_gasVerifySignedTransaction() public view {
        bytes32 ds = _domainSep();
        string[2] memory names = ["atomic-swap-eth-for-token", "max-inputs-and-outputs"];
        uint256[2] memory limits = [uint256(40_000), uint256(250_000)];
        for (uint256 k = 0; k < 2; k++) {
            uint256 n;
            while (
                keccak256(bytes(vm.parseJsonString(txs, _at(".valid", n, ".name"))))
                    != keccak256(bytes(names[k]))
            ) {
                n++;
            }
            PrimeLib.SignedTransaction memory stx = abi.decode(
                vm.parseJsonBytes(txs, _at(".valid", n, ".encoded")), (PrimeLib.SignedTransaction)
            );
            uint256 before = gasleft();
            bytes32 id = PrimeLib.verifySignedTransaction(stx, ds);
            uint256 used = before - gasleft();
            console.log(
                string.concat("PrimeLib.verifySignedTransaction gas, ", names[k], ":"), used
            );
            assertEq(id, vm.parseJsonBytes32(txs, _at(".valid", n, ".txId")));
            assertLe(used, limits[k]);
        }
    }

    /// @dev Any single bit flipped in the gas case's proof encoding makes it fail (decode or
    ///      verify), never pass.
    /// forge-config: default.fuzz.runs = 256
    function testFuzz_flippedProofBitFails(uint256 bit) public view {
        bytes32 root = vm.parseJsonBytes32(trees, ".gas.root");
        bytes memory enc = vm.parseJsonBytes(trees, ".gas.encoded");
        // Skip the first 32 bytes (outer offset, some of whose high bits Solidity's decoder ignores
        // only while in bounds); flip within the proof body.
        bit = bound(bit, 256, enc.length * 8 - 1);
        // a single-bit mask: 1 shifted left by the bit's position in its byte (lint false positive)
        // forge-lint: disable-next-line(incorrect-shift)
        enc[bit / 8] = enc[bit / 8] ^ bytes1(uint8(1 << (7 - (bit % 8))));
        try h.verifyProof(
            true,
            root,
            _segment(trees, ".gas.segment"),
            vm.parseJsonBytes32(trees, ".gas.txId"),
            enc
        ) {
            revert("tampered proof verified");
        } catch {}
    }

    // ------------------------------------------------------------------ headers.json

    /// @dev The vector file may still carry the five-field header of formats.md §7 (before the
    ///      Rust side moves to docs/shielded.md §2.1): those are checked word for word as the
    ///      legacy encoding; vectors with the eleven fields are checked against `Types.BlockHeader`.
    function test_headers() public view {
        bytes32 prev;
        uint256 n;
        for (; vm.keyExistsJson(headers, _at(".headers", n, "")); n++) {
            string memory b = _at(".headers", n, ".header");
            bytes32 want = vm.parseJsonBytes32(headers, _at(".headers", n, ".hash"));
            bytes memory encoded = vm.parseJsonBytes(headers, _at(".headers", n, ".encoded"));
            uint64 number = uint64(vm.parseJsonUint(headers, string.concat(b, ".number")));
            bytes32 prevHash = vm.parseJsonBytes32(headers, string.concat(b, ".prevHash"));
            if (vm.keyExistsJson(headers, string.concat(b, ".timestamp"))) {
                Types.BlockHeader memory x = _header11(b, number, prevHash);
                assertEq(abi.encode(x), encoded);
                assertEq(PrimeLib.headerHash(x), want);
                assertEq(keccak256(abi.encode(x)), want);
            } else {
                bytes memory legacy = abi.encode(
                    number,
                    prevHash,
                    vm.parseJsonBytes32(headers, string.concat(b, ".txRoot")),
                    vm.parseJsonBytes32(headers, string.concat(b, ".accumulator")),
                    vm.parseJsonBytes32(headers, string.concat(b, ".noteRoot"))
                );
                assertEq(legacy, encoded);
                assertEq(keccak256(legacy), want);
            }
            assertEq(prevHash, prev);
            assertEq(number, n + 1);
            prev = want;
        }
        assertEq(n, 3);
    }

    function _header11(string memory b, uint64 number, bytes32 prevHash)
        internal
        view
        returns (Types.BlockHeader memory x)
    {
        x.number = number;
        x.prevHash = prevHash;
        x.txRoot = vm.parseJsonBytes32(headers, string.concat(b, ".txRoot"));
        x.accumulator = vm.parseJsonBytes32(headers, string.concat(b, ".accumulator"));
        x.noteRoot = vm.parseJsonBytes32(headers, string.concat(b, ".noteRoot"));
        x.noteCount = uint64(vm.parseJsonUint(headers, string.concat(b, ".noteCount")));
        x.entriesRoot = vm.parseJsonBytes32(headers, string.concat(b, ".entriesRoot"));
        x.entryCount = uint32(vm.parseJsonUint(headers, string.concat(b, ".entryCount")));
        x.depositCursor = uint32(vm.parseJsonUint(headers, string.concat(b, ".depositCursor")));
        x.exitCursor = uint32(vm.parseJsonUint(headers, string.concat(b, ".exitCursor")));
        x.timestamp = uint64(vm.parseJsonUint(headers, string.concat(b, ".timestamp")));
    }
}
