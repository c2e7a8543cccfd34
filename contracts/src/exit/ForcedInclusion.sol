// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {PrimeLib} from "../lib/PrimeLib.sol";
import {ExitLib} from "../lib/ExitLib.sol";
import {ExitVerifier} from "./ExitVerifier.sol";
import {Types} from "../lib/Types.sol";
import {L1Util} from "../lib/L1Util.sol";
import {IDebyeChain} from "../interfaces/IDebyeChain.sol";
import {IForcedInclusion} from "../interfaces/IForcedInclusion.sol";

/// @title ForcedInclusion: the forced-inclusion game of the Debye exit game
/// @notice Anyone posts an unsigned transaction with a bond; its input owners sign it here; during
///         one exit period anyone may cancel it by showing that an input was spent, does not
///         exist as referenced, or was withdrawn, and takes the bond. Unchallenged and fully
///         signed, it counts as included, at the position of its newest input, and DebyeChain
///         accepts it as an exitable transaction and as a spend (docs/exit-game.md §12).
/// @dev Deployed by DebyeChain's constructor (its `chain`), for code size (docs/contracts.md,
///      docs/exit-game.md §9). Holds the forcing bonds; no coins.
contract ForcedInclusion is IForcedInclusion {
    /// @dev Per forced transaction: 4 slots.
    struct Forced {
        bytes32 txId;
        address poster;
        uint96 bond;
        uint64 rank;
        uint64 maxBlockIndex;
        uint40 maturesAt;
        uint40 lastSignedAt;
        ForcedStatus status;
        uint8 signed;
        uint8 ownerCount;
        address owner0;
        address owner1;
    }

    /// @notice The forcing bond in exit bonds (docs/exit-game.md §5.1, §12.1).
    uint256 public constant FORCE_BOND_FACTOR = 3;

    IDebyeChain public immutable chain;
    ExitVerifier private immutable _verifier;
    /// @dev Number of forced transactions posted; the next index.
    uint64 private _count;
    mapping(uint64 index => Forced) private _forced;
    /// @dev Transaction id => whether it is forced (pending, included or cancelled); cleared when
    ///      it lapses.
    mapping(bytes32 txId => bool) private _used;
    /// @dev Forcing bonds won or refunded, waiting to be claimed (docs/exit-game.md §5.3).
    mapping(address account => uint256 amount) private _credits;
    bool private transient _locked;

    constructor(ExitVerifier verifier_) {
        chain = IDebyeChain(msg.sender);
        _verifier = verifier_;
    }

    modifier nonReentrant() {
        if (_locked) revert ForcedReentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    // ---------------------------------------------------------------------------------------
    // Posting and signing (docs/exit-game.md §12.1)
    // ---------------------------------------------------------------------------------------

    /// @notice Posts `t`, unsigned, for forced inclusion, with `forceBond()` as `msg.value`.
    /// @dev Rules (docs/exit-game.md §12.1): `t` satisfies the stateless rules of
    ///      docs/formats.md §5; it is not expired at the last committed block (§3.5: no one may
    ///      force a transaction its signers gave up on); every input names a committed block
    ///      (or a deposit for one) and deposited coins, never a forced output (so that the two
    ///      non-inclusion challenges of §12.2 can always be played); a transaction is forced at
    ///      most once unless it lapsed (two copies would be two sets of outputs over the same
    ///      coins). Its position
    ///      is that of its NEWEST input (§12.4: the oldest-input rule lets a forged input be
    ///      laundered to an old position).
    function force(PrimeLib.Transaction calldata t) external payable returns (uint64 index) {
        uint256 bond = forceBond();
        if (msg.value != bond) revert WrongForcedBond(bond, msg.value);
        (bytes32 id, address[] memory owners) =
            _verifier.checkTransaction(t, chain.domainSeparator());
        if (_used[id]) revert ForcedExists(id);
        _used[id] = true;
        uint64 last = chain.nextBlock() - 1;
        if (t.maxBlockIndex < last) revert PrimeLib.TxExpired(t.maxBlockIndex, last);
        uint256 rank = 0;
        for (uint256 k = 0; k < t.inputs.length; k++) {
            PrimeLib.Input calldata x = t.inputs[k];
            uint256 start = x.segment.start;
            uint256 tokenBase = (start >> 128) << 128;
            if (
                x.blockIndex == 0 || x.blockIndex > last
                    || x.segment.end - tokenBase > _deposited(start)
            ) revert BadForcedInput(k);
            uint256 r = x.txIndex == PrimeLib.DEPOSIT_TX_INDEX
                ? ExitLib.depositPosition(x.blockIndex)
                : ExitLib.outputPosition(x.blockIndex);
            if (r > rank) rank = r;
        }
        index = _count++;
        uint40 maturesAt = L1Util.time(L1Util.now_() + chain.exitPeriod());
        Forced storage f = _forced[index];
        f.txId = id;
        f.poster = msg.sender;
        // casting to 'uint96' is safe because bond is msg.value, and all ETH is below 2^96 wei
        // forge-lint: disable-next-line(unsafe-typecast)
        f.bond = uint96(bond);
        // casting to 'uint64' is safe because rank <= 2 * last + 1 and last < 2^63
        // forge-lint: disable-next-line(unsafe-typecast)
        f.rank = uint64(rank | 1);
        f.maxBlockIndex = t.maxBlockIndex;
        f.maturesAt = maturesAt;
        f.status = ForcedStatus.Pending;
        // casting to 'uint8' is safe because a valid transaction has at most 2 owners
        // forge-lint: disable-next-line(unsafe-typecast)
        f.ownerCount = uint8(owners.length);
        f.owner0 = owners[0];
        if (owners.length > 1) f.owner1 = owners[1];
        emit ForcedPosted(
            index, id, msg.sender, ExitLib.forcedPosition(index, rank), maturesAt, bond, t
        );
    }

    /// @notice Adds an input owner's EIP-712 signature (65 bytes `r‖s‖v` over the tx id).
    /// @dev Rule (docs/exit-game.md §12.1): only an input owner's low-s signature over the id
    ///      counts (ecrecover, docs/formats.md §4); not once the transaction has expired (§3.5).
    ///      Each owner signs once (`AlreadySigned`): the first signature of each owner restarts
    ///      the last-signature clock of §12.3, and a replayed one may not, or anybody could
    ///      delay the inclusion for ever by resubmitting a published signature.
    function signForced(uint64 index, bytes calldata signature) external {
        Forced storage f = _pendingForced(index);
        uint64 last = chain.nextBlock() - 1;
        if (f.maxBlockIndex < last) revert PrimeLib.TxExpired(f.maxBlockIndex, last);
        if (signature.length != 65) revert PrimeLib.InvalidSignatureEncoding(signature.length);
        address signer = PrimeLib.recover(f.txId, signature, 0);
        uint8 bit;
        if (signer == f.owner0) bit = 1;
        else if (signer == f.owner1 && f.ownerCount == 2) bit = 2;
        else revert NotAnOwner(signer);
        if (f.signed & bit != 0) revert AlreadySigned(signer);
        f.signed |= bit;
        f.lastSignedAt = L1Util.time(L1Util.now_());
        emit ForcedSigned(index, signer, signature);
    }

    // ---------------------------------------------------------------------------------------
    // Challenges (docs/exit-game.md §12.2)
    // ---------------------------------------------------------------------------------------

    /// @notice Cancels forced transaction `index` with a spend, signed by the owner of its input
    ///         `inputIndex`, of an overlapping part of the same output: a transaction in a
    ///         committed block, or another fully signed forced transaction. Bond to the caller
    ///         (refunded to the poster if the spend is this very transaction, included on L2).
    /// @dev Rule (docs/exit-game.md §12.2 a): a spent input cannot be spent again by force.
    ///      Stops an owner who paid someone on L2 from taking the coins back by forcing a
    ///      transaction over them, and two forced transactions spending one input.
    function challengeForcedSpent(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.SpendProof calldata p
    ) external nonReentrant {
        (Forced storage f, PrimeLib.Input memory x) = _pendingInput(index, t, inputIndex);
        PrimeLib.Input memory i;
        bytes32 spendId;
        uint64 n = p.header.number;
        if (n >= ExitLib.FORCED_BLOCK) {
            uint64 j = n ^ ExitLib.FORCED_BLOCK;
            Forced storage g = _forced[j];
            bool live = g.status == ForcedStatus.Included
                || (g.status == ForcedStatus.Pending && _fullySigned(g));
            if (j == index || !live) revert InvalidForcedChallenge();
            (i, spendId) =
                _verifier.inputOf(p.spend.transaction, p.inputIndex, chain.domainSeparator());
            if (spendId != g.txId) revert WrongTransaction(j);
        } else {
            _checkHeader(p.header);
            (i, spendId) = _verifier.verifySpend(
                p.spend, p.inputIndex, n, p.header.txRoot, p.proof, chain.domainSeparator()
            );
        }
        if (
            i.owner != x.owner || i.blockIndex != x.blockIndex
                || (i.txIndex == PrimeLib.DEPOSIT_TX_INDEX)
                    != (x.txIndex == PrimeLib.DEPOSIT_TX_INDEX)
                || !ExitLib.overlaps(i.segment.start, i.segment.end, x.segment.start, x.segment.end)
        ) revert InvalidForcedChallenge();
        if (spendId == f.txId) _cancel(f, index, ForcedCancelReason.AlreadyIncluded, f.poster);
        else _cancel(f, index, ForcedCancelReason.Spent, msg.sender);
    }

    /// @notice Cancels forced transaction `index` whose input `inputIndex` names a transaction
    ///         output that does not exist: output `p` of the named block covers some of its coins
    ///         but has another owner or does not contain the whole input.
    /// @dev Rule (docs/exit-game.md §12.2 b): one block holds one transaction per coin and its
    ///      outputs are disjoint, so the output covering a coin in a block is unique; stops
    ///      forcing a spend of coins the input's owner never held.
    function challengeForcedOutput(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.OutputProof calldata p
    ) external nonReentrant {
        (Forced storage f, PrimeLib.Input memory x) = _pendingInput(index, t, inputIndex);
        _checkHeader(p.header);
        (PrimeLib.Output memory o,) = _verifier.verifyOutput(
            p.transaction,
            p.outputIndex,
            p.header.number,
            p.header.txRoot,
            p.proof,
            chain.domainSeparator()
        );
        if (
            x.txIndex == PrimeLib.DEPOSIT_TX_INDEX || p.header.number != x.blockIndex
                || !ExitLib.overlaps(o.segment.start, o.segment.end, x.segment.start, x.segment.end)
                || (o.owner == x.owner
                    && o.segment.start <= x.segment.start
                    && x.segment.end <= o.segment.end)
        ) revert InvalidForcedChallenge();
        _cancel(f, index, ForcedCancelReason.NoSuchOutput, msg.sender);
    }

    /// @notice Cancels forced transaction `index` whose input `inputIndex` names a block in which
    ///         no transaction touched the coins `s` (some of the input's coins): exclusion proof.
    /// @dev Rule (docs/exit-game.md §12.2 b): non-inclusion of the named output.
    function challengeForcedExcluded(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.BlockHeader calldata h,
        PrimeLib.Segment calldata s,
        PrimeLib.SumProof calldata proof
    ) external nonReentrant {
        (Forced storage f, PrimeLib.Input memory x) = _pendingInput(index, t, inputIndex);
        _checkHeader(h);
        if (
            x.txIndex == PrimeLib.DEPOSIT_TX_INDEX || h.number != x.blockIndex
                || !ExitLib.overlaps(s.start, s.end, x.segment.start, x.segment.end)
        ) revert InvalidForcedChallenge();
        _verifier.verifyExclusion(h.txRoot, s, proof);
        _cancel(f, index, ForcedCancelReason.NoSuchOutput, msg.sender);
    }

    /// @notice Cancels forced transaction `index` whose input `inputIndex` names a deposit that
    ///         does not exist: the deposit `d` covering some of its coins has another owner, or
    ///         another block, or does not contain the whole input.
    /// @dev Rule (docs/exit-game.md §12.2 b): deposits are disjoint, so the covering one is the
    ///      only candidate; owner mismatch, not only non-inclusion.
    function challengeForcedDeposit(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.DepositRecord calldata d
    ) external nonReentrant {
        (Forced storage f, PrimeLib.Input memory x) = _pendingInput(index, t, inputIndex);
        if (
            chain.depositHash(d.start)
                != keccak256(abi.encode(d.owner, d.start, d.end, d.blockNumber))
        ) {
            revert InvalidForcedChallenge();
        }
        if (
            x.txIndex != PrimeLib.DEPOSIT_TX_INDEX
                || !ExitLib.overlaps(d.start, d.end, x.segment.start, x.segment.end)
                || (d.owner == x.owner
                    && d.blockNumber == x.blockIndex
                    && d.start <= x.segment.start
                    && x.segment.end <= d.end)
        ) revert InvalidForcedChallenge();
        _cancel(f, index, ForcedCancelReason.NoSuchOutput, msg.sender);
    }

    /// @notice Cancels forced transaction `index` whose input `inputIndex` overlaps coins an exit
    ///         `done` already settled on L1.
    /// @dev Rule (docs/exit-game.md §12.2 a, the seed's "spend ... including withdrawals"):
    ///      withdrawn coins cannot be spent again.
    function challengeForcedWithdrawn(
        uint64 index,
        PrimeLib.Transaction calldata t,
        uint256 inputIndex,
        Types.ExitData calldata done
    ) external nonReentrant {
        (Forced storage f, PrimeLib.Input memory x) = _pendingInput(index, t, inputIndex);
        IDebyeChain.ExitStatus status = chain.exitState(keccak256(abi.encode(done))).status;
        if (
            (status != IDebyeChain.ExitStatus.Finalized
                    && status != IDebyeChain.ExitStatus.Withdrawn)
                || !ExitLib.overlaps(done.start, done.end, x.segment.start, x.segment.end)
        ) revert InvalidForcedChallenge();
        _cancel(f, index, ForcedCancelReason.Withdrawn, msg.sender);
    }

    // ---------------------------------------------------------------------------------------
    // Settlement (docs/exit-game.md §12.3)
    // ---------------------------------------------------------------------------------------

    /// @notice Settles forced transaction `index` after its period: included if every input owner
    ///         signed, lapsed otherwise; the bond is credited back to the poster either way.
    /// @dev Rule (docs/exit-game.md §12.3): not before `maturesAt`, and not within half an exit
    ///      period of the last signature, so that a watcher always has time to challenge with a
    ///      conflicting forced transaction whose signatures arrive late. Rule (§12.4): it counts
    ///      as included after every block committed before this call, so a late settlement
    ///      cannot rank it ahead of an L2 spend committed while it was pending. Rule (§5.3): the
    ///      bond is credited, never pushed, so a poster that refuses ETH cannot freeze it.
    function finalizeForced(uint64 index) external nonReentrant {
        Forced storage f = _pendingForced(index);
        uint256 due = f.maturesAt;
        bool full = _fullySigned(f);
        if (full) {
            uint256 afterSig = uint256(f.lastSignedAt) + chain.exitPeriod() / 2;
            if (afterSig > due) due = afterSig;
        }
        if (L1Util.now_() < due) revert ForcedNotMature(due);
        if (full) {
            f.status = ForcedStatus.Included;
            // casting to 'uint64' is safe because 2 * last + 1 < 2^64 for a block below 2^63
            // forge-lint: disable-next-line(unsafe-typecast)
            uint64 settledAfter = uint64(ExitLib.outputPosition(chain.nextBlock() - 1));
            if (settledAfter > f.rank) f.rank = settledAfter;
            emit ForcedIncluded(index, f.txId, ExitLib.forcedPosition(index, f.rank));
        } else {
            // A lapsed transaction left no copy anywhere: its owners may force it again
            // (docs/exit-game.md §12.3), so a third party cannot use it up by posting it unsigned.
            f.status = ForcedStatus.Lapsed;
            _used[f.txId] = false;
            emit ForcedLapsed(index);
        }
        _credits[f.poster] += f.bond;
    }

    /// @notice Pays the caller every forcing bond credited to it; returns the amount.
    /// @dev Rule (docs/exit-game.md §5.3): bonds are pulled, so no recipient can make a
    ///      challenge or a settlement revert by refusing ETH.
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        delete _credits[msg.sender];
        emit Claimed(msg.sender, amount);
        if (!L1Util.send(msg.sender, amount)) revert ForcedPaymentFailed(msg.sender);
    }

    /// @notice Forcing bonds credited to `account` and not yet claimed.
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice Id and exit position of the included forced transaction `index`; reverts unless
    ///         it is included (DebyeChain asks this before accepting it as evidence).
    function includedAt(uint64 index) external view returns (bytes32 txId, uint256 position) {
        Forced storage f = _forced[index];
        if (f.status != ForcedStatus.Included) revert ForcedNotIncluded(index);
        return (f.txId, ExitLib.forcedPosition(index, f.rank));
    }

    /// @notice Status, transaction id, exit position, when its period ends (the last-signature
    ///         delay of docs/exit-game.md §12.3 may add to it) and whether every owner signed.
    function forcedState(uint64 index)
        external
        view
        returns (ForcedStatus status, bytes32 txId, uint256 position, uint40 maturesAt, bool signed)
    {
        Forced storage f = _forced[index];
        return
            (f.status, f.txId, ExitLib.forcedPosition(index, f.rank), f.maturesAt, _fullySigned(f));
    }

    /// @notice The bond `force` asks for now: `FORCE_BOND_FACTOR` exit bonds. Derived like the
    ///         exit bond (docs/exit-game.md §5.1): the dearest forced-game challenge (a maximal
    ///         16x16 forced transaction challenged with a maximal signed spend, ~382k gas) fits
    ///         in 3 x 150 000 gas, at the exit bond's gas-price bound and safety factor; it follows
    ///         the exit bond's governed changes (§5.2).
    function forceBond() public view returns (uint256) {
        return uint256(chain.exitBond()) * FORCE_BOND_FACTOR;
    }

    /// @notice How many forced transactions were posted (the next index).
    function forcedCount() external view returns (uint64) {
        return _count;
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev Deposited length of the token of `coin` (reverts for an unknown token).
    function _deposited(uint256 coin) private view returns (uint256) {
        // casting to 'uint32' is safe because checkTransaction bounded coins below 2^160
        // forge-lint: disable-next-line(unsafe-typecast)
        return chain.nextOffset(uint32(coin >> 128));
    }

    function _pendingForced(uint64 index) private view returns (Forced storage f) {
        f = _forced[index];
        if (f.status == ForcedStatus.None) revert UnknownForced(index);
        if (f.status != ForcedStatus.Pending) revert ForcedNotPending(index);
    }

    function _fullySigned(Forced storage f) private view returns (bool) {
        return f.signed == (f.ownerCount == 2 ? 3 : 1);
    }

    /// @dev Pending forced transaction `index` and input `inputIndex` of `t`, which must be it:
    ///      what every challenge of docs/exit-game.md §12.2 starts from.
    function _pendingInput(uint64 index, PrimeLib.Transaction calldata t, uint256 inputIndex)
        private
        view
        returns (Forced storage f, PrimeLib.Input memory x)
    {
        f = _pendingForced(index);
        bytes32 id;
        (x, id) = _verifier.inputOf(t, inputIndex, chain.domainSeparator());
        if (id != f.txId) revert WrongTransaction(index);
    }

    function _checkHeader(Types.BlockHeader calldata h) private view {
        if (chain.blockHash(h.number) != Types.hashHeader(h)) revert InvalidForcedChallenge();
    }

    function _cancel(Forced storage f, uint64 index, ForcedCancelReason reason, address beneficiary)
        private
    {
        f.status = ForcedStatus.Cancelled;
        emit ForcedCancelled(index, reason, beneficiary);
        _credits[beneficiary] += f.bond;
    }
}
