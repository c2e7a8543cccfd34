// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {JoinSplitVerifier} from "../src/verifier/JoinSplitVerifier.sol";
import {PoseidonT3} from "../src/shielded/PoseidonT3.sol";
import {PoseidonT4} from "../src/shielded/PoseidonT4.sol";
import {IShieldedPool} from "../src/interfaces/IShieldedPool.sol";

/// @dev test-vectors/zk/pool_fixture.json (crates/zk tests/it/pool_fixture.rs; schema in
///      test-vectors/zk/README.md) checked with the L1 pieces the ShieldedPool is built from:
///      the deposit commitment and root with the Solidity Poseidon, extDataHash with abi.encode,
///      and both proofs with the generated verifier.
contract PoolFixtureTest is Test {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    string internal constant FIXTURE = "../test-vectors/zk/pool_fixture.json";

    JoinSplitVerifier internal verifier;
    string internal json;

    function setUp() public {
        verifier = new JoinSplitVerifier();
        json = vm.readFile(FIXTURE);
    }

    function _words(string memory key) internal view returns (uint256[8] memory out) {
        uint256[] memory w = vm.parseJsonUintArray(json, key);
        assertEq(w.length, 8, key);
        for (uint256 i = 0; i < 8; i++) {
            out[i] = w[i];
        }
    }

    function _ext(string memory entry) internal view returns (IShieldedPool.ExtData memory e) {
        string memory k = string.concat(".", entry, ".ext.");
        e.kind = uint8(vm.parseJsonUint(json, string.concat(k, "kind")));
        e.recipient = vm.parseJsonAddress(json, string.concat(k, "recipient"));
        e.feeRecipient = vm.parseJsonAddress(json, string.concat(k, "feeRecipient"));
        e.fee = uint64(vm.parseJsonUint(json, string.concat(k, "fee")));
        e.expiry = uint64(vm.parseJsonUint(json, string.concat(k, "expiry")));
        e.chainId = uint64(vm.parseJsonUint(json, string.concat(k, "chainId")));
        e.anchor = vm.parseJsonAddress(json, string.concat(k, "anchor"));
        e.policy = uint32(vm.parseJsonUint(json, string.concat(k, "policy")));
        e.nonce = vm.parseJsonBytes32(json, string.concat(k, "nonce"));
        e.ctHash0 = vm.parseJsonBytes32(json, string.concat(k, "ctHash0"));
        e.ctHash1 = vm.parseJsonBytes32(json, string.concat(k, "ctHash1"));
    }

    function _checkEntry(string memory entry) internal view returns (uint256[8] memory input) {
        input = _words(string.concat(".", entry, ".public_inputs"));
        uint256[8] memory proof = _words(string.concat(".", entry, ".proof"));
        assertTrue(verifier.verifyProof(proof, input), string.concat(entry, ": proof rejected"));
        IShieldedPool.ExtData memory e = _ext(entry);
        bytes32 tag = vm.parseJsonBytes32(json, ".constants.ext_tag");
        assertEq(tag, keccak256("debye/shielded/v1/ext-data"), "EXT_TAG");
        assertEq(
            abi.encode(e),
            vm.parseJsonBytes(json, string.concat(".", entry, ".ext_encoded")),
            string.concat(entry, ": ext encoding")
        );
        uint256 extHash = uint256(keccak256(abi.encode(tag, e))) % R;
        assertEq(extHash, input[7], string.concat(entry, ": extDataHash"));
        assertEq(input[0], vm.parseJsonUint(json, ".tree.root"), string.concat(entry, ": root"));
        assertEq(e.chainId, 31337);
        assertEq(e.anchor, 0x00000000000000000000000000000000DEb1e001);
        assertEq(e.policy, 1);
        assertEq(e.expiry, 2000000000);
    }

    function test_depositCommitmentAndRoot() public view {
        uint256 ownerPart = vm.parseJsonUint(json, ".deposit.owner_part");
        uint256 amount = vm.parseJsonUint(json, ".deposit.amount");
        uint256 cm = PoseidonT4.hash([ownerPart, 0, amount]);
        assertEq(cm, vm.parseJsonUint(json, ".deposit.commitment"), "deposit cm");
        assertEq(PoseidonT4.hash([uint256(0), 0, 0]), vm.parseJsonUint(json, ".constants.cm_zero"));
        // Depth-40 root of [cm, 0]: the pair hashes to one node, then empty subtrees to the top.
        uint256 node = PoseidonT3.hash([cm, 0]);
        uint256 zero = PoseidonT3.hash([uint256(0), 0]);
        for (uint256 level = 1; level < 40; level++) {
            node = PoseidonT3.hash([node, zero]);
            zero = PoseidonT3.hash([zero, zero]);
        }
        assertEq(node, vm.parseJsonUint(json, ".tree.root"), "root");
        assertEq(
            vm.parseJsonBytes32(json, ".verifying_key_sha256"),
            verifier.VERIFYING_KEY_HASH(),
            "fixture proven under another key"
        );
    }

    function test_exit() public view {
        uint256[8] memory input = _checkEntry("exit");
        IShieldedPool.ExtData memory e = _ext("exit");
        assertEq(e.kind, 3);
        assertEq(e.recipient, 0x000000000000000000000000000000000000bEEF);
        assertEq(e.feeRecipient, 0x000000000000000000000000000000000000FEE0);
        assertEq(e.fee, 10);
        assertEq(e.ctHash0, bytes32(0));
        assertEq(input[5], R - 1000, "publicAmount = r - 1000");
        assertEq(input[6], 0, "token ETH");
        uint256 cmZero = vm.parseJsonUint(json, ".constants.cm_zero");
        assertEq(input[3], cmZero);
        assertEq(input[4], cmZero);
    }

    function test_transfer() public view {
        uint256[8] memory input = _checkEntry("transfer");
        IShieldedPool.ExtData memory e = _ext("transfer");
        assertEq(e.kind, 2);
        assertEq(e.recipient, address(0));
        assertEq(e.fee, 0);
        assertEq(input[5], 0, "publicAmount = 0");
        assertEq(keccak256(vm.parseJsonBytes(json, ".transfer.ciphertexts[0]")), e.ctHash0);
        assertEq(keccak256(vm.parseJsonBytes(json, ".transfer.ciphertexts[1]")), e.ctHash1);
        assertEq(vm.parseJsonBytes(json, ".transfer.ciphertexts[0]").length, 123);
        for (uint256 i = 0; i < 2; i++) {
            string memory k = string.concat(".transfer.outputs[", vm.toString(i), "].");
            uint256 cm = PoseidonT4.hash(
                [
                    vm.parseJsonUint(json, string.concat(k, "owner_part")),
                    vm.parseJsonUint(json, string.concat(k, "token")),
                    vm.parseJsonUint(json, string.concat(k, "amount"))
                ]
            );
            assertEq(cm, input[3 + i], "output commitment");
        }
        // Both entries spend the deposit: the same nullifier.
        assertEq(input[1], _words(".exit.public_inputs")[1]);
    }
}
