//! Pinned test vectors (test-vectors/accumulator/vectors.json).
