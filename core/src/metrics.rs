//! What an operator graphs, as Prometheus text ([`crate::Server::metrics_text`]):
//!
//! - `ropc_requests_total{operation, outcome}`: every password grant,
//!   refresh, introspection, revocation and resource check (HTTP endpoint
//!   or typed call, counted once), by its RFC error code or `ok`
//!   (`no_credentials`: a resource request without a token);
//! - `ropc_lockouts_total`: accounts locked (a failed sign-in reached the
//!   throttle's `max_failures`); `ropc_locked_refusals_total`: sign-ins
//!   refused because the account was locked;
//! - `ropc_refresh_reuse_total`, `ropc_refresh_retries_total`: rotated
//!   refresh tokens presented again, as theft (grant revoked) or as a retry
//!   within the client's grace window;
//! - `ropc_live_tokens{kind}`: tokens the store holds (at scrape time);
//! - `ropc_store_seconds`, `ropc_store_errors_total`: the store's calls
//!   (database stores; the memory store neither waits nor fails);
//! - `ropc_password_verification_seconds` and `ropc_password_queue`: the
//!   process's argon2 (and legacy hash) verifications and how many wait or
//!   run now, shared by every server of the process.
//!
//! Counters are plain atomics in fixed arrays: a check costs a few hundred
//! nanoseconds and a label lookup in a map would be a measurable share of
//! it. The request counters, written by every request, are striped: each
//! thread counts on cache lines of its own (one of `STRIPES` (16) copies,
//! summed when read), so threads checking at once do not pass one line back
//! and forth. The text follows the Prometheus exposition format 0.0.4.

use crate::error::ErrorCode;
use crate::histogram::Histogram;
use crate::store::{Rotation, Store, StoreError, StoreStats};
use crossbeam_utils::CachePadded;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What a request was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Operation {
    Password = 0,
    Refresh = 1,
    Introspect = 2,
    Revoke = 3,
    Check = 4,
    /// A token endpoint request refused before its grant was known.
    Token = 5,
}

const OPERATIONS: [&str; 6] = [
    "password",
    "refresh",
    "introspect",
    "revoke",
    "check",
    "token",
];

/// `ok`, `no_credentials`, then the RFC codes by their number.
const OUTCOMES: usize = 2 + ErrorCode::ALL.len() + 1;

fn outcome_index(code: Option<ErrorCode>) -> usize {
    match code {
        None => 0,
        Some(c) => (c as usize + 1).min(OUTCOMES - 1),
    }
}

fn outcome_name(i: usize) -> &'static str {
    match i {
        0 => "ok",
        1 => "no_credentials",
        i => ErrorCode::ALL
            .iter()
            .find(|c| **c as usize + 1 == i)
            .map_or("other", |c| c.as_str()),
    }
}

/// Copies of the request counters: threads beyond this many share them.
pub(crate) const STRIPES: usize = 16;

/// One copy of the request counters, by operation and outcome.
type Requests = [[AtomicU64; OUTCOMES]; OPERATIONS.len()];

/// The next thread's stripe.
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe: threads take them in turn, so up to
    /// [`STRIPES`] threads each count on their own.
    static STRIPE: usize = stripe_of(NEXT_STRIPE.fetch_add(1, Ordering::Relaxed));
}

/// The stripe of the `n`th thread to count.
fn stripe_of(n: usize) -> usize {
    n % STRIPES
}

/// This thread's stripe.
fn stripe() -> usize {
    // A thread being torn down counts on stripe 0.
    STRIPE.try_with(|s| *s).unwrap_or(0)
}

/// One server's counters.
pub(crate) struct Metrics {
    requests: Box<[CachePadded<Requests>; STRIPES]>,
    lockouts: AtomicU64,
    locked_refusals: AtomicU64,
    reuse: AtomicU64,
    retries: AtomicU64,
    pub(crate) store_seconds: Histogram,
    pub(crate) store_errors: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: Box::new(std::array::from_fn(|_| {
                CachePadded::new(std::array::from_fn(|_| {
                    std::array::from_fn(|_| AtomicU64::new(0))
                }))
            })),
            lockouts: AtomicU64::new(0),
            locked_refusals: AtomicU64::new(0),
            reuse: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            store_seconds: Histogram::default(),
            store_errors: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    /// Counts a request: `code` is its RFC error code, `None` when it succeeded.
    pub(crate) fn request(&self, op: Operation, code: Option<ErrorCode>) {
        self.requests[stripe()][op as usize][outcome_index(code)].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests counted so far, by operation and outcome (every stripe).
    fn requests(&self, op: usize, outcome: usize) -> u64 {
        self.requests
            .iter()
            .map(|s| s[op][outcome].load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Counts a resource request that carried no credentials.
    pub(crate) fn no_credentials(&self) {
        self.requests[stripe()][Operation::Check as usize][1].fetch_add(1, Ordering::Relaxed);
    }

    /// An account was locked (a failure reached `max_failures`).
    pub(crate) fn lockout(&self) {
        self.lockouts.fetch_add(1, Ordering::Relaxed);
    }

    /// A sign-in was refused because its account was locked.
    pub(crate) fn locked_refusal(&self) {
        self.locked_refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn rotation(&self, outcome: &Rotation) {
        match outcome {
            Rotation::Reused(_) => self.reuse.fetch_add(1, Ordering::Relaxed),
            Rotation::Retried(_) => self.retries.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }

    /// The Prometheus text: these counters, the store's counts now (`stats`)
    /// and the process's password verifications (`queued`: waiting or running).
    pub(crate) fn text(
        &self,
        stats: Option<StoreStats>,
        queued: usize,
        events_dropped: u64,
    ) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP ropc_requests_total Requests by operation and outcome (ok, or the RFC error code).\n# TYPE ropc_requests_total counter\n");
        for (op, name) in OPERATIONS.iter().enumerate() {
            for outcome in 0..OUTCOMES {
                let n = self.requests(op, outcome);
                if n > 0 || outcome == 0 {
                    let _ = writeln!(
                        out,
                        "ropc_requests_total{{operation=\"{name}\",outcome=\"{}\"}} {n}",
                        outcome_name(outcome)
                    );
                }
            }
        }
        for (name, help, value) in [
            (
                "ropc_lockouts_total",
                "Accounts locked: failed sign-ins that reached the throttle's max_failures.",
                &self.lockouts,
            ),
            (
                "ropc_locked_refusals_total",
                "Sign-ins refused because the account was locked.",
                &self.locked_refusals,
            ),
            (
                "ropc_refresh_reuse_total",
                "Rotated refresh tokens presented again as theft: their grants were revoked.",
                &self.reuse,
            ),
            (
                "ropc_refresh_retries_total",
                "Rotated refresh tokens presented again within the client's grace window.",
                &self.retries,
            ),
            (
                "ropc_store_errors_total",
                "Store calls that failed (answered 503).",
                &self.store_errors,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP ropc_events_dropped_total Audit events dropped because the sink fell behind.\n# TYPE ropc_events_dropped_total counter\nropc_events_dropped_total {events_dropped}"
        );
        if let Some(s) = stats {
            let _ = writeln!(
                out,
                "# HELP ropc_live_tokens Tokens the store holds (expired ones not yet purged included).\n# TYPE ropc_live_tokens gauge\nropc_live_tokens{{kind=\"access\"}} {}\nropc_live_tokens{{kind=\"refresh\"}} {}",
                s.access_tokens, s.refresh_tokens
            );
            let _ = writeln!(
                out,
                "# HELP ropc_throttled_accounts Accounts with failed-sign-in counters.\n# TYPE ropc_throttled_accounts gauge\nropc_throttled_accounts {}",
                s.throttled_accounts
            );
        }
        self.store_seconds.write(
            &mut out,
            "ropc_store_seconds",
            "Time of the store's calls (database stores).",
        );
        crate::password::PASSWORD_SECONDS.write(
            &mut out,
            "ropc_password_verification_seconds",
            "Time of one password (or argon2 client secret) verification on the pool, this process.",
        );
        let _ = writeln!(
            out,
            "# HELP ropc_password_queue Verifications waiting or running on the pool, this process.\n# TYPE ropc_password_queue gauge\nropc_password_queue {queued}"
        );
        out
    }
}

/// The server's store, metered: every call goes through [`Metered::call`],
/// which times it when it may wait (a database: the memory store's calls
/// take nanoseconds, which the clock would double) and counts and reports
/// its failure. The store itself is not wrapped: metering is the server's.
pub(crate) struct Metered {
    inner: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    events: Arc<crate::events::Events>,
    clock: Arc<dyn crate::clock::Clock>,
    timed: bool,
}

impl Metered {
    pub(crate) fn new(
        inner: Arc<dyn Store>,
        metrics: Arc<Metrics>,
        events: Arc<crate::events::Events>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Metered {
        let timed = inner.may_block();
        Metered {
            inner,
            metrics,
            events,
            clock,
            timed,
        }
    }

    /// The store, for what is not a call (its kind).
    pub(crate) fn store(&self) -> &dyn Store {
        &*self.inner
    }

    /// One call of the store, metered.
    pub(crate) fn call<T>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let started = self.timed.then(Instant::now);
        let out = f(&*self.inner);
        if let Some(started) = started {
            self.metrics.store_seconds.observe(started);
        }
        if let Err(e) = &out {
            self.metrics.store_errors.fetch_add(1, Ordering::Relaxed);
            self.events.emit(crate::events::EventKind::StoreError, |k| {
                crate::events::Event::new(k, self.clock.now()).reason(e.message())
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(m: &Metrics, op: Operation, outcome: &str) -> u64 {
        let line = format!(
            "ropc_requests_total{{operation=\"{}\",outcome=\"{outcome}\"}} ",
            OPERATIONS[op as usize]
        );
        let text = m.text(None, 0, 0);
        let at = text.find(&line).expect("the counter is in the text") + line.len();
        text[at..].lines().next().unwrap().parse().unwrap()
    }

    #[test]
    fn threads_take_the_stripes_in_turn_and_keep_theirs() {
        let firsts: Vec<usize> = (0..STRIPES).map(stripe_of).collect();
        assert_eq!(firsts, (0..STRIPES).collect::<Vec<_>>());
        assert_eq!(stripe_of(STRIPES + 3), 3);
        let mine = stripe();
        assert!(mine < STRIPES);
        assert_eq!(stripe(), mine);
    }

    /// Counts from many threads (more than the stripes: some share one)
    /// add up exactly, whichever stripe each counted on.
    #[test]
    fn every_stripe_is_summed() {
        let m = Metrics::default();
        let threads = STRIPES + 5;
        let stripes: Vec<usize> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        for _ in 0..1000 {
                            m.request(Operation::Check, None);
                        }
                        m.request(Operation::Check, Some(ErrorCode::InvalidToken));
                        m.no_credentials();
                        stripe()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(counted(&m, Operation::Check, "ok"), threads as u64 * 1000);
        assert_eq!(
            counted(&m, Operation::Check, "invalid_token"),
            threads as u64
        );
        assert_eq!(
            counted(&m, Operation::Check, "no_credentials"),
            threads as u64
        );
        assert_eq!(counted(&m, Operation::Password, "ok"), 0);
        // The counts really were spread: more than one stripe was written.
        let used = (0..STRIPES)
            .filter(|&i| m.requests[i][Operation::Check as usize][0].load(Ordering::Relaxed) > 0)
            .count();
        let distinct: std::collections::HashSet<_> = stripes.iter().collect();
        assert_eq!(used, distinct.len());
        assert!(used > 1);
    }
}
