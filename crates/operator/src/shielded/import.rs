//! The L1 shielded pool's queues as the operator imports them (docs/shielded.md S-4.3, S-2.2
//! rules 2 and 3): deposits and exit starts are numbered by L1, and the operator takes each
//! exactly once, in index order. A repeat of one already imported is ignored; a gap is never
//! skipped: it means an event was lost between L1 and the node, and appending past it would
//! make every later header refused (rule 2) or a block provably invalid (F6).

use std::collections::HashSet;

use alloy_primitives::U256;

/// An event whose index is past the next one expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("L1 {queue} {got} read while {expected} is the next expected: an event was missed")]
pub(crate) struct QueueGap {
    /// `deposit` or `exit`.
    pub(crate) queue: &'static str,
    /// The next index expected.
    pub(crate) expected: u32,
    /// The index read.
    pub(crate) got: u32,
}

/// The events of `events` not imported yet, when `next` is the next index expected: those
/// below it are dropped as repeats; the rest must continue it without a gap.
pub(crate) fn in_order<T>(
    queue: &'static str,
    next: u32,
    events: Vec<T>,
    index: impl Fn(&T) -> u32,
) -> Result<Vec<T>, QueueGap> {
    let mut expected = next;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let got = index(&e);
        if got < expected {
            continue;
        }
        if got != expected {
            return Err(QueueGap {
                queue,
                expected,
                got,
            });
        }
        expected += 1;
        out.push(e);
    }
    Ok(out)
}

/// Every nullifier the exits hold.
pub(crate) fn exited_nullifiers<'a>(
    exits: impl IntoIterator<Item = &'a [U256; 2]>,
) -> HashSet<U256> {
    exits.into_iter().flatten().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_taken_once_in_order_and_a_gap_is_an_error() {
        let id = |i: &u32| *i;
        assert_eq!(in_order("deposit", 0, vec![0, 1, 2], id), Ok(vec![0, 1, 2]));
        assert_eq!(in_order("deposit", 2, vec![0, 1, 2, 3], id), Ok(vec![2, 3]));
        assert_eq!(in_order("exit", 5, vec![], id), Ok(vec![]));
        assert_eq!(
            in_order("exit", 1, vec![1, 3], id),
            Err(QueueGap {
                queue: "exit",
                expected: 2,
                got: 3
            })
        );
        assert_eq!(
            in_order("deposit", 0, vec![1], id),
            Err(QueueGap {
                queue: "deposit",
                expected: 0,
                got: 1
            })
        );
    }

    #[test]
    fn exited_nullifiers_are_both_of_every_exit() {
        let a = [U256::from(1), U256::from(2)];
        let b = [U256::from(2), U256::from(3)];
        let set = exited_nullifiers([&a, &b]);
        assert_eq!(set.len(), 3);
        assert!(set.contains(&U256::from(3)));
    }
}
