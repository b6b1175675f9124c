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
//! counts such calls. Fixed-size arrays (a token's random bytes) are never
//! empty and keep `zeroize::Zeroizing`.

use zeroize::Zeroize;

/// What can be wiped: zeroed, buffer and spare capacity, then emptied, its
/// buffer kept. Without a buffer there is nothing to zero, and nothing is
/// called (see above).
pub trait Wipe {
    /// Zeroes the buffer and empties it; without a buffer, does nothing.
    fn wipe(&mut self);
}

impl Wipe for String {
    fn wipe(&mut self) {
        if self.capacity() != 0 {
            self.zeroize();
        }
    }
}

impl Wipe for Vec<u8> {
    fn wipe(&mut self) {
        if self.capacity() != 0 {
            self.zeroize();
        }
    }
}

/// A string or bytes wiped when dropped: `zeroize::Zeroizing` without its
/// calls on a dangling pointer when empty. What core and the bindings keep
/// scratch copies of passwords, tokens and bodies in.
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

impl<T: Wipe + AsRef<U>, U: ?Sized> AsRef<U> for Wiped<T> {
    fn as_ref(&self) -> &U {
        self.0.as_ref()
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
        s.wipe();
        assert!(s.is_empty());
        assert_eq!(s.capacity(), 16);
        let mut b = b"token".to_vec();
        b.wipe();
        assert!(b.is_empty() && b.capacity() == 5);
        // Without a buffer there is nothing to wipe. That no memset is
        // called then cannot be seen from here (core has no `unsafe` to
        // interpose it): tests/c/test_ranges.c counts those calls.
        let mut empty = String::new();
        empty.wipe();
        assert_eq!(empty.capacity(), 0);
        let mut empty = Vec::new();
        empty.wipe();
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
    }
}
