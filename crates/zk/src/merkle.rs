//! Incremental Merkle tree of note commitments (docs/circuits.md §5): Poseidon(2) nodes, depth 40,
//! empty leaves are `0`. The tree keeps only its frontier (one node per level); a wallet keeps a
//! [`Witness`] per own note and feeds it every later leaf to keep its authentication path current.

use std::sync::OnceLock;

use ark_ff::Zero;

use crate::poseidon::hash2;
use crate::{Error, Fr, Result};

/// Depth of the note-commitment tree (2^40 leaves; docs/shielded.md S-4.2).
pub const TREE_DEPTH: usize = 40;

/// `zeros[l]` = root of an empty subtree of height `l` (`zeros[0] = 0`, the empty leaf).
pub fn zero_hashes() -> &'static [Fr; TREE_DEPTH + 1] {
    static ZEROS: OnceLock<[Fr; TREE_DEPTH + 1]> = OnceLock::new();
    ZEROS.get_or_init(|| {
        let mut z = [Fr::zero(); TREE_DEPTH + 1];
        for l in 0..TREE_DEPTH {
            z[l + 1] = hash2(z[l], z[l]);
        }
        z
    })
}

/// An append-only tree of height `depth` that stores its frontier only.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Frontier {
    depth: usize,
    next: u64,
    filled: Vec<Fr>,
    root: Fr,
}

impl Frontier {
    fn new(depth: usize) -> Self {
        Self {
            depth,
            next: 0,
            filled: vec![Fr::zero(); depth],
            root: zero_hashes()[depth],
        }
    }

    fn is_full(&self) -> bool {
        self.next >= 1u64 << self.depth
    }

    fn append(&mut self, leaf: Fr) -> Result<u64> {
        if self.is_full() {
            return Err(Error::TreeFull);
        }
        let zeros = zero_hashes();
        let position = self.next;
        let mut idx = position;
        let mut cur = leaf;
        for (filled, zero) in self.filled.iter_mut().zip(zeros.iter()) {
            cur = if idx & 1 == 0 {
                *filled = cur;
                hash2(cur, *zero)
            } else {
                hash2(*filled, cur)
            };
            idx >>= 1;
        }
        self.root = cur;
        self.next += 1;
        Ok(position)
    }
}

/// The note-commitment tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    frontier: Frontier,
}

impl Default for MerkleTree {
    fn default() -> Self {
        Self::new()
    }
}

impl MerkleTree {
    /// An empty tree of depth [`TREE_DEPTH`].
    pub fn new() -> Self {
        Self {
            frontier: Frontier::new(TREE_DEPTH),
        }
    }

    /// Append a commitment; returns its leaf position.
    pub fn append(&mut self, commitment: Fr) -> Result<u64> {
        self.frontier.append(commitment)
    }

    /// Append a commitment the wallet owns and start tracking its witness.
    pub fn append_tracked(&mut self, commitment: Fr) -> Result<Witness> {
        let position = self.append(commitment)?;
        let siblings = (0..TREE_DEPTH)
            .map(|l| ((position >> l) & 1 == 1).then(|| self.frontier.filled[l]))
            .collect();
        Ok(Witness {
            position,
            leaf: commitment,
            next: position + 1,
            siblings,
            cursor: None,
        })
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.frontier.root
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.frontier.next
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.frontier.next == 0
    }
}

/// An authentication path: the sibling at every level, bottom-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerklePath {
    /// Leaf position; bit `l` says whether the node at level `l` is a right child.
    pub position: u64,
    /// Sibling hashes, `TREE_DEPTH` of them, leaf level first.
    pub siblings: Vec<Fr>,
}

impl MerklePath {
    /// The root this path proves `leaf` under.
    pub fn root(&self, leaf: Fr) -> Fr {
        self.siblings.iter().enumerate().fold(leaf, |cur, (l, s)| {
            if (self.position >> l) & 1 == 1 {
                hash2(*s, cur)
            } else {
                hash2(cur, *s)
            }
        })
    }
}

/// A wallet's incrementally updated witness for one of its leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    position: u64,
    leaf: Fr,
    next: u64,
    /// Completed siblings; `None` for right siblings still being filled.
    siblings: Vec<Option<Fr>>,
    /// The right sibling subtree currently being filled: (level, its frontier).
    cursor: Option<(usize, Frontier)>,
}

impl Witness {
    /// The leaf position.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The tracked leaf.
    pub fn leaf(&self) -> Fr {
        self.leaf
    }

    /// Feed the next leaf appended to the tree after this one (in order).
    pub fn append(&mut self, leaf: Fr) -> Result<()> {
        let i = self.next;
        if i >= 1u64 << TREE_DEPTH {
            return Err(Error::TreeFull);
        }
        // The lowest level at which leaf i lies in our right sibling subtree.
        let level = (63 - (i ^ self.position).leading_zeros()) as usize;
        let mut frontier = match self.cursor.take() {
            Some((l, f)) if l == level => f,
            _ => Frontier::new(level),
        };
        frontier.append(leaf)?;
        if frontier.is_full() {
            self.siblings[level] = Some(frontier.root);
        } else {
            self.cursor = Some((level, frontier));
        }
        self.next += 1;
        Ok(())
    }

    /// The current authentication path (valid for the tree after the last fed leaf).
    pub fn path(&self) -> MerklePath {
        let zeros = zero_hashes();
        let siblings = (0..TREE_DEPTH)
            .map(|l| match (&self.siblings[l], &self.cursor) {
                (Some(s), _) => *s,
                (None, Some((cl, f))) if *cl == l => f.root,
                (None, _) => zeros[l],
            })
            .collect();
        MerklePath {
            position: self.position,
            siblings,
        }
    }

    /// The root implied by the current path.
    pub fn root(&self) -> Fr {
        self.path().root(self.leaf)
    }
}
