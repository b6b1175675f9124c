//! Sets of bytes as tables, for the alphabets checked on every request.

/// A set of bytes as a table: `all` looks each byte up and folds without an
/// early exit or a branch per byte, which a predicate with `||` and a
/// search of a list of punctuation does not (a tenth of a bearer check).
pub(crate) struct ByteClass([bool; 256]);

impl ByteClass {
    /// ASCII letters and digits, and `extra`.
    pub(crate) const fn alphanumeric_and(extra: &[u8]) -> Self {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            t[b] = (b as u8).is_ascii_alphanumeric();
            b += 1;
        }
        let mut i = 0;
        while i < extra.len() {
            t[extra[i] as usize] = true;
            i += 1;
        }
        ByteClass(t)
    }

    /// Whether every byte is in the class (true for none).
    pub(crate) fn all(&self, bytes: &[u8]) -> bool {
        bytes
            .iter()
            .fold(true, |ok, &b| ok & self.0[usize::from(b)])
    }
}
