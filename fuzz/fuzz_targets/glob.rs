//! The resource-pattern matcher against a reference: a plain dynamic
//! programme over the pattern's characters (`*` any run, `{username}` the
//! owner's name as literal text). Input: pattern, resource, username.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_core::fuzzing::Pattern;

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    Byte(u8),
    Star,
}

fn reference(pattern: &str, resource: &str, username: &str) -> bool {
    let mut toks = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{username}") {
            toks.extend(username.bytes().map(Tok::Byte));
            rest = after;
        } else if let Some(after) = rest.strip_prefix('*') {
            toks.push(Tok::Star);
            rest = after;
        } else {
            let c = rest.chars().next().unwrap();
            let mut buf = [0; 4];
            toks.extend(c.encode_utf8(&mut buf).bytes().map(Tok::Byte));
            rest = &rest[c.len_utf8()..];
        }
    }
    let r = resource.as_bytes();
    // dp[j]: the tokens so far match r[..j].
    let mut dp = vec![false; r.len() + 1];
    dp[0] = true;
    for t in toks {
        let mut next = vec![false; r.len() + 1];
        match t {
            Tok::Star => {
                let mut any = false;
                for j in 0..=r.len() {
                    any |= dp[j];
                    next[j] = any;
                }
            }
            Tok::Byte(b) => {
                for j in 1..=r.len() {
                    next[j] = dp[j - 1] && r[j - 1] == b;
                }
            }
        }
        dp = next;
    }
    dp[r.len()]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\n');
    let (pattern, resource, username) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    if pattern.len() + resource.len() + username.len() > 512 {
        return;
    }
    let Ok(p) = Pattern::parse(pattern) else { return };
    assert_eq!(
        p.matches(resource, username),
        reference(pattern, resource, username),
        "pattern {pattern:?} resource {resource:?} username {username:?}"
    );
});
