//! The header field's commitment to (m, A_m), pinned in test-vectors/accumulator/header.json and
//! recomputed by test-vectors/accumulator/check-header.mjs (node:crypto). Regenerate with
//! DEBYE_WRITE_VECTORS=1.

#![allow(clippy::unwrap_used)]
use debye_accumulator::{
    Accumulator, Error, Geometry, Group, check_header_commitment, coin_range, header_commitment,
};
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/accumulator/header.json"
);

fn id(token: u32, offset: u128) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[12..16].copy_from_slice(&token.to_be_bytes());
    out[16..].copy_from_slice(&offset.to_be_bytes());
    out
}

fn build() -> Value {
    let group = Group::rsa2048();
    let mut acc = Accumulator::new(Geometry::EXACT);
    let touched = [
        vec![coin_range(&id(0, 0), &id(0, 1_000)).unwrap()],
        vec![],
        vec![coin_range(&id(1, 5), &id(1, 6)).unwrap()],
    ];
    let mut rows = vec![json!({
        "height": 0,
        "value": hex::encode(group.encode(acc.value(0).unwrap())),
        "digest": hex::encode(group.digest(acc.value(0).unwrap())),
        "commitment": hex::encode(header_commitment(group, 0, acc.value(0).unwrap())),
    })];
    for (i, t) in touched.iter().enumerate() {
        let m = i as u64 + 1;
        let v = acc.append_block(t).unwrap();
        rows.push(json!({
            "height": m,
            "value": hex::encode(group.encode(&v.value)),
            "digest": hex::encode(v.digest),
            "commitment": hex::encode(header_commitment(group, m, &v.value)),
        }));
    }
    json!({
        "tag": "debye/accumulator/v1/header",
        "rule": "commitment = SHA-256(tag || u64_be(height) || digest), digest = SHA-256(\"debye/accumulator/v1/digest\" || N || value)",
        "commitments": rows,
    })
}

#[test]
fn header_commitments_match_the_pinned_vectors() {
    let built = build();
    if std::env::var_os("DEBYE_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let pinned: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(built, pinned, "header commitment vectors changed");
}

#[test]
fn a_commitment_binds_the_height_and_the_value() {
    let group = Group::rsa2048();
    let mut acc = Accumulator::new(Geometry::EXACT);
    acc.append_block(&[coin_range(&id(0, 0), &id(0, 7)).unwrap()])
        .unwrap();
    let (a0, a1) = (acc.value(0).unwrap().clone(), acc.value(1).unwrap().clone());
    let field = header_commitment(group, 1, &a1);
    assert_eq!(check_header_commitment(group, 1, &a1, &field), Ok(()));
    // same value, other height; other value, same height
    assert_eq!(
        check_header_commitment(group, 2, &a1, &field),
        Err(Error::DigestMismatch)
    );
    assert_eq!(
        check_header_commitment(group, 1, &a0, &field),
        Err(Error::DigestMismatch)
    );
}

#[test]
fn coin_ranges_come_from_256_bit_ids() {
    let r = coin_range(&id(3, 10), &id(3, 20)).unwrap();
    assert_eq!(r.start().to_be_bytes()[..], id(3, 10)[11..]);
    assert_eq!(r.end().to_be_bytes()[..], id(3, 20)[11..]);
    // empty, reversed, above 2^160
    assert!(matches!(
        coin_range(&id(3, 10), &id(3, 10)),
        Err(Error::InvalidRange { .. })
    ));
    assert!(matches!(
        coin_range(&id(3, 20), &id(3, 10)),
        Err(Error::InvalidRange { .. })
    ));
    let mut high = [0u8; 32];
    high[10] = 1;
    assert_eq!(
        coin_range(&id(0, 0), &high).err(),
        Some(Error::InvalidPoint)
    );
}
