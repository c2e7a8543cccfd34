//! The 2-in/2-out JoinSplit circuit (docs/circuits.md §6).
//!
//! Every constraint below cites the section of `docs/circuits.md` that states the threat it
//! blocks. Public inputs are allocated in the order of the `PI_*` constants.

use ark_ff::{AdditiveGroup, BigInteger, PrimeField, Zero};
use ark_r1cs_std::{
    GR1CSVar, alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::FieldVar,
    select::CondSelectGadget,
};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::babyjub::{Fs, Point};
use crate::eddsa::{Signature, SigningKey, verify};
use crate::gadgets::{FrVar, PointVar, SignatureVar, eddsa_verify_gadget, poseidon_gadget};
use crate::keys::owner_field;
use crate::merkle::{MerklePath, TREE_DEPTH};
use crate::note::{DOMAIN_OWNER_PART, Note, commitment_from_owner_part, nullifier, owner_part};
use crate::poseidon::hash;
use crate::{Error, Fr, Result};

/// Number of spent notes per JoinSplit.
pub const N_INPUTS: usize = 2;
/// Number of created notes per JoinSplit.
pub const N_OUTPUTS: usize = 2;
/// Bits of every note amount (§6.5).
pub const AMOUNT_BITS: usize = 64;

/// Public input 0: the note-commitment tree root the inputs are proven under (§6.1).
pub const PI_MERKLE_ROOT: usize = 0;
/// Public input 1: nullifier of input 0 (§6.4).
pub const PI_NULLIFIER_0: usize = 1;
/// Public input 2: nullifier of input 1 (§6.4).
pub const PI_NULLIFIER_1: usize = 2;
/// Public input 3: commitment of output 0 (§6.3).
pub const PI_COMMITMENT_0: usize = 3;
/// Public input 4: commitment of output 1 (§6.3).
pub const PI_COMMITMENT_1: usize = 4;
/// Public input 5: the public amount, `0` (L2 transfer) or `r − v` (exit of `v`), never positive
/// (§6.5, §6.6).
pub const PI_PUBLIC_AMOUNT: usize = 5;
/// Public input 6: the token every non-zero note and the public amount are in (§6.7).
pub const PI_TOKEN: usize = 6;
/// Public input 7: hash of the external data (ciphertexts, recipient, fee, intent digest) (§6.8).
pub const PI_EXT_DATA_HASH: usize = 7;
/// Number of public inputs.
pub const NUM_PUBLIC_INPUTS: usize = 8;

/// The public inputs of one JoinSplit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PublicInputs {
    /// Merkle root.
    pub root: Fr,
    /// Input nullifiers.
    pub nullifiers: [Fr; N_INPUTS],
    /// Output commitments.
    pub commitments: [Fr; N_OUTPUTS],
    /// Signed public amount as a field element ([`public_amount_field`]).
    pub public_amount: Fr,
    /// Token.
    pub token: Fr,
    /// External-data hash ([`crate::ext_data::ExtData::hash`]).
    pub ext_data_hash: Fr,
}

impl PublicInputs {
    /// In `PI_*` order, as the verifier takes them.
    pub fn to_vec(&self) -> Vec<Fr> {
        let mut v = vec![Fr::zero(); NUM_PUBLIC_INPUTS];
        v[PI_MERKLE_ROOT] = self.root;
        v[PI_NULLIFIER_0] = self.nullifiers[0];
        v[PI_NULLIFIER_1] = self.nullifiers[1];
        v[PI_COMMITMENT_0] = self.commitments[0];
        v[PI_COMMITMENT_1] = self.commitments[1];
        v[PI_PUBLIC_AMOUNT] = self.public_amount;
        v[PI_TOKEN] = self.token;
        v[PI_EXT_DATA_HASH] = self.ext_data_hash;
        v
    }
}

/// A public amount as a field element: `0` or `r - |v|` for `v` in `(-2^64, 0]`. Positive
/// amounts are refused: no proof adds value, value enters only through L1 deposits (§6.5).
pub fn public_amount_field(v: i128) -> Result<Fr> {
    if v > 0 || v.unsigned_abs() >= 1u128 << AMOUNT_BITS {
        return Err(Error::InvalidWitness(format!(
            "public amount {v} out of range (-2^64, 0]"
        )));
    }
    let abs = Fr::from(v.unsigned_abs());
    Ok(if v < 0 { -abs } else { abs })
}

/// The private assignment of one spent note. Amounts are field elements so that tests can
/// assign out-of-range values; [`JoinSplitCircuit::new`] only builds in-range ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputAssignment {
    /// The owner's authorising public key.
    pub auth_public: Point,
    /// The owner's nullifier key.
    pub nk: Fr,
    /// Note token.
    pub token: Fr,
    /// Note amount (zero for a dummy input, §6.9).
    pub amount: Fr,
    /// Note randomness `rho` (the owner part is recomputed from it and the keys, §6.2).
    pub randomness: Fr,
    /// Leaf position.
    pub position: u64,
    /// Authentication path, `TREE_DEPTH` siblings.
    pub siblings: Vec<Fr>,
}

impl InputAssignment {
    /// A spend of `note` owned by (`auth_public`, `nk`) at `path`.
    pub fn new(note: &Note, auth_public: Point, nk: Fr, path: &MerklePath) -> Self {
        Self {
            auth_public,
            nk,
            token: note.token,
            amount: Fr::from(note.amount),
            randomness: note.randomness,
            position: path.position,
            siblings: path.siblings.clone(),
        }
    }

    /// The note commitment this assignment opens.
    pub fn commitment(&self) -> Fr {
        let part = owner_part(&owner_field(&self.auth_public, &self.nk), &self.randomness);
        commitment_from_owner_part(&part, &self.token, &self.amount)
    }

    /// Its nullifier.
    pub fn nullifier(&self) -> Fr {
        nullifier(&self.nk, &self.commitment(), self.position)
    }

    /// The root its path leads to.
    pub fn root(&self) -> Fr {
        MerklePath {
            position: self.position,
            siblings: self.siblings.clone(),
        }
        .root(self.commitment())
    }
}

/// The private assignment of one created note: its owner part is a witness (§6.3), which the
/// recipient checks on receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputAssignment {
    /// `Poseidon(3, owner, rho)` of the recipient (§4.1).
    pub owner_part: Fr,
    /// Token.
    pub token: Fr,
    /// Amount.
    pub amount: Fr,
}

impl OutputAssignment {
    /// From a note.
    pub fn new(note: &Note) -> Self {
        Self {
            owner_part: note.owner_part(),
            token: note.token,
            amount: Fr::from(note.amount),
        }
    }

    /// The empty output of an exit: owner part, token and amount all zero, commitment `CM_ZERO`.
    pub fn zero() -> Self {
        Self {
            owner_part: Fr::zero(),
            token: Fr::zero(),
            amount: Fr::zero(),
        }
    }

    /// Its commitment.
    pub fn commitment(&self) -> Fr {
        commitment_from_owner_part(&self.owner_part, &self.token, &self.amount)
    }
}

/// The JoinSplit statement and witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSplitCircuit {
    /// Public inputs.
    pub public: PublicInputs,
    /// Spent notes.
    pub inputs: [InputAssignment; N_INPUTS],
    /// Created notes.
    pub outputs: [OutputAssignment; N_OUTPUTS],
    /// The spender's EdDSA-Poseidon signature over [`PublicInputs::intent_digest`] (§6.10),
    /// made with the authorising key of the real inputs. Ignored when every input is a dummy.
    pub signature: Signature,
}

/// Domain tag of the in-circuit intent digest.
pub const DOMAIN_INTENT: u64 = 2;

/// The signature placeholder before signing: `R8` = identity, `S` = 0 (never valid).
pub const UNSIGNED: Signature = Signature {
    r8: Point::IDENTITY,
    s: Fs::ZERO,
};

impl PublicInputs {
    /// The intent digest the spender signs (§6.10): `Poseidon(2, nullifier0, nullifier1,
    /// commitment0, commitment1, publicAmount, token, extDataHash)`, i.e. every public input
    /// except the root, which the prover may choose among the known roots.
    pub fn intent_digest(&self) -> Fr {
        hash([
            Fr::from(DOMAIN_INTENT),
            self.nullifiers[0],
            self.nullifiers[1],
            self.commitments[0],
            self.commitments[1],
            self.public_amount,
            self.token,
            self.ext_data_hash,
        ])
    }
}

impl JoinSplitCircuit {
    /// Build and check a JoinSplit (unsigned; see [`Self::sign`]): real inputs (non-zero amount)
    /// must open leaves under `root`, all non-zero notes must be in `token`, and
    /// `sum(in) + public_amount = sum(out)`.
    pub fn new(
        inputs: [InputAssignment; N_INPUTS],
        outputs: [OutputAssignment; N_OUTPUTS],
        root: Fr,
        public_amount: i128,
        token: Fr,
        ext_data_hash: Fr,
    ) -> Result<Self> {
        let public = PublicInputs {
            root,
            nullifiers: [inputs[0].nullifier(), inputs[1].nullifier()],
            commitments: [outputs[0].commitment(), outputs[1].commitment()],
            public_amount: public_amount_field(public_amount)?,
            token,
            ext_data_hash,
        };
        let circuit = Self {
            public,
            inputs,
            outputs,
            signature: UNSIGNED,
        };
        circuit.check_notes()?;
        Ok(circuit)
    }

    /// Natively check every constraint family except the signature (§6.1–§6.9).
    pub fn check_notes(&self) -> Result<()> {
        let bad = |m: String| Err(Error::InvalidWitness(m));
        let below = |a: &Fr, bits: u32| a.into_bigint().num_bits() <= bits;
        let p = &self.public;
        let (mut sum_in, mut sum_out) = (Fr::zero(), Fr::zero());
        for (i, inp) in self.inputs.iter().enumerate() {
            if inp.siblings.len() != TREE_DEPTH || inp.position >> TREE_DEPTH != 0 {
                return bad(format!("input {i}: malformed authentication path"));
            }
            if !below(&inp.amount, AMOUNT_BITS as u32) {
                return bad(format!("input {i}: amount not below 2^64"));
            }
            if !inp.amount.is_zero() {
                if inp.root() != p.root {
                    return bad(format!("input {i} is not under the root"));
                }
                if inp.token != p.token {
                    return bad(format!("input {i}: token differs from the public token"));
                }
            }
            if inp.nullifier() != p.nullifiers[i] {
                return bad(format!("nullifier {i} does not match input {i}"));
            }
            sum_in += inp.amount;
        }
        if p.nullifiers[0] == p.nullifiers[1] {
            return bad("the two inputs are the same note".into());
        }
        for (j, out) in self.outputs.iter().enumerate() {
            if !below(&out.amount, AMOUNT_BITS as u32) {
                return bad(format!("output {j}: amount not below 2^64"));
            }
            if !out.amount.is_zero() && out.token != p.token {
                return bad(format!("output {j}: token differs from the public token"));
            }
            if out.commitment() != p.commitments[j] {
                return bad(format!("commitment {j} does not match output {j}"));
            }
            sum_out += out.amount;
        }
        if !below(&(-p.public_amount), AMOUNT_BITS as u32) {
            return bad("public amount not in (-2^64, 0]".into());
        }
        if sum_in + p.public_amount != sum_out {
            return bad("inputs + public amount != outputs".into());
        }
        Ok(())
    }

    /// Natively check the whole statement, signature included: what [`crate::groth16::prove`]
    /// runs first, so a bad witness is a typed error rather than a useless proof.
    pub fn validate(&self) -> Result<()> {
        self.check_notes()?;
        self.check_signature(&self.signature)
    }

    fn check_signature(&self, signature: &Signature) -> Result<()> {
        // The circuit always witnesses R8 on the curve (§7.1), and its point arithmetic needs
        // on-curve keys even for dummies (the addition law is only complete on the curve).
        if !signature.r8.is_on_curve() || self.inputs.iter().any(|i| !i.auth_public.is_on_curve()) {
            return Err(Error::InvalidPoint);
        }
        if !self.spends() {
            return Ok(());
        }
        let key = self.authorising_key();
        if self
            .inputs
            .iter()
            .any(|i| !i.amount.is_zero() && i.auth_public != key)
        {
            return Err(Error::InvalidWitness(
                "real inputs under different authorising keys".into(),
            ));
        }
        verify(&key, &self.public.intent_digest(), signature)
    }

    /// Whether any input is real (non-zero amount), i.e. whether the signature is checked.
    pub fn spends(&self) -> bool {
        self.inputs.iter().any(|i| !i.amount.is_zero())
    }

    /// The authorising key the signature must verify under: that of the first real input.
    pub fn authorising_key(&self) -> Point {
        self.inputs
            .iter()
            .find(|i| !i.amount.is_zero())
            .map_or(self.inputs[0].auth_public, |i| i.auth_public)
    }

    /// Sign the intent digest with the spender's authorising key.
    pub fn sign(self, key: &SigningKey) -> Result<Self> {
        let signature = key.sign(&self.public.intent_digest());
        self.with_signature(signature)
    }

    /// Attach a signature made elsewhere (e.g. by a wallet delegating the proof, seed 004); it
    /// must verify under the real inputs' authorising key, and all real inputs must share that key.
    pub fn with_signature(mut self, signature: Signature) -> Result<Self> {
        self.check_signature(&signature)?;
        self.signature = signature;
        Ok(self)
    }

    /// A circuit with all-zero assignments: same shape, used for key generation.
    pub fn blank() -> Self {
        let input = InputAssignment {
            auth_public: Point::IDENTITY,
            nk: Fr::zero(),
            token: Fr::zero(),
            amount: Fr::zero(),
            randomness: Fr::zero(),
            position: 0,
            siblings: vec![Fr::zero(); TREE_DEPTH],
        };
        let output = OutputAssignment::zero();
        Self {
            public: PublicInputs::default(),
            inputs: [input.clone(), input],
            outputs: [output.clone(), output],
            signature: UNSIGNED,
        }
    }
}

/// Low `n` bits of a field element's integer value, as witnessed booleans.
fn witness_bits(
    cs: &ConstraintSystemRef<Fr>,
    value: Fr,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let big = value.into_bigint();
    (0..n)
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(big.get_bit(i))))
        .collect()
}

/// §6.5: `value` is the sum of `n` witnessed bits, i.e. `0 <= value < 2^n`.
fn enforce_range(
    cs: &ConstraintSystemRef<Fr>,
    var: &FrVar,
    value: Fr,
    n: usize,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let bits = witness_bits(cs, value, n)?;
    Boolean::le_bits_to_fp(&bits)?.enforce_equal(var)?;
    Ok(bits)
}

impl ConstraintSynthesizer<Fr> for JoinSplitCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let pi = self.public.to_vec();
        let public: Vec<FrVar> = pi
            .iter()
            .map(|v| FrVar::new_input(cs.clone(), || Ok(*v)))
            .collect::<Result<_, _>>()?;
        let root = &public[PI_MERKLE_ROOT];
        let token = &public[PI_TOKEN];
        let witness = |v: Fr| FrVar::new_witness(cs.clone(), || Ok(v));

        let mut sum_in = FrVar::zero();
        let mut nullifier_vars = Vec::with_capacity(N_INPUTS);
        let mut auth_keys = Vec::with_capacity(N_INPUTS);
        let mut real = Vec::with_capacity(N_INPUTS);
        for (i, inp) in self.inputs.iter().enumerate() {
            let ax = witness(inp.auth_public.x)?;
            let ay = witness(inp.auth_public.y)?;
            let nk = witness(inp.nk)?;
            let note_token = witness(inp.token)?;
            let amount = witness(inp.amount)?;
            let randomness = witness(inp.randomness)?;
            // §6.2 ownership: the note's owner field is derived from the spender's keys, so only
            // the holder of nk (and the matching authorising key) can open it.
            let owner = poseidon_gadget(&[ax.clone(), ay.clone(), nk.clone()])?;
            auth_keys.push(PointVar { x: ax, y: ay });
            // §6.5 range: 64-bit amounts, so sums cannot wrap around the field.
            enforce_range(&cs, &amount, inp.amount, AMOUNT_BITS)?;
            // §4.1 split commitment opening: ownerPart = Poseidon(3, owner, rho) from the keys,
            // then cm = Poseidon(ownerPart, token, amount).
            let domain = FrVar::constant(Fr::from(DOMAIN_OWNER_PART));
            let part = poseidon_gadget(&[domain, owner, randomness])?;
            let cm = poseidon_gadget(&[part, note_token.clone(), amount.clone()])?;
            // §6.1 membership: the path bits are the leaf position (40 bits, §5; §6.4 uses it).
            let position_bits = witness_bits(&cs, Fr::from(inp.position), TREE_DEPTH)?;
            let mut node = cm.clone();
            for (bit, sibling) in position_bits.iter().zip(&inp.siblings) {
                let sibling = witness(*sibling)?;
                // left = bit ? sibling : node (1 constraint); right = node + sibling - left.
                let left = &node + (&sibling - &node) * FrVar::from(bit.clone());
                let right = &node + &sibling - &left;
                node = poseidon_gadget(&[left, right])?;
            }
            // §6.9 dummy inputs: a zero-amount input need not be in the tree.
            let is_real = amount.is_neq(&FrVar::zero())?;
            node.conditional_enforce_equal(root, &is_real)?;
            real.push(is_real);
            // §6.4 nullifier: bound to nk, the commitment and the leaf position.
            let position = Boolean::le_bits_to_fp(&position_bits)?;
            let nf = poseidon_gadget(&[nk, cm, position])?;
            nf.enforce_equal(&public[PI_NULLIFIER_0 + i])?;
            nullifier_vars.push(nf);
            // §6.7 token consistency: (token_i - token) * amount_i = 0.
            ((&note_token - token) * &amount).enforce_equal(&FrVar::zero())?;
            sum_in += amount;
        }
        // §6.4: the two inputs are distinct notes (no double spend inside one transaction).
        nullifier_vars[0].enforce_not_equal(&nullifier_vars[1])?;

        // §6.10 spend authorisation: the signer's key is input 0's, or input 1's when input 0 is
        // a dummy; every real input must be under that key.
        let key = PointVar {
            x: FrVar::conditionally_select(&real[0], &auth_keys[0].x, &auth_keys[1].x)?,
            y: FrVar::conditionally_select(&real[0], &auth_keys[0].y, &auth_keys[1].y)?,
        };
        let spends = real[0].clone() | &real[1];
        key.conditional_enforce_on_curve(&spends)?;
        auth_keys[1].conditional_enforce_equal(&key, &real[1])?;
        // §6.10: the signed intent digest is recomputed from the public inputs (all but the root),
        // so a prover can change nothing the spender signed.
        let intent = poseidon_gadget(&[
            FrVar::constant(Fr::from(DOMAIN_INTENT)),
            public[PI_NULLIFIER_0].clone(),
            public[PI_NULLIFIER_1].clone(),
            public[PI_COMMITMENT_0].clone(),
            public[PI_COMMITMENT_1].clone(),
            public[PI_PUBLIC_AMOUNT].clone(),
            public[PI_TOKEN].clone(),
            public[PI_EXT_DATA_HASH].clone(),
        ])?;
        let signature = SignatureVar::new_witness(&cs, || Ok(self.signature))?;
        eddsa_verify_gadget(&key, &intent, &signature, &spends)?;

        let mut sum_out = FrVar::zero();
        for (j, out) in self.outputs.iter().enumerate() {
            let part = witness(out.owner_part)?;
            let note_token = witness(out.token)?;
            let amount = witness(out.amount)?;
            // §6.5 range.
            enforce_range(&cs, &amount, out.amount, AMOUNT_BITS)?;
            // §6.3 well-formed output commitment over a witnessed owner part (§4.1).
            let cm = poseidon_gadget(&[part, note_token.clone(), amount.clone()])?;
            cm.enforce_equal(&public[PI_COMMITMENT_0 + j])?;
            // §6.7 token consistency.
            ((&note_token - token) * &amount).enforce_equal(&FrVar::zero())?;
            sum_out += amount;
        }

        // §6.5: no proof adds value: the public amount lies in (-2^64, 0], i.e. -publicAmount
        // has 64 bits (value enters only through L1 deposits).
        let public_amount = &public[PI_PUBLIC_AMOUNT];
        let negated_value = -public_amount.value().unwrap_or_default();
        enforce_range(&cs, &public_amount.negate()?, negated_value, AMOUNT_BITS)?;
        // §6.6 value conservation.
        (sum_in + public_amount).enforce_equal(&sum_out)?;
        // §6.8 external-data binding: tie the hash into a constraint so no prover can treat it
        // as free (it is also bound as a public input of the Groth16 statement).
        let ext = &public[PI_EXT_DATA_HASH];
        let _ext_squared = ext.square()?;
        Ok(())
    }
}
