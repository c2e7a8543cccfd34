// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {DebyeChain} from "../src/DebyeChain.sol";
import {ExitVerifier} from "../src/exit/ExitVerifier.sol";
import {TestToken} from "../src/test/TestToken.sol";
import {ReentrantToken, FeeOnTransferToken} from "./adversarial/ReentrantToken.sol";
import {Types} from "../src/lib/Types.sol";
import {IDebyeChain} from "../src/interfaces/IDebyeChain.sol";
import {StubDeploy, StubPool} from "./helpers/StubPool.sol";

/// @dev Shared fixture: a chain with one listed TestToken (id 1).
abstract contract DebyeChainFixture is Test {
    uint256 internal constant OFFSET_BITS = 128;
    uint256 internal constant SPACE_MAX = type(uint128).max; // last usable offset + 1

    address internal operator = makeAddr("operator");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    DebyeChain internal chain;
    TestToken internal token;

    function setUp() public virtual {
        (chain,) = StubDeploy.deploy(operator, 0, 0);
        token = new TestToken("Test Token", "TEST");
        vm.prank(operator);
        chain.listToken(address(token));
    }

    /// @dev A header stamped now, its shielded cursors where the chain word has them.
    function _header(uint64 number, bytes32 prevHash, uint256 salt)
        internal
        view
        returns (Types.BlockHeader memory)
    {
        uint256 w = chain.chainWord();
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 depositCursor = uint32(w >> 104);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 exitCursor = uint32(w >> 136);
        return Types.BlockHeader({
            number: number,
            prevHash: prevHash,
            txRoot: keccak256(abi.encode("tx", salt)),
            accumulator: keccak256(abi.encode("acc", salt)),
            noteRoot: keccak256(abi.encode("note", salt)),
            // forge-lint: disable-next-line(unsafe-typecast)
            noteCount: uint64(uint32(salt)) * 2,
            entriesRoot: keccak256(abi.encode("entries", salt)),
            // forge-lint: disable-next-line(unsafe-typecast)
            entryCount: uint32(salt),
            depositCursor: depositCursor,
            exitCursor: exitCursor,
            timestamp: uint64(block.timestamp)
        });
    }

    function _submit(uint256 salt) internal returns (bytes32 headerHash) {
        uint64 number = chain.nextBlock();
        Types.BlockHeader memory header = _header(number, chain.blockHash(number - 1), salt);
        vm.prank(operator);
        chain.submitBlock(header);
        return chain.blockHash(number);
    }

    function _depositEth(address who, uint256 amount)
        internal
        returns (uint256 start, uint256 end)
    {
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        return chain.depositEth{value: amount}();
    }

    function _depositToken(TestToken t, address who, uint256 amount)
        internal
        returns (uint256 start, uint256 end)
    {
        t.mint(who, amount);
        vm.startPrank(who);
        t.approve(address(chain), amount);
        (start, end) = chain.depositToken(address(t), amount);
        vm.stopPrank();
    }

    function _coin(uint32 tokenId, uint256 offset) internal pure returns (uint256) {
        return (uint256(tokenId) << OFFSET_BITS) | offset;
    }
}

contract DebyeChainTest is DebyeChainFixture {
    // ---------------------------------------------------------------- construction & listing

    function test_constructor_setsOperatorAndPrelistsEth() public {
        (DebyeChain fresh,) = StubDeploy.deploy(bob, 0, 0);
        assertEq(fresh.operator(), bob);
        assertEq(fresh.nextBlock(), 1);
        assertEq(fresh.tokenIdOf(address(0)), 0);
        assertEq(fresh.tokenAddress(0), address(0));
        assertEq(fresh.tokenCount(), 1);
        assertEq(fresh.nextOffset(0), 0);
        assertEq(fresh.blockHash(0), bytes32(0));
    }

    function test_constructor_emitsEthListing() public {
        vm.expectEmit(true, true, false, false);
        emit IDebyeChain.TokenListed(address(0), 0);
        StubDeploy.deploy(bob, 0, 0);
    }

    function test_listToken_countsUpFromOne() public {
        TestToken second = new TestToken("Second", "TWO");
        TestToken third = new TestToken("Third", "THREE");
        vm.startPrank(operator);
        vm.expectEmit(true, true, false, false, address(chain));
        emit IDebyeChain.TokenListed(address(second), 2);
        assertEq(chain.listToken(address(second)), 2);
        assertEq(chain.listToken(address(third)), 3);
        vm.stopPrank();
        assertEq(chain.tokenIdOf(address(token)), 1);
        assertEq(chain.tokenIdOf(address(second)), 2);
        assertEq(chain.tokenIdOf(address(third)), 3);
        assertEq(chain.tokenAddress(1), address(token));
        assertEq(chain.tokenAddress(3), address(third));
        assertEq(chain.tokenCount(), 4);
    }

    function test_listToken_revertsForNonOperator() public {
        vm.prank(alice);
        vm.expectRevert(IDebyeChain.NotOperator.selector);
        chain.listToken(makeAddr("other"));
    }

    function test_listToken_revertsWhenAlreadyListed() public {
        vm.startPrank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.TokenAlreadyListed.selector, address(token))
        );
        chain.listToken(address(token));
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.TokenAlreadyListed.selector, address(0)));
        chain.listToken(address(0));
        vm.stopPrank();
    }

    function test_listToken_revertsWhenIdsRunOut() public {
        // Handing out 2^32 ids is out of reach of a test, so we set the counter in slot 1
        // (layout: slot 0 the chain word, slot 1 `_tokenCount` uint32 in bytes [0,4)).
        // The first assertions prove the layout assumption before relying on it.
        assertEq(uint256(vm.load(address(chain), bytes32(0))), 1, "slot 0 = chain word, block 1");
        assertEq(uint256(vm.load(address(chain), bytes32(uint256(1)))), 2, "slot 1 = tokenCount");
        uint256 almostFull = uint256(type(uint32).max - 1);
        vm.store(address(chain), bytes32(uint256(1)), bytes32(almostFull));
        assertEq(chain.tokenCount(), type(uint32).max - 1);

        vm.startPrank(operator);
        assertEq(chain.listToken(makeAddr("last")), type(uint32).max - 1);
        vm.expectRevert(IDebyeChain.TooManyTokens.selector);
        chain.listToken(makeAddr("one too many"));
        vm.stopPrank();
        assertEq(chain.tokenCount(), type(uint32).max);
    }

    function test_tokenIdOf_revertsForUnknownToken() public {
        address unknown = makeAddr("unknown");
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownToken.selector, unknown));
        chain.tokenIdOf(unknown);
    }

    function test_tokenAddress_and_nextOffset_revertForUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownTokenId.selector, uint32(2)));
        chain.tokenAddress(2);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownTokenId.selector, uint32(7)));
        chain.nextOffset(7);
    }

    // ---------------------------------------------------------------- blocks

    function test_submitBlock_storesHeaderHashAndEmits() public {
        Types.BlockHeader memory header = _header(1, bytes32(0), 42);
        bytes32 expected = keccak256(
            abi.encode(
                header.number,
                header.prevHash,
                header.txRoot,
                header.accumulator,
                header.noteRoot,
                header.noteCount,
                header.entriesRoot,
                header.entryCount,
                header.depositCursor,
                header.exitCursor,
                header.timestamp
            )
        );
        assertEq(abi.encode(header).length, 352, "11 words (docs/shielded.md S-2.1)");
        vm.expectEmit(true, false, false, true, address(chain));
        emit IDebyeChain.BlockSubmitted(1, expected, header);
        vm.prank(operator);
        chain.submitBlock(header);
        assertEq(chain.blockHash(1), expected);
        assertEq(chain.nextBlock(), 2);
    }

    function test_submitBlock_chainsHeaders() public {
        bytes32 previous = bytes32(0);
        for (uint64 i = 1; i <= 5; i++) {
            Types.BlockHeader memory header = _header(i, previous, i);
            vm.prank(operator);
            chain.submitBlock(header);
            previous = keccak256(abi.encode(header));
            assertEq(chain.blockHash(i), previous);
        }
        assertEq(chain.nextBlock(), 6);
        assertEq(chain.blockHash(6), bytes32(0));
    }

    function test_submitBlock_revertsForNonOperator() public {
        Types.BlockHeader memory header = _header(1, bytes32(0), 1);
        vm.prank(alice);
        vm.expectRevert(IDebyeChain.NotOperator.selector);
        chain.submitBlock(header);
    }

    function test_submitBlock_revertsForWrongNumber() public {
        Types.BlockHeader memory h2 = _header(2, bytes32(0), 1);
        Types.BlockHeader memory h0 = _header(0, bytes32(0), 1);
        vm.startPrank(operator);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.WrongBlockNumber.selector, 1, 2));
        chain.submitBlock(h2);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.WrongBlockNumber.selector, 1, 0));
        chain.submitBlock(h0);
        vm.stopPrank();

        bytes32 first = _submit(1);
        // Replaying block 1 (rewriting history) is refused.
        Types.BlockHeader memory h1 = _header(1, bytes32(0), 2);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.WrongBlockNumber.selector, 2, 1));
        chain.submitBlock(h1);
        assertEq(chain.blockHash(1), first);
    }

    function test_submitBlock_revertsForWrongPrevHash() public {
        bytes32 bogus = keccak256("bogus");
        Types.BlockHeader memory h = _header(1, bogus, 1);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.WrongPrevHash.selector, bytes32(0), bogus)
        );
        chain.submitBlock(h);

        bytes32 first = _submit(1);
        h = _header(2, bytes32(0), 2);
        vm.prank(operator);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.WrongPrevHash.selector, first, bytes32(0))
        );
        chain.submitBlock(h);
    }

    function test_submitBlock_rejectsDirtyNumberEncoding() public {
        // A `number` word with bits above 64 set must not be accepted as block 1.
        bytes memory call = abi.encodeCall(DebyeChain.submitBlock, (_header(1, bytes32(0), 1)));
        call[4 + 31 - 8] = 0x01; // sets bit 64 of the first header word
        vm.prank(operator);
        (bool ok,) = address(chain).call(call);
        assertFalse(ok);
        assertEq(chain.nextBlock(), 1);
    }

    // ---------------------------------------------------------------- deposits

    function test_depositEth_allocatesRangeAndRecords() public {
        _submit(1);
        _submit(2); // the next block is 3
        vm.deal(alice, 5 ether);
        vm.expectEmit(true, true, false, true, address(chain));
        emit IDebyeChain.Deposit(alice, 0, 0, 3 ether, 3);
        vm.prank(alice);
        (uint256 start, uint256 end) = chain.depositEth{value: 3 ether}();
        assertEq(start, 0);
        assertEq(end, 3 ether);
        assertEq(chain.depositHash(0), keccak256(abi.encode(alice, uint256(0), 3 ether, uint64(3))));
        assertEq(chain.nextOffset(0), 3 ether);
        assertEq(address(chain).balance, 3 ether);
        assertEq(alice.balance, 2 ether);

        (start, end) = _depositEth(bob, 1);
        assertEq(start, 3 ether);
        assertEq(end, 3 ether + 1);
    }

    function test_depositToken_allocatesRangeInTokenSpace() public {
        token.mint(alice, 100);
        vm.prank(alice);
        token.approve(address(chain), 100);
        vm.expectEmit(true, true, false, true, address(chain));
        emit IDebyeChain.Deposit(alice, 1, _coin(1, 0), _coin(1, 100), 1);
        vm.prank(alice);
        (uint256 start, uint256 end) = chain.depositToken(address(token), 100);
        assertEq(start, _coin(1, 0));
        assertEq(end, _coin(1, 100));
        assertEq(chain.depositHash(start), keccak256(abi.encode(alice, start, end, uint64(1))));
        assertEq(token.balanceOf(address(chain)), 100);
        assertEq(token.balanceOf(alice), 0);
        assertEq(chain.nextOffset(1), 100);
        assertEq(chain.nextOffset(0), 0, "ETH space untouched");
    }

    function test_depositEth_revertsForZero() public {
        vm.prank(alice);
        vm.expectRevert(IDebyeChain.ZeroAmount.selector);
        chain.depositEth{value: 0}();
    }

    function test_depositToken_revertsForZero() public {
        vm.prank(alice);
        vm.expectRevert(IDebyeChain.ZeroAmount.selector);
        chain.depositToken(address(token), 0);
    }

    function test_depositToken_revertsForUnknownToken() public {
        TestToken unlisted = new TestToken("Unlisted", "NO");
        unlisted.mint(alice, 10);
        vm.startPrank(alice);
        unlisted.approve(address(chain), 10);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.UnknownToken.selector, address(unlisted))
        );
        chain.depositToken(address(unlisted), 10);
        // ETH is listed, but only depositEth may mint ETH coins.
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.UnknownToken.selector, address(0)));
        chain.depositToken(address(0), 10);
        vm.stopPrank();
    }

    function test_depositToken_revertsWithoutAllowance() public {
        token.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC20Errors.ERC20InsufficientAllowance.selector, address(chain), 0, 10
            )
        );
        chain.depositToken(address(token), 10);
        assertEq(chain.nextOffset(1), 0);
    }

    function test_depositToken_revertsWhenReenteredThroughDepositToken() public {
        ReentrantToken evil = _listReentrant();
        evil.setAttack(ReentrantToken.Attack.DepositToken);
        _expectReentrancyRevert(evil);
    }

    function test_depositToken_revertsWhenReenteredThroughDepositEth() public {
        ReentrantToken evil = _listReentrant();
        evil.setAttack(ReentrantToken.Attack.DepositEth);
        vm.deal(address(evil), 1 ether);
        _expectReentrancyRevert(evil);
    }

    function test_reentrantToken_depositsWhenNotAttacking() public {
        // Control case: the same token is accepted when it does not re-enter, so the two tests
        // above fail because of the re-entry and nothing else.
        ReentrantToken evil = _listReentrant();
        evil.mint(alice, 10);
        vm.startPrank(alice);
        evil.approve(address(chain), 10);
        (uint256 start, uint256 end) = chain.depositToken(address(evil), 10);
        vm.stopPrank();
        assertEq(end - start, 10);
        assertEq(evil.balanceOf(address(chain)), 10);
    }

    function test_depositToken_revertsForFeeOnTransferToken() public {
        FeeOnTransferToken fee = new FeeOnTransferToken();
        vm.prank(operator);
        chain.listToken(address(fee));
        fee.mint(alice, 1000);
        vm.startPrank(alice);
        fee.approve(address(chain), 1000);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.TransferAmountMismatch.selector, 1000, 990)
        );
        chain.depositToken(address(fee), 1000);
        vm.stopPrank();
    }

    function test_depositEth_revertsWhenCoinSpaceExhausted() public {
        // The space holds offsets [0, 2^128 - 1): the last unit is never allocated, so that
        // `end` never reaches the next token's id bits.
        (, uint256 end) = _depositEth(alice, SPACE_MAX - 1);
        assertEq(end, SPACE_MAX - 1);
        vm.deal(bob, 2);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.CoinSpaceExhausted.selector, uint32(0)));
        chain.depositEth{value: 2}();
        (uint256 start, uint256 lastEnd) = _depositEth(bob, 1);
        assertEq(start, SPACE_MAX - 1);
        assertEq(lastEnd, SPACE_MAX);
        assertEq(lastEnd >> OFFSET_BITS, 0, "end stays in token 0's space");
        vm.deal(bob, 1);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.CoinSpaceExhausted.selector, uint32(0)));
        chain.depositEth{value: 1}();
    }

    function test_depositToken_revertsWhenCoinSpaceExhausted() public {
        (, uint256 end) = _depositToken(token, alice, SPACE_MAX); // fills token 1's space
        assertEq(end, _coin(1, SPACE_MAX));
        token.mint(bob, 1);
        vm.startPrank(bob);
        token.approve(address(chain), 1);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.CoinSpaceExhausted.selector, uint32(1)));
        chain.depositToken(address(token), 1);
        vm.stopPrank();

        // An amount of 2^128 or more never fits, not even in an empty space.
        TestToken other = new TestToken("Other", "OTH");
        vm.prank(operator);
        chain.listToken(address(other));
        other.mint(bob, uint256(1) << 128);
        vm.startPrank(bob);
        other.approve(address(chain), uint256(1) << 128);
        vm.expectRevert(abi.encodeWithSelector(IDebyeChain.CoinSpaceExhausted.selector, uint32(2)));
        chain.depositToken(address(other), uint256(1) << 128);
        vm.stopPrank();
        assertEq(other.balanceOf(bob), uint256(1) << 128, "nothing was taken");
    }

    function test_plainEthTransfer_isRefused() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        (bool ok,) = address(chain).call{value: 1 ether}("");
        assertFalse(ok, "ETH outside depositEth would be held without coins");
        assertEq(address(chain).balance, 0);
    }

    // ---------------------------------------------------------------- gas budgets

    /// @dev Execution gas of the last call: `isolate = true` (foundry.toml) runs every top-level
    ///      call as its own transaction, so `gasTotalUsed` is what that transaction paid (cold
    ///      storage and all, after refunds) including the intrinsic gas, which we take out:
    ///      21000 + 4 per zero and 16 per non-zero calldata byte (EIP-2028). The EIP-7623 floor
    ///      does not apply: each of these calls spends far more than 6 gas per calldata token.
    function _executionGas(bytes memory callData) internal view returns (uint256) {
        uint256 intrinsic = 21_000;
        for (uint256 i = 0; i < callData.length; i++) {
            intrinsic += callData[i] == 0 ? 4 : 16;
        }
        return vm.lastCallGas().gasTotalUsed - intrinsic;
    }

    /// @dev The task's budgets, in execution gas: submitBlock <= 50k, depositEth <= 60k,
    ///      depositToken <= 90k, each in its most expensive case.
    function test_gas_submitBlock_withinBudget() public {
        _submit(1);
        Types.BlockHeader memory header = _header(2, chain.blockHash(1), 2);
        vm.prank(operator);
        chain.submitBlock(header);
        uint256 used = _executionGas(abi.encodeCall(DebyeChain.submitBlock, (header)));
        emit log_named_uint("submitBlock execution gas", used);
        assertLe(used, 50_000, "submitBlock budget");
        assertGe(used, 22_100, "at least the new commitment slot: measurement is real");
    }

    function test_gas_depositEth_withinBudget() public {
        vm.deal(alice, 1 ether);
        vm.prank(alice);
        chain.depositEth{value: 1 ether}();
        uint256 used = _executionGas(abi.encodeCall(DebyeChain.depositEth, ()));
        emit log_named_uint("depositEth execution gas", used);
        assertLe(used, 60_000, "depositEth budget");
        assertGe(used, 22_100, "at least the new deposit record slot: measurement is real");
    }

    function test_gas_depositToken_withinBudget() public {
        // The worst case: the token's first deposit, so the chain's token balance slot goes
        // from zero to non-zero, and the depositor keeps a balance and an allowance (no refunds).
        token.mint(bob, 200);
        vm.prank(bob);
        token.approve(address(chain), 200);
        vm.prank(bob);
        chain.depositToken(address(token), 100);
        uint256 used = _executionGas(abi.encodeCall(DebyeChain.depositToken, (address(token), 100)));
        emit log_named_uint("depositToken execution gas, token's first deposit", used);
        assertLe(used, 90_000, "depositToken budget");
        assertGe(used, 42_100, "deposit record and chain balance slots: measurement is real");

        // Steady state: the chain's balance slot is already non-zero.
        vm.prank(bob);
        chain.depositToken(address(token), 100);
        uint256 steady =
            _executionGas(abi.encodeCall(DebyeChain.depositToken, (address(token), 100)));
        emit log_named_uint("depositToken execution gas, later deposits", steady);
        assertLt(steady, used, "a fresh balance slot is the expensive case");
    }

    // ---------------------------------------------------------------- helpers

    function _listReentrant() internal returns (ReentrantToken evil) {
        evil = new ReentrantToken(chain);
        vm.prank(operator);
        chain.listToken(address(evil));
    }

    function _expectReentrancyRevert(ReentrantToken evil) internal {
        evil.mint(alice, 10);
        vm.startPrank(alice);
        evil.approve(address(chain), 10);
        vm.expectRevert(IDebyeChain.Reentrancy.selector);
        chain.depositToken(address(evil), 10);
        vm.stopPrank();
        uint32 id = chain.tokenIdOf(address(evil));
        assertEq(chain.nextOffset(id), 0, "nothing allocated");
        assertEq(chain.nextOffset(0), 0, "no ETH coins allocated");
        assertEq(evil.balanceOf(address(chain)), 0);
    }
}

contract ExitVerifierCodeHashTest is Test {
    /// @dev `DebyeChain.EXIT_VERIFIER_CODEHASH` must be the hash of `ExitVerifier` as compiled:
    ///      print it, and check a chain accepts a fresh verifier and refuses another contract.
    function test_exitVerifierCodeHash() public {
        ExitVerifier verifier = new ExitVerifier();
        emit log_named_bytes32("ExitVerifier codehash", address(verifier).codehash);
        (DebyeChain chain,) = StubDeploy.deploy(address(1), 0, 0);
        assertEq(chain.exitVerifier().codehash, address(verifier).codehash);
        address future = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        StubPool pool = new StubPool(future, 7 days);
        vm.expectRevert(
            abi.encodeWithSelector(IDebyeChain.ExitVerifierMismatch.selector, address(pool))
        );
        new DebyeChain(address(1), 0, 0, address(pool), address(pool));
    }
}
