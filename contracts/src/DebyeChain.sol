// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title DebyeChain: the L1 anchor of the Debye Plasma chain (v0)
/// @notice Holds deposited ETH and ERC-20 tokens, gives every deposited unit a coin id, and records
///         one commitment per child-chain block. v0 has no exits yet: what it stores is exactly
///         what the exit game will need (block hashes and deposit records), nothing more.
/// @dev Coin ids are `uint256`s: the token id in bits [128,160), the offset inside that token's
///      coin space in bits [0,128). A deposit of `amount` units owns the half-open range
///      `[start, end)`, `end = start + amount`. Rules and threats: docs/contracts.md; every
///      `Rule` note below names the attack it stops and the section of that file that motivates it.
///      Storage layout (docs/contracts.md §2): slot 0 packs `_nextBlock` and `_tokenCount`; every
///      other item lives in a mapping; the operator is an immutable (no storage read).
contract DebyeChain {
    using SafeERC20 for IERC20;

    /// @notice A child-chain block header; its commitment is `keccak256(abi.encode(header))`.
    /// @param number Child block number, 1 for the first block.
    /// @param prevHash Commitment of block `number - 1` (`bytes32(0)` for block 1).
    /// @param txRoot Root of the block's transactions.
    /// @param accumulator The coin-history accumulator after this block.
    /// @param noteRoot Root of the notes created in this block.
    struct BlockHeader {
        uint64 number;
        bytes32 prevHash;
        bytes32 txRoot;
        bytes32 accumulator;
        bytes32 noteRoot;
    }

    /// @dev Per-token state, one slot: 16 + 4 + 1 bytes. `listed` keeps the slot non-zero from the
    ///      moment of listing, so a token's first deposit pays a warm rewrite, not a fresh slot.
    struct TokenState {
        uint128 nextOffset;
        uint32 id;
        bool listed;
    }

    /// @notice `token` may be deposited from now on; its coins carry `tokenId`.
    event TokenListed(address indexed token, uint32 indexed tokenId);
    /// @notice `owner` deposited the coins `[start, end)` of `tokenId`; they may be spent from
    ///         child block `blockNumber` on.
    event Deposit(
        address indexed owner,
        uint32 indexed tokenId,
        uint256 start,
        uint256 end,
        uint64 blockNumber
    );
    /// @notice Child block `number` was committed as `headerHash`; the other fields are the header,
    ///         so that watchers can rebuild it from logs alone.
    event BlockSubmitted(
        uint64 indexed number,
        bytes32 headerHash,
        bytes32 prevHash,
        bytes32 txRoot,
        bytes32 accumulator,
        bytes32 noteRoot
    );

    /// @notice The caller is not the operator.
    error NotOperator();
    /// @notice A deposit of nothing.
    error ZeroAmount();
    /// @notice `token` is not listed (or is `address(0)` passed to `depositToken`).
    error UnknownToken(address token);
    /// @notice No token has id `tokenId`.
    error UnknownTokenId(uint32 tokenId);
    /// @notice `token` already has a token id.
    error TokenAlreadyListed(address token);
    /// @notice A deposit was entered while another deposit's token transfer was still running.
    error Reentrancy();
    /// @notice The header's number is not the next block.
    error WrongBlockNumber(uint64 expected, uint64 got);
    /// @notice The header does not extend the last committed block.
    error WrongPrevHash(bytes32 expected, bytes32 got);
    /// @notice The deposit does not fit in what is left of the token's 2^128-unit coin space.
    error CoinSpaceExhausted(uint32 tokenId);
    /// @notice All 2^32 - 1 token ids are taken.
    error TooManyTokens();
    /// @notice The contract's token balance grew by `received`, not by the `expected` amount.
    error TransferAmountMismatch(uint256 expected, uint256 received);

    /// @dev The only account that may list tokens and submit blocks. Immutable: it costs no
    ///      storage read, and no transaction can ever replace it (docs/contracts.md §4.1).
    address private immutable _operator;

    /// @dev Slot 0, first 8 bytes: the number the next submitted block must carry. Starts at 1.
    uint64 private _nextBlock;
    /// @dev Slot 0, next 4 bytes: token ids handed out so far (ETH's 0 included). Starts at 1.
    uint32 private _tokenCount;
    /// @dev Block number => `keccak256(abi.encode(header))`. The one slot each block costs.
    mapping(uint64 number => bytes32 headerHash) private _blockHashes;
    /// @dev Token address => its id and coin-space cursor. `address(0)` is ETH.
    mapping(address token => TokenState) private _tokens;
    /// @dev Token id => token address (the reverse of `_tokens`).
    mapping(uint32 tokenId => address token) private _tokenAddresses;
    /// @dev Range start => `keccak256(abi.encode(owner, start, end, blockNumber))`.
    mapping(uint256 start => bytes32 depositHash) private _deposits;
    /// @dev Transient reentrancy lock: set for the duration of a token transfer.
    bool private transient _locked;

    /// @param operator_ The operator: lists tokens and submits blocks.
    constructor(address operator_) {
        _operator = operator_;
        _nextBlock = 1;
        _tokenCount = 1; // ETH: token id 0, address(0); `_tokenAddresses[0]` is already address(0).
        _tokens[address(0)] = TokenState({nextOffset: 0, id: 0, listed: true});
        emit TokenListed(address(0), 0);
    }

    /// @dev Rule: only the operator may list tokens or submit blocks. Stops anyone else from
    ///      committing blocks (forging the chain's history) or from listing a hostile token
    ///      (docs/contracts.md §4.1).
    modifier onlyOperator() {
        if (msg.sender != _operator) revert NotOperator();
        _;
    }

    /// @dev Rule: no deposit may start while a token transfer of another deposit is running.
    ///      Stops a token (hostile, or with transfer hooks) from re-entering to allocate coin
    ///      ranges in the middle of another deposit (docs/contracts.md §4.4).
    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    // ---------------------------------------------------------------------------------------
    // Operator
    // ---------------------------------------------------------------------------------------

    /// @notice Gives `token` the next token id, so that it can be deposited.
    /// @dev Rule: a token is listed once. Stops a second id for the same token, which would let
    ///      the same L1 balance back two coin spaces (docs/contracts.md §4.2).
    ///      Rule: ids stop at 2^32 - 2. Stops the id from wrapping onto ETH's 0 and aliasing a
    ///      listed token's coins (docs/contracts.md §4.2).
    /// @return tokenId The new id; ids count up from 1 (ETH is 0).
    function listToken(address token) external onlyOperator returns (uint32 tokenId) {
        if (_tokens[token].listed) revert TokenAlreadyListed(token);
        tokenId = _tokenCount;
        if (tokenId == type(uint32).max) revert TooManyTokens();
        _tokenCount = tokenId + 1;
        _tokens[token] = TokenState({nextOffset: 0, id: tokenId, listed: true});
        _tokenAddresses[tokenId] = token;
        emit TokenListed(token, tokenId);
    }

    /// @notice Commits child block `header.number` as `keccak256(abi.encode(header))`.
    /// @dev Rule: blocks are committed in order, one per number. Stops the operator from
    ///      rewriting or skipping a committed block after users relied on it (docs/contracts.md
    ///      §4.3). Rule: `prevHash` is the previous commitment. Stops a fork: every committed block
    ///      extends the one committed before it (docs/contracts.md §4.3). Costs one new storage
    ///      slot and a constant amount of gas whatever the block holds.
    function submitBlock(BlockHeader calldata header) external onlyOperator {
        uint64 number = _nextBlock;
        if (header.number != number) revert WrongBlockNumber(number, header.number);
        bytes32 prevHash = _blockHashes[number - 1]; // bytes32(0) for block 1
        if (header.prevHash != prevHash) revert WrongPrevHash(prevHash, header.prevHash);
        bytes32 headerHash = keccak256(abi.encode(header));
        _blockHashes[number] = headerHash;
        _nextBlock = number + 1;
        emit BlockSubmitted(
            number, headerHash, prevHash, header.txRoot, header.accumulator, header.noteRoot
        );
    }

    // ---------------------------------------------------------------------------------------
    // Deposits
    // ---------------------------------------------------------------------------------------

    /// @notice Deposits `msg.value` wei as the ETH coins `[start, end)`, owned by the caller.
    /// @dev Checks the lock (it makes no external call itself, so it does not take it).
    function depositEth() external payable returns (uint256 start, uint256 end) {
        if (_locked) revert Reentrancy();
        if (msg.value == 0) revert ZeroAmount();
        return _allocate(_tokens[address(0)], msg.sender, msg.value);
    }

    /// @notice Takes `amount` of `token` from the caller (who must have approved this contract)
    ///         and deposits it as the coins `[start, end)` of the token's id, owned by the caller.
    /// @dev Rule: only listed ERC-20 tokens, never `address(0)` (ETH goes through `depositEth`).
    ///      Stops deposits of unvetted tokens and coins minted for a transfer that moved nothing
    ///      (docs/contracts.md §4.2). Rule: the balance must grow by exactly `amount`. Stops
    ///      fee-on-transfer or otherwise short-paying tokens from minting coins the contract does
    ///      not hold, which later exits would pay out of other depositors' funds
    ///      (docs/contracts.md §4.5).
    function depositToken(address token, uint256 amount)
        external
        nonReentrant
        returns (uint256 start, uint256 end)
    {
        if (amount == 0) revert ZeroAmount();
        TokenState storage state = _tokens[token];
        if (token == address(0) || !state.listed) revert UnknownToken(token);
        (start, end) = _allocate(state, msg.sender, amount);
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balanceAfter = IERC20(token).balanceOf(address(this));
        uint256 received = balanceAfter > balanceBefore ? balanceAfter - balanceBefore : 0;
        if (received != amount) revert TransferAmountMismatch(amount, received);
    }

    /// @dev Gives `owner` the next `amount` coins of the token in `state` and records the deposit.
    ///      Rule: ranges are handed out in order from a per-token cursor and never reused. Stops
    ///      two deposits from owning the same coin (docs/contracts.md §4.4). Rule: the cursor
    ///      stays below 2^128. Stops a range from running into the next token's id bits
    ///      (docs/contracts.md §4.4); as a consequence the last unit of each space is never used.
    function _allocate(TokenState storage state, address owner, uint256 amount)
        private
        returns (uint256 start, uint256 end)
    {
        uint128 offset = state.nextOffset;
        uint32 tokenId = state.id;
        if (amount > type(uint128).max - offset) revert CoinSpaceExhausted(tokenId);
        start = (uint256(tokenId) << 128) | offset;
        end = start + amount;
        // casting to 'uint128' is safe because amount <= type(uint128).max - offset (checked above)
        // forge-lint: disable-next-line(unsafe-typecast)
        state.nextOffset = offset + uint128(amount);
        uint64 blockNumber = _nextBlock;
        _deposits[start] = keccak256(abi.encode(owner, start, end, blockNumber));
        emit Deposit(owner, tokenId, start, end, blockNumber);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice The operator.
    function operator() external view returns (address) {
        return _operator;
    }

    /// @notice The id of a listed token (0 for ETH, `address(0)`).
    function tokenIdOf(address token) external view returns (uint32) {
        TokenState storage state = _tokens[token];
        if (!state.listed) revert UnknownToken(token);
        return state.id;
    }

    /// @notice The address of token `tokenId` (`address(0)` for ETH, id 0).
    /// @dev Reverts for ids never handed out, so that an unknown id is never mistaken for ETH.
    function tokenAddress(uint32 tokenId) public view returns (address) {
        if (tokenId >= _tokenCount) revert UnknownTokenId(tokenId);
        return _tokenAddresses[tokenId];
    }

    /// @notice How many token ids exist, ETH's included: the ids are `[0, tokenCount())`.
    function tokenCount() external view returns (uint32) {
        return _tokenCount;
    }

    /// @notice The number the next submitted block must carry (1 before any block).
    function nextBlock() external view returns (uint64) {
        return _nextBlock;
    }

    /// @notice The commitment of block `number`, or `bytes32(0)` if it has not been submitted.
    function blockHash(uint64 number) external view returns (bytes32) {
        return _blockHashes[number];
    }

    /// @notice `keccak256(abi.encode(owner, start, end, blockNumber))` of the deposit whose range
    ///         starts at `start`, or `bytes32(0)` if there is none.
    function depositHash(uint256 start) external view returns (bytes32) {
        return _deposits[start];
    }

    /// @notice The offset the next deposit of token `tokenId` will start at.
    function nextOffset(uint32 tokenId) external view returns (uint128) {
        return _tokens[tokenAddress(tokenId)].nextOffset;
    }
}
