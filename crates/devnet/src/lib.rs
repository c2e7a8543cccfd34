//! Runs a local Debye chain on the embedded EVM and narrates what happens.
