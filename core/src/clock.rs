//! Time, injectable so that expiry is tested exactly at its boundaries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of the current time in whole seconds since the Unix epoch.
pub trait Clock: Send + Sync {
    /// Seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to; clones share one time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: u64) -> Self {
        ManualClock(Arc::new(AtomicU64::new(now)))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A monotonic timer, for the pacing that makes answers about resource
/// owners take the same time (see [`crate::AccountsConfig`]). Injectable so
/// that tests see exactly how long each answer was made to take.
pub trait Timer: Send + Sync {
    /// Time since an arbitrary, fixed origin; never goes back.
    fn now(&self) -> Duration;
    /// Blocks the calling thread for `d`.
    fn sleep(&self, d: Duration);
}

/// The system's monotonic clock and `std::thread::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemTimer;

impl Timer for SystemTimer {
    fn now(&self) -> Duration {
        static ORIGIN: once_cell::sync::Lazy<Instant> = once_cell::sync::Lazy::new(Instant::now);
        ORIGIN.elapsed()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A timer that moves only when told to or when slept on (a sleep moves it
/// by the time slept, at once); clones share one time. For tests.
#[derive(Clone, Debug, Default)]
pub struct ManualTimer(Arc<AtomicU64>);

impl ManualTimer {
    /// A timer at zero.
    pub fn new() -> Self {
        ManualTimer::default()
    }

    /// Moves the timer forward, as work that takes `d` would.
    pub fn advance(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.0.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
    fn sleep(&self, d: Duration) {
        self.advance(d);
    }
}

/// The test clock (`crate::test_clock` sets it): a manual clock that
/// servers and guards built while it is set use.
#[cfg(feature = "test-hooks")]
pub(crate) static TEST_CLOCK: parking_lot::Mutex<Option<ManualClock>> =
    parking_lot::Mutex::new(None);

/// The system clock, or in a build with the `test-hooks` feature the test
/// clock when a binding's test has set it.
pub(crate) fn default_clock() -> Arc<dyn Clock> {
    #[cfg(feature = "test-hooks")]
    if let Some(clock) = TEST_CLOCK.lock().as_ref() {
        return Arc::new(clock.clone());
    }
    Arc::new(SystemClock)
}
