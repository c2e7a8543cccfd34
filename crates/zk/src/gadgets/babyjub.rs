//! Baby Jubjub point arithmetic in R1CS (circomlib's `BabyAdd`, `EscalarMulAny`, `EscalarMulFix`).

use ark_ff::Field;
use ark_r1cs_std::{
    GR1CSVar, alloc::AllocVar, boolean::Boolean, eq::EqGadget, fields::FieldVar,
    select::CondSelectGadget,
};
use ark_relations::gr1cs::SynthesisError;

use super::FrVar;
use crate::Fr;
use crate::babyjub::{COEFF_A, COEFF_D, Point};

/// An affine Baby Jubjub point whose coordinates are circuit variables.
#[derive(Debug, Clone)]
pub struct PointVar {
    /// `x` coordinate.
    pub x: FrVar,
    /// `y` coordinate.
    pub y: FrVar,
}

impl PointVar {
    /// A constant point.
    pub fn constant(p: &Point) -> Self {
        Self {
            x: FrVar::constant(p.x),
            y: FrVar::constant(p.y),
        }
    }

    /// Witness a point and enforce the curve equation (1 + 2 constraints).
    pub fn new_witness_on_curve(
        cs: ark_relations::gr1cs::ConstraintSystemRef<Fr>,
        p: impl FnOnce() -> Result<Point, SynthesisError>,
    ) -> Result<Self, SynthesisError> {
        let value = p();
        let x = FrVar::new_witness(cs.clone(), || value.map(|p| p.x))?;
        let y = FrVar::new_witness(cs, || value.map(|p| p.y))?;
        let v = Self { x, y };
        v.enforce_on_curve()?;
        Ok(v)
    }

    /// Enforce `a x^2 + y^2 = 1 + d x^2 y^2` (docs/circuits.md §7).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        self.conditional_enforce_on_curve(&Boolean::TRUE)
    }

    /// Enforce the curve equation when `condition` holds (3 constraints).
    pub fn conditional_enforce_on_curve(
        &self,
        condition: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let x2y2 = &x2 * &y2;
        (x2 * COEFF_A + y2).conditional_enforce_equal(&(x2y2 * COEFF_D + Fr::ONE), condition)
    }

    /// The point's value, if assigned.
    pub fn value(&self) -> Result<Point, SynthesisError> {
        Ok(Point {
            x: self.x.value()?,
            y: self.y.value()?,
        })
    }

    /// Complete twisted Edwards addition: 6 constraints, 3 when `other` is constant.
    pub fn add(&self, other: &PointVar) -> Result<PointVar, SynthesisError> {
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let delta = (&self.y - &self.x * COEFF_A) * (&other.x + &other.y);
        let tau = &beta * &gamma;
        let cs = self
            .x
            .cs()
            .or(self.y.cs())
            .or(other.x.cs())
            .or(other.y.cs());
        if cs.is_none() {
            // All constants: compute natively.
            let p = self.value()?.add(&other.value()?);
            return Ok(Self::constant(&p));
        }
        let dtau = tau * COEFF_D;
        let x_num = &beta + &gamma;
        let y_num = &delta + &beta * COEFF_A - &gamma;
        let x_den = &dtau + Fr::ONE;
        let y_den = FrVar::one() - &dtau;
        let x3 = FrVar::new_witness(cs.clone(), || {
            Ok(x_num.value()?
                * x_den
                    .value()?
                    .inverse()
                    .ok_or(SynthesisError::DivisionByZero)?)
        })?;
        let y3 = FrVar::new_witness(cs, || {
            Ok(y_num.value()?
                * y_den
                    .value()?
                    .inverse()
                    .ok_or(SynthesisError::DivisionByZero)?)
        })?;
        x3.mul_equals(&x_den, &x_num)?;
        y3.mul_equals(&y_den, &y_num)?;
        Ok(PointVar { x: x3, y: y3 })
    }

    /// `2 * self`.
    pub fn double(&self) -> Result<PointVar, SynthesisError> {
        self.add(self)
    }

    /// `bit ? a : b`, 2 constraints.
    pub fn select(
        bit: &Boolean<Fr>,
        a: &PointVar,
        b: &PointVar,
    ) -> Result<PointVar, SynthesisError> {
        Ok(PointVar {
            x: FrVar::conditionally_select(bit, &a.x, &b.x)?,
            y: FrVar::conditionally_select(bit, &a.y, &b.y)?,
        })
    }

    /// `scalar * self` for a variable point and little-endian scalar bits (double-and-add).
    pub fn scalar_mul_le(&self, bits: &[Boolean<Fr>]) -> Result<PointVar, SynthesisError> {
        let mut acc = PointVar::constant(&Point::IDENTITY);
        let mut base = self.clone();
        for (i, bit) in bits.iter().enumerate() {
            let sum = acc.add(&base)?;
            acc = PointVar::select(bit, &sum, &acc)?;
            if i + 1 < bits.len() {
                base = base.double()?;
            }
        }
        Ok(acc)
    }

    /// `scalar * base` for a constant base point and little-endian scalar bits.
    pub fn fixed_scalar_mul_le(
        base: &Point,
        bits: &[Boolean<Fr>],
    ) -> Result<PointVar, SynthesisError> {
        let mut acc = PointVar::constant(&Point::IDENTITY);
        let mut power = *base;
        for bit in bits {
            let sum = acc.add(&PointVar::constant(&power))?;
            acc = PointVar::select(bit, &sum, &acc)?;
            power = power.double();
        }
        Ok(acc)
    }

    /// Enforce equality of both coordinates when `condition` holds.
    pub fn conditional_enforce_equal(
        &self,
        other: &PointVar,
        condition: &Boolean<Fr>,
    ) -> Result<(), SynthesisError> {
        self.x.conditional_enforce_equal(&other.x, condition)?;
        self.y.conditional_enforce_equal(&other.y, condition)
    }
}
