//! The shielded pool: admitted entries waiting for a block, oldest first, with the nullifiers
//! they hold (S-4.3: a nullifier in the pool refuses a second entry) and their ids. Replayed from
//! the store at start.

use std::collections::{HashMap, HashSet, VecDeque};

use alloy_primitives::{B256, U256};

use super::Submission;

/// An admitted entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pooled {
    /// Acceptance order.
    pub(crate) seq: u64,
    /// Its id.
    pub(crate) id: B256,
    /// The submission.
    pub(crate) sub: Submission,
}

/// The pool.
#[derive(Debug, Default)]
pub(crate) struct ShieldedPool {
    queue: VecDeque<Pooled>,
    nullifiers: HashSet<U256>,
    ids: HashMap<B256, u64>,
    next_seq: u64,
}

impl ShieldedPool {
    /// A pool holding `entries` (in acceptance order); the next acceptance is `next_seq`.
    pub(crate) fn new(entries: Vec<Pooled>, next_seq: u64) -> Self {
        let mut pool = Self {
            next_seq,
            ..Self::default()
        };
        for e in entries {
            pool.push(e);
        }
        pool
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether a pooled entry holds `nf`.
    pub(crate) fn holds(&self, nf: U256) -> bool {
        self.nullifiers.contains(&nf)
    }

    /// Whether entry `id` is pooled.
    pub(crate) fn contains(&self, id: &B256) -> bool {
        self.ids.contains_key(id)
    }

    /// Takes the next acceptance number.
    pub(crate) fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }

    /// Adds an admitted entry (its nullifiers are then held).
    pub(crate) fn push(&mut self, e: Pooled) {
        self.nullifiers.extend(e.sub.nullifiers);
        self.ids.insert(e.id, e.seq);
        self.next_seq = self.next_seq.max(e.seq + 1);
        self.queue.push_back(e);
    }

    /// Releases the nullifiers of entries that were reserved for a batch that did not become
    /// durable (or were refused after the reservation).
    pub(crate) fn release(&mut self, sub: &Submission, id: &B256) {
        for nf in &sub.nullifiers {
            self.nullifiers.remove(nf);
        }
        self.ids.remove(id);
    }

    /// Holds `sub`'s nullifiers and id before the entry is durable (so a second submission in
    /// the same batch is a pool duplicate).
    pub(crate) fn reserve(&mut self, sub: &Submission, id: B256, seq: u64) {
        self.nullifiers.extend(sub.nullifiers);
        self.ids.insert(id, seq);
    }

    /// Appends an entry whose nullifiers were reserved.
    pub(crate) fn extend_reserved(&mut self, entries: Vec<Pooled>) {
        self.queue.extend(entries);
    }

    /// Takes out every entry spending one of `nullifiers` (an imported L1 exit holds it), in
    /// acceptance order.
    pub(crate) fn remove_spending(&mut self, nullifiers: &HashSet<U256>) -> Vec<Pooled> {
        let (gone, kept): (Vec<Pooled>, Vec<Pooled>) = std::mem::take(&mut self.queue)
            .into_iter()
            .partition(|p| p.sub.nullifiers.iter().any(|nf| nullifiers.contains(nf)));
        self.queue = kept.into();
        for p in &gone {
            self.release(&p.sub, &p.id);
        }
        gone
    }

    /// The oldest entry, out of the pool with its nullifiers.
    pub(crate) fn pop_front(&mut self) -> Option<Pooled> {
        let e = self.queue.pop_front()?;
        self.release(&e.sub, &e.id);
        Some(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shielded::submission::tests::sample;

    #[test]
    fn nullifiers_are_held_while_pooled() {
        let sub = sample();
        let id = sub.id();
        let mut pool = ShieldedPool::new(vec![], 5);
        let seq = pool.take_seq();
        assert_eq!(seq, 5);
        pool.reserve(&sub, id, seq);
        assert!(pool.holds(sub.nullifiers[1]) && pool.contains(&id));
        pool.extend_reserved(vec![Pooled {
            seq,
            id,
            sub: sub.clone(),
        }]);
        let e = pool.pop_front().expect("pooled");
        assert!(!pool.holds(sub.nullifiers[0]) && pool.is_empty());
        assert_eq!(e.seq, seq);
        let replayed = ShieldedPool::new(vec![Pooled { seq: 9, id, sub }], 0);
        assert_eq!(replayed.next_seq, 10);
    }

    #[test]
    fn entries_spending_an_exited_nullifier_are_taken_out() {
        let a = sample();
        let mut b = sample();
        b.nullifiers = [U256::from(41), U256::from(42)];
        let (ida, idb) = (B256::repeat_byte(1), B256::repeat_byte(2));
        let mut pool = ShieldedPool::new(
            vec![
                Pooled {
                    seq: 0,
                    id: ida,
                    sub: a.clone(),
                },
                Pooled {
                    seq: 1,
                    id: idb,
                    sub: b,
                },
            ],
            2,
        );
        let exited = HashSet::from([a.nullifiers[1], U256::from(99)]);
        let gone = pool.remove_spending(&exited);
        assert_eq!(gone.iter().map(|p| p.id).collect::<Vec<_>>(), vec![ida]);
        assert!(!pool.contains(&ida) && pool.contains(&idb));
        assert!(!pool.holds(a.nullifiers[0]) && pool.holds(U256::from(41)));
        assert_eq!(pool.len(), 1);
    }
}
