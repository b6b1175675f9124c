//! The resource name of an HTTP request: one rule, here, for every binding
//! and glue, so that what is authorized is what the backend will serve.
//!
//! `resource_name("GET", "/users/carol/docs%20x?page=2")` is
//! `"GET /users/carol/docs x"`. From the raw request target (as on the
//! request line, before any decoding):
//!
//! 1. the query (`?...`) is dropped; a fragment (`#`) is refused (clients
//!    never send one);
//! 2. the target must be in origin form: it starts with exactly one `/`
//!    (an absolute URL, `*`, or `//host/...` is refused);
//! 3. each `/`-separated segment is percent-decoded; a malformed escape, a
//!    decoded `/` or `\` (`%2F`, `%5C`), a decoded control character or
//!    invalid UTF-8 is refused: the backend could read such a name two ways;
//! 4. a `.` or `..` segment, spelled plainly or encoded (`%2e%2e`), is
//!    refused, as is an empty segment (`//`) anywhere but at the end;
//! 5. the name is `METHOD /decoded/path`; the method is an HTTP token and is
//!    kept as sent (methods are case-sensitive).
//!
//! Refusals are `invalid_request`: the resource server answers 400 without
//! asking anyone about the token.

use crate::byte_class::ByteClass;
use crate::error::OAuthError;
use crate::scope::MAX_RESOURCE_BYTES;

fn refuse(why: &str) -> OAuthError {
    OAuthError::invalid_request(format!("the request target {why}"))
}

/// RFC 9110's tchar: a method is made of these.
const TCHAR: ByteClass = ByteClass::alphanumeric_and(b"!#$%&'*+-.^_`|~");

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The resource name of a request with `method` and the raw request
/// `target`, by the rule in this module's documentation.
pub fn resource_name(method: &str, target: &str) -> Result<String, OAuthError> {
    if method.is_empty() || !TCHAR.all(method.as_bytes()) {
        return Err(OAuthError::invalid_request(
            "the request method is not an HTTP token",
        ));
    }
    if target.len() > MAX_RESOURCE_BYTES {
        return Err(refuse("is too long"));
    }
    if target.contains('#') {
        return Err(refuse("carries a fragment"));
    }
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    let Some(rest) = path.strip_prefix('/') else {
        return Err(refuse("is not a path starting with '/'"));
    };
    let mut name = String::with_capacity(method.len() + 1 + path.len());
    name.push_str(method);
    name.push(' ');
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    for (i, raw) in segments.iter().enumerate() {
        if raw.is_empty() && i != last {
            return Err(refuse("has an empty path segment ('//')"));
        }
        let bytes = raw.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut j = 0;
        while j < bytes.len() {
            match bytes[j] {
                b'%' => {
                    let (Some(h), Some(l)) = (
                        bytes.get(j + 1).copied().and_then(hex),
                        bytes.get(j + 2).copied().and_then(hex),
                    ) else {
                        return Err(refuse("has a malformed percent-escape"));
                    };
                    decoded.push(h << 4 | l);
                    j += 3;
                }
                b => {
                    decoded.push(b);
                    j += 1;
                }
            }
        }
        let segment = String::from_utf8(decoded).map_err(|_| refuse("does not decode to UTF-8"))?;
        if segment.contains(['/', '\\']) {
            return Err(refuse("encodes a '/' or '\\' inside a path segment"));
        }
        if segment.chars().any(char::is_control) {
            return Err(refuse("encodes a control character"));
        }
        if segment == "." || segment == ".." {
            return Err(refuse("has a '.' or '..' path segment"));
        }
        name.push('/');
        name.push_str(&segment);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ASCII character as a one-character method: exactly RFC
    /// 9110's tchar passes.
    #[test]
    fn methods_are_http_tokens() {
        for c in (0u8..128).map(char::from) {
            let ok = c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            assert_eq!(resource_name(&c.to_string(), "/").is_ok(), ok, "{c:?}");
        }
        assert!(resource_name("G\u{e9}T", "/").is_err());
        assert!(resource_name("", "/").is_err());
    }

    #[test]
    fn decodes_and_keeps_what_is_unambiguous() {
        for (target, want) in [
            ("/", "GET /"),
            ("/invoices/42", "GET /invoices/42"),
            ("/invoices/42?page=2&x=/..", "GET /invoices/42"),
            ("/docs/a%20b", "GET /docs/a b"),
            ("/docs/%C3%A9t%C3%A9", "GET /docs/été"),
            ("/docs/été", "GET /docs/été"),
            ("/docs/", "GET /docs/"),
            ("/docs/..x", "GET /docs/..x"),
            ("/docs/%2e%2ex", "GET /docs/..x"),
        ] {
            assert_eq!(
                resource_name("GET", target).as_deref(),
                Ok(want),
                "{target}"
            );
        }
    }

    #[test]
    fn refuses_what_a_backend_could_read_two_ways() {
        for target in [
            "/users/carol/%2e%2e/bob/x",
            "/invoices/..%2fadmin",
            "/invoices/%2F",
            "/a/%5c..",
            "/a/../b",
            "/a/./b",
            "/a/%2E",
            "//evil/invoices/1",
            "/a//b",
            "invoices/1",
            "http://host/invoices/1",
            "*",
            "",
            "/a%zz",
            "/a%4",
            "/a%ff",
            "/a%00b",
            "/a%0d%0a",
            "/a#frag",
        ] {
            let e = resource_name("GET", target).unwrap_err();
            assert_eq!(e.code(), crate::ErrorCode::InvalidRequest, "{target}");
        }
        assert!(resource_name("G T", "/").is_err());
        assert!(resource_name("", "/").is_err());
        assert!(resource_name("GET", &format!("/{}", "a".repeat(MAX_RESOURCE_BYTES))).is_err());
    }
}
