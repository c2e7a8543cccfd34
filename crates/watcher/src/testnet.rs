//! A byzantine operator for tests and the adversarial scenarios (feature `test-utils`).
//!
//! It commits the headers of hand-built blocks to the real anchor contract and serves their
//! bodies over the real operator JSON-RPC methods the watcher uses (`debye_blockByNumber`,
//! `debye_chainStatus`, `debye_health`), on a loopback HTTP port. Unlike the honest operator it
//! includes whatever it is given — unsigned spends, double spends — and can withhold a block's
//! body while committing its header.
//!
//! [`World`] sets the usual stage around it: a fresh anchor, the four dev actors, two deposits and
//! block 1.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256};
use alloy_sol_types::Eip712Domain;
use debye_l1::{
    L1,
    contracts::DebyeChainClient,
    exits::{DepositRecord, ExitData},
    test_utils::{
        DevChain, SigningKey, alice_pays_bob, deploy_dev_chain, deposit_alice_bob, transfer,
    },
};
use debye_primitives::{
    Block, BlockHeader, Input, Segment, SignedTransaction, SumMerkleProof, SumMerkleTree, domain,
    tx::sign_digest,
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

use crate::{Config, Error, Mode, Result, Watcher};

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
        let parent = self.built.values().next_back().map(|(b, _)| b.header);
        let now = self.chain.l1().timestamp().await?;
        let (number, prev_hash) = match &parent {
            Some(p) => (p.number + 1, p.hash()),
            None => (debye_primitives::block::FIRST_BLOCK_NUMBER, B256::ZERO),
        };
        // No shielded entries: the parent's shielded state carried, stamped with L1's time.
        let mut block = Block {
            header: BlockHeader {
                number,
                prev_hash,
                accumulator: field,
                timestamp: parent.map_or(0, |p| p.timestamp).max(now),
                note_root: parent.map_or(B256::ZERO, |p| p.note_root),
                note_count: parent.map_or(0, |p| p.note_count),
                deposit_cursor: parent.map_or(0, |p| p.deposit_cursor),
                exit_cursor: parent.map_or(0, |p| p.exit_cursor),
                ..BlockHeader::default()
            },
            transactions: txs,
            shielded: Default::default(),
        };
        let tree = block.tree(&self.domain)?;
        block.header.tx_root = tree.root();
        self.chain
            .submit_block(
                self.operator,
                debye_l1::contracts::BlockHeader::from(&block.header),
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
                shielded: block.shielded.clone(),
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

/// A fresh anchor run by a [`ByzantineOperator`], the four dev actors (operator, Alice, Bob and a
/// guard running the watcher), Alice's and Bob's deposits, and block 1 holding `t1`.
#[derive(Debug)]
pub struct World<L> {
    /// The L1.
    pub l1: L,
    /// The anchor.
    pub chain: DebyeChainClient<L>,
    /// The byzantine operator, serving block 1.
    pub op: ByzantineOperator<L>,
    /// The dev accounts' keys: operator, Alice, Bob, guard.
    pub keys: Vec<SigningKey>,
    /// The operator (dev account 0), also the anchor's owner.
    pub operator: Address,
    /// Alice (dev account 1).
    pub alice: Address,
    /// Bob (dev account 2).
    pub bob: Address,
    /// The watcher's account (dev account 3).
    pub guard: Address,
    /// Alice's 3 ETH.
    pub dep_a: DepositRecord,
    /// Bob's 1 ETH.
    pub dep_b: DepositRecord,
    /// Block 1: Alice pays Bob `[a, a+1 ETH)`, keeps `[a+1, a+3)`.
    pub t1: SignedTransaction,
    /// The `max_block_index` of the world's transactions.
    pub max_block_index: u64,
    /// Where the watcher's store lives.
    pub dir: tempfile::TempDir,
}

impl<L: L1 + Clone + 'static> World<L> {
    /// Deploys a fresh anchor on `l1` (whose dev accounts hold ether), starts the byzantine
    /// operator, deposits, and commits block 1; the world's transactions carry
    /// `max_block_index`.
    pub async fn new(l1: L, max_block_index: u64) -> Result<Self> {
        let DevChain {
            chain,
            keys,
            actors: [operator, alice, bob, guard],
            ..
        } = deploy_dev_chain(&l1).await?;
        let mut op = ByzantineOperator::start(chain.clone(), operator).await?;
        let (dep_a, dep_b) = deposit_alice_bob(&chain, alice, bob).await?;
        let t1 =
            alice_pays_bob(alice, bob, &dep_a, max_block_index)?.sign(op.domain(), &keys[1..2])?;
        op.commit(vec![t1.clone()], false).await?;
        let dir =
            tempfile::tempdir().map_err(|e| Error::Store(format!("temporary directory: {e}")))?;
        Ok(Self {
            l1,
            chain,
            op,
            keys,
            operator,
            alice,
            bob,
            guard,
            dep_a,
            dep_b,
            t1,
            max_block_index,
            dir,
        })
    }

    /// A watcher guarding `mode`, sending from `guard`, following L1 from block 0 with no
    /// confirmations; it checks the headers' accumulator fields where `verify_accumulator`.
    pub async fn open_watcher(
        &self,
        mode: Mode,
        verify_accumulator: bool,
    ) -> Result<Watcher<L, HttpClient>> {
        let config = Config {
            mode,
            account: self.guard,
            stall_after: 3600,
            from_l1_block: 0,
            confirmations: 0,
            verify_accumulator,
        };
        Watcher::open(
            self.chain.clone(),
            self.op.client()?,
            self.dir.path().join("watcher.redb"),
            config,
        )
        .await
    }

    /// `from` starts an exit of coins `coins` of output `oi` of `stx`, included in block `block`,
    /// with the operator's inclusion proof of those coins.
    pub async fn exit_output(
        &self,
        from: Address,
        stx: &SignedTransaction,
        oi: usize,
        block: u64,
        coins: &Segment,
    ) -> Result<ExitData> {
        let proof = self.op.proof(block, coins, stx.tx_id(self.op.domain()))?;
        let exit = self
            .chain
            .start_output_exit(
                from,
                &stx.transaction,
                oi,
                &self.op.header(block)?,
                &proof,
                coins.start(),
                coins.end(),
            )
            .await?;
        Ok(exit)
    }

    /// Every coin deposited in [`World::new`].
    pub fn all_deposited(&self) -> Result<Segment> {
        Ok(Segment::new(self.dep_a.start, self.dep_b.end)?)
    }

    /// A transaction moving Bob's deposit to the operator, signed by the operator, not Bob.
    pub fn forged_spend_of_bob(&self) -> Result<SignedTransaction> {
        let seg_b = Segment::new(self.dep_b.start, self.dep_b.end)?;
        let transaction = transfer(
            Input::deposit(self.bob, self.dep_b.blockNumber, seg_b),
            self.operator,
            self.max_block_index,
        );
        let digest = transaction.tx_id(self.op.domain());
        Ok(SignedTransaction {
            signatures: vec![sign_digest(&self.keys[0], &digest)?],
            transaction,
        })
    }
}
