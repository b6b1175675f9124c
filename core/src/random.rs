//! Random bytes from the operating system's generator, read a kilobyte at a
//! time.
//!
//! Every byte ropc uses for a token, a grant id, a salt or a generated
//! client secret comes from the OS generator (`getrandom`). What changes
//! here is only how often it is asked: a read costs a system call and a
//! fresh ChaCha state in the kernel before its first byte (measured on the
//! bench machine: 64 bytes in 514 ns, 1,024 in 2,970 ns), and a refresh
//! needs 64 bytes. So each thread reads 1,024 bytes at once and hands each
//! byte out once, wiping it from the buffer as it goes; a refresh then pays
//! a sixteenth of a read.
//!
//! # Fork
//! A child process starts with a copy of its parent's buffers: were both to
//! go on serving from them, parent and child would mint the same tokens
//! (a server forked into workers after it started, as gunicorn's `--preload`
//! does). A handler registered with `pthread_atfork` counts forks in the
//! child, and a buffer filled before the count moved is thrown away unread.
//! The thread that forks also wipes its own buffer just before (the same
//! handler's `prepare`), so the child's copy of memory holds none of the
//! bytes its parent is about to use from that thread; other threads'
//! buffers are copied as they stand, unreachable in the child, like every
//! other secret the parent holds at that moment. This covers every `fork()` made through the C library (Python's
//! `os.fork`, `multiprocessing`, a C host's `fork`); a process that clones
//! itself with a raw system call and goes on without `exec` is not covered.
//!
//! A buffer holds at most 1,024 bytes not yet used, per thread that has
//! drawn any; it is wiped when its thread ends.

use once_cell::sync::Lazy;
use ring::rand::{SecureRandom, SystemRandom};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use zeroize::Zeroize;

/// Bytes read from the OS generator at once.
const POOL_BYTES: usize = 1024;

/// Requests larger than this go straight to the OS generator: they gain
/// little from the buffer and would empty it.
const LARGEST_SERVED: usize = POOL_BYTES / 4;

static RNG: Lazy<SystemRandom> = Lazy::new(SystemRandom::new);

/// Forks this process has been through (counted in each child).
static FORKS: AtomicU64 = AtomicU64::new(0);

#[cfg(test)]
thread_local! {
    /// Reads of the OS generator on this thread (each a system call).
    pub(crate) static OS_READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct Pool {
    bytes: [u8; POOL_BYTES],
    /// Bytes handed out (and wiped) from the front of `bytes`.
    used: usize,
    /// `FORKS` when `bytes` was read.
    forks: u64,
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool { bytes: [0; POOL_BYTES], used: POOL_BYTES, forks: 0 })
    };
}

/// Reads `buf.len()` bytes from the OS generator.
///
/// # Panics
/// If the OS generator fails, which leaves no safe way to go on.
fn os_fill(buf: &mut [u8]) {
    #[cfg(test)]
    OS_READS.with(|n| n.set(n.get() + 1));
    RNG.fill(buf)
        .expect("the operating system's random generator failed");
}

/// The number of forks so far, the handler that counts them registered on
/// first use (before any buffer is filled).
fn forks() -> u64 {
    #[cfg(unix)]
    {
        static REGISTERED: std::sync::Once = std::sync::Once::new();
        REGISTERED.call_once(|| {
            extern "C" fn in_child() {
                FORKS.fetch_add(1, Ordering::Relaxed);
            }
            extern "C" fn before_fork() {
                wipe_this_threads_buffer();
            }
            // The crate's one unsafe call.
            // SAFETY: registers two handlers that cannot unwind: one wipes
            // the forking thread's own buffer (no other thread touches it),
            // the other, in the child, only adds to an atomic. glibc ties
            // the registration to this library and drops it if unloaded.
            #[allow(unsafe_code)]
            let failed = unsafe { libc::pthread_atfork(Some(before_fork), None, Some(in_child)) };
            assert_eq!(
                failed, 0,
                "pthread_atfork failed: a forked child could repeat its parent's tokens"
            );
        });
    }
    FORKS.load(Ordering::Relaxed)
}

/// Wipes this thread's buffer; the next draw reads the OS generator again.
fn wipe_this_threads_buffer() {
    // Neither call can panic: a thread tearing down, or (never) a draw in
    // progress on this thread, leaves the buffer as it is.
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            pool.bytes.zeroize();
            pool.used = POOL_BYTES;
        }
    });
}

/// Fills `buf` with bytes from the operating system's generator, each byte
/// used once, in this process only.
///
/// # Panics
/// If the OS generator fails, which leaves no safe way to go on.
pub(crate) fn fill(buf: &mut [u8]) {
    if buf.len() > LARGEST_SERVED {
        return os_fill(buf);
    }
    let forks = forks();
    // A thread being torn down may have lost its buffer already: read directly.
    let served = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        if pool.forks != forks || POOL_BYTES - pool.used < buf.len() {
            os_fill(&mut pool.bytes);
            pool.used = 0;
            pool.forks = forks;
        }
        let start = pool.used;
        let taken = &mut pool.bytes[start..start + buf.len()];
        buf.copy_from_slice(taken);
        taken.zeroize();
        pool.used += buf.len();
    });
    if served.is_err() {
        os_fill(buf);
    }
}

/// Empties this thread's buffer, so that a test counts reads from a known start.
#[cfg(test)]
pub(crate) fn start_afresh() {
    POOL.with(|p| p.borrow_mut().used = POOL_BYTES);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads() -> usize {
        OS_READS.with(|n| n.get())
    }

    #[test]
    fn small_draws_share_one_read_and_never_repeat_a_byte_run() {
        start_afresh();
        let before = reads();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..POOL_BYTES / 64 {
            let mut b = [0u8; 64];
            fill(&mut b);
            assert!(seen.insert(b), "64 bytes handed out twice");
        }
        assert_eq!(reads() - before, 1, "sixteen draws of 64 bytes, one read");
        let mut b = [0u8; 64];
        fill(&mut b);
        assert_eq!(reads() - before, 2, "the seventeenth needs a new read");
        assert!(seen.insert(b));
    }

    #[test]
    fn handed_out_bytes_are_wiped_from_the_buffer() {
        start_afresh();
        let mut b = [0u8; 32];
        fill(&mut b);
        fill(&mut b);
        POOL.with(|p| {
            let p = p.borrow();
            assert_eq!(p.used, 64);
            assert!(p.bytes[..64].iter().all(|&x| x == 0), "used bytes linger");
            assert!(
                p.bytes[64..].iter().any(|&x| x != 0),
                "the rest is still to serve"
            );
        });
    }

    #[test]
    fn a_draw_larger_than_the_buffer_serves_goes_to_the_os_and_leaves_the_buffer_alone() {
        start_afresh();
        let mut small = [0u8; 16];
        fill(&mut small);
        let before = reads();
        let mut big = [0u8; LARGEST_SERVED + 1];
        fill(&mut big);
        assert_eq!(reads() - before, 1);
        assert_eq!(POOL.with(|p| p.borrow().used), 16);
        assert!(big.iter().any(|&x| x != 0));
    }

    #[cfg(unix)]
    #[test]
    #[allow(unsafe_code)]
    fn a_fork_leaves_the_forking_threads_unread_bytes_in_neither_process() {
        start_afresh();
        let mut b = [0u8; 32];
        fill(&mut b);
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        let wiped = || {
            POOL.with(|p| {
                let p = p.borrow();
                p.used == POOL_BYTES && p.bytes.iter().all(|&x| x == 0)
            })
        };
        if pid == 0 {
            // The child: only this thread exists; report and leave.
            unsafe { libc::_exit(if wiped() { 0 } else { 1 }) };
        }
        let mut status = 0;
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status));
        assert_eq!(libc::WEXITSTATUS(status), 0, "the child got unread bytes");
        assert!(wiped(), "the parent keeps what it copied to the child");
        let before = OS_READS.with(|n| n.get());
        fill(&mut b);
        assert_eq!(OS_READS.with(|n| n.get()) - before, 1);
    }

    #[test]
    fn a_buffer_filled_before_a_fork_is_not_used_after_it() {
        // Pretend a fork happened: the count moves as the handler moves it.
        start_afresh();
        let mut b = [0u8; 32];
        fill(&mut b);
        let next_unforked = POOL.with(|p| p.borrow().bytes[32..64].to_vec());
        let before = reads();
        FORKS.fetch_add(1, Ordering::Relaxed);
        fill(&mut b);
        assert_eq!(reads() - before, 1, "a fork means a new read");
        assert_ne!(b.to_vec(), next_unforked);
    }
}
