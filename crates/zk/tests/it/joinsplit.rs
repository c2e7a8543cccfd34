//! The JoinSplit circuit: a valid witness satisfies it, and for every constraint family a witness
//! violating only that family does not (docs/circuits.md §6).

use ark_ff::{Field, UniformRand, Zero};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use ark_std::rand::{SeedableRng, rngs::StdRng};
use debye_zk::{
    Error, Fr,
    circuit::{
        InputAssignment, JoinSplitCircuit, OutputAssignment, PI_PUBLIC_AMOUNT, public_amount_field,
    },
    ext_data::ExtData,
    keys::Keys,
    merkle::{MerkleTree, TREE_DEPTH},
    note::{Note, encrypt_note, token_from_address},
};

pub(crate) fn token() -> Fr {
    token_from_address(&[0x11; 20])
}

/// Alice spends notes of 70 and 30, pays Bob 60, keeps 25 and withdraws 15 to L1.
pub(crate) fn scenario() -> JoinSplitCircuit {
    let alice = alice();
    let bob = Keys::from_seed([0xb0; 32]).expect("keys");
    let secret = alice.output_secret(0);
    let mut rng = StdRng::seed_from_u64(7);
    // Note number `i` of Alice's output secret: `amount` for `owner`.
    let note = |owner: &Keys, amount, i: u64| Note {
        owner: owner.address().owner,
        token: token(),
        amount,
        randomness: secret.randomness(Fr::from(i)),
    };
    let n0 = note(&alice, 70, 1);
    let n1 = note(&alice, 30, 2);
    // Five foreign leaves, then Alice's two notes with a foreign leaf between; each witness is
    // fed every later leaf.
    let mut tree = MerkleTree::new();
    let mut leaves: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut rng)).collect();
    leaves.push(n0.commitment());
    leaves.push(Fr::rand(&mut rng));
    leaves.push(n1.commitment());
    let mut witnesses = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        for w in witnesses.iter_mut() {
            debye_zk::merkle::Witness::append(w, *leaf).expect("feed");
        }
        if i == 5 || i == 7 {
            witnesses.push(tree.append_tracked(*leaf).expect("append"));
        } else {
            tree.append(*leaf).expect("append");
        }
    }
    let nk = alice.nullifier_key().to_field();
    let a = alice.auth().public();
    let inputs = [
        InputAssignment::new(&n0, a, nk, &witnesses[0].path()),
        InputAssignment::new(&n1, a, nk, &witnesses[1].path()),
    ];
    let out0 = note(&bob, 60, 3);
    let out1 = note(&alice, 25, 4);
    let ct0 = encrypt_note(&out0, &bob.address(), [1; 32]).expect("enc");
    let ct1 = encrypt_note(&out1, &alice.address(), [2; 32]).expect("enc");
    // The circuit treats extDataHash as opaque (§6.8); the scenario binds v1 external data.
    let mut ext = ExtData::transfer(31337, [0x44; 20], 2_000_000_000, [0x33; 32], [&ct0, &ct1]);
    ext.recipient = [0x22; 20];
    JoinSplitCircuit::new(
        inputs,
        [OutputAssignment::new(&out0), OutputAssignment::new(&out1)],
        tree.root(),
        -15,
        token(),
        ext.hash(),
    )
    .expect("valid scenario")
    .sign(alice.auth())
    .expect("signed by the owner")
}

fn alice() -> Keys {
    Keys::from_seed([0xa1; 32]).expect("keys")
}

/// Whether the constraint system is satisfied; also asserts that the native checker
/// (`JoinSplitCircuit::validate`, run before every proof) agrees with the circuit.
pub(crate) fn satisfied(c: JoinSplitCircuit) -> bool {
    let native = c.validate();
    let cs = ConstraintSystem::<Fr>::new_ref();
    c.generate_constraints(cs.clone()).expect("synthesis");
    let sat = cs.is_satisfied().expect("is_satisfied");
    assert_eq!(
        native.is_ok(),
        sat,
        "native check ({native:?}) disagrees with the circuit"
    );
    sat
}

/// Re-sign the (tampered) public inputs with the owner's key, so the signature family (§6.10)
/// stays satisfied.
fn resign(mut c: JoinSplitCircuit) -> JoinSplitCircuit {
    c.signature = alice().auth().sign(&c.public.intent_digest());
    c
}

/// Recompute the public inputs derived from the witness (root kept) and re-sign, so a tampered
/// witness violates only the family under test.
fn refresh(mut c: JoinSplitCircuit) -> JoinSplitCircuit {
    c.public.nullifiers = [c.inputs[0].nullifier(), c.inputs[1].nullifier()];
    c.public.commitments = [c.outputs[0].commitment(), c.outputs[1].commitment()];
    resign(c)
}

/// Whether the scenario, changed by `tamper` and made consistent again by `repair` ([`refresh`]
/// or [`resign`]) so that the change violates only the family under test, is unsatisfied.
fn unsatisfied_after(
    repair: fn(JoinSplitCircuit) -> JoinSplitCircuit,
    tamper: impl FnOnce(&mut JoinSplitCircuit),
) -> bool {
    let mut c = scenario();
    tamper(&mut c);
    !satisfied(repair(c))
}

#[test]
fn valid_joinsplit_satisfies() {
    let c = scenario();
    assert_eq!(c.public.to_vec()[PI_PUBLIC_AMOUNT], -Fr::from(15u64));
    assert!(satisfied(c));
}

/// Two zero-amount inputs with garbage paths and random randomness.
fn dummies() -> [InputAssignment; 2] {
    let base = scenario();
    let mut rng = StdRng::seed_from_u64(9);
    let mut dummy = base.inputs[0].clone();
    dummy.amount = Fr::zero();
    dummy.randomness = Fr::rand(&mut rng);
    dummy.siblings = (0..TREE_DEPTH).map(|_| Fr::rand(&mut rng)).collect();
    let mut dummy2 = dummy.clone();
    dummy2.randomness = Fr::rand(&mut rng);
    [dummy, dummy2]
}

#[test]
fn dummy_only_joinsplit_creates_only_zero_notes() {
    // Dummies are not checked against the root (§6.9) and need no signature, so they may only
    // make zero-value notes (docs/shielded.md S-8.4: padding).
    let zero = |o: &OutputAssignment| OutputAssignment {
        amount: Fr::zero(),
        ..o.clone()
    };
    let base = scenario();
    let outputs = [zero(&base.outputs[0]), zero(&base.outputs[1])];
    let mut rng = StdRng::seed_from_u64(10);
    let c = JoinSplitCircuit::new(dummies(), outputs, Fr::rand(&mut rng), 0, token(), Fr::ONE)
        .expect("valid padding");
    assert!(satisfied(c));
}

#[test]
fn proofs_never_add_value() {
    // §6.5: a positive public amount (the old "deposit" proof) is refused natively ...
    let base = scenario();
    let mut rng = StdRng::seed_from_u64(11);
    let minted = JoinSplitCircuit::new(
        dummies(),
        base.outputs.clone(),
        Fr::rand(&mut rng),
        85,
        token(),
        Fr::from(5u64),
    );
    assert!(
        matches!(minted, Err(Error::InvalidWitness(_))),
        "{minted:?}"
    );
    assert!(public_amount_field(1).is_err());
    assert!(public_amount_field(0).is_ok());
    assert!(public_amount_field(-(1 << 64) + 1).is_ok());
    // ... and is unsatisfiable: dummies, publicAmount = +85, outputs 60 + 25.
    let mut c = JoinSplitCircuit::new(
        dummies(),
        [OutputAssignment::zero(), OutputAssignment::zero()],
        Fr::rand(&mut rng),
        0,
        token(),
        Fr::from(5u64),
    )
    .expect("padding");
    c.outputs = base.outputs.clone();
    c.public.public_amount = Fr::from(85u64);
    c.public.commitments = [c.outputs[0].commitment(), c.outputs[1].commitment()];
    assert!(!satisfied(c));
    // ... also when a real input is spent: 70 + 30 + 1 = 60 + 41 with a signed publicAmount of 1.
    assert!(unsatisfied_after(refresh, |c| {
        c.public.public_amount = Fr::ONE;
        c.outputs[1].amount = Fr::from(41u64);
    }));
}

#[test]
fn native_checks_reject_bad_witnesses() {
    let c = scenario();
    let r = |res: Result<JoinSplitCircuit, Error>| matches!(res, Err(Error::InvalidWitness(_)));
    let p = c.public;
    // The scenario's outputs and external data with the given inputs, root, amount and token.
    let new = |inputs, root, public_amount, token| {
        JoinSplitCircuit::new(
            inputs,
            c.outputs.clone(),
            root,
            public_amount,
            token,
            p.ext_data_hash,
        )
    };
    assert!(r(new(c.inputs.clone(), p.root, -14, p.token)));
    assert!(r(new(c.inputs.clone(), p.root + Fr::ONE, -15, p.token)));
    assert!(r(new(c.inputs.clone(), p.root, -15, p.token + Fr::ONE)));
    let twice = [c.inputs[0].clone(), c.inputs[0].clone()];
    assert!(r(new(twice, p.root, -55, p.token)));
    assert!(public_amount_field(1 << 64).is_err());
}

// ---- Negative tests: one constraint family each (docs/circuits.md §6.x) ----

#[test]
fn membership_violation_is_unsatisfied() {
    // §6.1: a real input whose path does not lead to the public root.
    assert!(unsatisfied_after(refresh, |c| c.inputs[1].siblings[3] += Fr::ONE));
}

#[test]
fn ownership_violation_is_unsatisfied() {
    // §6.2: the right note opening but another spender's nullifier key.
    assert!(unsatisfied_after(refresh, |c| c.inputs[0].nk += Fr::ONE));
}

#[test]
fn output_commitment_violation_is_unsatisfied() {
    // §6.3: the public commitment is not the commitment of the output opening.
    assert!(unsatisfied_after(resign, |c| c.public.commitments[1] += Fr::ONE));
}

#[test]
fn nullifier_violation_is_unsatisfied() {
    // §6.4: a public nullifier that is not Poseidon(nk, cm, position).
    assert!(unsatisfied_after(resign, |c| c.public.nullifiers[0] += Fr::ONE));
    // ... including one computed for another leaf position.
    assert!(unsatisfied_after(resign, |c| {
        let mut moved = c.inputs[0].clone();
        moved.position += 1;
        c.public.nullifiers[0] = moved.nullifier();
    }));
}

#[test]
fn duplicate_input_is_unsatisfied() {
    // §6.4: spending the same note twice in one JoinSplit (70 + 70 = 60 + 25 + 55 withdrawn).
    assert!(unsatisfied_after(refresh, |c| {
        c.inputs[1] = c.inputs[0].clone();
        c.public.public_amount = -Fr::from(55u64);
    }));
}

#[test]
fn note_range_violation_is_unsatisfied() {
    // §6.5: inflation through a "negative" output: 70 + 30 - 15 = 86 + (p - 1) balances in the
    // field, every commitment is well formed, only the 64-bit range check fails.
    assert!(unsatisfied_after(refresh, |c| {
        c.outputs[0].amount = Fr::from(86u64);
        c.outputs[1].amount = -Fr::ONE;
    }));
}

#[test]
fn public_amount_range_violation_is_unsatisfied() {
    // §6.5: two notes of 2^64 - 1 withdrawn at once: conservation holds over the integers, every
    // note is in range, only -publicAmount = 2^65 - 2 is too wide. Control: withdrawing one of
    // them (-publicAmount = 2^64 - 1, the other to an output) satisfies.
    let alice = alice();
    let (a, nk) = (alice.auth().public(), alice.nullifier_key().to_field());
    let secret = alice.output_secret(0);
    let note = |i: u64| Note {
        owner: alice.address().owner,
        token: token(),
        amount: u64::MAX,
        randomness: secret.randomness(Fr::from(100 + i)),
    };
    let (n0, n1) = (note(0), note(1));
    let mut tree = MerkleTree::new();
    let mut w0 = tree.append_tracked(n0.commitment()).expect("append");
    let w1 = tree.append_tracked(n1.commitment()).expect("append");
    w0.append(n1.commitment()).expect("feed");
    let inputs = [
        InputAssignment::new(&n0, a, nk, &w0.path()),
        InputAssignment::new(&n1, a, nk, &w1.path()),
    ];
    let keep = OutputAssignment::new(&Note {
        randomness: Fr::from(7u64),
        ..n0
    });
    let max = -((1i128 << 64) - 1);
    let one_out = JoinSplitCircuit::new(
        inputs,
        [keep, OutputAssignment::zero()],
        tree.root(),
        max,
        token(),
        Fr::ONE,
    )
    .expect("in range")
    .sign(alice.auth())
    .expect("sign");
    assert!(satisfied(one_out.clone()));
    let mut both = one_out;
    both.outputs[0] = OutputAssignment::zero();
    both.public.public_amount = -(Fr::from(u64::MAX) + Fr::from(u64::MAX));
    assert!(!satisfied(refresh(both)));
}

#[test]
fn conservation_violation_is_unsatisfied() {
    // §6.6: one unit more out than in.
    assert!(unsatisfied_after(refresh, |c| c.outputs[0].amount += Fr::ONE));
}

#[test]
fn token_violation_is_unsatisfied() {
    // §6.7: an output in another token (commitment well formed, amounts balance).
    assert!(unsatisfied_after(refresh, |c| c.outputs[1].token += Fr::ONE));
}

#[test]
fn signature_by_another_key_is_unsatisfied() {
    // §6.10: a prover holding nk but not the authorising key cannot spend.
    let mut c = scenario();
    let mallory = Keys::from_seed([0x66; 32]).expect("keys");
    c.signature = mallory.auth().sign(&c.public.intent_digest());
    assert!(!satisfied(c.clone()));
    assert!(matches!(
        c.clone().with_signature(c.signature),
        Err(Error::InvalidSignature)
    ));
}

#[test]
fn changing_a_signed_field_is_unsatisfied() {
    // §6.10 / §6.8: the prover swaps the external data (e.g. the recipient) after the user signed.
    let mut c = scenario();
    c.public.ext_data_hash += Fr::ONE;
    assert!(!satisfied(c.clone()));
    // Control: the same change signed by the owner is fine, so only the signature failed above.
    assert!(satisfied(resign(c)));
}

#[test]
fn zero_amount_outputs_may_carry_any_token() {
    // §6.7: the token of a zero-amount output is irrelevant.
    let mut c = scenario();
    c.outputs[1].token += Fr::ONE;
    c.outputs[0].amount = Fr::from(85u64);
    c.outputs[1].amount = Fr::zero();
    assert!(satisfied(refresh(c)));
}
