//! Paths in the note tree from the leaves the wallet learnt from whole blocks (S-4.4: it never
//! asks for a per-leaf path). The wallet keeps every leaf, so it can prove against the root of
//! *any* committed block (S-6.4 prefers an older one): the path of position `p` under the root
//! of the first `count` leaves is computed level by level, `2·count` Poseidon hashes for all
//! asked positions together.

use debye_zk::{
    Fr,
    merkle::{MerklePath, TREE_DEPTH, zero_hashes},
    poseidon::hash2,
};

/// The root of the tree holding exactly `leaves`, and the path of each position in `positions`
/// (each must be below `leaves.len()`).
pub fn root_and_paths(leaves: &[Fr], positions: &[u64]) -> (Fr, Vec<MerklePath>) {
    let zeros = zero_hashes();
    let mut paths: Vec<MerklePath> = positions
        .iter()
        .map(|&p| MerklePath {
            position: p,
            siblings: Vec::with_capacity(TREE_DEPTH),
        })
        .collect();
    let mut level: Vec<Fr> = leaves.to_vec();
    for (l, zero) in zeros.iter().enumerate().take(TREE_DEPTH) {
        for path in &mut paths {
            let idx = (path.position >> l) as usize ^ 1;
            path.siblings.push(level.get(idx).copied().unwrap_or(*zero));
        }
        level = level
            .chunks(2)
            .map(|pair| hash2(pair[0], pair.get(1).copied().unwrap_or(*zero)))
            .collect();
    }
    let root = level.first().copied().unwrap_or(zeros[TREE_DEPTH]);
    (root, paths)
}

/// The header's `noteRoot` for a tree of `leaves`: zero for the empty tree (S-4.2).
pub fn header_root(leaves: &[Fr]) -> Fr {
    if leaves.is_empty() {
        Fr::from(0u64)
    } else {
        root_and_paths(leaves, &[]).0
    }
}

#[cfg(test)]
mod tests {
    use debye_zk::merkle::MerkleTree;

    use super::*;

    #[test]
    fn matches_the_incremental_tree() {
        let leaves: Vec<Fr> = (1..=11u64).map(Fr::from).collect();
        let mut tree = MerkleTree::new();
        for l in &leaves {
            tree.append(*l).unwrap();
        }
        let (root, paths) = root_and_paths(&leaves, &[0, 5, 10]);
        assert_eq!(root, tree.root());
        for p in &paths {
            assert_eq!(p.root(leaves[p.position as usize]), root);
        }
        // A prefix: the root of an older block.
        let (old, old_paths) = root_and_paths(&leaves[..6], &[5]);
        let mut t6 = MerkleTree::new();
        for l in &leaves[..6] {
            t6.append(*l).unwrap();
        }
        assert_eq!(old, t6.root());
        assert_eq!(old_paths[0].root(leaves[5]), old);
        assert_eq!(header_root(&[]), Fr::from(0u64));
    }
}
