// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";

/// @dev The committed artifacts in contracts/artifacts/ are what the Rust side deploys and binds
///      (`sol!(DebyeChain, "../../contracts/artifacts/DebyeChain.json")`). These tests fail when
///      they no longer match what forge compiles from the current sources. Regenerate with
///      `bash script/export-artifacts.sh`; `bash script/check-artifacts.sh` also compares the ABI.
contract ArtifactsTest is Test {
    struct Artifact {
        string name; // contract name, for messages
        string committed; // path of the committed trimmed artifact
        string compiled; // path of forge's own artifact for the same contract
    }

    function _artifacts() internal pure returns (Artifact[5] memory) {
        return [
            Artifact(
                "DebyeChain", "artifacts/DebyeChain.json", "out/DebyeChain.sol/DebyeChain.json"
            ),
            Artifact("TestToken", "artifacts/TestToken.json", "out/TestToken.sol/TestToken.json"),
            Artifact(
                "ForcedInclusion",
                "artifacts/ForcedInclusion.json",
                "out/ForcedInclusion.sol/ForcedInclusion.json"
            ),
            Artifact(
                "ExitVerifier",
                "artifacts/ExitVerifier.json",
                "out/ExitVerifier.sol/ExitVerifier.json"
            ),
            Artifact(
                "ShieldedPool",
                "artifacts/ShieldedPool.json",
                "out/ShieldedPool.sol/ShieldedPool.json"
            )
        ];
    }

    /// @dev Empty string when `json` (a committed artifact) matches the compiled contract, else
    ///      what differs. Shared by the freshness test and the tamper tests, so the tamper tests
    ///      prove that this exact comparison can fail.
    function _staleness(string memory json, Artifact memory a)
        internal
        view
        returns (string memory)
    {
        bytes memory creation = vm.parseJsonBytes(json, ".bytecode.object");
        bytes memory runtime = vm.parseJsonBytes(json, ".deployedBytecode.object");
        string memory compiledPath = string.concat(a.name, ".sol:", a.name);
        if (keccak256(creation) != keccak256(vm.getCode(compiledPath))) {
            return string.concat(a.committed, ": bytecode differs from the compiled contract");
        }
        if (keccak256(runtime) != keccak256(vm.getDeployedCode(compiledPath))) {
            return
                string.concat(a.committed, ": deployedBytecode differs from the compiled contract");
        }
        string memory compiledJson = vm.readFile(a.compiled);
        if (keccak256(_abiSignature(json)) != keccak256(_abiSignature(compiledJson))) {
            return string.concat(a.committed, ": abi differs from the compiled contract");
        }
        return "";
    }

    /// @dev A digest of an artifact's ABI: every entry's type and name, in order.
    function _abiSignature(string memory json) internal view returns (bytes memory sig) {
        for (uint256 i = 0;; i++) {
            string memory entry = string.concat(".abi[", vm.toString(i), "]");
            if (!vm.keyExistsJson(json, entry)) break;
            string memory name = vm.keyExistsJson(json, string.concat(entry, ".name"))
                ? vm.parseJsonString(json, string.concat(entry, ".name"))
                : "";
            sig = abi.encodePacked(
                sig, vm.parseJsonString(json, string.concat(entry, ".type")), ":", name, ";"
            );
        }
    }

    function test_committedArtifactsMatchCompiledContracts() public view {
        Artifact[5] memory all = _artifacts();
        for (uint256 i = 0; i < all.length; i++) {
            string memory json = vm.readFile(all[i].committed);
            string memory problem = _staleness(json, all[i]);
            assertEq(
                problem, "", "stale artifact: run `bash script/export-artifacts.sh` in contracts/"
            );
            // The comparison is not vacuous: the committed code is real, deployable bytecode.
            assertGt(vm.parseJsonBytes(json, ".deployedBytecode.object").length, 1000);
        }
    }

    function test_tamperedBytecodeIsDetected() public view {
        Artifact memory a = _artifacts()[0];
        string memory json = vm.readFile(a.committed);
        bytes memory code = vm.parseJsonBytes(json, ".bytecode.object");
        bytes memory tamperedCode = bytes.concat(code); // a copy
        tamperedCode[tamperedCode.length / 2] ^= 0x01; // one flipped bit
        string memory tampered = vm.replace(json, vm.toString(code), vm.toString(tamperedCode));
        assertNotEq(keccak256(bytes(tampered)), keccak256(bytes(json)), "tampering took effect");
        assertEq(
            _staleness(tampered, a),
            "artifacts/DebyeChain.json: bytecode differs from the compiled contract"
        );
    }

    function test_tamperedDeployedBytecodeIsDetected() public view {
        Artifact memory a = _artifacts()[1];
        string memory json = vm.readFile(a.committed);
        bytes memory code = vm.parseJsonBytes(json, ".deployedBytecode.object");
        // Drop the last byte: a truncated runtime must not pass either.
        bytes memory truncated = new bytes(code.length - 1);
        for (uint256 i = 0; i < truncated.length; i++) {
            truncated[i] = code[i];
        }
        // The runtime code also appears inside the creation code, so replace only the field.
        string memory tampered = vm.replace(
            json,
            string.concat('"deployedBytecode": {\n    "object": "', vm.toString(code)),
            string.concat('"deployedBytecode": {\n    "object": "', vm.toString(truncated))
        );
        assertNotEq(keccak256(bytes(tampered)), keccak256(bytes(json)), "tampering took effect");
        assertEq(
            _staleness(tampered, a),
            "artifacts/TestToken.json: deployedBytecode differs from the compiled contract"
        );
    }

    function test_tamperedAbiIsDetected() public view {
        Artifact memory a = _artifacts()[0];
        string memory json = vm.readFile(a.committed);
        // Rename one function in the committed ABI.
        string memory tampered = vm.replace(json, '"name": "submitBlock"', '"name": "submitBlocks"');
        assertNotEq(keccak256(bytes(tampered)), keccak256(bytes(json)), "tampering took effect");
        assertEq(
            _staleness(tampered, a),
            "artifacts/DebyeChain.json: abi differs from the compiled contract"
        );
    }
}
