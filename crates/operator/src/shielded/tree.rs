//! The note tree as the operator keeps it (docs/shielded.md S-4.2, S-4.3): its frontier only.
//! Appending a leaf hashes only while it completes subtrees (about one Poseidon per leaf on
//! average); the root costs one hash per level and is computed only where a header or a
//! checkpoint needs it (S-3.6), never per leaf.

use alloy_primitives::B256;
use debye_storage::NoteFrontier;
use debye_zk::{
    Fr,
    merkle::{TREE_DEPTH, zero_hashes},
    poseidon::hash2,
};

use super::field;

/// Why the tree cannot take a leaf or be read from the store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TreeError {
    /// `2^DEPTH` leaves are in.
    #[error("the note tree is full")]
    Full,
    /// A stored frontier does not fit its count, or a node is not a field element.
    #[error("stored note frontier is corrupt")]
    Corrupt,
}

/// An append-only Poseidon tree of depth [`TREE_DEPTH`], empty leaf 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoteTree {
    count: u64,
    /// One node per set bit of `count`, lowest first (see [`NoteFrontier::nodes`]).
    nodes: Vec<Fr>,
}

impl NoteTree {
    /// The tree a stored frontier describes.
    pub(crate) fn from_frontier(f: &NoteFrontier) -> Result<Self, TreeError> {
        if !f.is_consistent() || f.count > 1u64 << TREE_DEPTH {
            return Err(TreeError::Corrupt);
        }
        let nodes = f
            .nodes
            .iter()
            .map(field::from_b256)
            .collect::<Option<Vec<_>>>()
            .ok_or(TreeError::Corrupt)?;
        Ok(Self {
            count: f.count,
            nodes,
        })
    }

    /// The frontier to store.
    pub(crate) fn frontier(&self) -> NoteFrontier {
        NoteFrontier {
            count: self.count,
            nodes: self.nodes.iter().map(field::b256).collect(),
        }
    }

    /// Leaves in the tree.
    pub(crate) const fn count(&self) -> u64 {
        self.count
    }

    /// Appends `leaf` at position [`Self::count`].
    pub(crate) fn append(&mut self, leaf: Fr) -> Result<(), TreeError> {
        if self.count >= 1u64 << TREE_DEPTH {
            return Err(TreeError::Full);
        }
        // The low set bits of `count` are the complete subtrees the new leaf closes.
        let merged = self.count.trailing_ones() as usize;
        let node = self.nodes[..merged]
            .iter()
            .fold(leaf, |cur, left| hash2(*left, cur));
        self.nodes.drain(..merged);
        self.nodes.insert(0, node);
        self.count += 1;
        Ok(())
    }

    /// The root (of the empty tree too: `zeros[DEPTH]`).
    pub(crate) fn root(&self) -> Fr {
        let zeros = zero_hashes();
        let mut nodes = self.nodes.iter();
        // `None`: the subtree so far is empty.
        let mut cur: Option<Fr> = None;
        for (level, zero) in zeros.iter().enumerate().take(TREE_DEPTH) {
            cur = if (self.count >> level) & 1 == 1 {
                let left = nodes.next().copied().unwrap_or(*zero);
                Some(hash2(left, cur.unwrap_or(*zero)))
            } else {
                cur.map(|c| hash2(c, *zero))
            };
        }
        cur.unwrap_or(zeros[TREE_DEPTH])
    }

    /// The header's `noteRoot`: the root, or zero for the empty tree (S-4.2).
    pub(crate) fn header_root(&self) -> B256 {
        if self.count == 0 {
            B256::ZERO
        } else {
            field::b256(&self.root())
        }
    }
}

#[cfg(test)]
mod tests {
    use debye_zk::merkle::MerkleTree;

    use super::*;

    /// The frontier tree agrees with `debye-zk`'s tree (the one wallets and the circuit use) at
    /// every size, survives the store's round trip, and refuses corrupt frontiers.
    #[test]
    fn agrees_with_the_circuit_tree() {
        let mut ours = NoteTree::default();
        let mut theirs = MerkleTree::new();
        assert_eq!(ours.root(), theirs.root());
        assert_eq!(ours.header_root(), B256::ZERO);
        for i in 0..70u64 {
            let leaf = Fr::from(i * 7 + 1);
            ours.append(leaf).expect("room");
            theirs.append(leaf).expect("room");
            assert_eq!(ours.root(), theirs.root(), "after {} leaves", i + 1);
            let back = NoteTree::from_frontier(&ours.frontier()).expect("frontier");
            assert_eq!(back, ours);
        }
        assert_eq!(ours.count(), 70);
        let mut bad = ours.frontier();
        bad.nodes.pop();
        assert_eq!(NoteTree::from_frontier(&bad), Err(TreeError::Corrupt));
        let mut bad = ours.frontier();
        bad.nodes[0] = B256::repeat_byte(0xff);
        assert_eq!(NoteTree::from_frontier(&bad), Err(TreeError::Corrupt));
    }
}
