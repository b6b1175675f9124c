//! A clock the bindings' tests set and advance, so that they wait for no
//! lock to run out (the `test-hooks` feature: never in a published build).
//! A server or resource guard built while it is set uses it, unless given
//! a clock of its own.

use crate::clock::{ManualClock, TEST_CLOCK as CLOCK};

/// Servers built from now on use a manual clock at `now` (seconds since the
/// epoch); `None`: the system clock again.
pub fn set(now: Option<u64>) {
    *CLOCK.lock() = now.map(ManualClock::new);
}

/// Moves the manual clock on by `seconds` (for every server using it);
/// false when none is set.
pub fn advance(seconds: u64) -> bool {
    match &*CLOCK.lock() {
        Some(clock) => {
            clock.advance(seconds);
            true
        }
        None => false,
    }
}
