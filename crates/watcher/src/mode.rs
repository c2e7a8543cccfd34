//! Which coins the watcher keeps histories for and defends (`docs/watcher.md` "Modes"): the
//! filter every other module asks before storing, judging or challenging anything.

use alloy_primitives::U256;
use debye_primitives::Segment;

/// Which coins the watcher keeps histories for and defends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every transaction and every exit.
    Archival,
    /// Only transactions and exits touching these coin ranges (a user's or a custodian's).
    Guard(Vec<Segment>),
}

impl Mode {
    /// Whether any coin of `seg` is guarded.
    pub(crate) fn watches(&self, seg: &Segment) -> bool {
        match self {
            Self::Archival => true,
            Self::Guard(ranges) => ranges.iter().any(|r| r.overlaps(seg)),
        }
    }

    /// Whether any coin of `[start, end)` is guarded; an empty or inverted range is not.
    pub(crate) fn watches_range(&self, start: U256, end: U256) -> bool {
        Segment::new(start, end).is_ok_and(|s| self.watches(&s))
    }

    /// The first coin of `range` that is guarded: the coin a request names, so that the game is
    /// played over coins the watcher holds the history of.
    pub(crate) fn first_watched_coin(&self, range: &Segment) -> Option<U256> {
        match self {
            Self::Archival => Some(range.start()),
            Self::Guard(ranges) => ranges
                .iter()
                .filter(|r| r.overlaps(range))
                .map(|r| r.start().max(range.start()))
                .min(),
        }
    }
}
