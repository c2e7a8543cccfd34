//! Shielded sections of re-stamped blocks (docs/shielded.md §10, "Re-stamped headers and
//! expiry"). A stored block L1 has not committed may be re-stamped with a later L1 time before
//! submission (formats.md §7). A `TRANSFER` it holds whose `ext.expiry` is before the new
//! timestamp would make the block provably invalid (F3, S-8.3), so the sections are rebuilt
//! without those entries (they become dropped): the block is not on L1, so nothing committed
//! changes. Every later block's leaves move with the tree, so they are rebuilt too.

use alloy_primitives::{B256, U256};
use debye_primitives::shielded::EntryBody;

use super::{
    Submission,
    section::{self, DepositAppend, Section, SectionError},
    submission::BlockEntry,
    tree::NoteTree,
};

/// One stored block to re-stamp: its new timestamp and its section's entries with their ids.
#[derive(Clone, Debug)]
pub(crate) struct StoredSection {
    /// Its new timestamp.
    pub(crate) timestamp: u64,
    /// Its entries, in order, with their ids.
    pub(crate) entries: Vec<(B256, BlockEntry)>,
}

/// A block's section rebuilt for its new timestamp.
#[derive(Clone, Debug)]
pub(crate) struct Rebuilt {
    /// The new section (the header takes its `noteRoot`, `noteCount`, `entriesRoot`,
    /// `entryCount`).
    pub(crate) section: Section,
    /// The ids of the section's entries, in order.
    pub(crate) ids: Vec<B256>,
    /// Transfers left out, expired at the new timestamp: their ids.
    pub(crate) dropped: Vec<B256>,
    /// Their nullifiers (out of the set again).
    pub(crate) freed: Vec<U256>,
}

/// Whether a stored entry is a `TRANSFER` expired at `timestamp` (S-8.3: valid while
/// `timestamp ≤ expiry`).
fn expired(e: &BlockEntry, timestamp: u64) -> bool {
    matches!(&e.entry.body, EntryBody::Transfer(b) if b.ext.expiry < timestamp)
}

/// The sections of `blocks` (consecutive, the first after `tree`) rebuilt without the transfers
/// expired at each block's new timestamp; `None` when none is, and nothing needs to change.
pub(crate) fn rebuild(
    tree: &NoteTree,
    blocks: &[StoredSection],
) -> Result<Option<Vec<Rebuilt>>, SectionError> {
    if !blocks
        .iter()
        .any(|b| b.entries.iter().any(|(_, e)| expired(e, b.timestamp)))
    {
        return Ok(None);
    }
    let mut tree = tree.clone();
    let mut out = Vec::with_capacity(blocks.len());
    for b in blocks {
        let mut deposits = Vec::new();
        let mut transfers = Vec::new();
        let mut ids = Vec::new();
        let mut dropped = Vec::new();
        let mut freed = Vec::new();
        for (id, e) in &b.entries {
            let head = &e.entry.head;
            match &e.entry.body {
                EntryBody::Deposit(d) => {
                    deposits.push(DepositAppend {
                        index: d.deposit_index,
                        cm: head.commitment0,
                    });
                    ids.push(*id);
                }
                EntryBody::Transfer(_) if expired(e, b.timestamp) => {
                    dropped.push(*id);
                    freed.extend([head.nullifier0, head.nullifier1]);
                }
                EntryBody::Transfer(body) => {
                    let [ct0, ct1] =
                        [0, 1].map(|i| e.ciphertexts.get(i).cloned().unwrap_or_default());
                    transfers.push(Submission {
                        body: **body,
                        nullifiers: [head.nullifier0, head.nullifier1],
                        commitments: [head.commitment0, head.commitment1],
                        ciphertexts: [ct0, ct1],
                    });
                    ids.push(*id);
                }
            }
        }
        // Deposits stay first (S-3.3): a stored section already has them first, so `ids`
        // (deposits, then kept transfers) is the new section's order.
        let section = section::build(&tree, &deposits, &transfers)?;
        tree = section.tree.clone();
        out.push(Rebuilt {
            section,
            ids,
            dropped,
            freed,
        });
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shielded::submission::tests::sample;

    fn transfer(i: u64, expiry: u64) -> Submission {
        let mut s = sample();
        s.body.ext.expiry = expiry;
        s.nullifiers = [U256::from(1000 + 2 * i), U256::from(1001 + 2 * i)];
        s.commitments = [U256::from(500 + 2 * i), U256::from(501 + 2 * i)];
        s
    }

    fn stored(tree: &NoteTree, deposits: &[DepositAppend], subs: &[Submission]) -> Section {
        section::build(tree, deposits, subs).unwrap()
    }

    fn with_ids(s: &Section) -> Vec<(B256, BlockEntry)> {
        s.entries
            .iter()
            .enumerate()
            .map(|(i, e)| (B256::repeat_byte(i as u8 + 1), e.clone()))
            .collect()
    }

    /// Block 1: a deposit and transfers expiring at 100 and 200; block 2: a transfer expiring
    /// at 300. Re-stamped at 150: the first transfer is dropped, both sections are rebuilt as if
    /// built without it (block 2's leaves move down), and its nullifiers are freed.
    #[test]
    fn entries_expired_at_the_new_time_are_dropped_and_later_blocks_follow() {
        let dep = [DepositAppend {
            index: 0,
            cm: U256::from(77),
        }];
        let (t1, t2, t3) = (transfer(1, 100), transfer(2, 200), transfer(3, 300));
        let empty = NoteTree::default();
        let b1 = stored(&empty, &dep, &[t1.clone(), t2.clone()]);
        let b2 = stored(&b1.tree, &[], std::slice::from_ref(&t3));
        let blocks = [
            StoredSection {
                timestamp: 90,
                entries: with_ids(&b1),
            },
            StoredSection {
                timestamp: 95,
                entries: with_ids(&b2),
            },
        ];
        assert!(
            rebuild(&empty, &blocks).unwrap().is_none(),
            "nothing expired"
        );

        let blocks: Vec<StoredSection> = blocks
            .into_iter()
            .map(|b| StoredSection {
                timestamp: 150,
                ..b
            })
            .collect();
        let out = rebuild(&empty, &blocks).unwrap().expect("rebuilt");
        let want1 = stored(&empty, &dep, std::slice::from_ref(&t2));
        let want2 = stored(&want1.tree, &[], std::slice::from_ref(&t3));
        assert_eq!(out[0].section, want1);
        assert_eq!(out[1].section, want2);
        assert_eq!(out[0].dropped, vec![B256::repeat_byte(2)]);
        assert_eq!(out[0].freed, t1.nullifiers.to_vec());
        assert_eq!(out[0].ids, vec![B256::repeat_byte(1), B256::repeat_byte(3)]);
        assert!(out[1].dropped.is_empty());
        assert_eq!(out[1].section.entries[0].entry.head.first_leaf, 4);
    }
}
