//! What the node needs to admit shielded entries: the prepared verifying key and the chain's
//! values the external data must name.

use ark_bn254::Bn254;
use ark_groth16::{PreparedVerifyingKey, prepare_verifying_key};

use super::rules::ChainRules;

/// The shielded ledger's fixed inputs.
pub(crate) struct ShieldedService {
    /// The JoinSplit verifying key, prepared once.
    pub(crate) pvk: PreparedVerifyingKey<Bn254>,
    /// Chain id and pool address (S-3.4).
    pub(crate) chain: ChainRules,
}

impl std::fmt::Debug for ShieldedService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShieldedService")
            .field("chain", &self.chain)
            .finish_non_exhaustive()
    }
}

impl ShieldedService {
    /// The service for `chain` with `debye-zk`'s INSECURE development key (the only key that
    /// exists yet; docs/circuits.md §8.2).
    pub(crate) fn insecure_dev(chain: ChainRules) -> Result<Self, debye_zk::Error> {
        let (_, vk) = debye_zk::groth16::insecure_dev_setup()?;
        Ok(Self {
            pvk: prepare_verifying_key(&vk),
            chain,
        })
    }
}
