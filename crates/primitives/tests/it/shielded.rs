//! Shielded entries (docs/shielded.md §3): the committed vectors
//! (`test-vectors/primitives/shielded_entries.json`, generated here and compared by
//! `vectors::generated_vectors_match_committed`), checks of the committed file, and the strict
//! decoders and entries-tree proofs on inputs built to fail.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_sol_types::SolValue;
use debye_primitives::{
    abi,
    shielded::{
        self, BN254_R, BODY_TAG, DepositBody, EXT_TAG, EntriesProof, EntriesTree, Entry, EntryBody,
        EntryKind, ExtData, MAX_ENTRIES, POLICY, TransferBody,
    },
};
use serde_json::{Value, json};

type R<T = ()> = Result<T, Box<dyn std::error::Error>>;

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

fn id(label: &str) -> B256 {
    keccak256(label.as_bytes())
}

/// A field element derived from a label.
fn fe(label: &str) -> U256 {
    U256::from_be_bytes(id(label).0).reduce_mod(BN254_R)
}

/// The fixed `TRANSFER` external data the zk crate's `ExtData` is compared against.
pub(crate) fn transfer_ext() -> ExtData {
    ExtData {
        kind: EntryKind::Transfer as u8,
        recipient: Address::ZERO,
        fee_recipient: Address::ZERO,
        fee: 0,
        expiry: 1_767_225_600,
        chain_id: 31_337,
        anchor: Address::repeat_byte(0x50),
        policy: POLICY,
        nonce: id("debye/test/nonce/1"),
        ct_hash0: keccak256([0x01; 123]),
        ct_hash1: keccak256([0x02; 123]),
    }
}

/// The fixed `EXIT` external data.
pub(crate) fn exit_ext() -> ExtData {
    ExtData {
        kind: EntryKind::Exit as u8,
        recipient: Address::repeat_byte(0xa1),
        fee_recipient: Address::repeat_byte(0xfe),
        fee: 25_000,
        expiry: 1_767_312_000,
        chain_id: 1,
        anchor: Address::repeat_byte(0x50),
        policy: POLICY,
        nonce: id("debye/test/nonce/2"),
        ct_hash0: B256::ZERO,
        ct_hash1: B256::ZERO,
    }
}

/// External data cases: the two fixed ones, extremes, and a search for the first nonce whose
/// keccak is below `r` (so the file has hashes on both sides of the reduction).
fn ext_cases() -> Vec<(String, ExtData)> {
    let mut v = vec![
        ("transfer-fixed".to_string(), transfer_ext()),
        ("exit-fixed".to_string(), exit_ext()),
        ("all-zero".to_string(), ExtData::default()),
        (
            "max-values".to_string(),
            ExtData {
                kind: u8::MAX,
                recipient: Address::repeat_byte(0xff),
                fee_recipient: Address::repeat_byte(0xff),
                fee: u64::MAX,
                expiry: u64::MAX,
                chain_id: u64::MAX,
                anchor: Address::repeat_byte(0xff),
                policy: u32::MAX,
                nonce: B256::repeat_byte(0xff),
                ct_hash0: B256::repeat_byte(0xff),
                ct_hash1: B256::repeat_byte(0xff),
            },
        ),
    ];
    for below in [true, false] {
        let (i, ext) = (0u32..)
            .map(|i| {
                let mut e = transfer_ext();
                e.nonce = id(&format!("debye/test/nonce/search/{i}"));
                (i, e)
            })
            .find(|(_, e)| (U256::from_be_bytes(e.keccak().0) < BN254_R) == below)
            .expect("a quarter of all hashes are below r");
        let side = if below { "below" } else { "above" };
        v.push((format!("keccak-{side}-r-nonce-{i}"), ext));
    }
    v
}

fn transfer_body(ext: ExtData, root_block: u64) -> TransferBody {
    TransferBody {
        root_block,
        root: fe("root"),
        public_amount: U256::ZERO,
        token: U256::ZERO,
        ext_data_hash: ext.hash(),
        proof: std::array::from_fn(|i| fe(&format!("proof/{i}"))),
        ext,
    }
}

/// Entries of one imaginary block after a note tree of 60 leaves: two deposits, then two
/// transfers (the second completes the 64-leaf chunk, so it carries a checkpoint root).
pub(crate) fn entries() -> Vec<(&'static str, Entry)> {
    vec![
        (
            "deposit-0",
            Entry::deposit(60, B256::ZERO, fe("cm/deposit/7"), 7),
        ),
        (
            "deposit-1",
            Entry::deposit(62, B256::ZERO, fe("cm/deposit/8"), 8),
        ),
        (
            "transfer-0",
            Entry::transfer(
                64,
                B256::ZERO,
                [fe("nf/0"), fe("nf/1")],
                [fe("cm/0"), fe("cm/1")],
                transfer_body(transfer_ext(), 3),
            ),
        ),
        (
            "transfer-1-checkpoint",
            Entry::transfer(
                126,
                fe("checkpoint").into(),
                [fe("nf/2"), fe("nf/3")],
                [fe("cm/2"), fe("cm/3")],
                transfer_body(
                    ExtData {
                        nonce: id("debye/test/nonce/3"),
                        ..transfer_ext()
                    },
                    4,
                ),
            ),
        ),
    ]
}

/// Leaves of a tree with `n` entries (entry leaves of the sample, then labelled hashes).
fn leaves(n: usize) -> Vec<B256> {
    let sample: Vec<B256> = entries().iter().map(|(_, e)| e.leaf()).collect();
    (0..n)
        .map(|i| {
            sample
                .get(i)
                .copied()
                .unwrap_or_else(|| id(&format!("leaf/{i}")))
        })
        .collect()
}

/// Bad encodings: (name, type, bytes, error code).
fn bad_encodings() -> Vec<(&'static str, &'static str, Vec<u8>, &'static str)> {
    let all = entries();
    let head = all[2].1.head.abi_encode();
    let body = all[2].1.body.abi_encode();
    let dep = all[0].1.body.abi_encode();
    let with = |b: &[u8], at: usize, v: u8| {
        let mut b = b.to_vec();
        b[at] = v;
        b
    };
    let mut long = head.clone();
    long.push(0);
    vec![
        (
            "head-kind-0",
            "EntryHead",
            with(&head, 31, 0),
            "UnknownEntryKind",
        ),
        (
            "head-kind-exit",
            "EntryHead",
            with(&head, 31, 3),
            "UnknownEntryKind",
        ),
        (
            "head-kind-4",
            "EntryHead",
            with(&head, 31, 4),
            "UnknownEntryKind",
        ),
        (
            "head-kind-dirty-high-bits",
            "EntryHead",
            with(&head, 30, 1),
            "Decode",
        ),
        (
            "head-first-leaf-dirty",
            "EntryHead",
            with(&head, 32 + 23, 1),
            "Decode",
        ),
        ("head-short", "EntryHead", head[..255].to_vec(), "Decode"),
        ("head-long", "EntryHead", long, "TooLarge"),
        ("head-empty", "EntryHead", Vec::new(), "Decode"),
        (
            "transfer-root-block-dirty",
            "TransferBody",
            with(&body, 0, 1),
            "Decode",
        ),
        (
            "transfer-ext-kind-dirty",
            "TransferBody",
            with(&body, 13 * 32 + 30, 1),
            "Decode",
        ),
        (
            "transfer-ext-recipient-dirty",
            "TransferBody",
            with(&body, 14 * 32, 1),
            "Decode",
        ),
        (
            "transfer-ext-policy-dirty",
            "TransferBody",
            with(&body, 20 * 32 + 27, 1),
            "Decode",
        ),
        (
            "transfer-short",
            "TransferBody",
            body[..767].to_vec(),
            "Decode",
        ),
        (
            "transfer-long",
            "TransferBody",
            [body.as_slice(), &[0u8; 32]].concat(),
            "TooLarge",
        ),
        (
            "deposit-index-dirty",
            "DepositBody",
            with(&dep, 27, 1),
            "Decode",
        ),
        (
            "deposit-long",
            "DepositBody",
            [dep.as_slice(), &[0u8; 32]].concat(),
            "TooLarge",
        ),
        ("deposit-short", "DepositBody", dep[..31].to_vec(), "Decode"),
    ]
}

/// Decodes `bytes` as `ty`, reporting the error code.
fn decode_as(ty: &str, bytes: &[u8]) -> Result<(), &'static str> {
    let r = match ty {
        "EntryHead" => shielded::decode_head(bytes).map(drop),
        "TransferBody" => EntryBody::decode(EntryKind::Transfer, bytes).map(drop),
        "DepositBody" => EntryBody::decode(EntryKind::Deposit, bytes).map(drop),
        _ => shielded::decode_ext_data(bytes).map(drop),
    };
    r.map_err(|e| e.code())
}

/// Proofs built to fail: (name, proof, entry count, leaf, error code) against the 5-entry tree.
fn bad_proofs(
    tree: &EntriesTree,
    ls: &[B256],
) -> Vec<(&'static str, EntriesProof, u32, B256, &'static str)> {
    let p = tree.prove(2).expect("in range");
    let mut short = p.clone();
    short.siblings.pop();
    let mut long = p.clone();
    long.siblings.push(B256::ZERO);
    let mut flipped = p.clone();
    flipped.index = 3;
    let mut padding = p.clone();
    padding.index = 5;
    vec![
        ("control", p.clone(), 5, ls[2], ""),
        ("wrong-leaf", p.clone(), 5, ls[1], "RootMismatch"),
        ("wrong-index", flipped, 5, ls[2], "RootMismatch"),
        (
            "index-at-count",
            padding,
            5,
            B256::ZERO,
            "EntryIndexOutOfRange",
        ),
        ("too-few-siblings", short, 5, ls[2], "WrongProofLength"),
        ("too-many-siblings", long, 5, ls[2], "WrongProofLength"),
        (
            "count-implies-other-depth",
            p.clone(),
            9,
            ls[2],
            "WrongProofLength",
        ),
        ("count-zero", p.clone(), 0, ls[2], "EntryIndexOutOfRange"),
        (
            "count-over-max",
            p,
            MAX_ENTRIES + 1,
            ls[2],
            "EntryIndexOutOfRange",
        ),
    ]
}

pub(crate) fn shielded_json() -> Value {
    let ext: Vec<Value> = ext_cases()
        .into_iter()
        .map(|(name, e)| {
            json!({"name": name, "ext": e, "encoded": hex0x(&e.abi_encode()), "keccak": e.keccak(), "extDataHash": e.hash()})
        })
        .collect();
    let ents: Vec<Value> = entries()
        .into_iter()
        .map(|(name, e)| {
            json!({
                "name": name,
                "head": e.head,
                "headEncoded": hex0x(&e.head.abi_encode()),
                "body": e.body,
                "bodyEncoded": hex0x(&e.body.abi_encode()),
                "bodyHash": e.body.hash(),
                "leaf": e.leaf(),
            })
        })
        .collect();
    let trees: Vec<Value> = [0usize, 1, 2, 3, 4, 5, 8]
        .into_iter()
        .map(|n| {
            let ls = leaves(n);
            let t = EntriesTree::build(&ls).expect("small");
            let proofs: Vec<EntriesProof> = (0..n as u32)
                .map(|i| t.prove(i).expect("in range"))
                .collect();
            json!({"entryCount": n, "leaves": ls, "root": t.root(), "proofs": proofs})
        })
        .collect();
    let ls = leaves(5);
    let t5 = EntriesTree::build(&ls).expect("small");
    let bad_proofs: Vec<Value> = bad_proofs(&t5, &ls)
        .into_iter()
        .map(|(name, proof, count, leaf, err)| {
            json!({"name": name, "root": t5.root(), "entryCount": count, "leaf": leaf, "proof": proof, "error": if err.is_empty() { Value::Null } else { json!(err) }})
        })
        .collect();
    let bad: Vec<Value> = bad_encodings()
        .into_iter()
        .map(|(name, ty, enc, err)| json!({"name": name, "type": ty, "encoded": hex0x(&enc), "error": err}))
        .collect();
    json!({
        "format": "debye-primitives/shielded-entries/v1",
        "constants": {
            "extTag": EXT_TAG,
            "bodyTag": BODY_TAG,
            "bn254R": BN254_R,
            "kinds": {"DEPOSIT": 1, "TRANSFER": 2, "EXIT": 3},
            "policy": POLICY,
            "maxEntries": MAX_ENTRIES,
        },
        "extData": ext,
        "entries": ents,
        "trees": trees,
        "badProofs": bad_proofs,
        "badEncodings": bad,
    })
}

// ---------------------------------------------------------------- checks of the committed file

fn read() -> R<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors/primitives/shielded_entries.json");
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn bytes(v: &Value) -> R<Vec<u8>> {
    let s = v.as_str().ok_or("expected hex string")?;
    Ok(hex::decode(s.trim_start_matches("0x"))?)
}

fn arr(v: &Value) -> R<&Vec<Value>> {
    v.as_array().ok_or_else(|| "expected array".into())
}

fn val<T: serde::de::DeserializeOwned>(v: &Value) -> R<T> {
    Ok(serde_json::from_value(v.clone())?)
}

/// `uint256(keccak256(bytes)) mod r`, by long division on bytes, independent of `U256`'s.
fn reduce(h: B256) -> U256 {
    let mut x = U256::from_be_bytes(h.0);
    while x >= BN254_R {
        x -= BN254_R;
    }
    x
}

#[test]
fn committed_shielded_vectors_check() -> R {
    let f = read()?;
    let c = &f["constants"];
    assert_eq!(
        val::<B256>(&c["extTag"])?,
        keccak256("debye/shielded/v1/ext-data")
    );
    assert_eq!(
        val::<B256>(&c["bodyTag"])?,
        keccak256("debye/shielded/v1/body")
    );
    assert_eq!(val::<U256>(&c["bn254R"])?, BN254_R);
    let mut sides = [false; 2];
    for x in arr(&f["extData"])? {
        let name = &x["name"];
        let e: ExtData = val(&x["ext"])?;
        let enc = bytes(&x["encoded"])?;
        assert_eq!(e.abi_encode(), enc, "{name}");
        assert_eq!(shielded::decode_ext_data(&enc)?, e, "{name}");
        // abi.encode(EXT_TAG, ext) is the tag word followed by the eleven words.
        let k = keccak256([EXT_TAG.as_slice(), &enc].concat());
        assert_eq!(val::<B256>(&x["keccak"])?, k, "{name}");
        assert_eq!(val::<U256>(&x["extDataHash"])?, reduce(k), "{name}");
        assert_eq!(e.hash(), reduce(k), "{name}");
        sides[usize::from(U256::from_be_bytes(k.0) >= BN254_R)] = true;
    }
    assert_eq!(sides, [true, true], "hashes on both sides of r");
    for x in arr(&f["entries"])? {
        let name = &x["name"];
        let (he, be) = (bytes(&x["headEncoded"])?, bytes(&x["bodyEncoded"])?);
        let e = Entry::decode(&he, &be)?;
        assert_eq!(e.head, val(&x["head"])?, "{name}");
        assert_eq!(e.body, val(&x["body"])?, "{name}");
        let bh = keccak256([BODY_TAG.as_slice(), &be].concat());
        assert_eq!(val::<B256>(&x["bodyHash"])?, bh, "{name}");
        assert_eq!(e.head.body_hash, bh, "{name}");
        assert_eq!(
            val::<B256>(&x["leaf"])?,
            keccak256([&[0u8][..], &he].concat()),
            "{name}"
        );
        assert_eq!(e.leaf(), val::<B256>(&x["leaf"])?, "{name}");
        if let EntryBody::Transfer(b) = &e.body {
            assert_eq!(b.ext_data_hash, b.ext.hash(), "{name}");
            assert_eq!(b.public_amount, U256::ZERO, "{name}");
        }
    }
    for t in arr(&f["trees"])? {
        let n: u32 = val(&t["entryCount"])?;
        let ls: Vec<B256> = val(&t["leaves"])?;
        let root: B256 = val(&t["root"])?;
        assert_eq!(shielded::entries_root(&ls)?, root, "{n}");
        // Independent recomputation: pad to a power of two, hash pairs with 0x01.
        let independent = match ls.len() {
            0 => B256::ZERO,
            _ => {
                let mut level = ls.clone();
                level.resize(ls.len().next_power_of_two(), B256::ZERO);
                while level.len() > 1 {
                    level = level
                        .chunks(2)
                        .map(|p| keccak256([&[1u8][..], p[0].as_slice(), p[1].as_slice()].concat()))
                        .collect();
                }
                level[0]
            }
        };
        assert_eq!(independent, root, "{n}");
        let proofs: Vec<EntriesProof> = val(&t["proofs"])?;
        assert_eq!(proofs.len(), ls.len());
        for (i, p) in proofs.iter().enumerate() {
            assert_eq!(p.index as usize, i);
            p.verify(root, n, ls[i])?;
        }
    }
    for b in arr(&f["badProofs"])? {
        let p: EntriesProof = val(&b["proof"])?;
        let got = p
            .verify(val(&b["root"])?, val(&b["entryCount"])?, val(&b["leaf"])?)
            .map_err(|e| e.code());
        let want = match b["error"].as_str() {
            Some(e) => Err(e),
            None => Ok(()),
        };
        assert_eq!(got, want, "{}", b["name"]);
    }
    for b in arr(&f["badEncodings"])? {
        let got = decode_as(b["type"].as_str().ok_or("type")?, &bytes(&b["encoded"])?);
        assert_eq!(
            got,
            Err(b["error"].as_str().ok_or("error")?),
            "{}",
            b["name"]
        );
    }
    Ok(())
}

#[test]
fn a_head_must_commit_to_its_body() {
    let all = entries();
    let (dep, tr) = (&all[0].1, &all[2].1);
    // A deposit head with a transfer body (and the other way round) is refused...
    let mixed = Entry::decode(&dep.head.abi_encode(), &tr.body.abi_encode());
    assert_eq!(mixed.map_err(|e| e.code()), Err("TooLarge"));
    let mut head = tr.head;
    head.body_hash = all[3].1.body.hash();
    let wrong = Entry::decode(&head.abi_encode(), &tr.body.abi_encode());
    assert_eq!(wrong.map_err(|e| e.code()), Err("BodyHashMismatch"));
    let swapped = Entry {
        head: dep.head,
        body: tr.body.clone(),
    };
    assert_eq!(
        swapped.check().map_err(|e| e.code()),
        Err("EntryKindMismatch")
    );
    // ...and every body field is bound: changing the external data changes the leaf.
    for (_, e) in &all {
        e.check().expect("built consistently");
    }
    let EntryBody::Transfer(b) = &tr.body else {
        panic!("a transfer")
    };
    let mut b2 = **b;
    b2.ext.fee = 1;
    let e2 = Entry::transfer(
        64,
        B256::ZERO,
        [head.nullifier0, head.nullifier1],
        [head.commitment0, head.commitment1],
        b2,
    );
    assert_ne!(e2.leaf(), tr.leaf());
}

#[test]
fn leaf_and_node_domains_differ() {
    // A leaf never equals the node over its two halves, and an inner node is not a leaf of the
    // 64 bytes it hashes: the 0x00/0x01 prefixes.
    let e = &entries()[0].1;
    let enc = e.head.abi_encode();
    assert_ne!(e.leaf(), keccak256(&enc));
    let l = B256::repeat_byte(1);
    let r = B256::repeat_byte(2);
    assert_ne!(
        shielded::node_hash(&l, &r),
        keccak256([l.as_slice(), r.as_slice()].concat())
    );
    // One entry: the root is the leaf; none: zero.
    assert_eq!(shielded::entries_root(&[l]), Ok(l));
    assert_eq!(shielded::entries_root(&[]), Ok(B256::ZERO));
    // Padding is zero leaves, not a promoted node.
    assert_eq!(
        shielded::entries_root(&[l, r, l]),
        Ok(shielded::node_hash(
            &shielded::node_hash(&l, &r),
            &shielded::node_hash(&l, &B256::ZERO)
        ))
    );
}

#[test]
fn proofs_for_every_index_of_many_sizes() {
    for n in 1..=33usize {
        let ls: Vec<B256> = (0..n).map(|i| id(&format!("x/{i}"))).collect();
        let t = EntriesTree::build(&ls).expect("small");
        let count = n as u32;
        for i in 0..count {
            let p = t.prove(i).expect("in range");
            p.verify(t.root(), count, ls[i as usize]).expect("verifies");
            if n > 1 {
                let other = ls[(i as usize + 1) % n];
                assert!(p.verify(t.root(), count, other).is_err(), "{n}/{i}");
            }
        }
        assert_eq!(
            t.prove(count).map_err(|e| e.code()),
            Err("EntryIndexOutOfRange")
        );
    }
    assert_eq!(
        EntriesTree::build(&vec![B256::ZERO; MAX_ENTRIES as usize + 1]).map_err(|e| e.code()),
        Err("TooManyEntries")
    );
}

#[test]
fn ext_data_hash_is_the_reduced_tagged_keccak() {
    let e = transfer_ext();
    let raw = abi::ExtData::from(&e);
    let k = keccak256((EXT_TAG, raw).abi_encode());
    assert_eq!(e.keccak(), k);
    assert_eq!(shielded::ext_data_hash(&e), reduce(k));
    assert!(e.hash() < BN254_R);
    // Every field is bound.
    let mut other = e;
    other.kind = EntryKind::Exit as u8;
    assert_ne!(other.hash(), e.hash());
    let mut other = e;
    other.ct_hash1 = B256::ZERO;
    assert_ne!(other.hash(), e.hash());
    assert_eq!(
        DepositBody { deposit_index: 7 },
        match &entries()[0].1.body {
            EntryBody::Deposit(d) => *d,
            EntryBody::Transfer(_) => panic!("a deposit"),
        }
    );
}
