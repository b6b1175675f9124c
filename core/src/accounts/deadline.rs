//! Host callbacks on threads of their own, so that a caller waits for one at
//! most `accounts.callback_timeout_ms` by the wall clock, whatever the host
//! does: a `verify` that hangs on a dead directory is answered `500
//! server_error` at the limit in every language (Python's callbacks ran on
//! the caller's thread, which waited for as long as the host took).
//!
//! The pool grows on demand to [`MAX_THREADS`]; a thread whose callback
//! hangs stays with it until it returns, so that hung callbacks take at most
//! that many threads, and a job whose caller has given up is skipped rather
//! than run late.

use super::HostError;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// The most threads that wait on host callbacks at once.
pub(crate) const MAX_THREADS: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

/// Threads made on demand, up to a bound, that run jobs which may wait a
/// long time (on a host): a job queues when every thread is busy.
pub struct WaitPool {
    name: &'static str,
    max: usize,
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
}

impl std::fmt::Debug for WaitPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitPool")
            .field("name", &self.name)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl WaitPool {
    const fn new(name: &'static str, max: usize) -> WaitPool {
        WaitPool {
            name,
            max,
            state: Mutex::new(State {
                queue: VecDeque::new(),
                threads: 0,
                idle: 0,
            }),
            ready: Condvar::new(),
        }
    }

    /// Runs `job` on one of the pool's threads, as soon as one is free.
    pub fn spawn(&'static self, job: Box<dyn FnOnce() + Send>) {
        let mut state = self.state.lock();
        state.queue.push_back(job);
        // A thread woken for an earlier job still counts as idle until it
        // takes it: spawn while the jobs waiting outnumber the idle threads,
        // or a burst would wait behind threads busy with hung callbacks.
        if state.queue.len() > state.idle && state.threads < self.max {
            let spawned = std::thread::Builder::new()
                .name(self.name.into())
                .spawn(move || self.work());
            if spawned.is_ok() {
                state.threads += 1;
            }
        }
        drop(state);
        self.ready.notify_one();
    }

    fn work(&self) {
        loop {
            let job = {
                let mut state = self.state.lock();
                loop {
                    if let Some(job) = state.queue.pop_front() {
                        break job;
                    }
                    state.idle += 1;
                    self.ready.wait(&mut state);
                    state.idle -= 1;
                }
            };
            // A job that panics takes nothing down with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    }
}

/// Host callbacks, one at a time a thread.
static CALLBACKS: WaitPool = WaitPool::new("ropc-callback", MAX_THREADS);

/// Whole calls that may wait on a host (its callbacks, or the pacing of
/// answers about host accounts), for bindings whose own pool is small and
/// shared: Node's libuv has four threads, and four logins waiting on a
/// hung directory would hold every one. Apart from the callbacks' pool, so that
/// calls waiting for callbacks never take the threads the callbacks need.
pub static WAITING: WaitPool = WaitPool::new("ropc-waiting", 256);

fn submit(job: Job) {
    CALLBACKS.spawn(job);
}

/// Runs `f` on the callback pool and waits for its answer at most `limit`.
/// Past it, the caller gets a failure naming `what`, and `f`'s answer, if
/// it ever comes, is dropped; a job not yet started by then never starts.
pub(crate) fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> Result<T, HostError> + Send + 'static,
) -> Result<T, HostError> {
    let (tx, rx) = sync_channel(1);
    let given_up = Arc::new(AtomicBool::new(false));
    let skip = Arc::clone(&given_up);
    submit(Box::new(move || {
        if skip.load(Ordering::Acquire) {
            return;
        }
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(out);
    }));
    match rx.recv_timeout(limit) {
        Ok(Ok(out)) => out,
        Ok(Err(_)) => Err(HostError::new(format!("the {what} callback panicked"))),
        Err(RecvTimeoutError::Timeout) => {
            given_up.store(true, Ordering::Release);
            Err(HostError::new(format!(
                "the {what} callback did not answer within callback_timeout_ms ({} ms); ropc answered without it",
                limit.as_millis()
            )))
        }
        Err(RecvTimeoutError::Disconnected) => {
            Err(HostError::new(format!("the {what} callback was dropped")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    /// The pool is the process's: one of these tests fills it, so they
    /// take turns (a job of another, skipped while it is full, would never
    /// send what that test waits for).
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    #[test]
    fn an_answer_in_time_is_the_answer() {
        let _turn = ONE_AT_A_TIME.lock();
        assert_eq!(within("verify", Duration::from_secs(10), || Ok(7)), Ok(7));
        let e = within::<()>("verify", Duration::from_secs(10), || panic!("host bug"));
        assert!(e.unwrap_err().message().contains("panicked"));
    }

    /// A callback that hangs: the caller is answered while the callback is
    /// still blocked (shown by the order of events, not by a clock), and
    /// once it returns its answer is dropped.
    #[test]
    fn a_hanging_callback_is_answered_without() {
        let _turn = ONE_AT_A_TIME.lock();
        let (release, blocked) = channel::<()>();
        let (done_tx, done) = channel::<()>();
        let e = within("verify", Duration::from_millis(50), move || {
            let _ = blocked.recv();
            let _ = done_tx.send(());
            Ok(1)
        })
        .unwrap_err();
        assert!(e.message().contains("did not answer"), "{e:?}");
        assert!(done.try_recv().is_err(), "the callback was still blocked");
        release.send(()).unwrap();
        done.recv().unwrap();
    }

    /// A job whose caller gave up before it started is never run.
    #[test]
    fn a_job_given_up_before_it_starts_is_skipped() {
        let _turn = ONE_AT_A_TIME.lock();
        // Fill every thread with a blocked job, so the next one queues.
        let (release, blocked) = channel::<()>();
        let blocked = Arc::new(Mutex::new(blocked));
        let (started_tx, started) = channel::<()>();
        for _ in 0..MAX_THREADS {
            let (blocked, started_tx) = (Arc::clone(&blocked), started_tx.clone());
            submit(Box::new(move || {
                let _ = started_tx.send(());
                let _ = blocked.lock().recv();
            }));
        }
        for _ in 0..MAX_THREADS {
            started.recv().unwrap();
        }
        let ran = Arc::new(AtomicBool::new(false));
        let r = Arc::clone(&ran);
        let e = within("lookup", Duration::from_millis(20), move || {
            r.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert!(e.is_err());
        for _ in 0..MAX_THREADS {
            release.send(()).unwrap();
        }
        // One more job after the skipped one: when it has run, the queue
        // has passed the skipped job.
        assert_eq!(within("lookup", Duration::from_secs(30), || Ok(1)), Ok(1));
        assert!(!ran.load(Ordering::SeqCst), "the given-up job never ran");
    }
}
