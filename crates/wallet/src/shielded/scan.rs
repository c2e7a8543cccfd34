//! Scanning whole blocks with the viewing key (docs/shielded.md S-6.2).
//!
//! For each block, in order, the wallet checks the shielded section against the header (count,
//! `entriesRoot`, positions from `firstLeaf`, S-3.2; ciphertext hashes, S-6.1; `noteCount` and
//! `noteRoot` recomputed from the leaves), then tries each ciphertext: detection tag first (one
//! X25519 and one HKDF, [`debye_zk::note::NoteScanner`] caching what does not change per
//! ciphertext), and a decrypted opening counts only if it recomputes the entry's commitment (a
//! forged ciphertext must not create a phantom balance). Own nullifiers mark notes spent. A
//! block not committed on L1 is refused before anything is learnt from it.

use alloy_primitives::U256;
use debye_primitives::{
    BlockHeader,
    shielded::{Entry, EntryBody, EntryKind, entries_root},
};
use debye_zk::{
    Fr,
    keys::Keys,
    note::{NOTE_CIPHERTEXT_LEN, NoteScanner, nullifier},
};
use serde::{Deserialize, Serialize};

use super::{
    fr_to_b256, fr_to_u256,
    notes::{NoteRecord, NoteStatus, ShieldedState},
    tree::header_root,
    u256_to_fr,
};
use crate::error::{Error, Result};

/// The keys scanning needs, with the per-wallet values precomputed.
#[derive(Clone, Debug)]
pub struct Scanner {
    keys: Keys,
    decryptor: NoteScanner,
    nk: Fr,
}

impl Scanner {
    /// From the wallet's shielded keys.
    pub fn new(keys: Keys) -> Self {
        let owner = keys.address().owner;
        Self {
            decryptor: NoteScanner::new(keys.viewing(), owner),
            nk: keys.nullifier_key().to_field(),
            keys,
        }
    }

    /// The keys.
    pub const fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The nullifier key's field element.
    pub const fn nk(&self) -> Fr {
        self.nk
    }

    /// Trial-decrypts one ciphertext: the note if it is ours, else `None` (tag mismatch, or a
    /// tag match that fails authentication).
    pub fn try_decrypt(&self, ciphertext: &[u8]) -> Option<debye_zk::note::Note> {
        self.decryptor.try_decrypt(ciphertext).ok().flatten()
    }
}

/// A note found by a scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    /// Token field element.
    pub token: U256,
    /// Amount in token units.
    pub amount: u64,
    /// Leaf position.
    pub position: u64,
}

/// What scanning one block did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockScan {
    /// The block.
    pub block: u64,
    /// Notes found.
    pub received: Vec<Received>,
    /// Positions of own notes whose nullifier appeared.
    pub spent: Vec<u64>,
    /// Positions of pending notes whose intent expired unspent (spendable again).
    pub released: Vec<u64>,
    /// Ciphertexts whose detection tag matched but that did not decrypt, or decrypted to an
    /// opening that does not recompute the entry's commitment: ignored.
    pub ignored: usize,
}

fn refuse(block: u64, reason: impl Into<String>) -> Error {
    Error::ShieldedBlock {
        block,
        reason: reason.into(),
    }
}

impl ShieldedState {
    /// Scans block `header.number`, the one after [`Self::scanned_to`], given its shielded
    /// section as `(entry, ciphertexts)` in order. `l1_committed`: the caller checked the header
    /// against the hash L1 stores for the block (S-6.2: notes only from committed blocks).
    /// Nothing changes unless the whole section checks.
    pub fn scan_block<C: AsRef<[u8]>>(
        &mut self,
        scanner: &Scanner,
        header: &BlockHeader,
        l1_committed: bool,
        entries: &[(&Entry, &[C])],
    ) -> Result<BlockScan> {
        let n = header.number;
        if !l1_committed {
            return Err(refuse(n, "the block is not committed on L1"));
        }
        if n != self.scanned_to + 1 {
            return Err(refuse(
                n,
                format!("expected block {} next", self.scanned_to + 1),
            ));
        }
        if entries.len() != header.entry_count as usize {
            return Err(refuse(
                n,
                format!(
                    "{} entries, header says {}",
                    entries.len(),
                    header.entry_count
                ),
            ));
        }
        let leaves: Vec<_> = entries.iter().map(|(e, _)| e.leaf()).collect();
        if entries_root(&leaves)? != header.entries_root {
            return Err(refuse(n, "entries do not hash to the header's entriesRoot"));
        }
        let mut new_leaves: Vec<U256> = Vec::with_capacity(2 * entries.len());
        let base = self.leaves.len() as u64;
        let mut report = BlockScan {
            block: n,
            ..BlockScan::default()
        };
        let mut found: Vec<NoteRecord> = Vec::new();
        let mut spent_nfs: Vec<U256> = Vec::new();
        for (i, (entry, cts)) in entries.iter().enumerate() {
            entry.check()?;
            let first = base + 2 * i as u64;
            if entry.head.first_leaf != first {
                return Err(refuse(
                    n,
                    format!(
                        "entry {i} at leaf {}, expected {first}",
                        entry.head.first_leaf
                    ),
                ));
            }
            let cms = [entry.head.commitment0, entry.head.commitment1];
            for cm in cms {
                if u256_to_fr(&cm).is_none() {
                    return Err(refuse(
                        n,
                        format!("entry {i}: commitment not a field element"),
                    ));
                }
            }
            new_leaves.extend(cms);
            match (&entry.body, entry.head.kind) {
                (EntryBody::Transfer(body), EntryKind::Transfer) => {
                    if cts.len() != 2 {
                        return Err(refuse(
                            n,
                            format!("entry {i}: {} ciphertexts, not 2", cts.len()),
                        ));
                    }
                    let hashes = [body.ext.ct_hash0, body.ext.ct_hash1];
                    for (j, ct) in cts.iter().enumerate() {
                        if alloy_primitives::keccak256(ct.as_ref()) != hashes[j] {
                            return Err(refuse(
                                n,
                                format!("entry {i}: ciphertext {j} does not match ctHash{j}"),
                            ));
                        }
                    }
                    spent_nfs.extend([entry.head.nullifier0, entry.head.nullifier1]);
                    for (j, ct) in cts.iter().enumerate() {
                        let ct = ct.as_ref();
                        if ct.len() != NOTE_CIPHERTEXT_LEN {
                            continue;
                        }
                        match scanner.decryptor.try_decrypt(ct) {
                            Ok(None) => {}
                            Ok(Some(note)) => {
                                if fr_to_u256(&note.commitment()) != cms[j] {
                                    report.ignored += 1;
                                } else if note.amount > 0 {
                                    found.push(record(scanner, &note, first + j as u64, n));
                                }
                            }
                            Err(_) => report.ignored += 1,
                        }
                    }
                }
                (EntryBody::Deposit(_), EntryKind::Deposit) => {
                    if let Some(k) = self.expected.iter().position(|e| e.commitment == cms[0]) {
                        let e = self.expected.remove(k);
                        let note = debye_zk::note::Note {
                            owner: scanner.keys.address().owner,
                            token: u256_to_fr(&e.token).unwrap_or_default(),
                            amount: e.amount,
                            randomness: u256_to_fr(&e.rho).unwrap_or_default(),
                        };
                        found.push(record(scanner, &note, first, n));
                    }
                }
                _ => return Err(refuse(n, format!("entry {i}: kind and body disagree"))),
            }
        }
        let count = base + new_leaves.len() as u64;
        if header.note_count != count {
            return Err(refuse(
                n,
                format!("noteCount {}, the entries make {count}", header.note_count),
            ));
        }
        if !new_leaves.is_empty() {
            let mut all = self.leaf_fields()?;
            all.extend(new_leaves.iter().filter_map(u256_to_fr));
            if fr_to_b256(&header_root(&all)) != header.note_root {
                return Err(refuse(
                    n,
                    "noteRoot does not match the tree the entries build",
                ));
            }
        }
        // The block checks: apply it.
        self.leaves.extend(new_leaves);
        if header.entry_count > 0 {
            self.headers.insert(n, *header);
        }
        for note in &mut self.notes {
            if spent_nfs.contains(&note.nullifier)
                && !matches!(note.status, NoteStatus::Spent { .. })
            {
                note.status = NoteStatus::Spent { block: n };
                report.spent.push(note.position);
            } else if let NoteStatus::Pending { expiry } = note.status
                && header.timestamp > expiry
            {
                note.status = NoteStatus::Unspent;
                report.released.push(note.position);
            }
        }
        for r in found {
            if self.notes.iter().all(|o| o.position != r.position) {
                report.received.push(super::scan::Received {
                    token: r.token,
                    amount: r.amount,
                    position: r.position,
                });
                self.notes.push(r);
            }
        }
        self.scanned_to = n;
        Ok(report)
    }

    /// [`Self::scan_block`] over a block's shielded section as the operator serves it (each
    /// entry with its ciphertexts).
    pub fn scan_section(
        &mut self,
        scanner: &Scanner,
        header: &BlockHeader,
        l1_committed: bool,
        section: &debye_primitives::ShieldedSection,
    ) -> Result<BlockScan> {
        let entries: Vec<(&Entry, &[alloy_primitives::Bytes])> = section
            .entries()
            .iter()
            .map(|e| (&e.entry, e.ciphertexts.as_slice()))
            .collect();
        self.scan_block(scanner, header, l1_committed, &entries)
    }

    /// Refreshes every unspent or pending note's path to the newest scanned block that changed
    /// the tree (S-4.4: what an exit with no operator needs). Returns that block.
    pub fn refresh_paths(&mut self) -> Result<Option<u64>> {
        let Some((&block, header)) = self.headers.iter().next_back() else {
            return Ok(None);
        };
        let count = header.note_count as usize;
        let live: Vec<usize> = (0..self.notes.len())
            .filter(|&i| {
                !matches!(self.notes[i].status, NoteStatus::Spent { .. })
                    && (self.notes[i].position as usize) < count
            })
            .collect();
        if live.is_empty() {
            return Ok(Some(block));
        }
        let leaves = self.leaf_fields()?;
        let positions: Vec<u64> = live.iter().map(|&i| self.notes[i].position).collect();
        let (root, paths) = super::tree::root_and_paths(&leaves[..count], &positions);
        if fr_to_b256(&root) != header.note_root {
            return Err(refuse(
                block,
                "stored leaves do not rebuild the block's noteRoot",
            ));
        }
        for (&i, p) in live.iter().zip(&paths) {
            self.notes[i].path = Some(super::notes::NotePath::new(block, p));
        }
        Ok(Some(block))
    }
}

fn record(scanner: &Scanner, note: &debye_zk::note::Note, position: u64, block: u64) -> NoteRecord {
    let cm = note.commitment();
    NoteRecord {
        token: fr_to_u256(&note.token),
        amount: note.amount,
        rho: fr_to_u256(&note.randomness),
        commitment: fr_to_u256(&cm),
        position,
        block,
        nullifier: fr_to_u256(&nullifier(&scanner.nk, &cm, position)),
        status: NoteStatus::Unspent,
        path: None,
    }
}
