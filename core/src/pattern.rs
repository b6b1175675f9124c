//! Resource patterns and their matcher: literal text, `*` for any run of
//! characters (including `/`), and `{username}` for the resource owner's
//! name as literal text, in scopes' resources and in access rules alike.

use crate::scope::MAX_RESOURCE_BYTES;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Lit(Box<str>),
    Username,
}

/// A resource pattern: literal text, `*` for any run of characters, and
/// `{username}` for the resource owner's name.
#[derive(Clone, PartialEq, Eq)]
pub struct Pattern {
    source: Box<str>,
    /// The text between stars; `pieces.len() - 1` stars.
    pieces: Vec<Vec<Part>>,
    /// The same pieces as plain text when there is no `{username}`: the
    /// common case, matched without building any string.
    literal: Option<Vec<Box<str>>>,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

/// Why a resource pattern cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern is empty.
    Empty,
    /// Longer than [`MAX_RESOURCE_BYTES`], or holding control characters.
    Malformed,
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PatternError::Empty => "a resource pattern must not be empty",
            PatternError::Malformed => "a resource pattern is too long or has control characters",
        })
    }
}

impl std::error::Error for PatternError {}

impl Pattern {
    /// Parses a pattern (in scopes and in access rules alike, `{username}`
    /// stands for the resource owner's name).
    pub fn parse(source: &str) -> Result<Pattern, PatternError> {
        if source.is_empty() {
            return Err(PatternError::Empty);
        }
        if source.len() > MAX_RESOURCE_BYTES || source.chars().any(char::is_control) {
            return Err(PatternError::Malformed);
        }
        let mut pieces = Vec::new();
        for text in source.split('*') {
            let mut parts = Vec::new();
            let mut rest = text;
            while let Some(at) = rest.find("{username}") {
                if at > 0 {
                    parts.push(Part::Lit(rest[..at].into()));
                }
                parts.push(Part::Username);
                rest = &rest[at + "{username}".len()..];
            }
            if !rest.is_empty() {
                parts.push(Part::Lit(rest.into()));
            }
            pieces.push(parts);
        }
        let literal = pieces
            .iter()
            .map(|parts: &Vec<Part>| match parts.as_slice() {
                [] => Some("".into()),
                [Part::Lit(s)] => Some(s.clone()),
                _ => None,
            })
            .collect();
        Ok(Pattern {
            source: source.into(),
            pieces,
            literal,
        })
    }

    fn piece<'a>(parts: &'a [Part], username: &'a str) -> std::borrow::Cow<'a, str> {
        match parts {
            [] => "".into(),
            [Part::Lit(s)] => (&**s).into(),
            [Part::Username] => username.into(),
            _ => parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => &**s,
                    Part::Username => username,
                })
                .collect::<String>()
                .into(),
        }
    }

    /// Whether `resource` matches, with `{username}` standing for `username`.
    pub fn matches(&self, resource: &str, username: &str) -> bool {
        match &self.literal {
            Some(pieces) => glob(
                pieces.iter().map(|p| std::borrow::Cow::Borrowed(&**p)),
                pieces.len(),
                resource,
            ),
            None => glob(
                self.pieces.iter().map(|p| Self::piece(p, username)),
                self.pieces.len(),
                resource,
            ),
        }
    }
}

/// `*`-only glob over the pieces between stars. Taking each middle piece at
/// its leftmost place is never worse than any other choice.
fn glob<'a>(
    mut pieces: impl Iterator<Item = std::borrow::Cow<'a, str>>,
    n: usize,
    resource: &str,
) -> bool {
    let (r, first) = (resource.as_bytes(), pieces.next().unwrap_or_default());
    let first = first.as_bytes();
    if n == 1 {
        return r == first;
    }
    if r.len() < first.len() || &r[..first.len()] != first {
        return false;
    }
    let mut rest = &resource[first.len()..];
    for (i, piece) in pieces.enumerate() {
        if i + 2 == n {
            // The last piece must end the resource.
            return rest.len() >= piece.len()
                && rest.as_bytes()[rest.len() - piece.len()..] == *piece.as_bytes();
        }
        match rest.find(&*piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = Pattern::parse("GET /invoices/*").unwrap();
        assert!(p.matches("GET /invoices/42", "x"));
        assert!(p.matches("GET /invoices/42/lines", "x"));
        assert!(!p.matches("GET /invoices", "x"));
        assert!(!p.matches("POST /invoices/42", "x"));
        let p = Pattern::parse("* /users/{username}/*").unwrap();
        assert!(p.matches("GET /users/alice/profile", "alice"));
        assert!(!p.matches("GET /users/bob/profile", "alice"));
        assert!(!p.matches("GET /users/alice/profile", "ali*"));
        let p = Pattern::parse("a*b*c").unwrap();
        assert!(p.matches("abc", ""));
        assert!(p.matches("aXbYbZc", ""));
        assert!(!p.matches("ac", ""));
        assert!(!p.matches("abcb", ""));
        let p = Pattern::parse("exact").unwrap();
        assert!(p.matches("exact", "") && !p.matches("exactly", ""));
        assert_eq!(Pattern::parse(""), Err(PatternError::Empty));
        assert_eq!(Pattern::parse("GET /a\nb"), Err(PatternError::Malformed));
    }
}
