//! The `debye` binary: argument parsing only; the work lives in the library crates.

fn main() {}
