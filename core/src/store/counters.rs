//! Failed-login counters: what a [`CounterStore`] keeps. The rule that
//! reads and moves them (how many failures lock, for how long) is not the
//! store's: it is the throttle's, above the store, in one place.

use super::StoreError;

/// Failed-login bookkeeping for one account name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    /// Failed attempts since the last success (or since they were forgotten).
    pub count: u32,
    /// Attempts admitted whose outcome is not known yet.
    pub pending: u32,
    /// When the last failure (or a lock's last admitted try) happened.
    pub last: u64,
    /// When the latest pending attempt was admitted.
    pub pending_since: u64,
}

impl Failures {
    /// Whether the counter saw a failure or an attempt at or after
    /// `forget_before`: a counter that did not may be dropped.
    pub fn recent(&self, forget_before: u64) -> bool {
        self.last >= forget_before || self.pending_since >= forget_before
    }
}

/// Counters under names, moved by one atomic read-modify-write. Every
/// method is atomic on its own across every thread and process sharing the
/// storage: N concurrent updates of one counter, anywhere, are applied one
/// after the other, each seeing the one before.
///
/// A store may keep counters in bounded space by letting names share one.
/// It may then over-state a name's counter, never under-state it: a shared
/// counter's `count` is never lowered by another name's update while it is
/// recent.
pub trait CounterStore: Send + Sync {
    /// Reads `account`'s counter, hands it to `update` and stores what
    /// `update` returns (`None`: deletes the counter), atomically; returns
    /// what was stored. `update` may be called more than once (a database
    /// retrying its transaction): only its last answer counts. `now` is the
    /// time of the update; counters not [`Failures::recent`] at
    /// `forget_before` may be dropped at any time.
    fn update_counter(
        &self,
        account: &str,
        now: u64,
        forget_before: u64,
        update: &mut dyn FnMut(Option<Failures>) -> Option<Failures>,
    ) -> Result<Option<Failures>, StoreError>;

    /// `account`'s counter, if any.
    fn counter(&self, account: &str) -> Result<Option<Failures>, StoreError>;
}
