//! Integration tests of debye-accumulator (one binary).

mod forgery;
mod history;
mod primes;
mod proofs;
mod slices;
mod support;
mod vectors;
