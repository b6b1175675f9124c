//! One account, one name: the form every spelling of a username is counted
//! under.
//!
//! Directories and databases match names loosely: LDAP's `uid` ignores case
//! and surrounding or repeated spaces (RFC 4518's string preparation), SQL
//! collations ignore case, and Unicode has several encodings of one letter.
//! The throttle must count every spelling a host would accept as one
//! account, or `BOB`, `bob ` and `bOb` each get `max_failures` guesses at
//! bob's password. [`fold_name`] is deliberately coarser than any of these
//! matchings: two names it folds alike share one failure counter (at worst
//! two distinct accounts lock together), where a finer fold would let a
//! spelling escape the lock.

use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// Code points that directories map to nothing before comparing names
/// (RFC 4518 §2.2: the soft hyphen, joiners, variation selectors, the byte
/// order mark, bidirectional marks): `bo\u{AD}b` is `bob` to them.
fn ignorable(c: char) -> bool {
    matches!(c,
        '\u{AD}' | '\u{34F}' | '\u{1806}' | '\u{180B}'..='\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFFC}')
}

/// The form a username is counted under: compatibility-normalized (NFKC),
/// lower-cased, invisible code points dropped, leading and trailing white
/// space removed and inner runs of white space made one space. `"  BOB "`,
/// `"bob"`, `"Bo\u{AD}b"` and `"ｂｏｂ"` (full-width) all fold to `"bob"`.
///
/// ropc counts failed sign-ins under this form, matches configured users by
/// it, and refuses a configuration with two users who fold alike. It never
/// renames an account: a token's subject is the name as configured, or as
/// the host's accounts report it ([`crate::Owner::name`]).
pub fn fold_name(name: &str) -> Cow<'_, str> {
    let plain = name
        .bytes()
        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-' | b'@' | b'+'));
    if plain {
        return Cow::Borrowed(name);
    }
    let mapped: String = name
        .chars()
        .filter(|&c| !ignorable(c))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .nfkc()
        .collect();
    let lowered: String = mapped.to_lowercase().nfkc().collect();
    let mut out = String::with_capacity(lowered.len());
    for word in lowered
        .split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::fold_name;

    #[test]
    fn every_spelling_a_directory_accepts_folds_to_one_name() {
        for spelling in [
            "bob",
            "BOB",
            "Bob",
            "bOb",
            "bob ",
            " bob",
            "\tbob\u{3000}",
            "Bo\u{AD}b",
            "b\u{200B}ob",
            "\u{FEFF}bob",
            "ｂｏｂ",
            "ＢＯＢ",
            "b\u{FE0F}ob",
        ] {
            assert_eq!(fold_name(spelling), "bob", "{spelling:?}");
        }
        assert_eq!(fold_name("Mary  Ann"), "mary ann");
        assert_eq!(fold_name("mary ann"), "mary ann");
        // NFC and NFD spellings of one letter fold alike.
        assert_eq!(fold_name("Jos\u{E9}"), fold_name("Jose\u{301}"));
        assert_eq!(fold_name("ÅSA"), "åsa");
        // Names that differ stay apart.
        assert_ne!(fold_name("bob"), fold_name("bobby"));
        assert_ne!(fold_name("mary ann"), fold_name("maryann"));
    }

    #[test]
    fn names_already_folded_are_not_copied() {
        assert!(matches!(
            fold_name("alice@example.org"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(matches!(fold_name("Alice"), std::borrow::Cow::Owned(_)));
    }
}
