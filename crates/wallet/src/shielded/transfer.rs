//! Building and proving a private transfer on the client (docs/shielded.md §3, S-6.4, §8).
//!
//! The wallet picks one or two unspent notes (a dummy zero note fills the second input), pays
//! the recipient one output and itself the change, encrypts each output to its owner, fills the
//! external data (kind `TRANSFER`, no recipient or fee, chain id, the pool as anchor, policy 1, a
//! random 256-bit nonce, an expiry rounded down to 10 minutes within `MAX_LIFETIME`), signs the
//! intent with the authorising key and proves against the root of a committed block at least
//! `REP` old when one holds the notes (else the newest committed root, which tells the operator
//! roughly when the notes arrived: [`PrivateTransfer::root_reveals_timing`]). The result is what
//! the operator's `debye_submitShielded` takes.

use std::time::Instant;

use alloy_primitives::{Address, B256, Bytes, U256};
use ark_ff::PrimeField;
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_primitives::shielded::{ExtData, TransferBody};
use debye_zk::{
    Fr,
    circuit::{InputAssignment, JoinSplitCircuit, OutputAssignment},
    groth16::{self, JoinSplitProvingKey},
    merkle::{MerklePath, TREE_DEPTH},
    note::{Note, encrypt_note},
};
use serde::{Deserialize, Serialize};

use super::{
    EXPIRY_ROUNDING_SECS, MAX_LIFETIME_SECS, PrivateAddress, REP_SECS, format_amount, fr_to_b256,
    fr_to_u256,
    notes::{NoteStatus, ShieldedState},
    scan::Scanner,
    tree::root_and_paths,
    u256_to_fr,
};
use crate::error::{Error, Result};

/// What the wallet is asked to pay.
#[derive(Clone, Debug)]
pub struct TransferRequest {
    /// The recipient.
    pub to: PrivateAddress,
    /// Token field element (ETH = 0).
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// The L1 chain id.
    pub chain_id: u64,
    /// The ShieldedPool contract (`ext.anchor`).
    pub pool: Address,
    /// The wallet's clock (unix seconds).
    pub now: u64,
    /// How long the intent may wait for a block (clamped to `MAX_LIFETIME`).
    pub ttl: u64,
}

/// A proven transfer, ready for `debye_submitShielded`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrivateTransfer {
    /// The entry's body: root block, root, public amount (0), token, extDataHash, proof, ext.
    pub body: TransferBody,
    /// Public inputs 1 and 2.
    pub nullifiers: [U256; 2],
    /// Public inputs 3 and 4.
    pub commitments: [U256; 2],
    /// The outputs' ciphertexts, in commitment order.
    pub ciphertexts: [Bytes; 2],
    /// Positions of the wallet's notes it spends.
    pub spends: Vec<u64>,
    /// Whether the root is younger than `REP` (no older committed root held the notes).
    pub root_reveals_timing: bool,
    /// Wall-clock milliseconds the Groth16 proof took.
    pub prove_ms: u64,
}

/// Random bytes from the operating system.
fn random32() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::fill(&mut b[..]);
    b
}

/// `expiry`: `now + ttl` (ttl clamped to `MAX_LIFETIME`) rounded down to 10 minutes, and never
/// at or before `now` (S-6.4).
pub fn rounded_expiry(now: u64, ttl: u64) -> Result<u64> {
    let ttl = ttl.min(MAX_LIFETIME_SECS);
    let expiry = (now.saturating_add(ttl) / EXPIRY_ROUNDING_SECS) * EXPIRY_ROUNDING_SECS;
    if expiry <= now {
        return Err(Error::InvalidAmount(format!(
            "an intent living {ttl} s expires before the next 10-minute mark; give it at least 10 minutes"
        )));
    }
    Ok(expiry)
}

impl PrivateTransfer {
    /// What `debye_submitShielded` takes (docs/api.md): body, nullifiers, commitments and
    /// ciphertexts, without the wallet's own bookkeeping.
    pub fn to_rpc(&self) -> debye_rpc_api::types::ShieldedTransfer {
        debye_rpc_api::types::ShieldedTransfer {
            body: self.body,
            nullifiers: self.nullifiers,
            commitments: self.commitments,
            ciphertexts: self.ciphertexts.clone(),
        }
    }
}

impl ShieldedState {
    /// Chooses the notes: the smallest single note that covers `amount`, else the two largest.
    fn pick(&self, token: &U256, amount: u64) -> Result<Vec<usize>> {
        let mut mine: Vec<usize> = (0..self.notes.len())
            .filter(|&i| {
                self.notes[i].token == *token && self.notes[i].status == NoteStatus::Unspent
            })
            .collect();
        mine.sort_by_key(|&i| self.notes[i].amount);
        if let Some(&i) = mine.iter().find(|&&i| self.notes[i].amount >= amount) {
            return Ok(vec![i]);
        }
        let total: u64 = mine
            .iter()
            .map(|&i| self.notes[i].amount)
            .fold(0, u64::saturating_add);
        if total < amount {
            return Err(Error::InsufficientPrivateFunds {
                token: format_amount(token, 0).trim_start_matches("0 ").to_owned(),
                needed: amount,
                available: total,
            });
        }
        let top: Vec<usize> = mine.iter().rev().take(2).copied().collect();
        if top.iter().map(|&i| self.notes[i].amount).sum::<u64>() < amount {
            let mut acc = 0u64;
            let needed = mine
                .iter()
                .rev()
                .take_while(|&&i| {
                    let before = acc;
                    acc = acc.saturating_add(self.notes[i].amount);
                    before < amount
                })
                .count();
            return Err(Error::TooManyNotes { amount, needed });
        }
        Ok(top)
    }

    /// The block whose root the proof names (S-6.4): the newest scanned block that changed the
    /// tree, holds every position in `positions` and is at least `REP` old; else the newest one
    /// holding them (`true`: it reveals timing).
    pub fn choose_root(&self, positions: &[u64], now: u64) -> Result<(u64, bool)> {
        let need = positions.iter().map(|p| p + 1).max().unwrap_or(0);
        let holding = || {
            self.headers
                .values()
                .filter(|h| h.note_count >= need && h.note_count > 0)
        };
        if let Some(h) = holding().rfind(|h| h.timestamp.saturating_add(REP_SECS) <= now) {
            return Ok((h.number, false));
        }
        holding()
            .next_back()
            .map(|h| (h.number, true))
            .ok_or_else(|| Error::NoCommittedRoot(positions.to_vec()))
    }

    /// Builds, signs and proves a transfer; marks nothing (see [`Self::mark_pending`]).
    pub fn build_transfer(
        &self,
        scanner: &Scanner,
        pk: &JoinSplitProvingKey,
        req: &TransferRequest,
    ) -> Result<PrivateTransfer> {
        if req.amount == 0 {
            return Err(Error::InvalidAmount("zero".into()));
        }
        let token = u256_to_fr(&req.token).ok_or_else(|| Error::InvalidAmount("token".into()))?;
        let picked = self.pick(&req.token, req.amount)?;
        let positions: Vec<u64> = picked.iter().map(|&i| self.notes[i].position).collect();
        let (root_block, reveals) = self.choose_root(&positions, req.now)?;
        let header = &self.headers[&root_block];
        let leaves = self.leaf_fields()?;
        let count = usize::try_from(header.note_count)
            .unwrap_or(usize::MAX)
            .min(leaves.len());
        let (root, paths) = root_and_paths(&leaves[..count], &positions);
        if fr_to_b256(&root) != header.note_root {
            return Err(Error::ShieldedBlock {
                block: root_block,
                reason: "stored leaves do not rebuild the block's noteRoot".into(),
            });
        }
        let keys = scanner.keys();
        let (auth, nk) = (keys.auth().public(), scanner.nk());
        let own = keys.address();
        let mut inputs = Vec::with_capacity(2);
        let mut total = 0u64;
        for (&i, path) in picked.iter().zip(&paths) {
            let note = self.notes[i].note(own.owner)?;
            total = total.saturating_add(note.amount);
            inputs.push(InputAssignment::new(&note, auth, nk, path));
        }
        if inputs.len() < 2 {
            // A zero note: its Merkle path is not checked (circuits.md §6.9); its random rho
            // gives it a fresh nullifier.
            let dummy = Note {
                owner: own.owner,
                token,
                amount: 0,
                randomness: Fr::from_be_bytes_mod_order(&random32()),
            };
            let path = MerklePath {
                position: 0,
                siblings: vec![Fr::from(0u64); TREE_DEPTH],
            };
            inputs.push(InputAssignment::new(&dummy, auth, nk, &path));
        }
        let nonce = B256::from(random32());
        let secret = keys.output_secret(0);
        let rho = |k: u8| {
            let mut pre = nonce.to_vec();
            pre.push(k);
            secret.randomness(Fr::from_be_bytes_mod_order(
                alloy_primitives::keccak256(&pre).as_slice(),
            ))
        };
        let pay = Note {
            owner: req.to.0.owner,
            token,
            amount: req.amount,
            randomness: rho(0),
        };
        let change = Note {
            owner: own.owner,
            token,
            amount: total - req.amount,
            randomness: rho(1),
        };
        let mut outs = [(pay, req.to.0), (change, own)];
        if random32()[0] & 1 == 1 {
            outs.swap(0, 1);
        }
        let cts = [
            encrypt_note(&outs[0].0, &outs[0].1, random32())?,
            encrypt_note(&outs[1].0, &outs[1].1, random32())?,
        ];
        let ext = ExtData {
            kind: debye_zk::ext_data::KIND_TRANSFER,
            recipient: Address::ZERO,
            fee_recipient: Address::ZERO,
            fee: 0,
            expiry: rounded_expiry(req.now, req.ttl)?,
            chain_id: req.chain_id,
            anchor: req.pool,
            policy: debye_primitives::shielded::POLICY,
            nonce,
            ct_hash0: alloy_primitives::keccak256(&cts[0]),
            ct_hash1: alloy_primitives::keccak256(&cts[1]),
        };
        let ext_hash =
            u256_to_fr(&ext.hash()).ok_or_else(|| Error::InvalidAmount("extDataHash".into()))?;
        let [in0, in1]: [InputAssignment; 2] = inputs
            .try_into()
            .map_err(|_| Error::InvalidAmount("inputs".into()))?;
        let circuit = JoinSplitCircuit::new(
            [in0, in1],
            [
                OutputAssignment::new(&outs[0].0),
                OutputAssignment::new(&outs[1].0),
            ],
            root,
            0,
            token,
            ext_hash,
        )?
        .sign(keys.auth())?;
        let public = circuit.public;
        let started = Instant::now();
        let proof = groth16::prove(pk, circuit, &mut StdRng::from_seed(random32()))?;
        let prove_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let words = groth16::proof_words(&proof);
        let mut proof_words = [U256::ZERO; 8];
        for (w, s) in proof_words.iter_mut().zip(&words) {
            *w = s
                .parse()
                .map_err(|_| Error::InvalidAmount("proof word".into()))?;
        }
        let [ct0, ct1] = cts;
        Ok(PrivateTransfer {
            body: TransferBody {
                root_block,
                root: fr_to_u256(&root),
                public_amount: U256::ZERO,
                token: req.token,
                ext_data_hash: ext.hash(),
                proof: proof_words,
                ext,
            },
            nullifiers: public.nullifiers.map(|x| fr_to_u256(&x)),
            commitments: public.commitments.map(|x| fr_to_u256(&x)),
            ciphertexts: [ct0.into(), ct1.into()],
            spends: positions,
            root_reveals_timing: reveals,
            prove_ms,
        })
    }

    /// Marks the transfer's inputs pending until its expiry (they become spent when their
    /// nullifier appears in a committed block, or unspent again after the expiry).
    pub fn mark_pending(&mut self, t: &PrivateTransfer) {
        for n in &mut self.notes {
            if t.spends.contains(&n.position) && n.status == NoteStatus::Unspent {
                n.status = NoteStatus::Pending {
                    expiry: t.body.ext.expiry,
                };
            }
        }
    }
}
