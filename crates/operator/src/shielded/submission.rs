//! A submitted shielded `TRANSFER`: its body (docs/shielded.md S-3.5), the head fields fixed at
//! admission (nullifiers, commitments), and the two ciphertexts; its id; and the byte layouts the
//! store keeps for the pool and for block entries.

use alloy_primitives::{B256, Bytes, U256, keccak256};
use debye_primitives::shielded::{
    self, Entry, EntryBody, EntryKind, HEAD_LEN, TRANSFER_BODY_LEN, TransferBody,
};

use super::CT_LEN;

/// A shielded transfer as submitted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Submission {
    /// The body: root, public amount, token, extDataHash, proof, external data.
    pub(crate) body: TransferBody,
    /// Public inputs 1 and 2.
    pub(crate) nullifiers: [U256; 2],
    /// Public inputs 3 and 4.
    pub(crate) commitments: [U256; 2],
    /// The outputs' note ciphertexts (bound through `ext.ctHash0/1`).
    pub(crate) ciphertexts: [Bytes; 2],
}

impl Submission {
    /// The entry's body hash (`bodyHash` of its head).
    pub(crate) fn body_hash(&self) -> B256 {
        EntryBody::Transfer(Box::new(self.body)).hash()
    }

    /// The entry's id: `keccak256(nf0 ‖ nf1 ‖ cm0 ‖ cm1 ‖ bodyHash)`, everything of the head
    /// that is fixed at admission. The leaf itself also commits to `firstLeaf` and the
    /// checkpoint root, known only when a block places the entry; `debye_shieldedStatus`
    /// answers the leaf then.
    pub(crate) fn id(&self) -> B256 {
        let mut pre = Vec::with_capacity(5 * 32);
        for w in self.nullifiers.iter().chain(&self.commitments) {
            pre.extend_from_slice(&w.to_be_bytes::<32>());
        }
        pre.extend_from_slice(self.body_hash().as_slice());
        keccak256(pre)
    }

    /// The entry this submission becomes at `first_leaf` with `checkpoint_root`.
    pub(crate) fn entry(&self, first_leaf: u64, checkpoint_root: B256) -> Entry {
        Entry::transfer(
            first_leaf,
            checkpoint_root,
            self.nullifiers,
            self.commitments,
            self.body,
        )
    }

    /// The pool's layout: `abi.encode(body) ‖ nf0 ‖ nf1 ‖ cm0 ‖ cm1 ‖ ct0 ‖ ct1`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = EntryBody::Transfer(Box::new(self.body)).abi_encode();
        for w in self.nullifiers.iter().chain(&self.commitments) {
            v.extend_from_slice(&w.to_be_bytes::<32>());
        }
        for ct in &self.ciphertexts {
            v.extend_from_slice(ct);
        }
        v
    }

    /// Reads [`Self::encode`]'s layout back (strictly; `None` on any mismatch).
    pub(crate) fn decode(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != TRANSFER_BODY_LEN + 4 * 32 + 2 * CT_LEN {
            return None;
        }
        let (body, rest) = bytes.split_at(TRANSFER_BODY_LEN);
        let EntryBody::Transfer(body) = EntryBody::decode(EntryKind::Transfer, body).ok()? else {
            return None;
        };
        let (words, cts) = rest.split_at(4 * 32);
        let w = |i: usize| U256::from_be_slice(&words[32 * i..32 * (i + 1)]);
        let (ct0, ct1) = cts.split_at(CT_LEN);
        Some(Self {
            body: *body,
            nullifiers: [w(0), w(1)],
            commitments: [w(2), w(3)],
            ciphertexts: [Bytes::copy_from_slice(ct0), Bytes::copy_from_slice(ct1)],
        })
    }
}

/// An entry of a block with its ciphertexts (two for a transfer; none for a deposit, whose
/// ciphertext is in its L1 log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BlockEntry {
    /// The entry.
    pub(crate) entry: Entry,
    /// Its ciphertexts.
    pub(crate) ciphertexts: Vec<Bytes>,
}

impl BlockEntry {
    /// The store's layout: `abi.encode(head) ‖ abi.encode(body) ‖ ciphertexts`.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = self.entry.head.abi_encode();
        v.extend_from_slice(&self.entry.body.abi_encode());
        for ct in &self.ciphertexts {
            v.extend_from_slice(ct);
        }
        v
    }

    /// Reads [`Self::encode`]'s layout back: the head and body strictly (S-3.8), then whole
    /// ciphertexts.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, String> {
        let head = bytes.get(..HEAD_LEN).ok_or("shorter than a head")?;
        let kind = shielded::decode_head(head).map_err(|e| e.to_string())?.kind;
        let body_len = match kind {
            EntryKind::Transfer => TRANSFER_BODY_LEN,
            _ => shielded::DEPOSIT_BODY_LEN,
        };
        let body = bytes
            .get(HEAD_LEN..HEAD_LEN + body_len)
            .ok_or("body truncated")?;
        let entry = Entry::decode(head, body).map_err(|e| e.to_string())?;
        let rest = &bytes[HEAD_LEN + body_len..];
        if !rest.len().is_multiple_of(CT_LEN) {
            return Err(format!("{} ciphertext bytes", rest.len()));
        }
        let ciphertexts = rest.chunks(CT_LEN).map(Bytes::copy_from_slice).collect();
        Ok(Self { entry, ciphertexts })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::Address;
    use debye_primitives::shielded::ExtData;

    use super::*;

    /// A submission with every field distinct (not a valid one).
    pub(crate) fn sample() -> Submission {
        let ct0 = Bytes::from(vec![1u8; CT_LEN]);
        let ct1 = Bytes::from(vec![2u8; CT_LEN]);
        let ext = ExtData {
            kind: 2,
            expiry: 1_000,
            chain_id: 31337,
            anchor: Address::repeat_byte(0xaa),
            policy: 1,
            nonce: B256::repeat_byte(9),
            ct_hash0: keccak256(&ct0),
            ct_hash1: keccak256(&ct1),
            ..ExtData::default()
        };
        Submission {
            body: TransferBody {
                root_block: 1,
                root: U256::from(11),
                public_amount: U256::ZERO,
                token: U256::ZERO,
                ext_data_hash: ext.hash(),
                proof: [U256::from(5); 8],
                ext,
            },
            nullifiers: [U256::from(21), U256::from(22)],
            commitments: [U256::from(31), U256::from(32)],
            ciphertexts: [ct0, ct1],
        }
    }

    #[test]
    fn layouts_round_trip_and_are_strict() {
        let s = sample();
        assert_eq!(Submission::decode(&s.encode()), Some(s.clone()));
        let mut long = s.encode();
        long.push(0);
        assert_eq!(Submission::decode(&long), None);
        let e = BlockEntry {
            entry: s.entry(6, B256::ZERO),
            ciphertexts: s.ciphertexts.to_vec(),
        };
        assert_eq!(BlockEntry::decode(&e.encode()), Ok(e.clone()));
        let mut bad = e.encode();
        bad.truncate(bad.len() - 1);
        assert!(BlockEntry::decode(&bad).is_err());
        let d = BlockEntry {
            entry: Entry::deposit(0, B256::ZERO, U256::from(3), 0),
            ciphertexts: vec![],
        };
        assert_eq!(BlockEntry::decode(&d.encode()), Ok(d));
    }

    #[test]
    fn the_id_binds_nullifiers_commitments_and_body() {
        let s = sample();
        let mut t = s.clone();
        t.nullifiers[1] = U256::from(99);
        assert_ne!(s.id(), t.id());
        let mut t = s.clone();
        t.commitments[0] = U256::from(99);
        assert_ne!(s.id(), t.id());
        let mut t = s.clone();
        t.body.proof[7] = U256::from(99);
        assert_ne!(s.id(), t.id());
        // The ciphertexts are bound through ext.ctHash*, which the body carries.
        assert_eq!(s.id(), s.clone().id());
    }
}
