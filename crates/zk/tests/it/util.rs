//! Shared helpers: committed test-vector files and deterministic inputs.

use std::path::PathBuf;

use ark_ff::PrimeField;
use debye_zk::Fr;
use sha2::{Digest, Sha256};

/// `<repo>/test-vectors/zk/<name>`.
pub(crate) fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../test-vectors/zk")
        .join(name)
}

/// `<repo>/<rel>`.
pub(crate) fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// Compare `content` with the committed file, or rewrite it when `DEBYE_ZK_UPDATE=1`.
pub(crate) fn check_committed(path: &PathBuf, content: &str) {
    if std::env::var("DEBYE_ZK_UPDATE").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with DEBYE_ZK_UPDATE=1)",
            path.display()
        )
    });
    assert!(
        committed == content,
        "{} is stale: regenerate with DEBYE_ZK_UPDATE=1 and review the diff",
        path.display()
    );
}

/// A deterministic field element from a label.
pub(crate) fn fr_from_label(label: &str) -> Fr {
    Fr::from_le_bytes_mod_order(&Sha256::digest(label.as_bytes()))
}
