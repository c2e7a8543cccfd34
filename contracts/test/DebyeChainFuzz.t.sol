// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {DebyeChain} from "../src/DebyeChain.sol";
import {TestToken} from "../src/test/TestToken.sol";
import {DebyeChainFixture} from "./DebyeChain.t.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";

/// @dev Property tests of coin allocation: whatever the amounts, tokens and depositors, each
///      token's ranges are contiguous from offset 0, never overlap, stay inside the token's id
///      bits, are recorded under their start, and move exactly their amount of funds.
contract DebyeChainFuzzTest is DebyeChainFixture {
    TestToken internal token2;

    function setUp() public override {
        super.setUp();
        token2 = new TestToken("Second", "TWO");
        vm.prank(operator);
        chain.listToken(address(token2)); // id 2
    }

    function _validDepositor(address who) internal view {
        vm.assume(who != address(0) && who != address(chain));
        vm.assume(who != address(token) && who != address(token2));
        vm.assume(who.code.length == 0 && uint160(who) > 0xffff); // EOAs, not precompiles
    }

    function testFuzz_depositEth_singleDeposit(address who, uint256 amount, uint8 blocks) public {
        _validDepositor(who);
        amount = bound(amount, 1, SPACE_MAX);
        for (uint256 i = 0; i < blocks % 4; i++) {
            _submit(i);
        }
        uint64 blockNumber = chain.nextBlock();
        uint256 chainBefore = address(chain).balance;
        vm.deal(who, amount);

        vm.expectEmit(true, true, false, true, address(chain));
        emit IDebyeChain.Deposit(who, 0, 0, amount, blockNumber);
        vm.prank(who);
        (uint256 start, uint256 end) = chain.depositEth{value: amount}();

        assertEq(start, 0);
        assertEq(end, amount);
        assertEq(who.balance, 0);
        assertEq(address(chain).balance, chainBefore + amount);
        assertEq(chain.depositHash(start), keccak256(abi.encode(who, start, end, blockNumber)));
        assertEq(chain.nextOffset(0), amount);
    }

    function testFuzz_depositToken_singleDeposit(address who, uint256 amount, bool second) public {
        _validDepositor(who);
        amount = bound(amount, 1, SPACE_MAX);
        TestToken t = second ? token2 : token;
        uint32 id = chain.tokenIdOf(address(t));
        t.mint(who, amount + 7); // a remainder that must stay with the depositor

        vm.startPrank(who);
        t.approve(address(chain), amount);
        vm.expectEmit(true, true, false, true, address(chain));
        emit IDebyeChain.Deposit(who, id, _coin(id, 0), _coin(id, amount), 1);
        (uint256 start, uint256 end) = chain.depositToken(address(t), amount);
        vm.stopPrank();

        assertEq(start, _coin(id, 0));
        assertEq(end, _coin(id, amount));
        assertEq(t.balanceOf(who), 7);
        assertEq(t.balanceOf(address(chain)), amount);
        assertEq(t.allowance(who, address(chain)), 0);
        assertEq(chain.depositHash(start), keccak256(abi.encode(who, start, end, uint64(1))));
    }

    /// @dev A random sequence of deposits into ETH and two tokens, by random depositors, with
    ///      blocks submitted in between.
    function testFuzz_depositSequence_contiguousAndExact(uint256 seed) public {
        uint256 steps = bound(seed, 1, 24);
        uint256[3] memory cursor; // expected next offset per token id
        uint256[3] memory held; // expected chain balance per token id

        for (uint256 i = 0; i < steps; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // casting to 'uint32' is safe because r % 3 < 3
            // forge-lint: disable-next-line(unsafe-typecast)
            uint32 id = uint32(r % 3);
            address who = address(uint160(uint256(keccak256(abi.encode("depositor", r % 5)))));
            // Mostly small amounts, sometimes huge ones, never past the space's end.
            uint256 room = SPACE_MAX - cursor[id];
            if (room == 0) continue;
            uint256 cap = (r >> 8) % 4 == 0 ? room : (room < 1e24 ? room : 1e24);
            uint256 amount = bound(r >> 16, 1, cap);
            if ((r >> 12) % 3 == 0) _submit(r);
            uint64 blockNumber = chain.nextBlock();

            uint256 start;
            uint256 end;
            if (id == 0) {
                uint256 before = who.balance;
                (start, end) = _depositEth(who, amount);
                assertEq(who.balance, before, "depositor paid exactly amount");
                assertEq(address(chain).balance, held[0] + amount);
            } else {
                TestToken t = id == 1 ? token : token2;
                uint256 before = t.balanceOf(who);
                (start, end) = _depositToken(t, who, amount);
                assertEq(t.balanceOf(who), before, "depositor paid exactly amount");
                assertEq(t.balanceOf(address(chain)), held[id] + amount);
            }
            // Contiguous: starts exactly where the token's previous range ended.
            assertEq(start, _coin(id, cursor[id]), "contiguous");
            assertEq(end - start, amount, "range size");
            assertEq(start >> OFFSET_BITS, id, "start in token space");
            assertEq((end - 1) >> OFFSET_BITS, id, "end in token space");
            assertEq(chain.depositHash(start), keccak256(abi.encode(who, start, end, blockNumber)));
            cursor[id] += amount;
            held[id] += amount;
        }
        for (uint32 id = 0; id < 3; id++) {
            assertEq(chain.nextOffset(id), cursor[id], "cursor");
        }
        assertEq(address(chain).balance, held[0]);
        assertEq(token.balanceOf(address(chain)), held[1]);
        assertEq(token2.balanceOf(address(chain)), held[2]);
    }

    /// @dev Two deposits never overlap, whatever their sizes and tokens.
    function testFuzz_twoDeposits_neverOverlap(uint256 a, uint256 b, bool sameToken) public {
        a = bound(a, 1, SPACE_MAX / 2);
        b = bound(b, 1, SPACE_MAX / 2);
        (uint256 s1, uint256 e1) = _depositToken(token, alice, a);
        (uint256 s2, uint256 e2) =
            sameToken ? _depositToken(token, bob, b) : _depositToken(token2, bob, b);
        assertTrue(e1 <= s2 || e2 <= s1, "ranges overlap");
        if (sameToken) assertEq(s2, e1);
        assertEq(chain.depositHash(s1), keccak256(abi.encode(alice, s1, e1, uint64(1))));
        assertEq(chain.depositHash(s2), keccak256(abi.encode(bob, s2, e2, uint64(1))));
    }

    /// @dev Any header extends the chain exactly when its number and parent are right.
    function testFuzz_submitBlock_acceptsOnlyTheNextLink(
        uint64 number,
        bytes32 prevHash,
        bytes32 txRoot,
        bytes32 accumulator,
        bytes32 noteRoot,
        bool rightNumber,
        bool rightParent
    ) public {
        bytes32 first = _submit(1);
        // Steer half the runs onto the right values, which random words would never hit.
        if (rightNumber) number = 2;
        if (rightParent) prevHash = first;
        Types.BlockHeader memory header = Types.BlockHeader({
            number: number,
            prevHash: prevHash,
            txRoot: txRoot,
            accumulator: accumulator,
            noteRoot: noteRoot,
            noteCount: 0,
            entriesRoot: bytes32(0),
            entryCount: 0,
            depositCursor: 0,
            exitCursor: 0,
            timestamp: uint64(block.timestamp)
        });
        vm.prank(operator);
        if (number != 2) {
            vm.expectRevert(
                abi.encodeWithSelector(IDebyeChain.WrongBlockNumber.selector, 2, number)
            );
        } else if (prevHash != first) {
            vm.expectRevert(
                abi.encodeWithSelector(IDebyeChain.WrongPrevHash.selector, first, prevHash)
            );
        }
        chain.submitBlock(header);
        if (number == 2 && prevHash == first) {
            assertEq(chain.blockHash(2), keccak256(abi.encode(header)));
            assertEq(chain.nextBlock(), 3);
        } else {
            assertEq(chain.blockHash(2), bytes32(0));
            assertEq(chain.nextBlock(), 2);
        }
    }
}
