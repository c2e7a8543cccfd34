//! The watcher's rules as pure functions: each takes the state (a [`evidence::View`]) and a
//! pending exit, request or forced transaction, and returns the [`crate::challenge::Challenge`]
//! to send, or `None`. Nothing here talks to L1 or the operator; `crate::execute` does.

pub(crate) mod evidence;
pub(crate) mod exit;
pub(crate) mod forced;
pub(crate) mod request;

#[cfg(test)]
mod fixtures;
