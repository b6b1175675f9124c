//! A small connection pool for the database stores: at most `max`
//! connections, made on demand; one that failed is dropped rather than
//! reused, so a database that went away and came back is reconnected to.

use super::StoreError;
use parking_lot::{Condvar, Mutex};
use std::time::Duration;

type Connect<C> = Box<dyn Fn() -> Result<C, StoreError> + Send + Sync>;

struct State<C> {
    idle: Vec<C>,
    open: usize,
}

pub(crate) struct Pool<C> {
    state: Mutex<State<C>>,
    freed: Condvar,
    max: usize,
    wait: Duration,
    connect: Connect<C>,
}

impl<C> Pool<C> {
    pub(crate) fn new(max: usize, wait: Duration, connect: Connect<C>) -> Self {
        Pool {
            state: Mutex::new(State {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            max: max.max(1),
            wait,
            connect,
        }
    }

    fn checkout(&self) -> Result<C, StoreError> {
        let mut state = self.state.lock();
        loop {
            if let Some(c) = state.idle.pop() {
                return Ok(c);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return (self.connect)().inspect_err(|_| {
                    self.state.lock().open -= 1;
                    self.freed.notify_one();
                });
            }
            if self.freed.wait_for(&mut state, self.wait).timed_out()
                && state.idle.is_empty()
                && state.open >= self.max
            {
                return Err(StoreError::new(format!(
                    "no database connection became free within {:?}",
                    self.wait
                )));
            }
        }
    }

    /// Runs `f` on a pooled connection. A connection whose call failed is
    /// closed, not returned.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut C) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.checkout()?;
        let result = f(&mut conn);
        let mut state = self.state.lock();
        match result {
            Ok(_) => state.idle.push(conn),
            Err(_) => state.open -= 1,
        }
        drop(state);
        self.freed.notify_one();
        result
    }
}
