//! Scopes (RFC 6749 §3.3) and the resources they cover.
//!
//! A scope is a case-sensitive token of `%x21 / %x23-5B / %x5D-7E`. Each scope
//! the registry defines lists resource patterns; a resource is any string the
//! resource server names a request by, such as `GET /invoices/42` or
//! `finance.invoices:read`. In a pattern `*` matches any run of characters
//! (including `/`), and `{username}` matches the resource owner's username
//! literally (in scopes' resources and in access rules alike): see
//! [`crate::pattern`].

use crate::error::OAuthError;

/// The longest resource name accepted, in bytes.
pub const MAX_RESOURCE_BYTES: usize = 4096;

/// Whether `token` is a valid scope token (RFC 6749 §3.3).
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Splits a scope parameter into its tokens. Exactly one space separates
/// tokens; anything else is malformed.
pub fn parse_scope(scope: &str) -> Result<Vec<&str>, OAuthError> {
    let tokens: Vec<&str> = scope.split(' ').collect();
    if tokens.iter().all(|t| is_scope_token(t)) {
        Ok(tokens)
    } else {
        Err(OAuthError::invalid_scope(
            "scope must be scope tokens separated by single spaces",
        ))
    }
}

/// A set of scopes, as indices into the registry's scope list.
///
/// Sixty-four scopes or fewer (the common case) cost no allocation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScopeSet(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Small(u64),
    Large(Box<[u64]>),
}

impl Default for ScopeSet {
    fn default() -> Self {
        ScopeSet(Repr::Small(0))
    }
}

impl std::fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl ScopeSet {
    fn words(&self) -> &[u64] {
        match &self.0 {
            Repr::Small(w) => std::slice::from_ref(w),
            Repr::Large(ws) => ws,
        }
    }

    fn from_words(mut words: Vec<u64>) -> Self {
        while words.len() > 1 && words.last() == Some(&0) {
            words.pop();
        }
        match words.as_slice() {
            [] => ScopeSet::default(),
            [w] => ScopeSet(Repr::Small(*w)),
            _ => ScopeSet(Repr::Large(words.into_boxed_slice())),
        }
    }

    /// A set of the given indices.
    pub fn from_ids(ids: impl IntoIterator<Item = usize>) -> Self {
        // Ids below 64 (every check of a token whose scopes are among the
        // first 64 configured) go in one word without an allocation.
        let mut ids = ids.into_iter();
        let mut small = 0u64;
        for id in ids.by_ref() {
            if id >= 64 {
                let mut words = vec![small];
                for id in std::iter::once(id).chain(ids) {
                    let (w, b) = (id / 64, id % 64);
                    if words.len() <= w {
                        words.resize(w + 1, 0);
                    }
                    words[w] |= 1 << b;
                }
                return Self::from_words(words);
            }
            small |= 1 << id;
        }
        ScopeSet(Repr::Small(small))
    }

    /// Whether the set holds scope `id`.
    pub fn contains(&self, id: usize) -> bool {
        self.words()
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        let theirs = other.words();
        self.words()
            .iter()
            .enumerate()
            .all(|(i, w)| w & !theirs.get(i).copied().unwrap_or(0) == 0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words().iter().all(|w| *w == 0)
    }

    /// The indices in the set, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        // One step per member, not per bit: the lowest set bit each time.
        self.words().iter().enumerate().flat_map(|(i, &w)| {
            let mut rest = w;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let b = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    i * 64 + b
                })
            })
        })
    }
}

/// Checks a resource name a resource server asks about: not empty, not too
/// long, no control characters, and no `.` or `..` path segments (a caller
/// must hand in a normalized path, or `/docs/../admin` could match `/docs/*`).
pub fn check_resource(resource: &str) -> Result<(), OAuthError> {
    if resource.is_empty() || resource.len() > MAX_RESOURCE_BYTES {
        return Err(OAuthError::invalid_request(
            "the resource name is empty or too long",
        ));
    }
    // One pass over the bytes (every check runs this): C0 controls and DEL
    // are single bytes; C1 controls are U+0080..U+009F, encoded 0xC2
    // 0x80..0x9F; a segment between '/' or ' ' that is "." or "..".
    let bytes = resource.as_bytes();
    let dots = |seg: &[u8]| matches!(seg, b"." | b"..");
    let (mut control, mut dot, mut start) = (false, false, 0);
    for (i, &b) in bytes.iter().enumerate() {
        control |=
            b < 0x20 || b == 0x7F || (b == 0xC2 && matches!(bytes.get(i + 1), Some(0x80..=0x9F)));
        if b == b'/' || b == b' ' {
            dot |= dots(&bytes[start..i]);
            start = i + 1;
        }
    }
    dot |= dots(&bytes[start..]);
    if control {
        return Err(OAuthError::invalid_request(
            "the resource name has control characters",
        ));
    }
    if dot {
        return Err(OAuthError::invalid_request(
            "the resource name has a '.' or '..' path segment; normalize the path first",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens() {
        assert!(is_scope_token("read"));
        assert!(is_scope_token("finance.invoices:read"));
        assert!(!is_scope_token(""));
        assert!(!is_scope_token("a\"b"));
        assert!(!is_scope_token("a\\b"));
        assert!(!is_scope_token("é"));
        assert_eq!(parse_scope("read write").unwrap(), vec!["read", "write"]);
        assert!(parse_scope("read  write").is_err());
        assert!(parse_scope(" read").is_err());
        assert!(parse_scope("").is_err());
    }

    #[test]
    fn sets() {
        let a = ScopeSet::from_ids([0, 3, 70]);
        let b = ScopeSet::from_ids([0, 3]);
        assert!(b.is_subset(&a));
        assert!(!a.is_subset(&b));
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![0, 3, 70]);
        assert!(a.contains(70) && !a.contains(69));
        assert!(ScopeSet::from_ids([]).is_empty());
        // Either side of the one-word case, in any order, duplicates once.
        assert_eq!(
            ScopeSet::from_ids([63, 0]).iter().collect::<Vec<_>>(),
            vec![0, 63]
        );
        let wide = ScopeSet::from_ids([200, 5, 64, 63, 5, 130]);
        assert_eq!(wide.iter().collect::<Vec<_>>(), vec![5, 63, 64, 130, 200]);
        assert_eq!(wide, ScopeSet::from_ids([5, 63, 64, 130, 200]));
        assert!(wide.contains(64) && wide.contains(200) && !wide.contains(199));
    }

    #[test]
    fn resources() {
        assert!(check_resource("GET /a/b").is_ok());
        assert!(check_resource("finance.invoices:read").is_ok());
        assert!(check_resource("GET /a/../b").is_err());
        assert!(check_resource("GET /a/./b").is_err());
        assert!(check_resource("GET /a/..").is_err());
        assert!(check_resource("").is_err());
        assert!(check_resource("GET /a\n").is_err());
        assert!(check_resource("GET /a\u{7f}").is_err());
        assert!(check_resource("GET /a\u{85}b").is_err(), "C1 control (NEL)");
        assert!(
            check_resource("GET /caf\u{e9}/\u{100}/\u{2028}x").is_ok(),
            "other non-ASCII is fine"
        );
        assert!(check_resource(". /a").is_err() && check_resource("GET ..").is_err());
        assert!(check_resource("GET /a/.../b").is_ok() && check_resource("GET /.a/b.").is_ok());
    }

    /// The one-pass check against the plain statement of its rules, on
    /// every string of up to four characters from a small alphabet of the
    /// characters that matter, with the error each gives.
    #[test]
    fn resources_match_the_plain_rules() {
        fn plain(resource: &str) -> Option<&'static str> {
            let bytes = resource.as_bytes();
            let c1 = bytes
                .windows(2)
                .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]));
            if c1 || bytes.iter().any(|&b| b < 0x20 || b == 0x7F) {
                return Some("control");
            }
            if resource.split(['/', ' ']).any(|s| s == "." || s == "..") {
                return Some("dot");
            }
            None
        }
        let alphabet = [
            '.', '/', ' ', 'a', '\n', '\u{7f}', '\u{80}', '\u{85}', '\u{9f}', '\u{c2}', '\u{a0}',
        ];
        let (mut words, mut all) = (vec![String::new()], Vec::new());
        for _ in 0..4 {
            words = words
                .iter()
                .flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}")))
                .collect();
            all.extend(words.iter().cloned());
        }
        assert_eq!(all.len(), 11 + 121 + 1331 + 14641);
        for w in &all {
            let got = check_resource(w).err().map(|e| {
                if e.description().contains("control") {
                    "control"
                } else {
                    "dot"
                }
            });
            assert_eq!(got, plain(w), "{w:?}");
        }
    }
}
