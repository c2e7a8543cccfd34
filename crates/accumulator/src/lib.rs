//! History compression: aligned slices, hash-to-prime and an RSA accumulator with sound proofs.
