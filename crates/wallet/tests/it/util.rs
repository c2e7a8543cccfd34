use std::{path::Path, sync::Arc};

use alloy_primitives::{Address, U256};
use debye_l1::{EmbeddedL1, contracts::DebyeChainClient};
use debye_primitives::test_utils::{test_address, test_key};
use debye_wallet::{AccountKey, Wallet, keystore::ScryptParams, test_utils::LocalChain};

pub type Client = DebyeChainClient<Arc<EmbeddedL1>>;
pub type Chain = LocalChain<Arc<EmbeddedL1>>;

/// Cheap scrypt parameters so tests do not spend their time in the KDF.
pub const TEST_KDF: ScryptParams = ScryptParams {
    n: 1 << 10,
    r: 8,
    p: 1,
};

pub const ETHER: u128 = 1_000_000_000_000_000_000;

pub struct Net {
    pub l1: Arc<EmbeddedL1>,
    pub client: Client,
    pub chain: Chain,
    pub operator: Address,
}

pub async fn net() -> Net {
    let l1 = Arc::new(EmbeddedL1::new());
    let operator = test_address(100);
    for i in [1, 2, 3, 100] {
        l1.fund(test_address(i), U256::from(1_000 * ETHER));
    }
    let client = DebyeChainClient::deploy(l1.clone(), operator, operator)
        .await
        .unwrap();
    let chain = LocalChain::new(client.clone(), operator).await.unwrap();
    Net {
        l1,
        client,
        chain,
        operator,
    }
}

/// A wallet for deterministic test key `i` in `dir`.
pub fn wallet(dir: &Path, i: u64) -> Wallet {
    Wallet::import_key(
        dir,
        AccountKey::from_signing_key(test_key(i)),
        &"correct horse".into(),
        TEST_KDF,
    )
    .unwrap()
}
