//! Hand-built state for the judges' unit tests: deposits, stored transactions, exits, requests
//! and forced transactions placed directly in a [`State`], no L1, no operator.

pub(crate) use alloy_primitives::{Address, B256, U256};
use debye_l1::test_utils::transfer;
pub(crate) use debye_l1::test_utils::tx_input as from_output;
use debye_primitives::{InclusionProof, SignedTransaction, SumMerkleProof};
pub(crate) use debye_primitives::{Input, Origin, Position, Segment, Transaction};

pub(crate) use crate::{
    challenge::Spend,
    judge::evidence::View,
    mode::Mode,
    types::{ExitRecord, ForcedPhase, ForcedRecord, RequestRecord, StoredTx},
};
use crate::{
    state::State,
    types::{DepositInfo, ExitPhase},
};

pub(crate) const ALICE: Address = Address::repeat_byte(0xa1);
pub(crate) const BOB: Address = Address::repeat_byte(0xb0);
pub(crate) const CAROL: Address = Address::repeat_byte(0xca);
pub(crate) const WATCHER: Address = Address::repeat_byte(0x77);

static ARCHIVAL: Mode = Mode::Archival;

/// Coins `[start, end)`.
pub(crate) fn seg(start: u64, end: u64) -> Segment {
    Segment::new(U256::from(start), U256::from(end)).expect("non-empty")
}

/// An input of `owner` spending `segment` of the deposit made for `block`.
pub(crate) fn from_deposit(owner: Address, block: u64, segment: Segment) -> Input {
    Origin::deposit(block).input(owner, segment)
}

/// Alice's deposit of coins `[0, 10)` for block 1, spent whole (see [`World::alice_deposited`]).
pub(crate) fn alices_coins() -> Input {
    from_deposit(ALICE, 1, seg(0, 10))
}

/// A transaction paying `input`'s coins to `to`, valid at any block.
pub(crate) fn pay(input: Input, to: Address) -> Transaction {
    transfer(input, to, u64::MAX)
}

/// A hand-built state: what the judges read.
#[derive(Default)]
pub(crate) struct World {
    pub(crate) state: State,
    next_id: u8,
}

impl World {
    /// Alice has deposited coins `[0, 10)` for block 1 ([`alices_coins`]).
    pub(crate) fn alice_deposited() -> Self {
        let mut w = Self::default();
        w.deposit(ALICE, 0, 10, 1);
        w
    }

    /// The judges' view of this state, guarding every coin.
    pub(crate) fn view(&self) -> View<'_> {
        self.view_with(&ARCHIVAL)
    }

    /// The judges' view of this state in `mode`.
    pub(crate) fn view_with<'a>(&'a self, mode: &'a Mode) -> View<'a> {
        View {
            state: &self.state,
            mode,
        }
    }

    fn id(&mut self) -> B256 {
        self.next_id += 1;
        B256::repeat_byte(self.next_id)
    }

    /// A deposit of `[start, end)` by `owner` for block `block`.
    pub(crate) fn deposit(
        &mut self,
        owner: Address,
        start: u64,
        end: u64,
        block: u64,
    ) -> DepositInfo {
        let d = DepositInfo {
            owner,
            start: U256::from(start),
            end: U256::from(end),
            block_number: block,
        };
        self.state.deposits.insert(d.start, d.clone());
        d
    }

    /// `tx` stored as included in `block` (proofs are not read by the judges), `valid` or not.
    pub(crate) fn include(&mut self, block: u64, tx: Transaction, valid: bool) -> StoredTx {
        let index = u32::try_from(self.state.txs.range((block, 0)..=(block, u32::MAX)).count())
            .expect("few");
        let proof = || {
            InclusionProof(SumMerkleProof {
                leaf_length: U256::ZERO,
                path: 0,
                siblings: Vec::new(),
            })
        };
        let stored = StoredTx {
            block,
            index,
            tx_id: self.id(),
            input_proofs: tx.inputs.iter().map(|_| proof()).collect(),
            output_proofs: tx.outputs.iter().map(|_| proof()).collect(),
            stx: SignedTransaction {
                transaction: tx,
                signatures: Vec::new(),
            },
            signed_ok: valid,
            valid,
        };
        self.state.index_tx(stored.clone());
        stored
    }

    /// A pending exit of `[start, end)` by `owner` at `position`, of transaction `tx_id`.
    pub(crate) fn exit(
        &mut self,
        owner: Address,
        start: u64,
        end: u64,
        position: Position,
        tx_id: B256,
    ) -> ExitRecord {
        let e = ExitRecord {
            id: self.id(),
            owner,
            start: U256::from(start),
            end: U256::from(end),
            position,
            tx_id,
            exitable_at: 0,
            bond: U256::ZERO,
            phase: ExitPhase::Pending,
            action: None,
            reported: false,
            l1_block: 0,
        };
        self.state.exits.insert(e.id, e.clone());
        e
    }

    /// A pending exit, by its owner, of the whole of output 0 of the stored `t`.
    pub(crate) fn exit_of(&mut self, t: &StoredTx) -> ExitRecord {
        let out = t.stx.transaction.outputs[0];
        let (start, end) = (out.segment.start(), out.segment.end());
        let (start, end) = (start.to::<u64>(), end.to::<u64>());
        self.exit(out.owner, start, end, Position::output(t.block), t.tx_id)
    }

    /// `tx` included in `block` and its output 0 exited by its owner.
    pub(crate) fn exited(&mut self, block: u64, tx: &Transaction, valid: bool) -> ExitRecord {
        let t = self.include(block, tx.clone(), valid);
        self.exit_of(&t)
    }

    /// `exit` settled.
    pub(crate) fn settle(&mut self, exit: &ExitRecord) -> ExitRecord {
        let mut e = exit.clone();
        e.phase = ExitPhase::Settled;
        self.state.exits.insert(e.id, e.clone());
        e
    }

    /// Forced transaction `index` spending `tx`'s inputs, in `phase`, signed by every owner.
    pub(crate) fn forced(
        &mut self,
        index: u64,
        tx: Transaction,
        phase: ForcedPhase,
    ) -> ForcedRecord {
        let newest = tx
            .inputs
            .iter()
            .filter_map(|i| Origin::of(i).position())
            .max()
            .unwrap_or_default();
        let f = ForcedRecord {
            index,
            tx_id: self.id(),
            signers: tx.inputs.iter().map(|i| i.owner).collect(),
            position: Position::forced(index, newest),
            tx,
            bond: U256::ZERO,
            phase,
            action: None,
        };
        self.state.forced.insert(index, f.clone());
        f
    }

    /// An open request by `challenger` on `exit` naming the output at `position` of `owner`,
    /// coin `coin`, answerable until `deadline`.
    pub(crate) fn request(
        &mut self,
        exit: &ExitRecord,
        challenger: Address,
        named: (Position, Address),
        coin: u64,
        deadline: u64,
    ) -> RequestRecord {
        let r = RequestRecord {
            challenge_id: self.id(),
            exit_id: exit.id,
            position: named.0,
            owner: named.1,
            coin: U256::from(coin),
            challenger,
            deadline,
            done: false,
        };
        self.state.requests.insert(r.challenge_id, r.clone());
        r
    }
}
