//! A global allocator for tests that keeps what the program frees: while
//! armed, the contents of every freed block (and of every block a realloc
//! moves) are appended to one fixed buffer, the "graveyard", so that a test
//! can ask afterwards whether a secret it learnt later (a token minted inside
//! the library) was ever left behind in freed memory. Code that zeroes a
//! secret before freeing it leaves zeros there. A test binary using it holds
//! one `#[test]`, so that nothing else runs while it is armed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

const SIZE: usize = 512 << 20;

pub struct Graveyard;

static BUFFER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static ARMED: AtomicBool = AtomicBool::new(false);
static USED: AtomicUsize = AtomicUsize::new(0);
static OVERFLOWED: AtomicBool = AtomicBool::new(false);

/// Copies `len` bytes at `ptr` into the graveyard; returns where they went.
unsafe fn bury(ptr: *const u8, len: usize) -> Option<(*mut u8, usize)> {
    let buffer = BUFFER.load(Ordering::Acquire);
    if !ARMED.load(Ordering::Acquire) || buffer.is_null() || len == 0 {
        return None;
    }
    let at = USED.fetch_add(len, Ordering::AcqRel);
    if at + len > SIZE {
        OVERFLOWED.store(true, Ordering::Release);
        return None;
    }
    std::ptr::copy_nonoverlapping(ptr, buffer.add(at), len);
    Some((buffer.add(at), len))
}

unsafe impl GlobalAlloc for Graveyard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bury(ptr, layout.size());
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let buried = bury(ptr, layout.size());
        let moved = System.realloc(ptr, layout, new_size);
        if moved == ptr {
            // Grown or shrunk in place: nothing was left behind.
            if let Some((at, len)) = buried {
                std::ptr::write_bytes(at, 0, len);
            }
        }
        moved
    }
}

/// Starts keeping freed memory (from empty).
pub fn arm() {
    if BUFFER.load(Ordering::Acquire).is_null() {
        // SAFETY: a valid, non-zero layout; kept for the life of the process.
        let buffer = unsafe { System.alloc_zeroed(Layout::from_size_align(SIZE, 4096).unwrap()) };
        assert!(!buffer.is_null(), "no memory for the graveyard");
        BUFFER.store(buffer, Ordering::Release);
    }
    USED.store(0, Ordering::Release);
    OVERFLOWED.store(false, Ordering::Release);
    ARMED.store(true, Ordering::Release);
}

/// Stops keeping freed memory; returns a copy of what was kept.
pub fn disarm() -> Vec<u8> {
    ARMED.store(false, Ordering::Release);
    assert!(
        !OVERFLOWED.load(Ordering::Acquire),
        "the graveyard overflowed: arm it for less"
    );
    let used = USED.load(Ordering::Acquire).min(SIZE);
    let buffer = BUFFER.load(Ordering::Acquire);
    // SAFETY: `buffer` holds SIZE bytes, the first `used` written by `bury`.
    // (A thread that passed the ARMED check just before may still be writing
    // its block: tests disarm only once their work is done.)
    unsafe { std::slice::from_raw_parts(buffer, used) }.to_vec()
}

/// How many times `needle`, less its first byte, occurs in `haystack`
/// (a C string's destructor zeroes only its first byte: that is no wipe).
pub fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let needle = needle.get(1..).unwrap_or_default();
    if needle.is_empty() {
        return 0;
    }
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// What of `secrets` (named) and `tokens` (numbered) is left in `freed`:
/// one line per secret found, with how many copies.
pub fn leftovers<T: AsRef<[u8]>>(
    freed: &[u8],
    secrets: &[(&str, &[u8])],
    tokens: &[T],
) -> Vec<String> {
    let named = secrets
        .iter()
        .map(|(what, needle)| (what.to_string(), *needle));
    let numbered = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("token {i}"), t.as_ref()));
    named
        .chain(numbered)
        .filter_map(|(what, needle)| match count(freed, needle) {
            0 => None,
            n => Some(format!("{what}: {n} copies")),
        })
        .collect()
}
