// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {ExitLib} from "../src/lib/ExitLib.sol";
import {PrimeLib} from "../src/lib/PrimeLib.sol";

/// @dev Checks ExitLib against test-vectors/primitives/positions.json, written from the spec by
///      gen_positions.py and checked by debye-primitives' `exit` module too: the contract and
///      every Rust client name and rank outputs the same way (docs/exit-game.md §1.2, §1.3, §12.4).
contract ExitVectorsTest is Test {
    string internal json;

    function setUp() public {
        json = vm.readFile(
            string.concat(vm.projectRoot(), "/../test-vectors/primitives/positions.json")
        );
    }

    function _key(string memory list, uint256 i, string memory field)
        internal
        pure
        returns (string memory)
    {
        return string.concat(".", list, "[", vm.toString(i), "].", field);
    }

    function _uint(string memory list, uint256 i, string memory field)
        internal
        view
        returns (uint256)
    {
        return vm.parseUint(vm.parseJsonString(json, _key(list, i, field)));
    }

    function test_positions_match_vectors() public view {
        uint256 n = _count("positions");
        assertGe(n, 10, "the file lost its cases");
        for (uint256 i = 0; i < n; i++) {
            uint256 p = _uint("positions", i, "position");
            bytes32 kind = keccak256(bytes(vm.parseJsonString(json, _key("positions", i, "kind"))));
            uint256 built;
            if (kind == keccak256("deposit")) {
                built = ExitLib.depositPosition(uint64(_uint("positions", i, "childBlock")));
            } else if (kind == keccak256("output")) {
                built = ExitLib.outputPosition(uint64(_uint("positions", i, "childBlock")));
            } else {
                built = ExitLib.forcedPosition(
                    uint64(_uint("positions", i, "index")),
                    _uint("positions", i, "newestInputRank")
                );
            }
            assertEq(built, p, "position");
            assertEq(ExitLib.blockOf(p), _uint("positions", i, "block"), "blockOf");
            assertEq(ExitLib.order(p), _uint("positions", i, "order"), "order");
        }
    }

    function test_refers_to_matches_vectors() public view {
        uint256 n = _count("refersTo");
        assertGe(n, 16, "the file lost its cases");
        for (uint256 i = 0; i < n; i++) {
            PrimeLib.Input memory input;
            input.blockIndex = uint64(_uint("refersTo", i, "blockIndex"));
            input.txIndex = uint32(_uint("refersTo", i, "txIndex"));
            bool expected = vm.parseJsonBool(json, _key("refersTo", i, "refersTo"));
            assertEq(
                ExitLib.refersTo(input, _uint("refersTo", i, "position")), expected, "refersTo"
            );
        }
    }

    /// @dev Length of a JSON array: the first index whose `position` key is absent.
    function _count(string memory list) internal view returns (uint256 n) {
        while (vm.keyExistsJson(json, _key(list, n, "position"))) n++;
    }
}
