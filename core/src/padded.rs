//! Values that different threads write, each on cache lines of its own.

use std::ops::Deref;

/// `T` aligned, and so sized, to 128 bytes: two 64-byte lines, as x86's
/// adjacent-line prefetcher fetches lines in pairs. Two shard locks, or two
/// threads' counters, then never share a line, and one core's write does
/// not take the line from a core that only reads its neighbour.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct Padded<T>(pub(crate) T);

impl<T> Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Asserts that no two of `items` share a 128-byte line: each starts on
/// one, and the next starts at least 128 bytes on.
#[cfg(test)]
pub(crate) fn assert_apart<T>(items: &[Padded<T>]) {
    for pair in items.windows(2) {
        let (x, y) = (
            std::ptr::from_ref(&pair[0].0) as usize,
            std::ptr::from_ref(&pair[1].0) as usize,
        );
        assert!(y - x >= 128 && x % 128 == 0 && y % 128 == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::{assert_apart, Padded};

    #[test]
    fn neighbours_in_an_array_never_share_a_line() {
        let a: [Padded<u64>; 4] = Default::default();
        assert_eq!(std::mem::align_of::<Padded<u64>>(), 128);
        assert_apart(&a);
    }
}
