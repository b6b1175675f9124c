//! Wiping secrets: tokens, passwords and bodies holding them are zeroed
//! before their memory is freed.
//!
//! `zeroize` does the zeroing. What these add is the one case to skip: a
//! string or vector that never had a buffer. `zeroize` hands `memset` its
//! dangling pointer (`0x1`) with a length of 0, once for the spare capacity
//! and once for the contents. glibc's AVX-512 `memset` stores under an
//! all-zero mask there, and on AMD Zen 4 a masked store into page zero takes
//! a fault-suppression assist: about 70 ns each, against under 3 ns for a
//! real pointer. A refresh through C paid it for the access token the
//! binding had already taken out of its response; `tests/c/test_ranges.c`
//! counts such calls.

use zeroize::Zeroize;

/// Zeroes a string's buffer (its spare capacity too) and empties it; a
/// string without a buffer is left alone.
pub fn wipe(s: &mut String) {
    if s.capacity() != 0 {
        s.zeroize();
    }
}

/// [`wipe`] for bytes.
pub fn wipe_bytes(v: &mut Vec<u8>) {
    if v.capacity() != 0 {
        v.zeroize();
    }
}

/// What can be wiped: [`wipe`] for strings, [`wipe_bytes`] for bytes.
pub trait Wipe {
    /// Zeroes the buffer and empties it; without a buffer, does nothing.
    fn wipe(&mut self);
}

impl Wipe for String {
    fn wipe(&mut self) {
        wipe(self);
    }
}

impl Wipe for Vec<u8> {
    fn wipe(&mut self) {
        wipe_bytes(self);
    }
}

/// A string or bytes wiped when dropped: `zeroize::Zeroizing` without its
/// calls on a dangling pointer when empty. What the bindings keep request
/// bodies, passwords and tokens in.
#[derive(Default)]
pub struct Wiped<T: Wipe>(T);

impl<T: Wipe> Wiped<T> {
    /// Takes `value`, to be wiped when dropped.
    pub fn new(value: T) -> Self {
        Wiped(value)
    }
}

impl<T: Wipe> std::ops::Deref for Wiped<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Wipe> std::ops::DerefMut for Wiped<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Wipe> Drop for Wiped<T> {
    fn drop(&mut self) {
        self.0.wipe();
    }
}

impl<T: Wipe> std::fmt::Debug for Wiped<T> {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wiped(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiping_empties_and_keeps_the_buffer() {
        // zeroize clears in place: the buffer stays, zeroed (what it wrote
        // cannot be read back here without `unsafe`; zeroize tests that).
        let mut s = String::with_capacity(16);
        s.push_str("secret");
        wipe(&mut s);
        assert!(s.is_empty());
        assert_eq!(s.capacity(), 16);
        let mut b = b"token".to_vec();
        wipe_bytes(&mut b);
        assert!(b.is_empty() && b.capacity() == 5);
        // Without a buffer there is nothing to wipe, and nothing is called.
        let mut empty = String::new();
        wipe(&mut empty);
        assert_eq!(empty.capacity(), 0);
        let mut empty = Vec::new();
        wipe_bytes(&mut empty);
        assert_eq!(empty.capacity(), 0);
    }

    #[test]
    fn wiped_values_are_wiped_on_drop_and_never_shown() {
        let mut w = Wiped::new(String::from("secret"));
        w.push('!');
        assert_eq!(w.as_str(), "secret!");
        assert_eq!(format!("{w:?}"), "Wiped(..)");
        // Wiping in place is what Drop does; it leaves the buffer, emptied.
        w.wipe();
        assert!(w.is_empty() && w.capacity() >= 7);
        drop(Wiped::new(Vec::<u8>::new()));
    }
}
