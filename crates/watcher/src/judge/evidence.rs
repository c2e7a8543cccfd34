//! The evidence the judges look up in the watcher's state: spends of an output, settled exits
//! over some coins, the outputs a request may name. Read-only queries over hand-buildable state.

use alloy_primitives::{Address, U256};
use debye_primitives::{Origin, Position, Segment, Transaction};

use crate::{
    challenge::{Named, Spend},
    mode::Mode,
    state::State,
    types::{ExitPhase, ExitRecord, ForcedPhase, StoredTx},
};

/// What the judges see: the state and which coins are guarded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct View<'a> {
    /// Everything the watcher knows.
    pub(crate) state: &'a State,
    /// The guarded coins.
    pub(crate) mode: &'a Mode,
}

/// How far back evidence may come from: the contract accepts a spend only from a block no later
/// than the one the rule allows (`docs/exit-game.md` §3.2, §3.4, §12.4).
pub(crate) type MaxBlock = Option<u64>;

impl View<'_> {
    /// A valid, included spend signed by `owner` of the output with spend key `key` whose input
    /// segment satisfies `pick`, in a block `≤ max_block` if given. Only `signed_ok` spends:
    /// the contract checks the signature and expiry, and a refused challenge costs gas
    /// (`docs/watcher.md` §5).
    pub(crate) fn included_spend(
        &self,
        key: U256,
        owner: Address,
        pick: impl Fn(&Segment) -> bool,
        max_block: MaxBlock,
    ) -> Option<Spend> {
        let mut keys = self.state.spends.get(&key)?.clone();
        keys.sort_unstable();
        keys.into_iter().find_map(|at| {
            let t = &self.state.txs[&at];
            if !t.signed_ok || max_block.is_some_and(|m| t.block > m) {
                return None;
            }
            let input = t.stx.transaction.inputs.iter().position(|i| {
                i.owner == owner && Position::spent_by(i) == key && pick(&i.segment)
            })?;
            Some(Spend::Included {
                tx: t.clone(),
                input,
            })
        })
    }

    /// An included forced transaction (`docs/exit-game.md` §12.4) with an input of `owner`
    /// naming the output with spend key `key` whose segment satisfies `pick`, ranking at a block
    /// `≤ max_block` if given.
    pub(crate) fn forced_spend(
        &self,
        key: U256,
        owner: Address,
        pick: impl Fn(&Segment) -> bool,
        max_block: MaxBlock,
    ) -> Option<Spend> {
        self.state
            .forced
            .values()
            .filter(|f| f.phase == ForcedPhase::Included)
            .filter(|f| max_block.is_none_or(|m| Position::from(f.position).block() <= m))
            .find_map(|f| {
                let input = f.tx.inputs.iter().position(|i| {
                    i.owner == owner && Position::spent_by(i) == key && pick(&i.segment)
                })?;
                Some(Spend::Forced {
                    tx: f.clone(),
                    input,
                })
            })
    }

    /// A spend of the output with spend key `key` by `owner`: an included L2 transaction first,
    /// else an included forced transaction ranking no later than `forced_max` (§12.4: a forced
    /// transaction counts as a spend of its inputs).
    pub(crate) fn any_spend(
        &self,
        key: U256,
        owner: Address,
        pick: impl Fn(&Segment) -> bool,
        max_block: MaxBlock,
        forced_max: MaxBlock,
    ) -> Option<Spend> {
        self.included_spend(key, owner, &pick, max_block)
            .or_else(|| self.forced_spend(key, owner, &pick, forced_max))
    }

    /// A settled exit over some of `[start, end)`: those coins can never be paid again
    /// (`docs/exit-game.md` §4.1).
    pub(crate) fn settled_over(&self, start: U256, end: U256) -> Option<&ExitRecord> {
        self.state
            .exits
            .values()
            .find(|d| d.phase == ExitPhase::Settled && d.start < end && start < d.end)
    }

    /// The stored transaction of block `block` with an output holding a coin `hit` accepts, and
    /// that output's index.
    pub(crate) fn output_in_block(
        &self,
        block: u64,
        hit: impl Fn(&Segment) -> bool,
    ) -> Option<(&StoredTx, usize)> {
        self.state
            .txs
            .range((block, 0)..=(block, u32::MAX))
            .find_map(|(_, t)| {
                let oi = t
                    .stx
                    .transaction
                    .outputs
                    .iter()
                    .position(|o| hit(&o.segment))?;
                Some((t, oi))
            })
    }

    /// Walks `coin`'s history back from the invalid transaction `tx` to the last valid output
    /// (or deposit) before the first broken link: the output a challenge request must name
    /// (`docs/exit-game.md` §3.4).
    pub(crate) fn before_broken_link(&self, tx: &StoredTx, coin: U256) -> Option<Named> {
        let mut cur = tx;
        // A history has no cycles (inputs name older blocks); the bound only guards the loop.
        for _ in 0..4096 {
            let x = cur
                .stx
                .transaction
                .inputs
                .iter()
                .find(|i| i.segment.contains_coin(coin))?;
            if x.is_deposit() {
                return self
                    .state
                    .deposits
                    .range(..=coin)
                    .next_back()
                    .map(|(_, d)| d)
                    .filter(|d| coin < d.end)
                    .map(|d| Named::Deposit(d.clone()));
            }
            let (prev, oi) = self.output_in_block(x.block_index, |s| s.contains_coin(coin))?;
            if prev.valid {
                return Some(Named::Output(prev.clone(), oi));
            }
            cur = prev;
        }
        None
    }

    /// The youngest output (or deposit) holding `coin` that the watcher knows to be valid,
    /// older than `exit` and no younger than `parent`: a request may name no output newer than
    /// the exited transaction's parent (`docs/exit-game.md` §3.4.1).
    pub(crate) fn latest_valid_output(
        &self,
        coin: U256,
        exit: Position,
        parent: Option<Position>,
    ) -> Option<Named> {
        let allowed = |p: Position| p.is_older_than(exit) && parent.is_none_or(|q| p <= q);
        let out = self
            .state
            .txs
            .values()
            .rev()
            .filter(|t| t.valid && allowed(Position::output(t.block)))
            .find_map(|t| {
                let oi = t
                    .stx
                    .transaction
                    .outputs
                    .iter()
                    .position(|o| o.segment.contains_coin(coin))?;
                Some(Named::Output(t.clone(), oi))
            });
        out.or_else(|| {
            self.state
                .deposits
                .range(..=coin)
                .next_back()
                .map(|(_, d)| d)
                .filter(|d| coin < d.end && allowed(Position::deposit(d.block_number)))
                .map(|d| Named::Deposit(d.clone()))
        })
    }
}

/// The position of the output `exit_tx` spends holding `coin`: no request may name a newer one
/// (`docs/exit-game.md` §3.4.1). `None` for a forced parent or when no single input holds the
/// coin.
pub(crate) fn parent_bound(exit_tx: &Transaction, coin: U256) -> Option<Position> {
    let mut holding = exit_tx
        .inputs
        .iter()
        .filter(|i| i.segment.contains_coin(coin));
    let x = holding.next()?;
    if holding.next().is_some() {
        return None;
    }
    Origin::of(x).position()
}
