//! The group Z_N*/{±1} of an RSA modulus of unknown factorisation.
//!
//! Every class {x, N−x} is represented by its smaller member, so an element is an integer in
//! [1, (N−1)/2] that is coprime to N. Working in the quotient removes the one element of known
//! order (−1) that Z_N* itself offers an adversary (docs/accumulator.md, "The group").

use std::sync::OnceLock;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Zero};
use sha2::{Digest, Sha256};

use crate::mont::Mont2048;
use crate::{Error, Result};

/// The RSA-2048 challenge number (RSA Laboratories, 1991), 617 decimal digits.
///
/// Nobody is known to hold its factors: RSA Laboratories generated it and state that they
/// destroyed the factors. Replacing it by a ceremony modulus is a matter of calling
/// [`Group::new`] with that modulus (docs/accumulator.md, "Trust in N").
pub const RSA_2048_DECIMAL: &str = "2519590847565789349402718324004839857142928212620403202777713783604366202070\
7595556264018525880784406918290641249515082189298559149176184502808489120072\
8449926873928072877767359714183472702618963750149718246911650776133798590957\
0009733045974880842840179742910064245869181719511874612151517265463228221686\
9987549182422433637259085141865462043576798423387184774447920739934236584823\
8242811981638150106748104516603773060562016196762561338441436038339044149526\
3443219011465754445417842402092461651572335077870774981712577246796292638635\
6373289912154831438167899885040445364023527381951378636564391212010397122822\
120720357";

/// Domain tag from which the generator g is derived (hash-to-group, nothing up the sleeve).
const GENERATOR_TAG: &[u8] = b"debye/accumulator/v1/generator";
/// Domain tag of the 32-byte digest that a block header carries.
const DIGEST_TAG: &[u8] = b"debye/accumulator/v1/digest";

/// A canonical element of Z_N*/{±1}: the smaller representative of {x, N−x}.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Elem(BigUint);

impl Elem {
    /// The canonical representative as an integer in [1, (N−1)/2].
    pub fn as_biguint(&self) -> &BigUint {
        &self.0
    }
}

/// An RSA group Z_N*/{±1} with a fixed generator g = H(tag, N) of unknown roots.
#[derive(Clone, Debug)]
pub struct Group {
    n: BigUint,
    half: BigUint,
    bytes: usize,
    g: Elem,
    one: Elem,
    n_bytes: Vec<u8>,
    /// The fixed-size 2048-bit Montgomery kernel (moduli of 1,985 to 2,048 bits; others use
    /// num-bigint's `modpow`).
    mont: Option<Mont2048>,
}

impl Group {
    /// The group of the RSA-2048 challenge number, built once.
    pub fn rsa2048() -> &'static Group {
        static GROUP: OnceLock<Group> = OnceLock::new();
        GROUP.get_or_init(|| {
            let n = BigUint::parse_bytes(RSA_2048_DECIMAL.as_bytes(), 10)
                .expect("the embedded RSA-2048 constant is decimal");
            Group::new(n).expect("RSA-2048 is an odd 2048-bit modulus")
        })
    }

    /// A group for another modulus of unknown factorisation (e.g. from an MPC ceremony).
    ///
    /// The modulus must be odd and at least 1024 bits; the caller is responsible for the trust
    /// assumption that nobody knows its factors.
    pub fn new(n: BigUint) -> Result<Group> {
        if n.bits() < 1024 || n.is_even() {
            return Err(Error::InvalidModulus);
        }
        let half = &n >> 1u32;
        let bytes = n.bits().div_ceil(8) as usize;
        let n_bytes = n.to_bytes_be();
        let mont = Mont2048::new(&n);
        let mut group = Group {
            n,
            half,
            bytes,
            g: Elem(BigUint::one()),
            one: Elem(BigUint::one()),
            n_bytes,
            mont,
        };
        group.g = group.hash_to_group(GENERATOR_TAG);
        Ok(group)
    }

    /// The modulus N.
    pub fn modulus(&self) -> &BigUint {
        &self.n
    }

    /// Big-endian encoding of N (bound into every Fiat–Shamir transcript).
    pub fn modulus_bytes(&self) -> &[u8] {
        &self.n_bytes
    }

    /// Size of an encoded element in bytes (256 for RSA-2048).
    pub fn element_bytes(&self) -> usize {
        self.bytes
    }

    /// The generator g: the canonical image of an expanded SHA-256 of a domain tag and N.
    pub fn generator(&self) -> &Elem {
        &self.g
    }

    /// The identity element.
    pub fn identity(&self) -> &Elem {
        &self.one
    }

    /// Deterministic map from a tag to an element: SHA-256 in counter mode, reduced mod N.
    fn hash_to_group(&self, tag: &[u8]) -> Elem {
        let mut counter = 0u32;
        loop {
            let mut wide = Vec::with_capacity(self.bytes + 64);
            let mut block = 0u32;
            while wide.len() < self.bytes + 32 {
                let mut h = Sha256::new();
                h.update(tag);
                h.update(&self.n_bytes);
                h.update(counter.to_be_bytes());
                h.update(block.to_be_bytes());
                wide.extend_from_slice(&h.finalize());
                block += 1;
            }
            let x = BigUint::from_bytes_be(&wide) % &self.n;
            if let Some(e) = self.element(x)
                && e.0 > BigUint::one()
            {
                return e;
            }
            counter += 1;
        }
    }

    /// Canonicalises an integer into the quotient group, or `None` if it is 0 mod N or shares a
    /// factor with N.
    pub fn element(&self, x: BigUint) -> Option<Elem> {
        let x = x % &self.n;
        if x.is_zero() || !x.gcd(&self.n).is_one() {
            return None;
        }
        Some(self.canon(x))
    }

    fn canon(&self, x: BigUint) -> Elem {
        if x > self.half {
            Elem(&self.n - x)
        } else {
            Elem(x)
        }
    }

    /// The product a·b.
    pub fn mul(&self, a: &Elem, b: &Elem) -> Elem {
        self.canon((&a.0 * &b.0) % &self.n)
    }

    /// a^e for a non-negative exponent: the 2048-bit Montgomery kernel ([`crate::mont`],
    /// sliding windows; 1.5× num-bigint's `modpow` portably, ~5× with AVX-512 IFMA), or `modpow`
    /// for other modulus sizes.
    pub fn pow(&self, a: &Elem, e: &BigUint) -> Elem {
        match &self.mont {
            Some(k) => self.canon(k.pow(&a.0, e)),
            None => self.canon(a.0.modpow(e, &self.n)),
        }
    }

    /// a^e for a signed exponent (negative exponents go through the inverse).
    pub fn pow_signed(&self, a: &Elem, e: &BigInt) -> Elem {
        match e.sign() {
            Sign::Minus => self.inverse(&self.pow(a, e.magnitude())),
            _ => self.pow(a, e.magnitude()),
        }
    }

    /// The inverse a^{-1}; elements are coprime to N by construction.
    pub fn inverse(&self, a: &Elem) -> Elem {
        let inv =
            a.0.modinv(&self.n)
                .expect("elements are coprime to N by construction");
        self.canon(inv)
    }

    /// The product ∏ bᵢ^{eᵢ}.
    ///
    /// With the 2048-bit kernel: one shared squaring chain for all terms, each with its own
    /// sliding windows ([`Mont2048::multi_pow`]); for the verifier's two- and three-term checks
    /// with 256-bit exponents it measured faster than crypto-bigint's constant-time
    /// `multi_exponentiate_bounded_exp`, which it replaces (docs/accumulator.md, "Big
    /// integers"). Other modulus sizes: one num-bigint `modpow` per term.
    pub fn multi_pow(&self, terms: &[(&Elem, &BigUint)]) -> Elem {
        if let Some(k) = &self.mont {
            let terms: Vec<(&BigUint, &BigUint)> = terms.iter().map(|(b, e)| (&b.0, *e)).collect();
            return self.canon(k.multi_pow(&terms));
        }
        let acc = terms.iter().fold(BigUint::one(), |acc, (b, e)| {
            (acc * b.0.modpow(e, &self.n)) % &self.n
        });
        self.canon(acc)
    }

    /// Fixed-length big-endian encoding.
    pub fn encode(&self, a: &Elem) -> Vec<u8> {
        let raw = a.0.to_bytes_be();
        let mut out = vec![0u8; self.bytes - raw.len()];
        out.extend_from_slice(&raw);
        out
    }

    /// Decodes a canonical element; rejects wrong lengths, 0, non-canonical representatives and
    /// values sharing a factor with N.
    pub fn decode(&self, bytes: &[u8]) -> Result<Elem> {
        if bytes.len() != self.bytes {
            return Err(Error::InvalidElement);
        }
        let x = BigUint::from_bytes_be(bytes);
        if x.is_zero() || x > self.half || !x.gcd(&self.n).is_one() {
            return Err(Error::InvalidElement);
        }
        Ok(Elem(x))
    }

    /// The 32-byte digest of an element that a block header's `accumulator` field carries:
    /// SHA-256(tag ‖ N ‖ encode(a)).
    pub fn digest(&self, a: &Elem) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(DIGEST_TAG);
        h.update(&self.n_bytes);
        h.update(self.encode(a));
        h.finalize().into()
    }
}
