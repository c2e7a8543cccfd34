//! What an L1 observer can read: every transaction's calldata and every log it left. The demo
//! searches them for the byte patterns of what a shielded deposit and a private payment must
//! keep off L1 (docs/shielded.md S-6.3, what an L1 observer learns): a pure search over recorded
//! bytes, so the rule is tested on hand-built transactions.

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

/// A secret's byte forms: a value may appear as a 32-byte ABI word, packed (an address's 20
/// bytes, a `uint64` in 8 bytes) or inside a longer blob.
#[derive(Clone, Debug)]
pub(crate) struct Pattern {
    /// What it is, for the report ("deposit commitment").
    pub(crate) name: String,
    /// Each byte string whose presence would reveal it.
    pub(crate) forms: Vec<Vec<u8>>,
}

impl Pattern {
    /// A 256-bit value: its ABI word only (a field element or hash has no shorter form).
    pub(crate) fn word(name: &str, v: U256) -> Self {
        Self {
            name: name.into(),
            forms: vec![v.to_be_bytes::<32>().to_vec()],
        }
    }

    /// An address: packed or ABI-padded, both contain its 20 bytes.
    pub(crate) fn address(name: &str, a: Address) -> Self {
        Self {
            name: name.into(),
            forms: vec![a.to_vec()],
        }
    }

    /// An amount, in every unit given: the ABI word and the 8-byte big-endian form of each.
    pub(crate) fn amount(name: &str, values: &[U256]) -> Self {
        let mut forms = Vec::new();
        for v in values {
            forms.push(v.to_be_bytes::<32>().to_vec());
            if let Ok(small) = u64::try_from(*v) {
                forms.push(small.to_be_bytes().to_vec());
            }
        }
        Self {
            name: name.into(),
            forms,
        }
    }

    /// A blob (a ciphertext): its first 32 bytes, enough to recognise it anywhere.
    pub(crate) fn blob(name: &str, b: &[u8]) -> Self {
        Self {
            name: name.into(),
            forms: vec![b[..b.len().min(32)].to_vec()],
        }
    }
}

/// One L1 transaction as an observer sees it: its calldata and its logs' topics and data.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// The transaction's hash.
    pub(crate) tx_hash: B256,
    /// Its calldata.
    pub(crate) input: Bytes,
    /// Each log's topics followed by its data.
    pub(crate) logs: Vec<Vec<u8>>,
}

/// A pattern found on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposure {
    /// The pattern's name.
    pub what: String,
    /// The transaction that shows it.
    pub tx_hash: B256,
    /// `calldata` or `log N`.
    pub place: String,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every place in `txs` where a form of one of `patterns` appears.
pub(crate) fn exposures(patterns: &[Pattern], txs: &[Seen]) -> Vec<Exposure> {
    let mut found = Vec::new();
    for tx in txs {
        let places = std::iter::once(("calldata".to_owned(), tx.input.as_ref())).chain(
            tx.logs
                .iter()
                .enumerate()
                .map(|(i, l)| (format!("log {i}"), l.as_slice())),
        );
        for (place, bytes) in places {
            for p in patterns {
                if p.forms.iter().any(|f| contains(bytes, f)) {
                    found.push(Exposure {
                        what: p.name.clone(),
                        tx_hash: tx.tx_hash,
                        place: place.clone(),
                    });
                }
            }
        }
    }
    found
}

/// A log as the observer reads it: topics then data, one byte string.
pub(crate) fn log_bytes(topics: &[B256], data: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = topics.iter().flat_map(|t| t.0).collect();
    out.extend_from_slice(data);
    out
}

/// A deposit as L1 shows it: its commitment, token and amount are public (S-5.3).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PublicDeposit {
    pub(crate) cm: U256,
    pub(crate) token: Address,
    pub(crate) amount: u64,
}

/// How many notes an exit of a whole note of `amount` units of `token`, proven under a root over
/// `leaves`, could be for an L1 observer (S-6.3): every leaf but the zero fillers (`fillers`),
/// less the deposits L1 showed with another token or amount (exits take whole notes, S-5.5, so
/// a deposit note of 1,000 cannot be an exit of 400). Notes made on L2 hide both.
pub(crate) fn anonymity_set(
    leaves: &[U256],
    fillers: &[U256],
    deposits: &[PublicDeposit],
    token: Address,
    amount: u64,
) -> u64 {
    let count = leaves
        .iter()
        .filter(|l| !fillers.contains(l))
        .filter(|l| {
            deposits
                .iter()
                .find(|d| d.cm == **l)
                .is_none_or(|d| d.token == token && d.amount == amount)
        })
        .count();
    u64::try_from(count).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymity_set_drops_fillers_and_deposits_of_other_amounts() {
        let t = Address::repeat_byte(1);
        let leaf = |i: u64| U256::from(1000 + i);
        // A deposit of 1,000 (and its filler 0), a payment's two outputs, a deposit of 400.
        let leaves = [leaf(0), U256::ZERO, leaf(1), leaf(2), leaf(3), U256::ZERO];
        let deposits = [
            PublicDeposit {
                cm: leaf(0),
                token: t,
                amount: 1_000,
            },
            PublicDeposit {
                cm: leaf(3),
                token: t,
                amount: 400,
            },
        ];
        assert_eq!(anonymity_set(&leaves, &[U256::ZERO], &deposits, t, 400), 3);
        assert_eq!(
            anonymity_set(&leaves, &[U256::ZERO], &deposits, t, 1_000),
            3
        );
        assert_eq!(anonymity_set(&leaves, &[U256::ZERO], &deposits, t, 7), 2);
        let other = Address::repeat_byte(2);
        assert_eq!(
            anonymity_set(&leaves, &[U256::ZERO], &deposits, other, 400),
            2
        );
    }

    fn tx(input: Vec<u8>, logs: Vec<Vec<u8>>) -> Seen {
        Seen {
            tx_hash: B256::repeat_byte(7),
            input: input.into(),
            logs,
        }
    }

    #[test]
    fn finds_each_form_in_calldata_and_logs() {
        let secret: U256 = U256::from(0xdead_beef_u64) << 100_usize;
        let who = Address::repeat_byte(0xab);
        let mut calldata = vec![1, 2, 3];
        calldata.extend_from_slice(&secret.to_be_bytes::<32>());
        let log = log_bytes(
            &[B256::ZERO],
            &[[0u8; 12].as_slice(), who.as_slice()].concat(),
        );
        let amount_log = log_bytes(&[], &40_000u64.to_be_bytes());
        let txs = [tx(calldata, vec![log]), tx(vec![9; 64], vec![amount_log])];
        let patterns = [
            Pattern::word("commitment", secret),
            Pattern::address("depositor", who),
            Pattern::amount("amount", &[U256::from(40_000u64)]),
            Pattern::blob("ciphertext", &[5u8; 123]),
        ];
        let found = exposures(&patterns, &txs);
        let names: Vec<_> = found
            .iter()
            .map(|e| (e.what.as_str(), e.place.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("commitment", "calldata"),
                ("depositor", "log 0"),
                ("amount", "log 0")
            ]
        );
    }

    #[test]
    fn nothing_found_in_unrelated_bytes() {
        let txs = [tx(vec![0x11; 200], vec![vec![0x22; 96]])];
        let patterns = [
            Pattern::word("w", U256::from(3u64) << 200_usize),
            Pattern::amount("a", &[U256::from(400u64)]),
        ];
        assert!(exposures(&patterns, &txs).is_empty());
    }
}
