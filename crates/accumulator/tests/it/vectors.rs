//! Pinned test vectors: test-vectors/accumulator/vectors.json, cross-checked by the independent
//! JavaScript implementation test-vectors/accumulator/check-accumulator.mjs.
//! Regenerate (after a deliberate format change) with DEBYE_WRITE_VECTORS=1.

use debye_accumulator::group::RSA_2048_DECIMAL;
use debye_accumulator::prime::challenge_prime;
use debye_accumulator::slice::inclusion_keys;
use debye_accumulator::{
    Accumulator, CoinRange, Factors, Geometry, Group, Key, Kind, Point, Slice, block_factors,
    exclusion_factors, verify_exclusion, verify_inclusion,
};
use serde_json::{Value, json};

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../test-vectors/accumulator/vectors.json"
);

fn point_hex(p: Point) -> String {
    hex::encode(p.to_be_bytes())
}

fn range_json(r: &CoinRange) -> Value {
    json!([point_hex(r.start()), point_hex(r.end())])
}

fn key_json(k: &Key) -> Value {
    let prime = k.prime().expect("prime");
    json!({
        "kind": match k.kind { Kind::Alpha => "alpha", Kind::Beta => "beta" },
        "level": k.slice.level(),
        "start": point_hex(k.slice.start()),
        "id": format!("{:x}", k.id()),
        "prime": format!("{prime:x}"),
    })
}

/// The ordered factor list (transcript order), for verifiers that take the primes themselves
/// (the Solidity AccumulatorVerifier reads these).
fn factors_json(f: &Factors) -> Value {
    json!(
        f.factors()
            .iter()
            .map(|p| format!("{p:x}"))
            .collect::<Vec<_>>()
    )
}

fn build() -> Value {
    let g = Group::rsa2048();
    let geo = Geometry::EXACT;
    let coin = CoinRange::in_token(2, 1_000, Some(1_024)).expect("coin");
    let slices = [
        Slice::ROOT,
        Slice::new(1, Point::coin(1 << 31, 0)).expect("slice"),
        Slice::new(32, Point::coin(2, 0)).expect("slice"),
        Slice::new(160, Point::coin(2, 1_000)).expect("slice"),
        Slice::new(150, Point::coin(u32::MAX, u128::MAX - 1023)).expect("slice"),
    ];
    let keys: Vec<Value> = slices
        .iter()
        .flat_map(|s| [Key::alpha(*s), Key::beta(*s)])
        .map(|k| key_json(&k))
        .collect();
    let challenges: Vec<Value> = [[0u8; 32], [0xab; 32]]
        .iter()
        .map(|seed| json!({"seed": hex::encode(seed), "prime": format!("{:x}", challenge_prime(seed))}))
        .collect();

    let blocks: Vec<Vec<CoinRange>> = vec![
        vec![coin],
        vec![CoinRange::in_token(2, 4_096, Some(8_192)).expect("r")],
        vec![],
        vec![CoinRange::in_token(2, 1_010, Some(1_011)).expect("r")],
    ];
    let mut acc = Accumulator::new(geo);
    let mut chain = Vec::new();
    for touched in &blocks {
        let up = acc.apply_block(touched).expect("block");
        chain.push(json!({
            "touched": touched.iter().map(range_json).collect::<Vec<_>>(),
            "primes": up.primes,
            "factors": factors_json(&block_factors(&geo, touched).expect("factors")),
            "value": hex::encode(g.encode(&up.value)),
            "digest": hex::encode(up.digest),
            "proof": hex::encode(up.proof.to_bytes(g)),
        }));
    }
    let excl = acc
        .prove_exclusion(&coin, 1, 3)
        .expect("untouched in 2..=3");
    let spent = CoinRange::in_token(2, 1_010, Some(1_011)).expect("r");
    let (inc_keys, inc) = acc.prove_inclusion(&spent, 1, 4).expect("touched in 4");
    let value = |n| acc.value(n).expect("accumulated");
    verify_exclusion(g, &geo, &coin, value(1), value(3), &excl).expect("verifies");
    verify_inclusion(g, &geo, &spent, &inc_keys, value(1), value(4), &inc).expect("verifies");
    let alpha = std::iter::once(Slice::new(160, Point::coin(2, 1_010)).expect("s")).collect();
    assert_eq!(
        inclusion_keys(&geo, &spent, &alpha).expect("keys"),
        inc_keys
    );

    json!({
        "about": "debye-accumulator v1 vectors; see docs/accumulator.md",
        "modulus": RSA_2048_DECIMAL,
        "generator": hex::encode(g.encode(g.generator())),
        "generator_digest": hex::encode(g.digest(g.generator())),
        "slice_keys": keys,
        "challenge_primes": challenges,
        "geometry_leaf_bits": geo.leaf_bits(),
        "genesis": hex::encode(g.encode(acc.value(0).expect("genesis"))),
        "blocks": chain,
        "exclusion": {
            "range": range_json(&coin), "a": 1, "b": 3,
            "excluded": factors_json(&exclusion_factors(&geo, &coin).expect("excluded")),
            "proof": hex::encode(excl.to_bytes(g).expect("encode")),
        },
        "inclusion": {
            "range": range_json(&spent), "a": 1, "b": 4,
            "keys": inc_keys.iter().map(key_json).collect::<Vec<_>>(),
            "proof": hex::encode(inc.to_bytes(g).expect("encode")),
        },
    })
}

#[test]
fn vectors_match_the_committed_file() {
    let built = build();
    if std::env::var_os("DEBYE_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&built).expect("json") + "\n";
        std::fs::write(PATH, text).expect("write vectors");
    }
    let text = std::fs::read_to_string(PATH).expect("committed vectors");
    let committed: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        built, committed,
        "regenerate with DEBYE_WRITE_VECTORS=1 if the change is deliberate"
    );
}
