//! The per-block sum Merkle tree and its inclusion and exclusion proofs.
//!
//! Leaves tile the whole coin space `[0, 2^160)` in order. A leaf is a `(length, hash)` pair whose
//! hash is the id of the transaction owning those coins, or zero for a gap (adjacent gaps are
//! merged). An internal node is
//! `(left.length + right.length, keccak256(left.length ‖ left.hash ‖ right.length ‖ right.hash))`
//! with 32-byte big-endian fields. The tree is built pairwise bottom-up; on a level with an odd
//! number of nodes, the last node is promoted unchanged to the next level.
//!
//! A proof is the leaf's length, the siblings from the leaf up (only levels where the node had a
//! sibling) and a `path` bitmap whose bit `i` is set when `siblings[i]` is a *left* sibling. The
//! leaf's implicit range starts at the sum of the lengths of all left siblings.

use alloy_primitives::{B256, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Segment, abi, coin::COIN_SPACE_END, serde_hex};

/// Most siblings a proof may have (the `path` is a `uint64`). A tree of `n` leaves has proofs of
/// at most `ceil(log2 n)` siblings, so this allows `2^64` leaves.
pub const MAX_PROOF_DEPTH: usize = 64;

/// A node of the sum tree (also a proof sibling): a length and a hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofNode {
    /// Number of coins below the node.
    pub length: U256,
    /// Node hash (a transaction id or zero for a leaf).
    pub hash: B256,
}

/// `keccak256(left.length ‖ left.hash ‖ right.length ‖ right.hash)`.
pub fn hash_pair(left: &ProofNode, right: &ProofNode) -> B256 {
    let mut buf = [0u8; 128];
    buf[..32].copy_from_slice(&left.length.to_be_bytes::<32>());
    buf[32..64].copy_from_slice(left.hash.as_slice());
    buf[64..96].copy_from_slice(&right.length.to_be_bytes::<32>());
    buf[96..].copy_from_slice(right.hash.as_slice());
    keccak256(buf)
}

/// The parent of two nodes; [`Error::ProofOverflow`] if the lengths overflow 256 bits.
pub fn parent(left: &ProofNode, right: &ProofNode) -> Result<ProofNode> {
    let length = left
        .length
        .checked_add(right.length)
        .ok_or(Error::ProofOverflow)?;
    Ok(ProofNode {
        length,
        hash: hash_pair(left, right),
    })
}

/// A leaf with its implicit start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// First coin of the leaf (sum of the lengths of the leaves to its left).
    pub start: U256,
    /// Number of coins.
    pub length: U256,
    /// Transaction id, or zero for a gap.
    pub hash: B256,
}

impl Leaf {
    /// One past the last coin of the leaf.
    pub fn end(&self) -> U256 {
        self.start + self.length
    }

    /// Whether this is a gap (null) leaf.
    pub fn is_null(&self) -> bool {
        self.hash.is_zero()
    }
}

/// A block's sum Merkle tree, with every level kept for proof generation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumMerkleTree {
    leaves: Vec<Leaf>,
    /// `levels[0]` are the leaves; the last level holds only the root.
    levels: Vec<Vec<ProofNode>>,
}

impl SumMerkleTree {
    /// The tree of an empty block: a single gap leaf covering the coin space. Its root is zero.
    pub fn empty() -> Self {
        Self::from_leaves(vec![Leaf {
            start: U256::ZERO,
            length: COIN_SPACE_END,
            hash: B256::ZERO,
        }])
    }

    /// Builds the tree from `(segment, tx id)` entries in any order. Entries must not overlap
    /// ([`Error::CoinConflict`]) and ids must be non-zero ([`Error::ZeroLeafHash`]). Each entry
    /// becomes one leaf (touching entries are not merged); the gaps between them become gap leaves.
    pub fn build(entries: impl IntoIterator<Item = (Segment, B256)>) -> Result<Self> {
        let mut entries: Vec<(Segment, B256)> = entries.into_iter().collect();
        entries.sort_unstable_by_key(|(s, _)| (s.start(), s.end()));
        let mut leaves = Vec::with_capacity(entries.len() * 2 + 1);
        let mut cursor = U256::ZERO;
        for (seg, id) in entries {
            if id.is_zero() {
                return Err(Error::ZeroLeafHash);
            }
            if seg.start() < cursor {
                return Err(Error::CoinConflict {
                    start: seg.start(),
                    end: seg.end(),
                });
            }
            if seg.start() > cursor {
                leaves.push(Leaf {
                    start: cursor,
                    length: seg.start() - cursor,
                    hash: B256::ZERO,
                });
            }
            leaves.push(Leaf {
                start: seg.start(),
                length: seg.len(),
                hash: id,
            });
            cursor = seg.end();
        }
        if cursor < COIN_SPACE_END {
            leaves.push(Leaf {
                start: cursor,
                length: COIN_SPACE_END - cursor,
                hash: B256::ZERO,
            });
        }
        Ok(Self::from_leaves(leaves))
    }

    /// Builds from leaves that tile `[0, 2^160)`; lengths then sum to 2^160 and never overflow.
    fn from_leaves(leaves: Vec<Leaf>) -> Self {
        let mut levels = vec![
            leaves
                .iter()
                .map(|l| ProofNode {
                    length: l.length,
                    hash: l.hash,
                })
                .collect::<Vec<_>>(),
        ];
        while let Some(level) = levels.last().filter(|l| l.len() > 1) {
            let next = level
                .chunks(2)
                .filter_map(|pair| match pair {
                    [l, r] => Some(ProofNode {
                        length: l.length + r.length,
                        hash: hash_pair(l, r),
                    }),
                    [only] => Some(*only),
                    _ => None,
                })
                .collect();
            levels.push(next);
        }
        Self { leaves, levels }
    }

    /// The root hash committed in the block header (`txRoot`).
    pub fn root(&self) -> B256 {
        self.levels
            .last()
            .and_then(|l| l.first())
            .map_or(B256::ZERO, |n| n.hash)
    }

    /// The leaves, in coin order.
    pub fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    /// Index of the leaf holding `coin` (`None` if `coin >= 2^160`).
    pub fn find_leaf(&self, coin: U256) -> Option<usize> {
        if coin >= COIN_SPACE_END {
            return None;
        }
        // First leaf starting after `coin`, minus one; leaf 0 starts at 0.
        Some(
            self.leaves
                .partition_point(|l| l.start <= coin)
                .saturating_sub(1),
        )
    }

    /// The proof of leaf `index` (`None` if out of range).
    pub fn prove_leaf(&self, index: usize) -> Option<SumMerkleProof> {
        let leaf = self.leaves.get(index)?;
        let mut idx = index;
        let mut path = 0u64;
        let mut siblings = Vec::new();
        let below_root = self.levels.split_last().map_or(&[][..], |(_, rest)| rest);
        for level in below_root {
            if let Some(sib) = level.get(idx ^ 1) {
                if idx & 1 == 1 {
                    path |= 1 << siblings.len();
                }
                siblings.push(*sib);
            }
            idx >>= 1;
        }
        Some(SumMerkleProof {
            leaf_length: leaf.length,
            path,
            siblings,
        })
    }

    /// The leaf holding all of `segment`, with its index.
    fn leaf_for(&self, segment: &Segment) -> Result<(usize, &Leaf)> {
        let index = self
            .find_leaf(segment.start())
            .ok_or(Error::SegmentSpansLeaves)?;
        let leaf = self.leaves.get(index).ok_or(Error::SegmentSpansLeaves)?;
        if segment.end() > leaf.end() {
            return Err(Error::SegmentSpansLeaves);
        }
        Ok((index, leaf))
    }

    /// Proves that `segment` lies inside a leaf of transaction `tx_id`.
    pub fn prove_inclusion(&self, segment: &Segment, tx_id: B256) -> Result<InclusionProof> {
        let (index, leaf) = self.leaf_for(segment)?;
        if leaf.hash != tx_id || tx_id.is_zero() {
            return Err(Error::NotIncluded);
        }
        self.prove_leaf(index)
            .map(InclusionProof)
            .ok_or(Error::SegmentSpansLeaves)
    }

    /// Proves that `segment` lies inside a gap leaf (no transaction of the block touches it).
    pub fn prove_exclusion(&self, segment: &Segment) -> Result<ExclusionProof> {
        let (index, leaf) = self.leaf_for(segment)?;
        if !leaf.is_null() {
            return Err(Error::NotExcluded);
        }
        self.prove_leaf(index)
            .map(ExclusionProof)
            .ok_or(Error::SegmentSpansLeaves)
    }
}

/// A sum Merkle proof of one leaf.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SumMerkleProof {
    /// Length of the proven leaf.
    pub leaf_length: U256,
    /// Bit `i` set: `siblings[i]` is a left sibling (the path goes right at that level).
    #[serde(with = "serde_hex::quantity")]
    pub path: u64,
    /// Siblings from the leaf's level up to the root's children.
    pub siblings: Vec<ProofNode>,
}

impl SumMerkleProof {
    /// Folds the proof from a leaf with hash `leaf_hash` up to the root. Checks, in order: at most
    /// [`MAX_PROOF_DEPTH`] siblings ([`Error::ProofTooLong`]), no path bits at or above the number
    /// of siblings ([`Error::NonCanonicalPath`]), no 256-bit overflow ([`Error::ProofOverflow`]),
    /// total length 2^160 ([`Error::WrongTotalLength`]). Returns the root and the leaf's start.
    ///
    /// Threat (docs/formats.md §6.4): a malicious operator's tree making two leaves claim one coin;
    /// checked sums and the fixed total make every verified leaf range a disjoint part of the
    /// coin space.
    pub fn compute_root(&self, leaf_hash: B256) -> Result<(B256, U256)> {
        let depth = self.siblings.len();
        if depth > MAX_PROOF_DEPTH {
            return Err(Error::ProofTooLong(depth));
        }
        if depth < MAX_PROOF_DEPTH && self.path >> depth != 0 {
            return Err(Error::NonCanonicalPath);
        }
        let mut node = ProofNode {
            length: self.leaf_length,
            hash: leaf_hash,
        };
        let mut left_sum = U256::ZERO;
        for (i, sib) in self.siblings.iter().enumerate() {
            if self.path >> i & 1 == 1 {
                left_sum = left_sum
                    .checked_add(sib.length)
                    .ok_or(Error::ProofOverflow)?;
                node = parent(sib, &node)?;
            } else {
                node = parent(&node, sib)?;
            }
        }
        if node.length != COIN_SPACE_END {
            return Err(Error::WrongTotalLength(node.length));
        }
        Ok((node.hash, left_sum))
    }

    /// Checks that the proof leads from a leaf with hash `leaf_hash` to `root` and that `segment`
    /// lies in that leaf's implicit range ([`Error::RootMismatch`], [`Error::SegmentOutsideLeaf`]
    /// after the checks of [`SumMerkleProof::compute_root`]).
    pub fn verify_leaf(&self, root: B256, leaf_hash: B256, segment: &Segment) -> Result<()> {
        let (computed, start) = self.compute_root(leaf_hash)?;
        if computed != root {
            return Err(Error::RootMismatch);
        }
        // start + leaf_length <= 2^160: both are parts of a total checked to be 2^160.
        let end = start + self.leaf_length;
        if segment.start() < start || segment.end() > end {
            return Err(Error::SegmentOutsideLeaf);
        }
        Ok(())
    }
}

/// Proof that a segment belongs to a transaction in a block: its leaf's hash is the tx id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InclusionProof(pub SumMerkleProof);

impl InclusionProof {
    /// Checks that `segment` lies inside a leaf whose hash is `tx_id` under `root`
    /// ([`Error::ZeroTxId`] first, then [`SumMerkleProof::verify_leaf`]).
    pub fn verify(&self, root: B256, segment: &Segment, tx_id: B256) -> Result<()> {
        if tx_id.is_zero() {
            return Err(Error::ZeroTxId);
        }
        self.0.verify_leaf(root, tx_id, segment)
    }
}

/// Proof that no transaction of a block touches a segment: it lies inside a gap leaf.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExclusionProof(pub SumMerkleProof);

impl ExclusionProof {
    /// Checks that `segment` lies inside a zero-hash leaf under `root`.
    pub fn verify(&self, root: B256, segment: &Segment) -> Result<()> {
        self.0.verify_leaf(root, B256::ZERO, segment)
    }
}

impl From<&ProofNode> for abi::ProofNode {
    fn from(n: &ProofNode) -> Self {
        Self {
            length: n.length,
            hash: n.hash,
        }
    }
}

impl From<&abi::ProofNode> for ProofNode {
    fn from(n: &abi::ProofNode) -> Self {
        Self {
            length: n.length,
            hash: n.hash,
        }
    }
}

impl From<&SumMerkleProof> for abi::SumProof {
    fn from(p: &SumMerkleProof) -> Self {
        Self {
            leafLength: p.leaf_length,
            path: p.path,
            siblings: p.siblings.iter().map(Into::into).collect(),
        }
    }
}

impl From<&abi::SumProof> for SumMerkleProof {
    fn from(p: &abi::SumProof) -> Self {
        Self {
            leaf_length: p.leafLength,
            path: p.path,
            siblings: p.siblings.iter().map(Into::into).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coin::coin_id;

    fn seg(t: u32, a: u128, b: u128) -> Segment {
        Segment::new(coin_id(t, a), coin_id(t, b)).expect("valid")
    }

    #[test]
    fn empty_tree() {
        let t = SumMerkleTree::empty();
        assert_eq!(t.root(), B256::ZERO);
        let p = t.prove_exclusion(&seg(0, 0, 1)).expect("gap");
        assert!(p.0.siblings.is_empty());
        assert_eq!(p.verify(B256::ZERO, &seg(9, 5, 6)), Ok(()));
        assert_eq!(SumMerkleTree::build([]).expect("empty"), t);
    }

    #[test]
    fn small_tree_proofs() {
        let ids: Vec<B256> = (1..=3u8).map(B256::repeat_byte).collect();
        let t = SumMerkleTree::build([
            (seg(0, 0, 10), ids[0]),
            (seg(0, 10, 15), ids[1]),
            (seg(2, 7, 9), ids[2]),
        ])
        .expect("builds");
        // leaves: [0,10) [10,15) gap [2:7,2:9) gap
        assert_eq!(t.leaves().len(), 5);
        let total = t.leaves().iter().fold(U256::ZERO, |a, l| a + l.length);
        assert_eq!(total, COIN_SPACE_END);
        let root = t.root();
        let p = t
            .prove_inclusion(&seg(0, 11, 12), ids[1])
            .expect("included");
        assert_eq!(p.verify(root, &seg(0, 11, 12), ids[1]), Ok(()));
        assert_eq!(
            p.verify(root, &seg(0, 9, 12), ids[1]).map_err(|e| e.code()),
            Err("SegmentOutsideLeaf")
        );
        assert_eq!(
            p.verify(root, &seg(0, 11, 12), ids[0])
                .map_err(|e| e.code()),
            Err("RootMismatch")
        );
        let p = t.prove_inclusion(&seg(2, 7, 9), ids[2]).expect("included");
        assert_eq!(p.verify(root, &seg(2, 7, 9), ids[2]), Ok(()));
        let x = t.prove_exclusion(&seg(1, 0, 100)).expect("gap");
        assert_eq!(x.verify(root, &seg(1, 0, 100)), Ok(()));
        assert_eq!(
            x.verify(root, &seg(2, 8, 9)).map_err(|e| e.code()),
            Err("SegmentOutsideLeaf")
        );
        assert_eq!(
            t.prove_exclusion(&seg(0, 1, 2)).map_err(|e| e.code()),
            Err("NotExcluded")
        );
        assert_eq!(
            t.prove_inclusion(&seg(0, 5, 12), ids[0])
                .map_err(|e| e.code()),
            Err("SegmentSpansLeaves")
        );
        assert_eq!(
            SumMerkleTree::build([(seg(0, 0, 10), ids[0]), (seg(0, 9, 12), ids[1])])
                .map_err(|e| e.code()),
            Err("CoinConflict")
        );
    }
}
