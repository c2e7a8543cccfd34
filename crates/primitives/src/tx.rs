//! Transactions: EIP-712 typed data, signatures, the transaction id and the validity rules.
//!
//! The rules are stated, in the order they are checked, in `docs/formats.md` ("Validity rules");
//! `PrimeLib.sol` checks the same rules in the same order and reports the same error codes.

use std::{collections::BTreeSet, sync::LazyLock};

use alloy_primitives::{Address, B256, Keccak256, Signature, U256, keccak256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use k256::ecdsa::SigningKey;
use secp256k1::{
    Message, Secp256k1, VerifyOnly,
    ecdsa::{RecoverableSignature, RecoveryId},
};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Segment, abi, serde_hex};

/// Most inputs a transaction may have (bounds L1 gas of checking it).
pub const MAX_INPUTS: usize = 16;
/// Most outputs a transaction may have; also the bound on `outputIndex`.
pub const MAX_OUTPUTS: usize = 16;
/// Most distinct input owners (and so signatures) a transaction may have: 2 for an atomic swap.
pub const MAX_OWNERS: usize = 2;
/// `txIndex` of an input that spends a deposit.
pub const DEPOSIT_TX_INDEX: u32 = u32::MAX;
/// EIP-712 domain name.
pub const DOMAIN_NAME: &str = "Debye";
/// EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";
/// Length of one encoded signature (`r ‖ s ‖ v`).
pub const SIGNATURE_LEN: usize = 65;

/// Half the secp256k1 group order, rounded down: the largest `s` accepted.
pub const SECP256K1_HALF_N: U256 = U256::from_limbs([
    0xdfe9_2f46_681b_20a0,
    0x5d57_6e73_57a4_501d,
    u64::MAX,
    0x7fff_ffff_ffff_ffff,
]);

/// The EIP-712 domain of a Debye chain: name "Debye", version "1", the L1 chain id and the
/// DebyeChain contract address (no salt).
pub fn domain(chain_id: u64, verifying_contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id)),
        Some(verifying_contract),
        None,
    )
}

/// A coin range being spent, pointing at the output (or deposit) that created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Input {
    /// Owner of the spent coins; must sign the transaction.
    pub owner: Address,
    /// Block holding the transaction that created the coins (for a deposit: its block number).
    #[serde(with = "serde_hex::quantity")]
    pub block_index: u64,
    /// Position of that transaction in its block, or [`DEPOSIT_TX_INDEX`] for a deposit.
    #[serde(with = "serde_hex::quantity")]
    pub tx_index: u32,
    /// Which output of that transaction (0 for a deposit).
    #[serde(with = "serde_hex::quantity")]
    pub output_index: u8,
    /// The coins spent: inside the referenced output's (or deposit's) segment.
    pub segment: Segment,
}

impl Input {
    /// An input spending (part of) the deposit made in block `deposit_block`.
    pub const fn deposit(owner: Address, deposit_block: u64, segment: Segment) -> Self {
        Self {
            owner,
            block_index: deposit_block,
            tx_index: DEPOSIT_TX_INDEX,
            output_index: 0,
            segment,
        }
    }

    /// Whether this input spends a deposit.
    pub const fn is_deposit(&self) -> bool {
        self.tx_index == DEPOSIT_TX_INDEX
    }
}

/// A coin range being created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Output {
    /// New owner.
    pub owner: Address,
    /// The coins.
    pub segment: Segment,
}

/// An unsigned transaction ("TX netto"): what is signed and what the tx id commits to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transaction {
    /// Coins spent.
    pub inputs: Vec<Input>,
    /// Coins created: exactly the coins spent, possibly split, merged or re-owned.
    pub outputs: Vec<Output>,
    /// Last block number the transaction may be included in.
    #[serde(with = "serde_hex::quantity")]
    pub max_block_index: u64,
}

impl Transaction {
    /// Checks the stateless validity rules (everything except signatures and the inclusion block),
    /// in the documented order (docs/formats.md §5 rules 4–13; rules 1–3 hold by construction).
    /// Threat: transactions that create or destroy coins, or that no L1 call could check cheaply.
    pub fn validate(&self) -> Result<()> {
        if self.inputs.is_empty() {
            return Err(Error::NoInputs);
        }
        if self.inputs.len() > MAX_INPUTS {
            return Err(Error::TooManyInputs(self.inputs.len()));
        }
        if self.outputs.is_empty() {
            return Err(Error::NoOutputs);
        }
        if self.outputs.len() > MAX_OUTPUTS {
            return Err(Error::TooManyOutputs(self.outputs.len()));
        }
        for (i, input) in self.inputs.iter().enumerate() {
            if input.owner.is_zero() {
                return Err(Error::ZeroOwner);
            }
            let index_ok = if input.is_deposit() {
                input.output_index == 0
            } else {
                usize::from(input.output_index) < MAX_OUTPUTS
            };
            if !index_ok {
                return Err(Error::InvalidOutputIndex { input: i });
            }
        }
        if self.outputs.iter().any(|o| o.owner.is_zero()) {
            return Err(Error::ZeroOwner);
        }
        let ins = sorted_disjoint(self.inputs.iter().map(|i| i.segment))
            .ok_or(Error::OverlappingInputs)?;
        let outs = sorted_disjoint(self.outputs.iter().map(|o| o.segment))
            .ok_or(Error::OverlappingOutputs)?;
        if merge_runs(&ins) != merge_runs(&outs) {
            return Err(Error::UnionMismatch);
        }
        let owners = self.owners().len();
        if owners > MAX_OWNERS {
            return Err(Error::TooManyOwners(owners));
        }
        Ok(())
    }

    /// Distinct input owners in order of first appearance: the order signatures must follow.
    pub fn owners(&self) -> Vec<Address> {
        let mut owners: Vec<Address> = Vec::with_capacity(MAX_OWNERS);
        for input in &self.inputs {
            if !owners.contains(&input.owner) {
                owners.push(input.owner);
            }
        }
        owners
    }

    /// Fails with [`Error::TxExpired`] when the transaction may not be included in `block`.
    pub const fn check_block(&self, block: u64) -> Result<()> {
        if block > self.max_block_index {
            return Err(Error::TxExpired {
                max_block_index: self.max_block_index,
                block,
            });
        }
        Ok(())
    }

    /// The ABI/EIP-712 view of this transaction.
    pub fn to_abi(&self) -> abi::Transaction {
        abi::Transaction::from(self)
    }

    /// EIP-712 `hashStruct(transaction)`, computed without allocating (type hashes are
    /// computed once per process; `abi::Transaction::eip712_hash_struct` gives the same value).
    pub fn struct_hash(&self) -> B256 {
        let th = &*TYPE_HASHES;
        let mut inputs = Keccak256::new();
        for i in &self.inputs {
            inputs.update(input_hash(th, i));
        }
        let mut outputs = Keccak256::new();
        for o in &self.outputs {
            outputs.update(output_hash(th, o));
        }
        let mut buf = [0u8; 128];
        buf[..32].copy_from_slice(th.transaction.as_slice());
        buf[32..64].copy_from_slice(inputs.finalize().as_slice());
        buf[64..96].copy_from_slice(outputs.finalize().as_slice());
        buf[120..].copy_from_slice(&self.max_block_index.to_be_bytes());
        keccak256(buf)
    }

    /// The transaction id: the EIP-712 signing digest
    /// `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(transaction))`. Signatures are not part
    /// of it; it is the hash stored in the transaction's sum Merkle tree leaves.
    pub fn tx_id(&self, domain: &Eip712Domain) -> B256 {
        self.tx_id_with_separator(&domain.separator())
    }

    /// [`Transaction::tx_id`] for a precomputed domain separator (`domain.separator()`), which
    /// costs four hashes and a few allocations to compute: callers that hash many transactions
    /// for one domain compute it once.
    pub fn tx_id_with_separator(&self, separator: &B256) -> B256 {
        let mut buf = [0u8; 66];
        buf[..2].copy_from_slice(&[0x19, 0x01]);
        buf[2..34].copy_from_slice(separator.as_slice());
        buf[34..].copy_from_slice(self.struct_hash().as_slice());
        keccak256(buf)
    }

    /// The coin ranges this transaction occupies in a block's sum Merkle tree: the union of its
    /// output segments (equal to the union of its input segments for a valid transaction), with
    /// touching segments of the same token merged, sorted by start. Each of the transaction's
    /// input and output segments lies inside exactly one of these ranges.
    pub fn coin_ranges(&self) -> Vec<Segment> {
        let mut segs: Vec<Segment> = self.outputs.iter().map(|o| o.segment).collect();
        segs.sort_unstable();
        let mut ranges: Vec<Segment> = Vec::with_capacity(segs.len());
        for seg in segs {
            match ranges.last_mut() {
                Some(last) if last.end() >= seg.start() && last.token() == seg.token() => {
                    if seg.end() > last.end() {
                        // Same token, so the merged range is a valid segment.
                        *last = Segment::new(last.start(), seg.end()).unwrap_or(*last);
                    }
                }
                _ => ranges.push(seg),
            }
        }
        ranges
    }

    /// Signs the transaction with the given keys, producing one signature per distinct input owner
    /// in [`Transaction::owners`] order. Keys of non-owners are ignored.
    pub fn sign(&self, domain: &Eip712Domain, keys: &[SigningKey]) -> Result<SignedTransaction> {
        let digest = self.tx_id(domain);
        let signatures = self
            .owners()
            .into_iter()
            .map(|owner| {
                let key = keys
                    .iter()
                    .find(|k| address_of(k) == owner)
                    .ok_or(Error::MissingSigningKey(owner))?;
                sign_digest(key, &digest)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(SignedTransaction {
            transaction: self.clone(),
            signatures,
        })
    }
}

/// EIP-712 type hashes of the transaction's structs.
struct TypeHashes {
    segment: B256,
    input: B256,
    output: B256,
    transaction: B256,
}

/// Computed once from the `sol!` types' encodeType strings, so they cannot drift from them.
static TYPE_HASHES: LazyLock<TypeHashes> = LazyLock::new(|| TypeHashes {
    segment: type_hash::<abi::Segment>(),
    input: type_hash::<abi::Input>(),
    output: type_hash::<abi::Output>(),
    transaction: type_hash::<abi::Transaction>(),
});

/// `hashStruct(Segment)`.
fn segment_hash(th: &TypeHashes, seg: &Segment) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(th.segment.as_slice());
    buf[32..64].copy_from_slice(&seg.start().to_be_bytes::<32>());
    buf[64..].copy_from_slice(&seg.end().to_be_bytes::<32>());
    keccak256(buf)
}

/// `hashStruct(Input)`: every field is one word, the segment its struct hash.
fn input_hash(th: &TypeHashes, input: &Input) -> B256 {
    let mut buf = [0u8; 192];
    buf[..32].copy_from_slice(th.input.as_slice());
    buf[44..64].copy_from_slice(input.owner.as_slice());
    buf[88..96].copy_from_slice(&input.block_index.to_be_bytes());
    buf[124..128].copy_from_slice(&input.tx_index.to_be_bytes());
    buf[159] = input.output_index;
    buf[160..].copy_from_slice(segment_hash(th, &input.segment).as_slice());
    keccak256(buf)
}

/// `hashStruct(Output)`.
fn output_hash(th: &TypeHashes, output: &Output) -> B256 {
    let mut buf = [0u8; 96];
    buf[..32].copy_from_slice(th.output.as_slice());
    buf[44..64].copy_from_slice(output.owner.as_slice());
    buf[64..].copy_from_slice(segment_hash(th, &output.segment).as_slice());
    keccak256(buf)
}

/// Sorts segments by start and checks that neighbours do not overlap; `None` on overlap.
fn sorted_disjoint(segs: impl Iterator<Item = Segment>) -> Option<Vec<Segment>> {
    let mut v: Vec<Segment> = segs.collect();
    v.sort_unstable();
    v.windows(2)
        .all(|w| w[0].end() <= w[1].start())
        .then_some(v)
}

/// Merges touching neighbours of sorted disjoint segments into maximal `[start, end)` runs
/// (ignoring token boundaries: the runs describe a set of coins).
fn merge_runs(sorted: &[Segment]) -> Vec<(U256, U256)> {
    let mut runs: Vec<(U256, U256)> = Vec::with_capacity(sorted.len());
    for seg in sorted {
        match runs.last_mut() {
            Some(last) if last.1 == seg.start() => last.1 = seg.end(),
            _ => runs.push((seg.start(), seg.end())),
        }
    }
    runs
}

/// The Ethereum address of a secp256k1 key.
pub fn address_of(key: &SigningKey) -> Address {
    Address::from_private_key(key)
}

/// Signs a 32-byte digest (RFC 6979 deterministic nonce, low-s).
pub fn sign_digest(key: &SigningKey, digest: &B256) -> Result<Signature> {
    let (sig, recid) = key
        .sign_prehash_recoverable(digest.as_slice())
        .map_err(|_| Error::SigningFailed)?;
    let sig = Signature::from((sig, recid));
    // k256 already produces low-s signatures; normalise anyway so the invariant is local.
    Ok(sig.normalize_s().unwrap_or(sig))
}

/// The 65-byte wire form `r ‖ s ‖ v` with `v ∈ {27, 28}`.
pub fn signature_to_bytes(sig: &Signature) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    out[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    out[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    out[64] = 27 + u8::from(sig.v());
    out
}

/// Parses one 65-byte signature; `v` must be 27 or 28 ([`Error::InvalidSignature`] otherwise).
/// `index` is only used for the error.
pub fn signature_from_bytes(bytes: &[u8; SIGNATURE_LEN], index: usize) -> Result<Signature> {
    let parity = match bytes[64] {
        27 => false,
        28 => true,
        _ => return Err(Error::InvalidSignature { index }),
    };
    Ok(Signature::new(
        U256::from_be_slice(&bytes[..32]),
        U256::from_be_slice(&bytes[32..64]),
        parity,
    ))
}

/// A verification-only libsecp256k1 context, shared by all threads.
static SECP: LazyLock<Secp256k1<VerifyOnly>> = LazyLock::new(Secp256k1::verification_only);

/// The address whose key produced `sig` over `digest` (`ecrecover` with `v` given as the parity
/// bit), or `None` when the signature recovers no key: `r` or `s` zero or not below the group
/// order, `r` not the x-coordinate of a curve point, or the recovered point at infinity. Any `s`
/// in range is accepted here; [`recover_signer`] adds the low-s rule.
///
/// Uses libsecp256k1 (the `secp256k1` crate), about four times faster than the pure-Rust
/// `k256` recovery that `Signature::recover_address_from_prehash` does; a test checks that
/// both agree on valid and malformed signatures.
pub fn recover_address(sig: &Signature, digest: &B256) -> Option<Address> {
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    compact[32..].copy_from_slice(&sig.s().to_be_bytes::<32>());
    let recid = if sig.v() {
        RecoveryId::One
    } else {
        RecoveryId::Zero
    };
    let rsig = RecoverableSignature::from_compact(&compact, recid).ok()?;
    let key = SECP
        .recover_ecdsa(Message::from_digest(digest.0), &rsig)
        .ok()?;
    let uncompressed = key.serialize_uncompressed();
    let hash = keccak256(&uncompressed[1..]);
    Some(Address::from_slice(&hash[12..]))
}

/// Recovers the signer of `digest`, rejecting high-s ([`Error::HighS`]) and signatures that
/// recover no key ([`Error::InvalidSignature`]), exactly like `ecrecover` plus the low-s rule.
pub fn recover_signer(sig: &Signature, digest: &B256, index: usize) -> Result<Address> {
    if sig.s() > SECP256K1_HALF_N {
        return Err(Error::HighS { index });
    }
    recover_address(sig, digest).ok_or(Error::InvalidSignature { index })
}

/// A transaction with the signatures of its distinct input owners.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedTransaction {
    /// The signed content.
    pub transaction: Transaction,
    /// One signature per distinct input owner, in [`Transaction::owners`] order.
    #[serde(with = "serde_signatures")]
    pub signatures: Vec<Signature>,
}

impl SignedTransaction {
    /// The transaction id (signatures excluded), see [`Transaction::tx_id`].
    pub fn tx_id(&self, domain: &Eip712Domain) -> B256 {
        self.transaction.tx_id(domain)
    }

    /// Recovers the signer of every signature (low-s enforced), in order.
    pub fn recover_signers(&self, domain: &Eip712Domain) -> Result<Vec<Address>> {
        let digest = self.tx_id(domain);
        self.signatures
            .iter()
            .enumerate()
            .map(|(i, s)| recover_signer(s, &digest, i))
            .collect()
    }

    /// Full stateless check (docs/formats.md §5): [`Transaction::validate`], then one signature per distinct input
    /// owner ([`Error::SignatureCount`]), each low-s and recovering to that owner, in
    /// [`Transaction::owners`] order. Returns the transaction id.
    pub fn verify(&self, domain: &Eip712Domain) -> Result<B256> {
        self.verify_with_separator(&domain.separator())
    }

    /// [`SignedTransaction::verify`] for a precomputed domain separator (see
    /// [`Transaction::tx_id_with_separator`]): the path of the operator's submissions and of
    /// block checks, one secp256k1 recovery per signature and the id hashed once.
    pub fn verify_with_separator(&self, separator: &B256) -> Result<B256> {
        self.verify_by(|t| t.tx_id_with_separator(separator), recover_signer)
    }

    /// [`SignedTransaction::verify`] with the id and the signer recovery given: the one order of
    /// checks, whichever encoder and secp256k1 implementation compute them.
    fn verify_by(
        &self,
        tx_id: impl FnOnce(&Transaction) -> B256,
        recover: impl Fn(&Signature, &B256, usize) -> Result<Address>,
    ) -> Result<B256> {
        self.transaction.validate()?;
        let owners = self.transaction.owners();
        if self.signatures.len() != owners.len() {
            return Err(Error::SignatureCount {
                expected: owners.len(),
                got: self.signatures.len(),
            });
        }
        let digest = tx_id(&self.transaction);
        for (index, (sig, owner)) in self.signatures.iter().zip(&owners).enumerate() {
            let recovered = recover(sig, &digest, index)?;
            if recovered != *owner {
                return Err(Error::WrongSigner {
                    index,
                    expected: *owner,
                    recovered,
                });
            }
        }
        Ok(digest)
    }

    /// The signatures in wire form (concatenated 65-byte `r ‖ s ‖ v`).
    pub fn signature_bytes(&self) -> Vec<u8> {
        self.signatures
            .iter()
            .flat_map(signature_to_bytes)
            .collect()
    }

    /// Distinct signers, as a set (convenience for callers that do not care about order).
    pub fn signer_set(&self, domain: &Eip712Domain) -> Result<BTreeSet<Address>> {
        Ok(self.recover_signers(domain)?.into_iter().collect())
    }
}

/// `keccak256` of the EIP-712 encodeType string of `T` (its type hash).
pub fn type_hash<T: SolStruct>() -> B256 {
    keccak256(T::eip712_encode_type().as_bytes())
}

// ---- conversions between the domain types and the ABI view ----

impl From<&Segment> for abi::Segment {
    fn from(s: &Segment) -> Self {
        Self {
            start: s.start(),
            end: s.end(),
        }
    }
}

impl TryFrom<&abi::Segment> for Segment {
    type Error = Error;
    fn try_from(s: &abi::Segment) -> Result<Self> {
        Self::new(s.start, s.end)
    }
}

impl From<&Input> for abi::Input {
    fn from(i: &Input) -> Self {
        Self {
            owner: i.owner,
            blockIndex: i.block_index,
            txIndex: i.tx_index,
            outputIndex: i.output_index,
            segment: (&i.segment).into(),
        }
    }
}

impl TryFrom<&abi::Input> for Input {
    type Error = Error;
    fn try_from(i: &abi::Input) -> Result<Self> {
        Ok(Self {
            owner: i.owner,
            block_index: i.blockIndex,
            tx_index: i.txIndex,
            output_index: i.outputIndex,
            segment: (&i.segment).try_into()?,
        })
    }
}

impl From<&Output> for abi::Output {
    fn from(o: &Output) -> Self {
        Self {
            owner: o.owner,
            segment: (&o.segment).into(),
        }
    }
}

impl TryFrom<&abi::Output> for Output {
    type Error = Error;
    fn try_from(o: &abi::Output) -> Result<Self> {
        Ok(Self {
            owner: o.owner,
            segment: (&o.segment).try_into()?,
        })
    }
}

impl From<&Transaction> for abi::Transaction {
    fn from(t: &Transaction) -> Self {
        Self {
            inputs: t.inputs.iter().map(Into::into).collect(),
            outputs: t.outputs.iter().map(Into::into).collect(),
            maxBlockIndex: t.max_block_index,
        }
    }
}

impl TryFrom<&abi::Transaction> for Transaction {
    type Error = Error;
    /// Checks every segment (inputs first, then outputs), nothing else.
    fn try_from(t: &abi::Transaction) -> Result<Self> {
        Ok(Self {
            inputs: t
                .inputs
                .iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
            outputs: t
                .outputs
                .iter()
                .map(TryInto::try_into)
                .collect::<Result<_>>()?,
            max_block_index: t.maxBlockIndex,
        })
    }
}

impl From<&SignedTransaction> for abi::SignedTransaction {
    fn from(s: &SignedTransaction) -> Self {
        Self {
            transaction: (&s.transaction).into(),
            signatures: s.signature_bytes().into(),
        }
    }
}

impl TryFrom<&abi::SignedTransaction> for SignedTransaction {
    type Error = Error;
    /// Checks the segments, then that the signature bytes are whole 65-byte signatures with
    /// `v ∈ {27, 28}`.
    fn try_from(s: &abi::SignedTransaction) -> Result<Self> {
        let transaction = Transaction::try_from(&s.transaction)?;
        let bytes = s.signatures.as_ref();
        let (chunks, rest) = bytes.as_chunks::<SIGNATURE_LEN>();
        if !rest.is_empty() {
            return Err(Error::InvalidSignatureEncoding(bytes.len()));
        }
        let signatures = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| signature_from_bytes(c, i))
            .collect::<Result<_>>()?;
        Ok(Self {
            transaction,
            signatures,
        })
    }
}

/// `Vec<Signature>` as a list of `0x`-hex 65-byte `r ‖ s ‖ v` strings.
mod serde_signatures {
    use alloy_primitives::{Bytes, Signature};
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

    use super::{SIGNATURE_LEN, signature_from_bytes, signature_to_bytes};

    pub(crate) fn serialize<S: Serializer>(sigs: &[Signature], s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<Bytes> = sigs
            .iter()
            .map(|sig| Bytes::copy_from_slice(&signature_to_bytes(sig)))
            .collect();
        v.serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Signature>, D::Error> {
        let v = Vec::<Bytes>::deserialize(d)?;
        v.iter()
            .enumerate()
            .map(|(i, b)| {
                let arr: &[u8; SIGNATURE_LEN] = b
                    .as_ref()
                    .try_into()
                    .map_err(|_| D::Error::custom("signature is not 65 bytes"))?;
                signature_from_bytes(arr, i).map_err(D::Error::custom)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coin::coin_id;

    fn seg(a: u128, b: u128) -> Segment {
        Segment::new(coin_id(0, a), coin_id(0, b)).expect("valid")
    }

    fn key(b: u8) -> SigningKey {
        SigningKey::from_slice(&[b; 32]).expect("valid key")
    }

    /// The reference path: alloy's EIP-712 encoder and k256 recovery (which verifies the
    /// recovered key again), with the low-s rule in front.
    fn reference_recover(sig: &Signature, digest: &B256, index: usize) -> Result<Address> {
        if sig.s() > SECP256K1_HALF_N {
            return Err(Error::HighS { index });
        }
        sig.recover_address_from_prehash(digest)
            .map_err(|_| Error::InvalidSignature { index })
    }

    fn reference_verify(stx: &SignedTransaction, domain: &Eip712Domain) -> Result<B256> {
        stx.verify_by(
            |t| t.to_abi().eip712_signing_hash(domain),
            reference_recover,
        )
    }

    /// The fast path (precomputed type hashes, libsecp256k1) against the reference (alloy's
    /// encoder, k256) on valid and malformed signatures: same ids, same signers, same errors.
    #[test]
    fn fast_path_agrees_with_reference() {
        let d = domain(31337, Address::repeat_byte(0xdb));
        let sep = d.separator();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let n = SECP256K1_HALF_N * U256::from(2u8) + U256::from(1u8);
        let mut outcomes = BTreeSet::new();
        for i in 0..400u64 {
            let ka = SigningKey::from_slice(&keccak256(i.to_be_bytes()).0).expect("key");
            let kb = SigningKey::from_slice(&keccak256((i + 1_000).to_be_bytes()).0).expect("key");
            let (a, b) = (address_of(&ka), address_of(&kb));
            let base = u128::from(next() % 1_000);
            let len = 2 + u128::from(next() % 50);
            let mid = base + 1 + u128::from(next()) % (len - 1);
            let two_owners = i % 3 == 0;
            let t = Transaction {
                inputs: vec![
                    Input {
                        owner: a,
                        block_index: next() % 1_000,
                        tx_index: (next() % 4) as u32,
                        output_index: (next() % 16) as u8,
                        segment: seg(base, mid),
                    },
                    Input::deposit(if two_owners { b } else { a }, next(), seg(mid, base + len)),
                ],
                outputs: vec![
                    Output {
                        owner: b,
                        segment: seg(base, mid),
                    },
                    Output {
                        owner: Address::repeat_byte((i % 250) as u8 + 1),
                        segment: seg(mid, base + len),
                    },
                ],
                max_block_index: next(),
            };
            assert_eq!(t.struct_hash(), t.to_abi().eip712_hash_struct(), "case {i}");
            assert_eq!(t.tx_id(&d), t.to_abi().eip712_signing_hash(&d), "case {i}");
            let mut stx = t.sign(&d, &[ka, kb]).expect("signs");
            let s0 = stx.signatures[0];
            match i % 10 {
                0 | 1 => {}
                2 => {
                    stx.signatures[0] = Signature::new(s0.r(), U256::from(next()), next() & 1 == 1)
                }
                3 => {
                    stx.signatures[0] =
                        Signature::new(U256::from(next()) << 100, s0.s(), next() & 1 == 1)
                }
                4 => stx.signatures[0] = Signature::new(s0.r(), n - s0.s(), !s0.v()),
                5 => stx.signatures[0] = Signature::new(U256::ZERO, s0.s(), false),
                6 => stx.signatures[0] = Signature::new(s0.r(), U256::ZERO, true),
                // r at or above the group order
                7 => stx.signatures[0] = Signature::new(n + U256::from(next() % 3), s0.s(), false),
                8 => stx.signatures[0] = Signature::new(s0.r(), s0.s(), !s0.v()),
                _ => stx.signatures.push(s0),
            }
            let digest = stx.tx_id(&d);
            for (index, sig) in stx.signatures.iter().enumerate() {
                assert_eq!(
                    recover_signer(sig, &digest, index),
                    reference_recover(sig, &digest, index),
                    "case {i}"
                );
            }
            let fast = stx.verify_with_separator(&sep);
            assert_eq!(fast, reference_verify(&stx, &d), "case {i}");
            assert_eq!(stx.verify(&d), fast, "case {i}");
            outcomes.insert(fast.map(|_| "ok").unwrap_or_else(|e| e.code()));
        }
        // The cases exercise acceptance and every signature error.
        for code in [
            "ok",
            "HighS",
            "InvalidSignature",
            "WrongSigner",
            "SignatureCount",
        ] {
            assert!(
                outcomes.contains(code),
                "{code} never happened: {outcomes:?}"
            );
        }
    }

    #[test]
    fn type_strings_match_spec() {
        assert_eq!(
            abi::Segment::eip712_encode_type(),
            "Segment(uint256 start,uint256 end)"
        );
        assert_eq!(
            abi::Transaction::eip712_encode_type(),
            "Transaction(Input[] inputs,Output[] outputs,uint64 maxBlockIndex)\
             Input(address owner,uint64 blockIndex,uint32 txIndex,uint8 outputIndex,Segment segment)\
             Output(address owner,Segment segment)Segment(uint256 start,uint256 end)"
        );
    }

    #[test]
    fn split_and_swap() {
        let (ka, kb) = (key(1), key(2));
        let (a, b) = (address_of(&ka), address_of(&kb));
        let d = domain(1, Address::repeat_byte(0x11));
        let tx = Transaction {
            inputs: vec![
                Input::deposit(a, 1, seg(0, 10)),
                Input::deposit(b, 2, seg(10, 20)),
            ],
            outputs: vec![
                Output {
                    owner: b,
                    segment: seg(0, 10),
                },
                Output {
                    owner: a,
                    segment: seg(10, 15),
                },
                Output {
                    owner: a,
                    segment: seg(15, 20),
                },
            ],
            max_block_index: 10,
        };
        let stx = tx.sign(&d, &[kb.clone(), ka.clone()]).expect("signs");
        assert_eq!(stx.verify(&d), Ok(tx.tx_id(&d)));
        assert_eq!(stx.recover_signers(&d), Ok(vec![a, b]));
        assert_eq!(tx.coin_ranges(), vec![seg(0, 20)]);
        // Swapped signature order is rejected.
        let mut swapped = stx.clone();
        swapped.signatures.reverse();
        assert_eq!(swapped.verify(&d).map_err(|e| e.code()), Err("WrongSigner"));
        // A high-s twin of a valid signature is rejected.
        let mut high = stx.clone();
        let s0 = high.signatures[0];
        let n = SECP256K1_HALF_N * U256::from(2u8) + U256::from(1u8);
        high.signatures[0] = Signature::new(s0.r(), n - s0.s(), !s0.v());
        assert_eq!(high.verify(&d).map_err(|e| e.code()), Err("HighS"));
        // Another domain gives another id, and signatures no longer match.
        let d2 = domain(2, Address::repeat_byte(0x11));
        assert_ne!(tx.tx_id(&d2), tx.tx_id(&d));
        assert_eq!(stx.verify(&d2).map_err(|e| e.code()), Err("WrongSigner"));
        assert_eq!(tx.check_block(10), Ok(()));
        assert_eq!(tx.check_block(11).map_err(|e| e.code()), Err("TxExpired"));
    }
}
