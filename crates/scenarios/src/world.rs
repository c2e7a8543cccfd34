//! A fresh anchor, a byzantine operator, four actors and a watcher per scenario.

use std::ops::{Deref, DerefMut};

use alloy_primitives::{Address, I256, U256};
use debye_l1::L1;
use debye_l1::test_utils::transfer;
pub(crate) use debye_l1::test_utils::{ETH, PERIOD, eth};
use debye_primitives::{Input, Segment, Transaction};
use debye_rpc_api::HttpClient;
use debye_watcher::{Mode, Watcher, testnet};
use eyre::{Result, ensure};

/// What gas may move a balance by on anvil (the embedded EVM charges none).
const GAS_SLACK: u128 = ETH / 200;

pub(crate) fn seg(start: U256, end: U256) -> Result<Segment> {
    Ok(Segment::new(start, end)?)
}

/// The actors and the chain: a [`testnet::World`] whose transactions are valid up to block
/// 1,000, and the exit bond.
pub(crate) struct World<L> {
    inner: testnet::World<L>,
    pub(crate) bond: U256,
}

impl<L> Deref for World<L> {
    type Target = testnet::World<L>;

    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

impl<L> DerefMut for World<L> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.inner
    }
}

impl<L: L1 + Clone + 'static> World<L> {
    /// Deploys a fresh anchor, deposits, commits block 1.
    pub(crate) async fn new(l1: L) -> Result<Self> {
        let inner = testnet::World::new(l1, 1_000).await?;
        let bond = inner.chain.exit_bond().await?;
        Ok(Self { inner, bond })
    }

    /// A fresh world and a watcher guarding every coin, past its first round.
    pub(crate) async fn guarded(l1: L) -> Result<(Self, Watcher<L, HttpClient>)> {
        let w = Self::new(l1).await?;
        let mut watcher = w.watcher(w.all_coins()?).await?;
        watcher.step().await?;
        Ok((w, watcher))
    }

    /// A watcher guarding `mode`, sending from `guard`.
    pub(crate) async fn watcher(&self, mode: Mode) -> Result<Watcher<L, HttpClient>> {
        // The byzantine operator's headers carry no accumulator (zero fields); the replica
        // would only spend CPU (tested in crates/watcher/tests/it/accumulator.rs).
        Ok(self.inner.open_watcher(mode, false).await?)
    }

    /// A guard over every coin deposited in [`World::new`].
    pub(crate) fn all_coins(&self) -> Result<Mode> {
        Ok(Mode::Guard(vec![self.all_deposited()?]))
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

    /// Checks `first`'s balance moved as given, the watcher (`b[1]` before) won the exit bond and
    /// the operator (`b[2]` before) lost it. Returns a summary.
    pub(crate) async fn expect_fraud_lost(
        &self,
        first: (&str, Address, U256, I256),
        b: &[U256],
    ) -> Result<String> {
        self.expect(&[
            first,
            ("watcher", self.guard, b[1], self.bond_delta()),
            ("operator", self.operator, b[2], -self.bond_delta()),
        ])
        .await
    }

    /// Bob's deposit B as a segment, and an unsigned transfer of all of it to `to` whose input
    /// names `owner` as the deposit's owner (Bob, or a forger claiming it).
    pub(crate) fn spend_of_deposit_b(
        &self,
        owner: Address,
        to: Address,
    ) -> Result<(Segment, Transaction)> {
        let seg_b = seg(self.dep_b.start, self.dep_b.end)?;
        let input = Input::deposit(owner, self.dep_b.blockNumber, seg_b);
        Ok((seg_b, transfer(input, to, self.max_block_index)))
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
