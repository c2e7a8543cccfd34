//! A fresh anchor, a byzantine operator, four actors and a watcher per scenario.

use alloy_primitives::{Address, I256, U256};
use debye_l1::{
    L1,
    anvil::dev_signers,
    contracts::DebyeChainClient,
    exits::{DepositRecord, ExitData, deposit_record},
};
use debye_primitives::{Input, Output, Segment, SignedTransaction, Transaction};
use debye_rpc_api::HttpClient;
use debye_watcher::{Config, Mode, Watcher, testnet::ByzantineOperator};
use eyre::{Result, ensure};
use k256::ecdsa::SigningKey;

/// One ether in wei.
pub(crate) const ETH: u128 = 1_000_000_000_000_000_000;
/// Exit period of every scenario's anchor (seconds).
pub(crate) const PERIOD: u64 = 600;
/// What gas may move a balance by on anvil (the embedded EVM charges none).
const GAS_SLACK: u128 = ETH / 200;

pub(crate) fn eth(n: u128) -> U256 {
    U256::from(n * ETH)
}

pub(crate) fn seg(start: U256, end: U256) -> Result<Segment> {
    Ok(Segment::new(start, end)?)
}

/// The actors and the chain.
pub(crate) struct World<L> {
    pub(crate) l1: L,
    pub(crate) chain: DebyeChainClient<L>,
    pub(crate) op: ByzantineOperator<L>,
    pub(crate) keys: Vec<SigningKey>,
    pub(crate) operator: Address,
    pub(crate) alice: Address,
    pub(crate) bob: Address,
    pub(crate) guard: Address,
    /// Alice's 3 ETH.
    pub(crate) dep_a: DepositRecord,
    /// Bob's 1 ETH.
    pub(crate) dep_b: DepositRecord,
    /// Block 1: Alice pays Bob `[a, a+1 ETH)`, keeps `[a+1, a+3)`.
    pub(crate) t1: SignedTransaction,
    pub(crate) bond: U256,
    dir: tempfile::TempDir,
}

impl<L: L1 + Clone + 'static> World<L> {
    /// Deploys a fresh anchor, deposits, commits block 1.
    pub(crate) async fn new(l1: L) -> Result<Self> {
        let signers = dev_signers();
        let keys: Vec<SigningKey> = signers.iter().map(|s| s.credential().clone()).collect();
        let [operator, alice, bob, guard] = [0, 1, 2, 3].map(|i| signers[i].address());
        let chain =
            DebyeChainClient::deploy_with(l1.clone(), operator, operator, PERIOD, 0).await?;
        let mut op = ByzantineOperator::start(chain.clone(), operator).await?;
        let dep_a = deposit_record(&chain.deposit_eth(alice, eth(3)).await?);
        let dep_b = deposit_record(&chain.deposit_eth(bob, eth(1)).await?);
        let cut = dep_a.start + eth(1);
        let t1 = Transaction {
            inputs: vec![Input::deposit(
                alice,
                dep_a.blockNumber,
                seg(dep_a.start, dep_a.end)?,
            )],
            outputs: vec![
                Output {
                    owner: bob,
                    segment: seg(dep_a.start, cut)?,
                },
                Output {
                    owner: alice,
                    segment: seg(cut, dep_a.end)?,
                },
            ],
            max_block_index: 1_000,
        }
        .sign(op.domain(), &keys[1..2])?;
        op.commit(vec![t1.clone()], false).await?;
        let bond = chain.exit_bond().await?;
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
            bond,
            dir: tempfile::tempdir()?,
        })
    }

    /// A watcher guarding `mode`, sending from `guard`.
    pub(crate) async fn watcher(&self, mode: Mode) -> Result<Watcher<L, HttpClient>> {
        let config = Config {
            mode,
            account: self.guard,
            stall_after: 3600,
            from_l1_block: 0,
            confirmations: 0,
            // The byzantine operator's headers carry no accumulator (zero fields); the replica
            // would only spend CPU (tested in crates/watcher/tests/it/accumulator.rs).
            verify_accumulator: false,
        };
        Ok(Watcher::open(
            self.chain.clone(),
            self.op.client()?,
            self.dir.path().join("watcher.redb"),
            config,
        )
        .await?)
    }

    /// `from` starts an exit of coins `coins` of output `oi` of `stx`, included in block `block`,
    /// with the operator's inclusion proof of those coins.
    pub(crate) async fn exit_output(
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

    /// A guard over every coin deposited in [`World::new`].
    pub(crate) fn all_coins(&self) -> Result<Mode> {
        Ok(Mode::Guard(vec![seg(self.dep_a.start, self.dep_b.end)?]))
    }

    /// Balances of `who`, to compare later with [`World::expect`].
    pub(crate) async fn balances(&self, who: &[Address]) -> Result<Vec<U256>> {
        let mut out = Vec::new();
        for a in who {
            out.push(self.l1.balance(*a).await?);
        }
        Ok(out)
    }

    /// Checks that each balance moved by `delta` (up to gas on anvil). Returns a summary.
    pub(crate) async fn expect(&self, who: &[(&str, Address, U256, I256)]) -> Result<String> {
        let mut summary = Vec::new();
        for (name, a, before, delta) in who {
            let now = I256::from_raw(self.l1.balance(*a).await?);
            let moved = now - I256::from_raw(*before);
            let off = (moved - *delta).unsigned_abs();
            ensure!(
                off <= U256::from(GAS_SLACK),
                "{name}: balance moved by {moved} wei, expected {delta} (±gas)"
            );
            summary.push(format!("{name} {:+.4} ETH", wei_to_eth(moved)));
        }
        Ok(summary.join(", "))
    }

    /// The exit bond as a signed delta.
    pub(crate) fn bond_delta(&self) -> I256 {
        I256::from_raw(self.bond)
    }
}

fn wei_to_eth(w: I256) -> f64 {
    let abs = w.unsigned_abs();
    let v = abs.saturating_to::<u128>() as f64 / ETH as f64;
    if w.is_negative() { -v } else { v }
}

/// `n` ETH as a signed delta.
pub(crate) fn d_eth(n: i64) -> I256 {
    I256::try_from(n).unwrap_or_default() * I256::from_raw(U256::from(ETH))
}
