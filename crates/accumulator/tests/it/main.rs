//! Integration tests of debye-accumulator (one binary).

mod forgery;
mod header;
mod history;
mod mont;
mod primes;
mod proofs;
mod slices;
mod support;
mod vectors;
