//! Building and proving a ZK exit of one whole note (docs/shielded.md S-5.5), and the relay
//! request that carries it to whoever pays the gas (S-5.9).
//!
//! The exit is a JoinSplit of kind `EXIT`: the note and a zero dummy in, both outputs `CM_ZERO`
//! (whole-note exits: nothing is left behind), `publicAmount = −v`, and external data naming the
//! L1 recipient, the relayer's fee and fee recipient, an expiry within `MAX_LIFETIME`, the chain,
//! the pool and the policy. The proof names the newest committed root at least `REP` old that
//! holds the note (S-6.4: the note's own block would name it); only a wallet that saw withheld
//! data may drop that rule (S-7.2). [`PrivateExit`] is what `startExit` takes besides the bond;
//! [`RelayRequest`] is its versioned file form.

use std::time::Instant;

use alloy_primitives::{Address, B256, U256};
use ark_ff::PrimeField;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_primitives::{BlockHeader, shielded::ExtData};
use debye_zk::{
    Fr,
    circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment},
    groth16::{self, JoinSplitProvingKey},
    merkle::{MerklePath, TREE_DEPTH},
    note::Note,
};
use serde::{Deserialize, Serialize};

use super::{
    REP_SECS, format_amount, fr_to_b256, fr_to_u256,
    notes::{NoteStatus, ShieldedState},
    scan::Scanner,
    transfer::rounded_expiry,
    tree::root_and_paths,
    u256_to_fr,
};
use crate::error::{Error, Result};

/// What the wallet is asked to exit.
#[derive(Clone, Debug)]
pub struct ExitParams {
    /// Leaf position of the note (the id `debye wallet notes` shows).
    pub position: u64,
    /// The L1 payee of `amount − fee`.
    pub recipient: Address,
    /// The relayer's fee in token units (0: none).
    pub fee: u64,
    /// Where the fee is credited; must be nonzero when `fee` is (S-5.5 as built).
    pub fee_recipient: Address,
    /// The L1 chain id.
    pub chain_id: u64,
    /// The ShieldedPool contract (`ext.anchor`).
    pub pool: Address,
    /// The wallet's clock (unix seconds).
    pub now: u64,
    /// How long the request may wait for `startExit` (clamped to `MAX_LIFETIME`).
    pub ttl: u64,
    /// Prove against the newest root holding the note even when it is younger than `REP`:
    /// only when a withheld block makes waiting worse than the timing leak (S-7.2).
    pub allow_young_root: bool,
}

/// A proven exit: the fields of `IShieldedPool.ExitRequest` and the root block's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateExit {
    /// Public inputs 1 and 2: the note's nullifier and the dummy's.
    pub nullifiers: [U256; 2],
    /// The L1 token (zero for ETH).
    pub token: Address,
    /// The note's amount in token units.
    pub amount: u64,
    /// The proof in verifier order.
    pub proof: [U256; 8],
    /// External data (kind `EXIT`).
    pub ext: ExtData,
    /// The committed block whose `noteRoot` the proof uses; `startExit` takes its header.
    pub root_header: BlockHeader,
    /// The note's leaf position.
    pub position: u64,
    /// Whether the root is younger than `REP` (allowed only under a withheld-data alert).
    pub root_reveals_timing: bool,
    /// Wall-clock milliseconds the proof took.
    pub prove_ms: u64,
}

/// `RelayRequest::version` this code writes and reads.
pub const RELAY_REQUEST_VERSION: u32 = 1;
/// `RelayRequest::kind`: what the file is, so a wrong file is refused by name.
pub const RELAY_REQUEST_KIND: &str = "debye/shielded/exit-relay";

/// A relay request: a proven exit any L1 account can submit with the bond (S-5.9: a fresh
/// recipient needs no gas; the relayer earns `fee`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelayRequest {
    /// [`RELAY_REQUEST_KIND`].
    pub kind: String,
    /// [`RELAY_REQUEST_VERSION`].
    pub version: u32,
    /// The L1 chain id (also inside `exit.ext`).
    pub chain_id: u64,
    /// The pool (also `exit.ext.anchor`).
    pub pool: Address,
    /// The root block's number (its header is `exit.rootHeader`).
    pub root_block: u64,
    /// The proven exit.
    pub exit: PrivateExit,
}

impl RelayRequest {
    /// Wraps a proven exit.
    pub fn new(exit: PrivateExit) -> Self {
        Self {
            kind: RELAY_REQUEST_KIND.into(),
            version: RELAY_REQUEST_VERSION,
            chain_id: exit.ext.chain_id,
            pool: exit.ext.anchor,
            root_block: exit.root_header.number,
            exit,
        }
    }

    /// Parses and checks a relay request file's text: kind, version, and that the outer fields
    /// agree with the exit's own (a hand-edited file is refused before any gas is spent).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: String| Error::RelayRequest(why);
        let r: Self = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if r.kind != RELAY_REQUEST_KIND {
            return Err(bad(format!(
                "kind {:?}, expected {RELAY_REQUEST_KIND:?}",
                r.kind
            )));
        }
        if r.version != RELAY_REQUEST_VERSION {
            return Err(bad(format!(
                "version {}, this wallet reads version {RELAY_REQUEST_VERSION}",
                r.version
            )));
        }
        let e = &r.exit;
        if r.chain_id != e.ext.chain_id
            || r.pool != e.ext.anchor
            || r.root_block != e.root_header.number
        {
            return Err(bad(
                "chainId, pool or rootBlock disagree with the exit's own data".into(),
            ));
        }
        if e.ext.kind != debye_zk::ext_data::KIND_EXIT {
            return Err(bad(format!("ext.kind {}, not EXIT", e.ext.kind)));
        }
        Ok(r)
    }

    /// What the recipient receives once paid: `amount − fee` units.
    pub const fn payout(&self) -> u64 {
        self.exit.amount.saturating_sub(self.exit.ext.fee)
    }
}

/// The L1 token address of a token field element (ETH = 0, S-4.1); `None` above 160 bits.
pub fn token_address(token: &U256) -> Option<Address> {
    (token.bit_len() <= 160).then(|| Address::from_slice(&token.to_be_bytes::<32>()[12..]))
}

fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    b
}

impl ShieldedState {
    /// The root an exit of the note at `position` names (S-6.4): the newest scanned block that
    /// changed the tree, holds the note and is at least `REP` old. With `allow_young`, the newest
    /// block holding it when no old one does (`true`: it reveals timing). Otherwise, when none is
    /// old enough, [`Error::NoExitRootYet`] says from when one will be.
    pub fn choose_exit_root(
        &self,
        position: u64,
        now: u64,
        allow_young: bool,
    ) -> Result<(u64, bool)> {
        let holding = || {
            self.headers
                .values()
                .filter(|h| h.note_count > position && h.note_count > 0)
        };
        if let Some(h) = holding().rfind(|h| h.timestamp.saturating_add(REP_SECS) <= now) {
            return Ok((h.number, false));
        }
        if allow_young && let Some(h) = holding().next_back() {
            return Ok((h.number, true));
        }
        match holding().next() {
            Some(h) => Err(Error::NoExitRootYet {
                position,
                ready_at: h.timestamp.saturating_add(REP_SECS),
            }),
            None => Err(Error::NoCommittedRoot(vec![position])),
        }
    }

    /// Checks an exit's parameters against the note and the rules L1 applies (S-5.5), before
    /// anything slow: typed errors a person can act on.
    pub fn check_exit(&self, p: &ExitParams) -> Result<usize> {
        let i = self
            .notes
            .iter()
            .position(|n| n.position == p.position)
            .ok_or(Error::UnknownNote(p.position))?;
        let note = &self.notes[i];
        if note.status != NoteStatus::Unspent {
            return Err(Error::NoteNotSpendable {
                position: p.position,
                status: note.status.describe(),
            });
        }
        if p.recipient == Address::ZERO {
            return Err(Error::ZeroRecipient);
        }
        if p.fee > note.amount {
            return Err(Error::FeeAboveAmount {
                fee: p.fee,
                amount: note.amount,
            });
        }
        if p.fee > 0 && p.fee_recipient == Address::ZERO {
            return Err(Error::FeeWithoutRelayer);
        }
        if token_address(&note.token).is_none() {
            return Err(Error::InvalidAmount(
                "the note's token is not an L1 address".into(),
            ));
        }
        Ok(i)
    }

    /// Builds, signs and proves the exit of one whole note; marks nothing (see
    /// [`Self::mark_exiting`]).
    pub fn build_exit(
        &self,
        scanner: &Scanner,
        pk: &JoinSplitProvingKey,
        p: &ExitParams,
    ) -> Result<PrivateExit> {
        let i = self.check_exit(p)?;
        let record = &self.notes[i];
        let (root_block, reveals) = self.choose_exit_root(p.position, p.now, p.allow_young_root)?;
        let header = self.headers[&root_block];
        let leaves = self.leaf_fields()?;
        let count = usize::try_from(header.note_count)
            .unwrap_or(usize::MAX)
            .min(leaves.len());
        let (root, paths) = root_and_paths(&leaves[..count], &[p.position]);
        if fr_to_b256(&root) != header.note_root {
            return Err(Error::ShieldedBlock {
                block: root_block,
                reason: "stored leaves do not rebuild the block's noteRoot".into(),
            });
        }
        let keys = scanner.keys();
        let (auth, nk) = (keys.auth().public(), scanner.nk());
        let own = keys.address();
        let note = record.note(own.owner)?;
        // A zero dummy fills the second input: its path is not checked (circuits.md §6.9) and
        // its random rho gives it a fresh nullifier, so nullifier0 ≠ nullifier1 (S-5.5).
        let dummy = Note {
            owner: own.owner,
            token: note.token,
            amount: 0,
            randomness: Fr::from_be_bytes_mod_order(&random32()),
        };
        let dummy_path = MerklePath {
            position: 0,
            siblings: vec![Fr::from(0u64); TREE_DEPTH],
        };
        let ext = ExtData {
            kind: debye_zk::ext_data::KIND_EXIT,
            recipient: p.recipient,
            fee_recipient: p.fee_recipient,
            fee: p.fee,
            expiry: rounded_expiry(p.now, p.ttl)?,
            chain_id: p.chain_id,
            anchor: p.pool,
            policy: debye_primitives::shielded::POLICY,
            nonce: B256::from(random32()),
            ct_hash0: B256::ZERO,
            ct_hash1: B256::ZERO,
        };
        let ext_hash =
            u256_to_fr(&ext.hash()).ok_or_else(|| Error::InvalidAmount("extDataHash".into()))?;
        let circuit = JoinSplitCircuit::new(
            [
                InputAssignment::new(&note, auth, nk, &paths[0]),
                InputAssignment::new(&dummy, auth, nk, &dummy_path),
            ],
            // Whole-note exit: both outputs are CM_ZERO (S-5.5).
            [OutputAssignment::zero(), OutputAssignment::zero()],
            root,
            -i128::from(note.amount),
            note.token,
            ext_hash,
        )?
        .sign(keys.auth())?;
        let public = circuit.public;
        let started = Instant::now();
        let proof = groth16::prove(pk, circuit, &mut StdRng::from_seed(random32()))?;
        let prove_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut words = [U256::ZERO; 8];
        for (w, s) in words.iter_mut().zip(&groth16::proof_words(&proof)) {
            *w = s
                .parse()
                .map_err(|_| Error::InvalidAmount("proof word".into()))?;
        }
        Ok(PrivateExit {
            nullifiers: public.nullifiers.map(|x| fr_to_u256(&x)),
            token: token_address(&record.token).unwrap_or_default(),
            amount: note.amount,
            proof: words,
            ext,
            root_header: header,
            position: p.position,
            root_reveals_timing: reveals,
            prove_ms,
        })
    }

    /// Marks the exited note: it leaves the spendable balance at once, whoever submits the
    /// request (the proof is out of the wallet's hands).
    pub fn mark_exiting(&mut self, e: &PrivateExit) {
        for n in &mut self.notes {
            if n.position == e.position && n.status == NoteStatus::Unspent {
                n.status = NoteStatus::Exiting {
                    expiry: e.ext.expiry,
                    recipient: e.ext.recipient,
                };
            }
        }
    }

    /// Records that exit `index` started on L1 for the note whose nullifier is `nullifier`.
    /// Returns whether a note of this wallet changed.
    pub fn mark_exit_started(&mut self, nullifier: &U256, index: u32) -> bool {
        let mut changed = false;
        for n in &mut self.notes {
            if n.nullifier == *nullifier && !matches!(n.status, NoteStatus::Exited { .. }) {
                n.status = NoteStatus::Exited { exit: index };
                changed = true;
            }
        }
        changed
    }
}

/// A human summary of an exit: amount, fee and payee.
pub fn describe(e: &PrivateExit) -> String {
    let token = U256::from_be_slice(e.token.as_slice());
    format!(
        "exit of note #{} ({}) to {}, fee {} to {}",
        e.position,
        format_amount(&token, e.amount),
        e.ext.recipient,
        format_amount(&token, e.ext.fee),
        e.ext.fee_recipient
    )
}
