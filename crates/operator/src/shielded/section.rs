//! Building a block's shielded section (docs/shielded.md §3): deposits first in queue order,
//! then transfers (S-3.3); every entry appends an aligned pair of leaves at `firstLeaf =
//! noteCount + 2i` (S-3.2; a deposit's second leaf is 0); an entry that completes an aligned
//! chunk of `C` leaves carries the root after it (S-3.6); the header gets `noteRoot`,
//! `noteCount`, `entriesRoot` and `entryCount`.

use alloy_primitives::{B256, U256};
use debye_primitives::shielded::{self, Entry};

use super::{
    CHUNK, Submission, field,
    submission::BlockEntry,
    tree::{NoteTree, TreeError},
};

/// An L1 deposit to append: its queue index and commitment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DepositAppend {
    /// Its index `d` in L1's queue.
    pub(crate) index: u32,
    /// Its commitment.
    pub(crate) cm: U256,
}

/// Why a section cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SectionError {
    /// The tree is full or its stored frontier is corrupt.
    #[error(transparent)]
    Tree(#[from] TreeError),
    /// A commitment is not a field element (admission and L1 refuse those).
    #[error("commitment {0:#x} is not a field element")]
    NotAField(U256),
    /// More than `MAX_ENTRIES` entries.
    #[error(transparent)]
    Entries(#[from] debye_primitives::Error),
}

/// A built section and what it sets in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// The entries in order, with their ciphertexts.
    pub(crate) entries: Vec<BlockEntry>,
    /// Every nullifier spent.
    pub(crate) nullifiers: Vec<U256>,
    /// The tree after the block.
    pub(crate) tree: NoteTree,
    /// `noteRoot` (zero while the tree is empty).
    pub(crate) note_root: B256,
    /// `entriesRoot`.
    pub(crate) entries_root: B256,
}

impl Section {
    /// `entryCount`.
    pub(crate) fn entry_count(&self) -> u32 {
        u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
    }
}

fn append_pair(tree: &mut NoteTree, a: U256, b: U256) -> Result<B256, SectionError> {
    for cm in [a, b] {
        tree.append(field::fr(cm).ok_or(SectionError::NotAField(cm))?)?;
    }
    // S-3.6: the entry's second leaf closes a chunk.
    Ok(if tree.count().is_multiple_of(CHUNK) {
        field::b256(&tree.root())
    } else {
        B256::ZERO
    })
}

/// The section after `tree` with `deposits` then `transfers`. Nothing is changed on error.
pub(crate) fn build(
    tree: &NoteTree,
    deposits: &[DepositAppend],
    transfers: &[Submission],
) -> Result<Section, SectionError> {
    let mut tree = tree.clone();
    let mut entries = Vec::with_capacity(deposits.len() + transfers.len());
    let mut nullifiers = Vec::with_capacity(2 * transfers.len());
    for d in deposits {
        let first = tree.count();
        let checkpoint = append_pair(&mut tree, d.cm, U256::ZERO)?;
        entries.push(BlockEntry {
            entry: Entry::deposit(first, checkpoint, d.cm, d.index),
            ciphertexts: vec![],
        });
    }
    for s in transfers {
        let first = tree.count();
        let checkpoint = append_pair(&mut tree, s.commitments[0], s.commitments[1])?;
        nullifiers.extend(s.nullifiers);
        entries.push(BlockEntry {
            entry: s.entry(first, checkpoint),
            ciphertexts: s.ciphertexts.to_vec(),
        });
    }
    let leaves: Vec<B256> = entries.iter().map(|e| e.entry.leaf()).collect();
    let entries_root = shielded::entries_root(&leaves)?;
    Ok(Section {
        note_root: tree.header_root(),
        entries,
        nullifiers,
        tree,
        entries_root,
    })
}

#[cfg(test)]
mod tests {
    use debye_primitives::shielded::EntryKind;
    use debye_zk::merkle::MerkleTree;

    use super::*;
    use crate::shielded::submission::tests::sample;

    fn transfer(i: u64) -> Submission {
        let mut s = sample();
        s.nullifiers = [U256::from(1000 + 2 * i), U256::from(1001 + 2 * i)];
        s.commitments = [U256::from(500 + 2 * i), U256::from(501 + 2 * i)];
        s
    }

    /// Positions, leaves, checkpoints, `noteRoot` and `entriesRoot` match an independent
    /// recomputation with `debye-zk`'s tree, across a chunk boundary and two blocks.
    #[test]
    fn sections_match_an_independent_recomputation() {
        let deposits = [
            DepositAppend {
                index: 0,
                cm: U256::from(77),
            },
            DepositAppend {
                index: 1,
                cm: U256::from(78),
            },
        ];
        let transfers: Vec<Submission> = (0..20).map(transfer).collect();
        let one = build(&NoteTree::default(), &deposits, &transfers).expect("section");
        let two = build(&one.tree, &[], &(20..40).map(transfer).collect::<Vec<_>>()).expect("2");

        let mut reference = MerkleTree::new();
        let mut expected_leaf = 0u64;
        for (section, count) in [(&one, 22usize), (&two, 20)] {
            assert_eq!(section.entries.len(), count);
            for e in &section.entries {
                let h = &e.entry.head;
                assert_eq!(h.first_leaf, expected_leaf, "S-3.2");
                for cm in [h.commitment0, h.commitment1] {
                    reference
                        .append(field::fr(cm).expect("field"))
                        .expect("room");
                }
                expected_leaf += 2;
                let want = if expected_leaf.is_multiple_of(CHUNK) {
                    field::b256(&reference.root())
                } else {
                    B256::ZERO
                };
                assert_eq!(h.checkpoint_root, want, "S-3.6 at leaf {expected_leaf}");
                e.entry.check().expect("head commits to body");
            }
            assert_eq!(section.note_root, field::b256(&reference.root()));
            assert_eq!(section.tree.count(), expected_leaf);
            let leaves: Vec<B256> = section.entries.iter().map(|e| e.entry.leaf()).collect();
            assert_eq!(
                section.entries_root,
                shielded::entries_root(&leaves).expect("root")
            );
        }
        // S-3.3: deposits first, a deposit's second leaf is the empty leaf.
        assert_eq!(one.entries[0].entry.head.kind, EntryKind::Deposit);
        assert_eq!(one.entries[1].entry.head.commitment1, U256::ZERO);
        assert_eq!(one.entries[2].entry.head.kind, EntryKind::Transfer);
        assert_eq!(one.nullifiers.len(), 40);
        // 64 leaves were crossed: exactly one checkpoint (entry 31, leaves 62 and 63).
        let checkpoints = one
            .entries
            .iter()
            .chain(&two.entries)
            .filter(|e| !e.entry.head.checkpoint_root.is_zero())
            .count();
        assert_eq!(checkpoints, 1);
    }

    #[test]
    fn an_empty_section_keeps_the_tree() {
        let s = build(&NoteTree::default(), &[], &[]).expect("empty");
        assert_eq!(
            (s.note_root, s.entries_root, s.entry_count()),
            (B256::ZERO, B256::ZERO, 0)
        );
        let mut bad = transfer(0);
        bad.commitments[1] = U256::MAX;
        assert_eq!(
            build(&NoteTree::default(), &[], &[bad]).unwrap_err(),
            SectionError::NotAField(U256::MAX)
        );
    }
}
