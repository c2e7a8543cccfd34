//! Helpers shared by the scenarios: committing blocks (honest or forged by hand) and checking
//! an exit's status.

use alloy_primitives::Address;
use debye_l1::{
    L1,
    contracts::{BlockHeader as AbiHeader, DebyeChainClient},
    exits::{ExitData, ExitStatus},
    test_utils::{DevChain, deploy_dev_chain},
};
use debye_primitives::{
    Block, BlockBuilder, BlockHeader, Eip712Domain, Segment, SignedTransaction, SumMerkleProof,
    SumMerkleTree, Transaction, domain,
};

/// A fresh dev anchor ([`deploy_dev_chain`]), its EIP-712 domain, and its operator (actor 0).
pub(crate) async fn start<L: L1 + Clone>(l1: &L) -> (DevChain<L>, Eip712Domain, Operator<L>) {
    let dev = deploy_dev_chain(l1).await.unwrap();
    let domain = domain(l1.chain_id().await.unwrap(), dev.chain.address());
    let op = Operator {
        chain: dev.chain.clone(),
        account: dev.actors[0],
        domain: domain.clone(),
    };
    (dev, domain, op)
}

/// The operator of a scenario: commits blocks to `chain` under `domain`.
pub(crate) struct Operator<L> {
    chain: DebyeChainClient<L>,
    account: Address,
    domain: Eip712Domain,
}

impl<L: L1> Operator<L> {
    /// Builds the block after `parent` from `txs` with the honest builder and commits it.
    pub(crate) async fn commit(
        &self,
        parent: Option<&BlockHeader>,
        txs: &[SignedTransaction],
    ) -> (Block, SumMerkleTree) {
        commit(&self.chain, self.account, &self.domain, parent, txs).await
    }

    /// Commits, after `prev`, a block the honest builder refuses: one leaf holding `tx` over
    /// `segment`. Returns its header and the proof of that leaf.
    pub(crate) async fn commit_forged(
        &self,
        prev: &BlockHeader,
        tx: &Transaction,
        segment: Segment,
    ) -> (BlockHeader, SumMerkleProof) {
        commit_forged(&self.chain, self.account, &self.domain, prev, tx, segment).await
    }
}

async fn commit<L: L1>(
    chain: &DebyeChainClient<L>,
    operator: Address,
    domain: &Eip712Domain,
    parent: Option<&BlockHeader>,
    txs: &[SignedTransaction],
) -> (Block, SumMerkleTree) {
    let now = chain.l1().timestamp().await.unwrap();
    let mut builder = BlockBuilder::after(domain.clone(), parent);
    if parent.is_none_or(|p| p.timestamp < now) {
        builder = builder.timestamp(now);
    }
    for tx in txs {
        builder.push(tx.clone()).unwrap();
    }
    let (block, tree) = builder.build().unwrap();
    chain
        .submit_block(operator, AbiHeader::from(&block.header))
        .await
        .unwrap();
    (block, tree)
}

async fn commit_forged<L: L1>(
    chain: &DebyeChainClient<L>,
    operator: Address,
    domain: &Eip712Domain,
    prev: &BlockHeader,
    tx: &Transaction,
    segment: Segment,
) -> (BlockHeader, SumMerkleProof) {
    let id = tx.tx_id(domain);
    let tree = SumMerkleTree::build([(segment, id)]).unwrap();
    let header = BlockHeader {
        number: prev.number + 1,
        prev_hash: prev.hash(),
        tx_root: tree.root(),
        timestamp: chain.l1().timestamp().await.unwrap().max(prev.timestamp),
        ..Default::default()
    };
    chain
        .submit_block(operator, AbiHeader::from(&header))
        .await
        .unwrap();
    let leaf = tree.prove_inclusion(&segment, id).unwrap().0;
    (header, leaf)
}

/// Asserts the anchor's status of `exit`.
pub(crate) async fn assert_exit_status<L: L1>(
    chain: &DebyeChainClient<L>,
    exit: &ExitData,
    want: ExitStatus,
) {
    assert_eq!(chain.exit_status(exit).await.unwrap(), want);
}

/// Two `#[tokio::test]`s running `$scenario` on the embedded EVM and on a fresh anvil node.
macro_rules! on_both_backends {
    ($scenario:ident: $embedded:ident, $anvil:ident) => {
        #[tokio::test]
        async fn $embedded() {
            $scenario(debye_l1::test_utils::funded_embedded()).await;
        }

        #[tokio::test]
        async fn $anvil() {
            let anvil = debye_l1::test_utils::spawn_anvil();
            $scenario(anvil.l1().unwrap()).await;
        }
    };
}
pub(crate) use on_both_backends;
