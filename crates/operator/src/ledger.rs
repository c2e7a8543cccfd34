//! The operator's view of who holds which coins: the range-ownership index with the coins that
//! pending transactions already spend, and the rules a new transaction's inputs must meet. A
//! broken rule is a [`Rejection`]; the API turns it into its wire error (`rpc/convert.rs`).

mod rejection;
#[cfg(test)]
mod tests;

pub(crate) use rejection::Rejection;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use alloy_primitives::{Address, B256, U256};
use debye_primitives::{Segment, Transaction};
use debye_storage::{Origin, RangeDelta, RangeRecord};

/// State of a range in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Spendable.
    Unspent,
    /// Spent by the pending transaction with this id.
    Pending(B256),
    /// Gone to L1.
    Exited,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub(crate) end: U256,
    pub(crate) owner: Address,
    pub(crate) origin: Origin,
    pub(crate) state: State,
}

/// The ownership index: range start → entry; ranges never overlap.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    ranges: BTreeMap<U256, Entry>,
    /// Starts whose entry changed since the last [`Ledger::take_delta`].
    dirty: HashSet<U256>,
    /// Range starts by owner, for `rangesOwnedBy`.
    by_owner: HashMap<Address, BTreeSet<U256>>,
}

impl Ledger {
    /// Loads the persisted index (all ranges unspent or exited).
    pub(crate) fn from_records(records: Vec<RangeRecord>) -> Self {
        let ranges = records
            .into_iter()
            .map(|r| {
                let state = if r.exited {
                    State::Exited
                } else {
                    State::Unspent
                };
                (
                    r.segment.start(),
                    Entry {
                        end: r.segment.end(),
                        owner: r.owner,
                        origin: r.origin,
                        state,
                    },
                )
            })
            .collect::<BTreeMap<U256, Entry>>();
        let mut by_owner: HashMap<Address, BTreeSet<U256>> = HashMap::new();
        for (start, e) in &ranges {
            by_owner.entry(e.owner).or_default().insert(*start);
        }
        Self {
            ranges,
            dirty: HashSet::new(),
            by_owner,
        }
    }

    fn forget_owner(&mut self, owner: Address, start: U256) {
        if let Some(set) = self.by_owner.get_mut(&owner) {
            set.remove(&start);
            if set.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
    }

    /// Whether any range overlaps `seg`.
    pub(crate) fn overlaps(&self, seg: &Segment) -> bool {
        self.ranges
            .range(..seg.end())
            .next_back()
            .is_some_and(|(_, e)| e.end > seg.start())
    }

    /// Adds a fresh range (a deposit). The caller checked it overlaps nothing.
    pub(crate) fn insert(&mut self, seg: Segment, owner: Address, origin: Origin) {
        let entry = Entry {
            end: seg.end(),
            owner,
            origin,
            state: State::Unspent,
        };
        if let Some(old) = self.ranges.insert(seg.start(), entry) {
            self.forget_owner(old.owner, seg.start());
        }
        self.by_owner.entry(owner).or_default().insert(seg.start());
        self.dirty.insert(seg.start());
    }

    /// Splits the entry containing `at` strictly inside so that an entry starts at `at`.
    fn split(&mut self, at: U256) {
        let Some((&start, entry)) = self.ranges.range_mut(..at).next_back() else {
            return;
        };
        if entry.end <= at || start == at {
            return;
        }
        let tail = Entry {
            end: entry.end,
            ..*entry
        };
        entry.end = at;
        self.ranges.insert(at, tail);
        self.by_owner.entry(tail.owner).or_default().insert(at);
        self.dirty.insert(start);
        self.dirty.insert(at);
    }

    /// Checks every input of `tx` (id `id`) against the index: the coins must be covered by
    /// unspent ranges of the input's owner created at the input's origin. A pending spend by the
    /// same id is reported as `Ok(true)` (the transaction is already accepted).
    pub(crate) fn check(&self, tx: &Transaction, id: B256) -> Result<bool, Rejection> {
        let mut duplicate = false;
        for (input_index, input) in tx.inputs.iter().enumerate() {
            let segment = input.segment;
            let unknown = Rejection::UnknownCoins {
                input: input_index,
                segment,
            };
            let first = self
                .ranges
                .range(..=segment.start())
                .next_back()
                .filter(|(_, e)| e.end > segment.start())
                .map(|(s, _)| *s);
            let Some(first) = first else {
                return Err(unknown);
            };
            let mut cursor = segment.start();
            for (&start, e) in self.ranges.range(first..) {
                if start > cursor {
                    return Err(unknown);
                }
                match e.state {
                    State::Pending(other) if other == id => duplicate = true,
                    State::Pending(other) => {
                        return Err(Rejection::Conflict {
                            input: input_index,
                            segment,
                            spent_by: other,
                        });
                    }
                    State::Exited => {
                        return Err(Rejection::Exited {
                            input: input_index,
                            segment,
                        });
                    }
                    State::Unspent => {}
                }
                if e.owner != input.owner {
                    return Err(Rejection::WrongOwner {
                        input: input_index,
                        segment,
                        owner: e.owner,
                        claimed: input.owner,
                    });
                }
                if !e.origin.matches(input) {
                    return Err(Rejection::WrongOrigin {
                        input: input_index,
                        segment,
                        origin: e.origin,
                        block: input.block_index,
                    });
                }
                cursor = e.end;
                if cursor >= segment.end() {
                    break;
                }
            }
            if cursor < segment.end() {
                return Err(unknown);
            }
        }
        Ok(duplicate)
    }

    /// Sets the state of every entry inside `seg` (after splitting at its bounds).
    fn set_state(&mut self, seg: &Segment, state: State) -> Vec<B256> {
        self.split(seg.start());
        self.split(seg.end());
        let mut displaced = Vec::new();
        for (start, e) in self.ranges.range_mut(seg.start()..seg.end()) {
            if let State::Pending(id) = e.state {
                displaced.push(id);
            }
            e.state = state;
            self.dirty.insert(*start);
        }
        displaced
    }

    /// Marks the inputs of an accepted transaction as spent by it. Call after [`Ledger::check`].
    pub(crate) fn mark_pending(&mut self, tx: &Transaction, id: B256) {
        for input in &tx.inputs {
            self.set_state(&input.segment, State::Pending(id));
        }
    }

    /// Gives back the inputs of a pending transaction that will not be included.
    pub(crate) fn unmark(&mut self, tx: &Transaction, id: B256) {
        for input in &tx.inputs {
            let seg = input.segment;
            for (start, e) in self.ranges.range_mut(seg.start()..seg.end()) {
                if e.state == State::Pending(id) {
                    e.state = State::Unspent;
                    self.dirty.insert(*start);
                }
            }
        }
    }

    /// Applies a transaction included at `(block, tx_index)`: its inputs disappear and its outputs
    /// become unspent ranges created there.
    pub(crate) fn apply_included(&mut self, tx: &Transaction, block: u64, tx_index: u32) {
        for input in &tx.inputs {
            let seg = input.segment;
            self.split(seg.start());
            self.split(seg.end());
            let starts: Vec<U256> = self
                .ranges
                .range(seg.start()..seg.end())
                .map(|(s, _)| *s)
                .collect();
            for s in starts {
                if let Some(old) = self.ranges.remove(&s) {
                    self.forget_owner(old.owner, s);
                }
                self.dirty.insert(s);
            }
        }
        for (i, out) in tx.outputs.iter().enumerate() {
            let origin = Origin::tx(block, tx_index, u8::try_from(i).unwrap_or(u8::MAX));
            self.insert(out.segment, out.owner, origin);
        }
    }

    /// Ids of the pending transactions spending any coin of `tx`'s inputs.
    pub(crate) fn pending_over(&self, tx: &Transaction) -> Vec<B256> {
        let mut ids = Vec::new();
        for input in &tx.inputs {
            let seg = input.segment;
            let first = self
                .ranges
                .range(..=seg.start())
                .next_back()
                .map_or(seg.start(), |(s, _)| *s);
            for (&start, e) in self.ranges.range(first..seg.end()) {
                if e.end > seg.start()
                    && start < seg.end()
                    && let State::Pending(id) = e.state
                    && !ids.contains(&id)
                {
                    ids.push(id);
                }
            }
        }
        ids
    }

    /// Marks `seg` exited (known coins only); returns the ids of pending transactions that spent
    /// any of it.
    pub(crate) fn exit(&mut self, seg: &Segment) -> Vec<B256> {
        let mut ids = self.set_state(seg, State::Exited);
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The changes since the last call, as persisted records (a pending spend is persisted as
    /// unspent: pending transactions are replayed on start).
    pub(crate) fn take_delta(&mut self) -> RangeDelta {
        let mut delta = RangeDelta::default();
        for start in self.dirty.drain() {
            match self.ranges.get(&start) {
                Some(e) => match Segment::new(start, e.end) {
                    Ok(segment) => delta.upserts.push(RangeRecord {
                        segment,
                        owner: e.owner,
                        origin: e.origin,
                        exited: e.state == State::Exited,
                    }),
                    Err(_) => delta.deletes.push(start),
                },
                None => delta.deletes.push(start),
            }
        }
        delta
    }

    /// Ranges held by `owner` that are not exited, with whether a pending transaction spends them.
    pub(crate) fn owned_by(&self, owner: Address) -> Vec<(Segment, Origin, bool)> {
        let Some(starts) = self.by_owner.get(&owner) else {
            return Vec::new();
        };
        starts
            .iter()
            .filter_map(|s| self.ranges.get(s).map(|e| (*s, e)))
            .filter(|(_, e)| e.owner == owner && e.state != State::Exited)
            .filter_map(|(s, e)| {
                Segment::new(s, e.end)
                    .ok()
                    .map(|seg| (seg, e.origin, matches!(e.state, State::Pending(_))))
            })
            .collect()
    }
}
