//! A byzantine operator for tests and the adversarial scenarios (feature `test-utils`).
//!
//! It commits the headers of hand-built blocks to the real anchor contract and serves their
//! bodies over the real operator JSON-RPC methods the watcher uses (`debye_blockByNumber`,
//! `debye_chainStatus`, `debye_health`), on a loopback HTTP port. Unlike the honest operator it
//! includes whatever it is given — unsigned spends, double spends — and can withhold a block's
//! body while committing its header.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256};
use alloy_sol_types::Eip712Domain;
use debye_l1::{L1, contracts::DebyeChainClient};
use debye_primitives::{
    Block, BlockHeader, Segment, SignedTransaction, SumMerkleProof, SumMerkleTree, domain,
};
use debye_rpc_api::{
    HttpClient, http_client,
    types::{BlockView, ChainStatus},
};
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerHandle},
    types::ErrorObjectOwned,
};

use crate::{Error, Result};

type Served = Arc<Mutex<BTreeMap<u64, BlockView>>>;

/// The byzantine operator: builds blocks without checks, commits them, serves or withholds them.
#[derive(Debug)]
pub struct ByzantineOperator<L> {
    chain: DebyeChainClient<L>,
    operator: Address,
    domain: Eip712Domain,
    served: Served,
    built: BTreeMap<u64, (Block, SumMerkleTree)>,
    handle: ServerHandle,
    url: String,
}

fn op_err(e: impl std::fmt::Display) -> Error {
    Error::Operator(e.to_string())
}

impl<L: L1> ByzantineOperator<L> {
    /// Starts the API server for `chain`, whose block producer is `operator`.
    pub async fn start(chain: DebyeChainClient<L>, operator: Address) -> Result<Self> {
        let chain_id = chain.l1().chain_id().await?;
        let anchor = chain.address();
        let served: Served = Arc::default();
        let mut module = RpcModule::new(served.clone());
        module
            .register_method(
                "debye_blockByNumber",
                |params, ctx: &Served, _| -> Result<Option<BlockView>, ErrorObjectOwned> {
                    let n: u64 = params.one()?;
                    Ok(ctx.lock().map(|m| m.get(&n).cloned()).unwrap_or(None))
                },
            )
            .map_err(op_err)?;
        module
            .register_method("debye_chainStatus", move |_, ctx: &Served, _| {
                let tip = ctx
                    .lock()
                    .ok()
                    .and_then(|m| m.keys().next_back().copied())
                    .unwrap_or(0);
                Ok::<_, ErrorObjectOwned>(ChainStatus {
                    chain_id,
                    anchor,
                    tip,
                    tip_hash: B256::ZERO,
                    l1_committed: tip,
                    mempool_size: 0,
                    next_block: tip + 1,
                })
            })
            .map_err(op_err)?;
        module
            .register_method("debye_health", |_, _, _| "ok")
            .map_err(op_err)?;
        let server = Server::builder()
            .build("127.0.0.1:0")
            .await
            .map_err(op_err)?;
        let addr = server.local_addr().map_err(op_err)?;
        let handle = server.start(module);
        Ok(Self {
            domain: domain(chain_id, anchor),
            chain,
            operator,
            served,
            built: BTreeMap::new(),
            handle,
            url: format!("http://{addr}"),
        })
    }

    /// The API endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// An API client, as a watcher uses it.
    pub fn client(&self) -> Result<HttpClient> {
        http_client(&self.url).map_err(op_err)
    }

    /// The EIP-712 domain of the chain.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The anchor client.
    pub fn chain(&self) -> &DebyeChainClient<L> {
        &self.chain
    }

    /// Builds the next block from `txs` with no validity or signature check, commits its header
    /// on L1 and serves its body unless `withhold`. Returns the block number.
    pub async fn commit(&mut self, txs: Vec<SignedTransaction>, withhold: bool) -> Result<u64> {
        self.commit_with_accumulator(txs, withhold, B256::ZERO)
            .await
    }

    /// [`Self::commit`] with the header's `accumulator` field set to `field` as given (right or
    /// wrong: the caller computes it, e.g. with `debye_accumulator::header_commitment`).
    pub async fn commit_with_accumulator(
        &mut self,
        txs: Vec<SignedTransaction>,
        withhold: bool,
        field: B256,
    ) -> Result<u64> {
        let (number, prev_hash) = match self.built.values().next_back() {
            Some((b, _)) => (b.header.number + 1, b.header.hash()),
            None => (debye_primitives::block::FIRST_BLOCK_NUMBER, B256::ZERO),
        };
        let mut block = Block {
            header: BlockHeader {
                number,
                prev_hash,
                tx_root: B256::ZERO,
                accumulator: field,
                note_root: B256::ZERO,
            },
            transactions: txs,
        };
        let tree = block.tree(&self.domain)?;
        block.header.tx_root = tree.root();
        self.chain
            .submit_block(
                self.operator,
                debye_l1::contracts::BlockHeader {
                    number: block.header.number,
                    prevHash: block.header.prev_hash,
                    txRoot: block.header.tx_root,
                    accumulator: block.header.accumulator,
                    noteRoot: block.header.note_root,
                },
            )
            .await?;
        self.built.insert(number, (block, tree));
        if !withhold {
            self.serve(number);
        }
        Ok(number)
    }

    /// Starts serving block `number` (a withheld block released).
    pub fn serve(&self, number: u64) {
        if let Some((block, _)) = self.built.get(&number) {
            let view = BlockView {
                hash: block.hash(),
                header: block.header,
                tx_ids: block
                    .transactions
                    .iter()
                    .map(|t| t.tx_id(&self.domain))
                    .collect(),
                transactions: block.transactions.clone(),
                l1_committed: true,
            };
            if let Ok(mut m) = self.served.lock() {
                m.insert(number, view);
            }
        }
    }

    /// Header of built block `number`.
    pub fn header(&self, number: u64) -> Result<BlockHeader> {
        self.built
            .get(&number)
            .map(|(b, _)| b.header)
            .ok_or_else(|| Error::Operator(format!("no block {number}")))
    }

    /// Sum Merkle proof that `segment` is in a leaf of `tx_id` in block `number`.
    pub fn proof(&self, number: u64, segment: &Segment, tx_id: B256) -> Result<SumMerkleProof> {
        let (_, tree) = self
            .built
            .get(&number)
            .ok_or_else(|| Error::Operator(format!("no block {number}")))?;
        Ok(tree.prove_inclusion(segment, tx_id)?.0)
    }

    /// Stops the API server.
    pub fn stop(&self) {
        let _ = self.handle.stop();
    }
}

impl<L> Drop for ByzantineOperator<L> {
    fn drop(&mut self) {
        let _ = self.handle.stop();
    }
}
