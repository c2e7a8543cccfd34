//! Baby Jubjub in circomlib's form: the twisted Edwards curve `a x^2 + y^2 = 1 + d x^2 y^2` over
//! the BN254 scalar field with `a = 168700`, `d = 168696` (EIP-2494), base point `Base8` of the
//! prime-order subgroup. Scalars of that subgroup are [`Fs`] (`ark_ed_on_bn254::Fr`, order
//! `l = 2736030358979909402780800718157159386076813972158567259200215660948447373041`).
//!
//! The addition law is complete (`a` is a square and `d` is not), so no special cases.

use ark_ff::{AdditiveGroup, BigInteger, Field, MontFp, PrimeField};

use crate::Fr;

/// Scalars of the prime-order subgroup.
pub type Fs = ark_ed_on_bn254::Fr;

/// Curve coefficient `a`.
pub const COEFF_A: Fr = MontFp!("168700");
/// Curve coefficient `d`.
pub const COEFF_D: Fr = MontFp!("168696");

/// circomlib's `Base8` generator of the prime-order subgroup (EIP-2494).
pub const BASE8: Point = Point {
    x: MontFp!("5299619240641551281634865583518297030282874472190772894086521144482721001553"),
    y: MontFp!("16950150798460657717958625567821834550301663161624707787222815936182638968203"),
};

/// An affine Baby Jubjub point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Point {
    /// `x` coordinate.
    pub x: Fr,
    /// `y` coordinate.
    pub y: Fr,
}

impl Point {
    /// The neutral element `(0, 1)`.
    pub const IDENTITY: Point = Point {
        x: Fr::ZERO,
        y: Fr::ONE,
    };

    /// Whether the point satisfies the curve equation.
    pub fn is_on_curve(&self) -> bool {
        let x2 = self.x.square();
        let y2 = self.y.square();
        COEFF_A * x2 + y2 == Fr::ONE + COEFF_D * x2 * y2
    }

    /// Whether the point is on the curve and in the prime-order subgroup.
    pub fn is_in_subgroup(&self) -> bool {
        self.is_on_curve() && self.mul_bigint(Fs::MODULUS.as_ref()) == Self::IDENTITY
    }

    /// Point addition (circomlib `BabyAdd`).
    pub fn add(&self, other: &Point) -> Point {
        let beta = self.x * other.y;
        let gamma = self.y * other.x;
        let delta = (self.y - COEFF_A * self.x) * (other.x + other.y);
        let tau = beta * gamma;
        let dtau = COEFF_D * tau;
        // Denominators are non-zero for points on the curve (complete addition law).
        let x = (beta + gamma) * (Fr::ONE + dtau).inverse().unwrap_or(Fr::ZERO);
        let y = (delta + COEFF_A * beta - gamma) * (Fr::ONE - dtau).inverse().unwrap_or(Fr::ZERO);
        Point { x, y }
    }

    /// `2 * self`.
    pub fn double(&self) -> Point {
        self.add(self)
    }

    /// Multiplication by an integer given as little-endian 64-bit limbs.
    pub fn mul_bigint(&self, limbs: &[u64]) -> Point {
        let mut acc = Self::IDENTITY;
        for limb in limbs.iter().rev() {
            for i in (0..64).rev() {
                acc = acc.double();
                if (limb >> i) & 1 == 1 {
                    acc = acc.add(self);
                }
            }
        }
        acc
    }

    /// Multiplication by a subgroup scalar.
    pub fn mul(&self, s: &Fs) -> Point {
        self.mul_bigint(s.into_bigint().as_ref())
    }

    /// Multiplication by the integer value of a BN254 field element (not reduced modulo `l`).
    pub fn mul_fr(&self, s: &Fr) -> Point {
        self.mul_bigint(s.into_bigint().as_ref())
    }

    /// 64-byte encoding: `x || y`, each 32 bytes little-endian (circomlibjs `F.toRprLE`).
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.x.into_bigint().to_bytes_le());
        out[32..].copy_from_slice(&self.y.into_bigint().to_bytes_le());
        out
    }
}

/// Reduce a BN254 field element's integer value modulo the subgroup order.
pub fn fr_to_fs(x: &Fr) -> Fs {
    Fs::from_le_bytes_mod_order(&x.into_bigint().to_bytes_le())
}
