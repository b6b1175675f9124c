//! The throttle: how failed logins lock an account, decided here once for
//! every store. A store keeps the counters ([`CounterStore`]); this module
//! says how an attempt and its outcome move them.
//!
//! An attempt is counted (as pending) *before* its password is checked, and
//! failures plus pending attempts never exceed `max_failures`: N concurrent
//! guesses, in any number of processes, never get more checks than the
//! limit.

use crate::config::ThrottleConfig;
use crate::store::{CounterStore, Failures, StoreError};

/// What the throttle says of an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Check the password (the attempt is now pending).
    Proceed,
    /// The account is locked: answer exactly like a wrong password.
    Locked,
    /// So many attempts are in flight that one more could pass the limit if
    /// they all failed: nothing was counted; answer 503 and let the client
    /// retry (a burst of correct logins is not a lockout).
    Busy,
}

/// A pending attempt whose outcome never came (its process died) stops
/// counting after this long.
pub const PENDING_TIMEOUT_SECS: u64 = 120;

/// The throttle's rule for a new attempt, shared by every store so that all
/// count alike: the verdict and the counter after it. An attempt is counted
/// (as pending) *before* its password is checked, and failures plus pending
/// attempts never exceed `max_failures`: N concurrent guesses, in any
/// number of processes, never get more checks than the limit. A locked
/// account's counter is left as it is (the lock does not grow with every
/// refused try); once the lock has run out, one attempt at a time goes
/// through and, if it fails too, locks the account again.
pub(crate) fn step(
    before: Option<Failures>,
    now: u64,
    policy: &ThrottleConfig,
) -> (Verdict, Failures) {
    let forget_before = now.saturating_sub(policy.forget_after_seconds);
    let mut f = before
        .filter(|f| f.recent(forget_before))
        .unwrap_or_default();
    if f.last < forget_before {
        f.count = 0;
    }
    if now >= f.pending_since.saturating_add(PENDING_TIMEOUT_SECS) {
        f.pending = 0;
    }
    let verdict = if f.count >= policy.max_failures {
        if now < f.last.saturating_add(policy.lockout_seconds) {
            Verdict::Locked
        } else if f.pending == 0 {
            Verdict::Proceed
        } else {
            Verdict::Busy
        }
    } else if f.count.saturating_add(f.pending) >= policy.max_failures {
        Verdict::Busy
    } else {
        Verdict::Proceed
    };
    if verdict == Verdict::Proceed {
        f.pending = f.pending.saturating_add(1);
        f.pending_since = now;
        if f.count >= policy.max_failures {
            // The one try after a lock: a failure locks again from now.
            f.last = now;
        }
    }
    (verdict, f)
}

/// Whether the counter `before` holds its account locked at `now`: what
/// [`step`] would answer, without counting anything.
pub(crate) fn locked(before: Option<Failures>, now: u64, policy: &ThrottleConfig) -> bool {
    step(before, now, policy).0 == Verdict::Locked
}

/// The throttle's rule for an outcome: the counter after an admitted
/// attempt succeeded (failures forgotten) or failed (one more failure).
/// `None`: nothing left to keep.
pub(crate) fn finish(before: Option<Failures>, now: u64, succeeded: bool) -> Option<Failures> {
    let mut f = before.unwrap_or_default();
    f.pending = f.pending.saturating_sub(1);
    if succeeded {
        f.count = 0;
    } else {
        f.count = f.count.saturating_add(1);
        f.last = now;
    }
    (f.count > 0 || f.pending > 0).then_some(f)
}

/// Counts one login attempt on the counter `account` and says whether it
/// may go on. Every [`Verdict::Proceed`] is followed by one [`finished`].
pub(crate) fn attempt(
    counters: &dyn CounterStore,
    account: &str,
    now: u64,
    policy: &ThrottleConfig,
) -> Result<Verdict, StoreError> {
    let mut verdict = Verdict::Busy;
    counters.update_counter(account, now, forget_before(now, policy), &mut |before| {
        let (v, after) = step(before, now, policy);
        verdict = v;
        // Nothing counted unless the attempt goes on.
        if v == Verdict::Proceed {
            Some(after)
        } else {
            before
        }
    })?;
    Ok(verdict)
}

/// Records the outcome of an admitted attempt; returns the counter after
/// it, from which the caller tells that a failure locked the account.
pub(crate) fn finished(
    counters: &dyn CounterStore,
    account: &str,
    now: u64,
    succeeded: bool,
    policy: &ThrottleConfig,
) -> Result<Option<Failures>, StoreError> {
    counters.update_counter(account, now, forget_before(now, policy), &mut |before| {
        finish(before, now, succeeded)
    })
}

/// Whether `account` is locked at `now`, counting nothing.
pub(crate) fn is_locked(
    counters: &dyn CounterStore,
    account: &str,
    now: u64,
    policy: &ThrottleConfig,
) -> Result<bool, StoreError> {
    Ok(locked(counters.counter(account)?, now, policy))
}

/// Counters last moved before this are forgotten.
pub(crate) fn forget_before(now: u64, policy: &ThrottleConfig) -> u64 {
    now.saturating_sub(policy.forget_after_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_counts_before_the_check_and_locks_for_a_while() {
        let p = ThrottleConfig {
            max_failures: 2,
            lockout_seconds: 10,
            forget_after_seconds: 100,
        };
        let (v, f) = step(None, 1000, &p);
        assert_eq!(v, Verdict::Proceed);
        let (v, f2) = step(Some(f), 1000, &p);
        assert_eq!(v, Verdict::Proceed);
        let (v, busy) = step(Some(f2), 1000, &p);
        assert_eq!(
            v,
            Verdict::Busy,
            "two in flight with a limit of two: a third waits"
        );
        assert_eq!(busy, f2, "nothing counted for a busy answer");
        let f = finish(Some(f2), 1001, false);
        let f = finish(f, 1001, false).expect("two failures");
        assert_eq!((f.count, f.pending), (2, 0));
        let (v, locked) = step(Some(f), 1002, &p);
        assert_eq!(v, Verdict::Locked);
        assert_eq!(locked, f, "a refused try leaves the counter as it was");
        let (v, one) = step(Some(f), 1011, &p);
        assert_eq!(v, Verdict::Proceed, "the lock ran out: one try");
        assert_eq!(
            step(Some(one), 1011, &p).0,
            Verdict::Locked,
            "one at a time: while it runs, the account stays locked"
        );
        let after = finish(Some(one), 1012, false).expect("a third failure");
        assert_eq!(
            step(Some(after), 1013, &p).0,
            Verdict::Locked,
            "and locked again"
        );
        assert_eq!(
            step(Some(after), 1012 + 101, &p).0,
            Verdict::Proceed,
            "forgotten after a while"
        );
        assert_eq!(
            finish(Some(one), 1012, true),
            None,
            "a success forgets the failures"
        );
    }

    #[test]
    fn concurrent_correct_logins_are_busy_not_locked() {
        let p = ThrottleConfig {
            max_failures: 3,
            lockout_seconds: 10,
            forget_after_seconds: 100,
        };
        let mut f = None;
        let mut verdicts = Vec::new();
        for _ in 0..5 {
            let (v, after) = step(f, 1000, &p);
            verdicts.push(v);
            f = Some(after);
        }
        assert_eq!(
            verdicts.iter().filter(|v| **v == Verdict::Proceed).count(),
            3
        );
        assert!(
            verdicts.iter().all(|v| *v != Verdict::Locked),
            "no failure happened: {verdicts:?}"
        );
        let f = finish(f, 1000, true);
        assert_eq!(
            step(f, 1000, &p).0,
            Verdict::Proceed,
            "a success makes room"
        );
    }

    #[test]
    fn pending_attempts_of_a_dead_process_stop_counting() {
        let p = ThrottleConfig {
            max_failures: 1,
            lockout_seconds: 10,
            forget_after_seconds: 1000,
        };
        let (_, f) = step(None, 1000, &p);
        assert_eq!(step(Some(f), 1001, &p).0, Verdict::Busy);
        assert_eq!(
            step(Some(f), 1000 + PENDING_TIMEOUT_SECS, &p).0,
            Verdict::Proceed
        );
    }

    #[test]
    fn no_overflow_turns_a_lock_off() {
        let huge = ThrottleConfig {
            max_failures: 1,
            lockout_seconds: u64::MAX,
            forget_after_seconds: u64::MAX,
        };
        let (_, f) = step(None, 5, &huge);
        let f = finish(Some(f), 5, false);
        assert_eq!(step(f, u64::MAX - 1, &huge).0, Verdict::Locked);
    }
}
