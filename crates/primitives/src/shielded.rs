//! Shielded entries: the external data a proof binds, entry heads and bodies, their leaves and
//! the per-block entries tree (docs/shielded.md §3).
//!
//! Everything here is keccak and ABI: the Poseidon note tree and the proofs live in `debye-zk`,
//! which this crate does not depend on. Encodings are the `abi.encode` of the [`crate::abi`]
//! mirrors (all static), so Rust, Solidity and any ABI library agree byte for byte; decoders are
//! strict (S-3.8): exact length, no dirty high bits, known kind, and the bytes must be the
//! re-encoding of what they decode to.
//!
//! ```text
//! extDataHash = uint256(keccak256(abi.encode(EXT_TAG, ext))) mod r
//! bodyHash    = keccak256(abi.encode(BODY_TAG, body))
//! leaf        = keccak256(0x00 ‖ abi.encode(head))
//! node        = keccak256(0x01 ‖ left ‖ right)
//! ```

use alloy_primitives::{Address, B256, U256, b256, keccak256, uint};
use alloy_sol_types::SolValue;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, abi, serde_hex, strict::decode_abi};

/// The BN254 scalar field modulus `r`, the field of every public input.
pub const BN254_R: U256 =
    uint!(0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001_U256);

/// `keccak256("debye/shielded/v1/ext-data")`, the domain tag of [`ExtData::hash`].
pub const EXT_TAG: B256 = b256!("ef5267ac191e1cc8bceb2f602cdc053e5c74022bf63de7002589695664084c84");

/// `keccak256("debye/shielded/v1/body")`, the domain tag of [`EntryBody::hash`].
pub const BODY_TAG: B256 =
    b256!("bbd19d2d6139070a852b848b448e338628bd25c694fe1881b88005230ccf7917");

/// The only policy version docs/shielded.md defines (`ExtData.policy`).
pub const POLICY: u32 = 1;

/// Most entries one block may carry (`MAX_ENTRIES`, docs/shielded.md §1.4).
pub const MAX_ENTRIES: u32 = 1 << 20;

/// Size of `abi.encode(ExtData)`.
pub const EXT_DATA_LEN: usize = 11 * 32;
/// Size of `abi.encode(EntryHead)`.
pub const HEAD_LEN: usize = 8 * 32;
/// Size of `abi.encode(TransferBody)`.
pub const TRANSFER_BODY_LEN: usize = 24 * 32;
/// Size of `abi.encode(DepositBody)`.
pub const DEPOSIT_BODY_LEN: usize = 32;

/// Entry and intent kinds, one namespace (docs/shielded.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
#[repr(u8)]
pub enum EntryKind {
    /// Appends the commitment of an L1 deposit (entries only).
    Deposit = 1,
    /// A JoinSplit with `publicAmount = 0` (entries and signed intents).
    Transfer = 2,
    /// A ZK exit started on L1 (signed intents only; never an entry).
    Exit = 3,
}

impl From<EntryKind> for u8 {
    fn from(k: EntryKind) -> Self {
        k as Self
    }
}

impl TryFrom<u8> for EntryKind {
    type Error = Error;
    fn try_from(v: u8) -> Result<Self> {
        match v {
            1 => Ok(Self::Deposit),
            2 => Ok(Self::Transfer),
            3 => Ok(Self::Exit),
            _ => Err(Error::UnknownEntryKind(v)),
        }
    }
}

/// The external data of a `TRANSFER` or `EXIT` intent (S-3.4). `kind` stays a raw byte: a
/// body whose external data names the wrong kind is well-formed evidence (fraud class F2), not
/// an undecodable one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtData {
    /// [`EntryKind::Transfer`] or [`EntryKind::Exit`] as a byte (0 and 1 are never valid).
    #[serde(with = "serde_hex::quantity")]
    pub kind: u8,
    /// EXIT: the L1 payee; TRANSFER: zero.
    pub recipient: Address,
    /// EXIT: the relayer's L1 payee or zero; TRANSFER: zero.
    pub fee_recipient: Address,
    /// Fee in token units.
    #[serde(with = "serde_hex::quantity")]
    pub fee: u64,
    /// Unix seconds; valid while `time <= expiry <= time + MAX_LIFETIME`.
    #[serde(with = "serde_hex::quantity")]
    pub expiry: u64,
    /// The L1 chain id.
    #[serde(with = "serde_hex::quantity")]
    pub chain_id: u64,
    /// The `ShieldedPool` contract.
    pub anchor: Address,
    /// Policy version ([`POLICY`]).
    #[serde(with = "serde_hex::quantity")]
    pub policy: u32,
    /// Random, at least 128 bits of entropy.
    pub nonce: B256,
    /// `keccak256` of output 0's ciphertext (EXIT: zero).
    pub ct_hash0: B256,
    /// `keccak256` of output 1's ciphertext (EXIT: zero).
    pub ct_hash1: B256,
}

impl ExtData {
    /// `abi.encode(ext)`: eleven words.
    pub fn abi_encode(&self) -> Vec<u8> {
        abi::ExtData::from(self).abi_encode()
    }

    /// `keccak256(abi.encode(EXT_TAG, ext))`, before the reduction.
    pub fn keccak(&self) -> B256 {
        keccak256((EXT_TAG, abi::ExtData::from(self)).abi_encode())
    }

    /// `extDataHash = uint256(keccak256(abi.encode(EXT_TAG, ext))) mod r`: public input 7.
    pub fn hash(&self) -> U256 {
        U256::from_be_bytes(self.keccak().0).reduce_mod(BN254_R)
    }
}

/// [`ExtData::hash`] as a free function.
pub fn ext_data_hash(ext: &ExtData) -> U256 {
    ext.hash()
}

impl From<&ExtData> for abi::ExtData {
    fn from(e: &ExtData) -> Self {
        Self {
            kind: e.kind,
            recipient: e.recipient,
            feeRecipient: e.fee_recipient,
            fee: e.fee,
            expiry: e.expiry,
            chainId: e.chain_id,
            anchor: e.anchor,
            policy: e.policy,
            nonce: e.nonce,
            ctHash0: e.ct_hash0,
            ctHash1: e.ct_hash1,
        }
    }
}

impl From<&abi::ExtData> for ExtData {
    fn from(e: &abi::ExtData) -> Self {
        Self {
            kind: e.kind,
            recipient: e.recipient,
            fee_recipient: e.feeRecipient,
            fee: e.fee,
            expiry: e.expiry,
            chain_id: e.chainId,
            anchor: e.anchor,
            policy: e.policy,
            nonce: e.nonce,
            ct_hash0: e.ctHash0,
            ct_hash1: e.ctHash1,
        }
    }
}

/// The head of an entry: what its leaf hashes (S-3.5). Its kind is `DEPOSIT` or `TRANSFER`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryHead {
    /// [`EntryKind::Deposit`] or [`EntryKind::Transfer`].
    pub kind: EntryKind,
    /// Position of the entry's first leaf in the note tree (S-3.2).
    #[serde(with = "serde_hex::quantity")]
    pub first_leaf: u64,
    /// Note root after leaf `firstLeaf + 1` when that completes a 64-leaf chunk, else zero.
    pub checkpoint_root: B256,
    /// Public input 1 (DEPOSIT: 0).
    pub nullifier0: U256,
    /// Public input 2 (DEPOSIT: 0).
    pub nullifier1: U256,
    /// Public input 3 (DEPOSIT: the deposit's commitment).
    pub commitment0: U256,
    /// Public input 4 (DEPOSIT: 0).
    pub commitment1: U256,
    /// [`EntryBody::hash`] of the entry's body.
    pub body_hash: B256,
}

impl EntryHead {
    /// `abi.encode(head)`: eight words.
    pub fn abi_encode(&self) -> Vec<u8> {
        abi::EntryHead::from(self).abi_encode()
    }

    /// `keccak256(0x00 ‖ abi.encode(head))`: the entry's leaf in the entries tree.
    pub fn leaf(&self) -> B256 {
        let mut pre = Vec::with_capacity(1 + HEAD_LEN);
        pre.push(0x00);
        pre.extend_from_slice(&self.abi_encode());
        keccak256(pre)
    }
}

impl From<&EntryHead> for abi::EntryHead {
    fn from(h: &EntryHead) -> Self {
        Self {
            kind: h.kind.into(),
            firstLeaf: h.first_leaf,
            checkpointRoot: h.checkpoint_root,
            nullifier0: h.nullifier0,
            nullifier1: h.nullifier1,
            commitment0: h.commitment0,
            commitment1: h.commitment1,
            bodyHash: h.body_hash,
        }
    }
}

impl TryFrom<&abi::EntryHead> for EntryHead {
    type Error = Error;
    fn try_from(h: &abi::EntryHead) -> Result<Self> {
        let kind = match EntryKind::try_from(h.kind)? {
            EntryKind::Exit => return Err(Error::UnknownEntryKind(h.kind)),
            k => k,
        };
        Ok(Self {
            kind,
            first_leaf: h.firstLeaf,
            checkpoint_root: h.checkpointRoot,
            nullifier0: h.nullifier0,
            nullifier1: h.nullifier1,
            commitment0: h.commitment0,
            commitment1: h.commitment1,
            body_hash: h.bodyHash,
        })
    }
}

/// The body of a `TRANSFER` entry (S-3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TransferBody {
    /// The committed block whose `noteRoot` the proof uses.
    #[serde(with = "serde_hex::quantity")]
    pub root_block: u64,
    /// Public input 0.
    pub root: U256,
    /// Public input 5 (must be 0 in an entry).
    pub public_amount: U256,
    /// Public input 6.
    pub token: U256,
    /// Public input 7.
    pub ext_data_hash: U256,
    /// Groth16 proof in verifier order: A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y.
    pub proof: [U256; 8],
    /// The external data.
    pub ext: ExtData,
}

impl From<&TransferBody> for abi::TransferBody {
    fn from(b: &TransferBody) -> Self {
        Self {
            rootBlock: b.root_block,
            root: b.root,
            publicAmount: b.public_amount,
            token: b.token,
            extDataHash: b.ext_data_hash,
            proof: b.proof,
            ext: (&b.ext).into(),
        }
    }
}

impl From<&abi::TransferBody> for TransferBody {
    fn from(b: &abi::TransferBody) -> Self {
        Self {
            root_block: b.rootBlock,
            root: b.root,
            public_amount: b.publicAmount,
            token: b.token,
            ext_data_hash: b.extDataHash,
            proof: b.proof,
            ext: (&b.ext).into(),
        }
    }
}

/// The body of a `DEPOSIT` entry (S-3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepositBody {
    /// Index of the L1 deposit record the entry appends.
    #[serde(with = "serde_hex::quantity")]
    pub deposit_index: u32,
}

impl From<&DepositBody> for abi::DepositBody {
    fn from(b: &DepositBody) -> Self {
        Self {
            depositIndex: b.deposit_index,
        }
    }
}

impl From<&abi::DepositBody> for DepositBody {
    fn from(b: &abi::DepositBody) -> Self {
        Self {
            deposit_index: b.depositIndex,
        }
    }
}

/// An entry's body, of the head's kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum EntryBody {
    /// A deposit append.
    Deposit(DepositBody),
    /// A shielded transfer.
    Transfer(Box<TransferBody>),
}

impl EntryBody {
    /// The kind of entry this body belongs to.
    pub const fn kind(&self) -> EntryKind {
        match self {
            Self::Deposit(_) => EntryKind::Deposit,
            Self::Transfer(_) => EntryKind::Transfer,
        }
    }

    /// `abi.encode(body)`: one word (deposit) or twenty-four (transfer).
    pub fn abi_encode(&self) -> Vec<u8> {
        match self {
            Self::Deposit(b) => abi::DepositBody::from(b).abi_encode(),
            Self::Transfer(b) => abi::TransferBody::from(&**b).abi_encode(),
        }
    }

    /// `bodyHash = keccak256(abi.encode(BODY_TAG, body))`.
    pub fn hash(&self) -> B256 {
        let mut pre = Vec::with_capacity(32 + TRANSFER_BODY_LEN);
        pre.extend_from_slice(BODY_TAG.as_slice());
        pre.extend_from_slice(&self.abi_encode());
        keccak256(pre)
    }

    /// Strictly decodes the body of an entry of kind `kind` (S-3.8): exact length, clean high
    /// bits, canonical. A body of kind [`EntryKind::Exit`] does not exist.
    pub fn decode(kind: EntryKind, bytes: &[u8]) -> Result<Self> {
        match kind {
            EntryKind::Deposit => {
                let raw: abi::DepositBody = decode_abi(bytes, "DepositBody", DEPOSIT_BODY_LEN)?;
                Ok(Self::Deposit((&raw).into()))
            }
            EntryKind::Transfer => {
                let raw: abi::TransferBody = decode_abi(bytes, "TransferBody", TRANSFER_BODY_LEN)?;
                Ok(Self::Transfer(Box::new((&raw).into())))
            }
            EntryKind::Exit => Err(Error::UnknownEntryKind(kind.into())),
        }
    }
}

/// A whole entry: its head and the body the head commits to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// The head (the leaf's preimage).
    pub head: EntryHead,
    /// The body.
    pub body: EntryBody,
}

impl Entry {
    /// A `DEPOSIT` entry appending deposit `deposit_index` with commitment `cm` at `first_leaf`.
    pub fn deposit(first_leaf: u64, checkpoint_root: B256, cm: U256, deposit_index: u32) -> Self {
        let body = EntryBody::Deposit(DepositBody { deposit_index });
        Self {
            head: EntryHead {
                kind: EntryKind::Deposit,
                first_leaf,
                checkpoint_root,
                nullifier0: U256::ZERO,
                nullifier1: U256::ZERO,
                commitment0: cm,
                commitment1: U256::ZERO,
                body_hash: body.hash(),
            },
            body,
        }
    }

    /// A `TRANSFER` entry spending `nullifiers` and creating `commitments` at `first_leaf`.
    pub fn transfer(
        first_leaf: u64,
        checkpoint_root: B256,
        nullifiers: [U256; 2],
        commitments: [U256; 2],
        body: TransferBody,
    ) -> Self {
        let body = EntryBody::Transfer(Box::new(body));
        Self {
            head: EntryHead {
                kind: EntryKind::Transfer,
                first_leaf,
                checkpoint_root,
                nullifier0: nullifiers[0],
                nullifier1: nullifiers[1],
                commitment0: commitments[0],
                commitment1: commitments[1],
                body_hash: body.hash(),
            },
            body,
        }
    }

    /// The entry's leaf ([`EntryHead::leaf`]).
    pub fn leaf(&self) -> B256 {
        self.head.leaf()
    }

    /// Checks that the head commits to the body: same kind ([`Error::EntryKindMismatch`]) and
    /// `bodyHash` equal to the body's hash ([`Error::BodyHashMismatch`]).
    pub fn check(&self) -> Result<()> {
        if self.head.kind != self.body.kind() {
            return Err(Error::EntryKindMismatch);
        }
        if self.head.body_hash != self.body.hash() {
            return Err(Error::BodyHashMismatch);
        }
        Ok(())
    }

    /// Strictly decodes a head and its body (S-3.8) and checks that they belong together.
    pub fn decode(head: &[u8], body: &[u8]) -> Result<Self> {
        let head = decode_head(head)?;
        let body = EntryBody::decode(head.kind, body)?;
        let entry = Self { head, body };
        entry.check()?;
        Ok(entry)
    }
}

/// Strictly decodes `abi.encode(EntryHead)` (S-3.8): exactly [`HEAD_LEN`] bytes
/// ([`Error::TooLarge`] above, [`Error::Decode`] below or with dirty high bits), canonical, and
/// of kind `DEPOSIT` or `TRANSFER` ([`Error::UnknownEntryKind`]).
pub fn decode_head(bytes: &[u8]) -> Result<EntryHead> {
    let raw: abi::EntryHead = decode_abi(bytes, "EntryHead", HEAD_LEN)?;
    EntryHead::try_from(&raw)
}

/// Strictly decodes `abi.encode(ExtData)` (exactly [`EXT_DATA_LEN`] bytes, canonical). The kind
/// byte is not checked here (see [`ExtData`]).
pub fn decode_ext_data(bytes: &[u8]) -> Result<ExtData> {
    let raw: abi::ExtData = decode_abi(bytes, "ExtData", EXT_DATA_LEN)?;
    Ok((&raw).into())
}

// ---------------------------------------------------------------- the entries tree (S-3.7)

/// Inner node of the entries tree: `keccak256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &B256, right: &B256) -> B256 {
    let mut pre = [0u8; 65];
    pre[0] = 0x01;
    pre[1..33].copy_from_slice(left.as_slice());
    pre[33..].copy_from_slice(right.as_slice());
    keccak256(pre)
}

/// `k = ceil(log2(count))`: the depth of the entries tree of a block with `count` entries (0 for
/// zero or one entry).
pub const fn tree_depth(count: u32) -> u32 {
    if count <= 1 {
        0
    } else {
        (count - 1).ilog2() + 1
    }
}

fn checked_count(len: usize) -> Result<u32> {
    u32::try_from(len)
        .ok()
        .filter(|n| *n <= MAX_ENTRIES)
        .ok_or(Error::TooManyEntries(len))
}

/// The entries tree of one block: leaves in entry order, padded with zero to `2^k`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntriesTree {
    /// `levels[0]` are the padded leaves, the last level is the root alone.
    levels: Vec<Vec<B256>>,
    count: u32,
}

impl EntriesTree {
    /// Builds the tree over `leaves` (at most [`MAX_ENTRIES`], else [`Error::TooManyEntries`]).
    pub fn build(leaves: &[B256]) -> Result<Self> {
        let count = checked_count(leaves.len())?;
        let width = 1usize << tree_depth(count);
        let mut level = leaves.to_vec();
        level.resize(width, B256::ZERO);
        let mut levels = vec![level];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = last.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
            levels.push(next);
        }
        Ok(Self { levels, count })
    }

    /// The number of entries (unpadded leaves).
    pub const fn count(&self) -> u32 {
        self.count
    }

    /// `entriesRoot`: zero for no entry, the leaf itself for one.
    pub fn root(&self) -> B256 {
        if self.count == 0 {
            return B256::ZERO;
        }
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_default()
    }

    /// The inclusion proof of entry `index` ([`Error::EntryIndexOutOfRange`] past the end).
    pub fn prove(&self, index: u32) -> Result<EntriesProof> {
        if index >= self.count {
            return Err(Error::EntryIndexOutOfRange {
                index,
                count: self.count,
            });
        }
        let mut i = index as usize;
        let mut siblings = Vec::with_capacity(self.levels.len().saturating_sub(1));
        for level in &self.levels[..self.levels.len() - 1] {
            siblings.push(level[i ^ 1]);
            i >>= 1;
        }
        Ok(EntriesProof { index, siblings })
    }
}

/// `entriesRoot` over `leaves` (S-3.7).
pub fn entries_root(leaves: &[B256]) -> Result<B256> {
    Ok(EntriesTree::build(leaves)?.root())
}

/// An inclusion proof in an entries tree: the entry's index and `k` siblings, leaf level first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntriesProof {
    /// Index of the entry in its block.
    #[serde(with = "serde_hex::quantity")]
    pub index: u32,
    /// Siblings from the leaf level up.
    pub siblings: Vec<B256>,
}

impl EntriesProof {
    /// Checks that `leaf` is entry `index` of a block whose header has `entries_root` and
    /// `entry_count`. Fails with [`Error::EntryIndexOutOfRange`] (index not below the count, or
    /// a count above [`MAX_ENTRIES`]), [`Error::WrongProofLength`] (not `k` siblings, `k` derived
    /// from the count) or [`Error::RootMismatch`].
    pub fn verify(&self, entries_root: B256, entry_count: u32, leaf: B256) -> Result<()> {
        if self.index >= entry_count || entry_count > MAX_ENTRIES {
            return Err(Error::EntryIndexOutOfRange {
                index: self.index,
                count: entry_count,
            });
        }
        let depth = tree_depth(entry_count) as usize;
        if self.siblings.len() != depth {
            return Err(Error::WrongProofLength {
                expected: depth,
                got: self.siblings.len(),
            });
        }
        let mut node = leaf;
        for (level, sibling) in self.siblings.iter().enumerate() {
            node = if (self.index >> level) & 1 == 1 {
                node_hash(sibling, &node)
            } else {
                node_hash(&node, sibling)
            };
        }
        if node == entries_root {
            Ok(())
        } else {
            Err(Error::RootMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_the_documented_strings() {
        assert_eq!(EXT_TAG, keccak256("debye/shielded/v1/ext-data"));
        assert_eq!(BODY_TAG, keccak256("debye/shielded/v1/body"));
        assert_eq!(
            BN254_R.to_string(),
            "21888242871839275222246405745257275088548364400416034343698204186575808495617"
        );
    }

    #[test]
    fn sizes() {
        let body = TransferBody {
            root_block: 0,
            root: U256::ZERO,
            public_amount: U256::ZERO,
            token: U256::ZERO,
            ext_data_hash: U256::ZERO,
            proof: [U256::ZERO; 8],
            ext: ExtData::default(),
        };
        assert_eq!(ExtData::default().abi_encode().len(), EXT_DATA_LEN);
        assert_eq!(
            EntryBody::Transfer(Box::new(body)).abi_encode().len(),
            TRANSFER_BODY_LEN
        );
        let d = Entry::deposit(0, B256::ZERO, U256::from(7), 3);
        assert_eq!(d.body.abi_encode().len(), DEPOSIT_BODY_LEN);
        assert_eq!(d.head.abi_encode().len(), HEAD_LEN);
    }

    #[test]
    fn depth() {
        let cases = [
            (0, 0),
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 2),
            (5, 3),
            (8, 3),
            (9, 4),
        ];
        for (n, k) in cases {
            assert_eq!(tree_depth(n), k, "{n}");
        }
        assert_eq!(tree_depth(MAX_ENTRIES), 20);
    }
}
