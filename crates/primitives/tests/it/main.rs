//! Integration tests of `debye-primitives`: committed vectors, property tests, decoder fuzzing.

mod block;
mod props;
mod vectors;
