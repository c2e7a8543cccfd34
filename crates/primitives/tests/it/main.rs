//! Integration tests of `debye-primitives`: committed vectors, property tests, decoder fuzzing.

mod block;
mod positions;
mod props;
mod shielded;
mod vectors;
