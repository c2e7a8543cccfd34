//! The evidence the judges look up in the watcher's state: spends of an output, settled exits
//! over some coins, the outputs a request may name. Read-only queries over hand-buildable state.

use alloy_primitives::{Address, U256};
use debye_primitives::{Input, Origin, Position, Segment, Transaction};

use crate::{
    challenge::{Named, Spend},
    mode::Mode,
    state::State,
    types::{DepositInfo, ExitPhase, ExitRecord, ForcedPhase, ForcedRecord, StoredTx},
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

/// What a rule looks for: an input of `owner` spending the output with spend key `key`
/// ([`Position::spend_key`]) over coins `pick` accepts.
pub(crate) struct Sought<P> {
    /// The spent output's spend key.
    pub(crate) key: U256,
    /// Who must have signed the spend: only the output's owner can give it away.
    pub(crate) owner: Address,
    /// Which of its coins matter.
    pub(crate) pick: P,
}

impl<P: Fn(&Segment) -> bool> Sought<P> {
    /// Another spend of what `input` spends, by the same owner.
    pub(crate) fn like(input: &Input, pick: P) -> Self {
        Self {
            key: Position::spent_by(input),
            owner: input.owner,
            pick,
        }
    }

    /// Which of `inputs` is the spend sought.
    fn among(&self, inputs: &[Input]) -> Option<usize> {
        inputs.iter().position(|i| {
            i.owner == self.owner && Position::spent_by(i) == self.key && (self.pick)(&i.segment)
        })
    }

    /// The spend sought in the stored transaction `t`, if it is one.
    pub(crate) fn in_tx(&self, t: &StoredTx) -> Option<Spend> {
        let input = self.among(&t.stx.transaction.inputs)?;
        Some(Spend::Included {
            tx: t.clone(),
            input,
        })
    }

    /// The spend sought in the forced transaction `f`, if it is one.
    pub(crate) fn in_forced(&self, f: &ForcedRecord) -> Option<Spend> {
        let input = self.among(&f.tx.inputs)?;
        Some(Spend::Forced {
            tx: f.clone(),
            input,
        })
    }
}

impl View<'_> {
    /// A valid, included spend `s`, in a block `≤ max_block` if given. Only `signed_ok` spends:
    /// the contract checks the signature and expiry, and a refused challenge costs gas
    /// (`docs/watcher.md` §5).
    pub(crate) fn included_spend(
        &self,
        s: &Sought<impl Fn(&Segment) -> bool>,
        max_block: MaxBlock,
    ) -> Option<Spend> {
        let mut keys = self.state.spends.get(&s.key)?.clone();
        keys.sort_unstable();
        keys.into_iter()
            .map(|at| &self.state.txs[&at])
            .filter(|t| t.signed_ok && max_block.is_none_or(|m| t.block <= m))
            .find_map(|t| s.in_tx(t))
    }

    /// An included forced transaction (`docs/exit-game.md` §12.4) with the spend `s`, ranking
    /// at a block `≤ max_block` if given.
    pub(crate) fn forced_spend(
        &self,
        s: &Sought<impl Fn(&Segment) -> bool>,
        max_block: MaxBlock,
    ) -> Option<Spend> {
        self.state
            .forced
            .values()
            .filter(|f| f.phase == ForcedPhase::Included)
            .filter(|f| max_block.is_none_or(|m| f.position.block() <= m))
            .find_map(|f| s.in_forced(f))
    }

    /// The spend `s`: in an included L2 transaction of a block `≤ max_block` first, else in an
    /// included forced transaction ranking no later than `forced_max` (§12.4: a forced
    /// transaction counts as a spend of its inputs).
    pub(crate) fn any_spend(
        &self,
        s: &Sought<impl Fn(&Segment) -> bool>,
        max_block: MaxBlock,
        forced_max: MaxBlock,
    ) -> Option<Spend> {
        self.included_spend(s, max_block)
            .or_else(|| self.forced_spend(s, forced_max))
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

    /// The deposit that created `coin`.
    fn deposit_holding(&self, coin: U256) -> Option<&DepositInfo> {
        let (_, d) = self.state.deposits.range(..=coin).next_back()?;
        (coin < d.end).then_some(d)
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
                    .deposit_holding(coin)
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
            .find_map(|t| Some(Named::Output(t.clone(), output_holding(t, coin)?)));
        out.or_else(|| {
            self.deposit_holding(coin)
                .filter(|d| allowed(Position::deposit(d.block_number)))
                .map(|d| Named::Deposit(d.clone()))
        })
    }
}

/// Which output of `t` holds `coin`.
fn output_holding(t: &StoredTx, coin: U256) -> Option<usize> {
    let outputs = &t.stx.transaction.outputs;
    outputs.iter().position(|o| o.segment.contains_coin(coin))
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
