//! DPoP proofs (RFC 9449 §4): reading and checking the `DPoP` header a
//! client sends with a token request or with a DPoP-bound access token.
//! One checker for every language; what a proof proves is the public key's
//! RFC 7638 thumbprint (`jkt`), to bind a token to or to compare with the
//! token's `cnf.jkt`.
//!
//! The checks of §4.3, in order: at most [`crate::jws::MAX_JWS_BYTES`];
//! three base64url parts with strict JSON (no member named twice); `typ`
//! `dpop+jwt`; `alg` EdDSA or ES256 (never `none`, never an HMAC); a public
//! `jwk` in the header (a private part is refused); the signature by that
//! key; `jti`, `htm`, `htu` and `iat` present; `htm` the request's method;
//! `htu` the request's URI (scheme and host compared case-insensitively,
//! default ports dropped, percent-encodings normalised, no query or
//! fragment: RFC 3986 §6.2.2 and §6.2.3); `iat` within
//! [`PROOF_WINDOW_SECONDS`] of now; `ath` the access token's hash when a
//! token is presented; `nonce` the server's when it gave one. Whether the
//! `jti` was seen before is the caller's (the store's) to say.

use crate::jws::{self, Algorithm, VerifyingKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};
use std::fmt;

/// The media type of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_TYP: &str = "dpop+jwt";

/// How far a proof's `iat` may be from the server's clock, either way.
pub const PROOF_WINDOW_SECONDS: u64 = 60;

/// The longest `jti` remembered (RFC 9449 §4.2: enough for 96 bits of
/// randomness in any encoding; far above).
pub const MAX_JTI_BYTES: usize = 256;

/// The algorithms a proof may use (`DPoP algs="..."` in challenges).
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::EdDsa, Algorithm::Es256];

/// Why a proof was refused: said to the client as `invalid_dpop_proof`'s
/// description; never holds the proof or a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofError(&'static str);

impl ProofError {
    /// Why.
    pub fn reason(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ProofError {}

/// The request a proof must match.
#[derive(Clone, Copy, Debug)]
pub struct ProofContext<'a> {
    /// The request's method (`POST`).
    pub method: &'a str,
    /// The request's URI as the server is reached at
    /// (`https://as.example/token`); a query or fragment is ignored.
    pub uri: &'a str,
    /// The access token presented with the proof, at a resource server:
    /// the proof must carry its hash (`ath`).
    pub access_token: Option<&'a str>,
    /// The nonce the server gave (`DPoP-Nonce`), when it requires one.
    pub nonce: Option<&'a str>,
    /// Now, seconds since the epoch.
    pub now: u64,
}

/// A proof that passed every check but the replay check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The key's RFC 7638 thumbprint: what a token is bound to.
    pub jkt: String,
    /// The proof's identifier, to be remembered until `iat` plus the
    /// window so that a replay is refused.
    pub jti: String,
    /// When the client made it.
    pub iat: u64,
    /// The server nonce it carries, if any (RFC 9449 §8), for a server
    /// that gives nonces to judge with [`NonceKey::accepts`].
    pub nonce: Option<String>,
}

/// The longest a nonce made by [`NonceKey`] may be thought to come from
/// the future (another host's clock being ahead), in seconds.
pub const NONCE_SKEW_SECONDS: u64 = 5;

/// Server nonces (RFC 9449 §8) that need no state: the second a nonce was
/// made and an HMAC-SHA256 tag over it (cut to 128 bits) under this key,
/// base64url (32 characters). Any host with the same key accepts a nonce
/// another made, until it is `lifetime` seconds old; none can be made
/// ahead of time without the key.
pub struct NonceKey(ring::hmac::Key);

impl fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NonceKey(..)")
    }
}

const NONCE_CONTEXT: &[u8] = b"ropc DPoP nonce v1\0";
const NONCE_TAG_BYTES: usize = 16;

impl NonceKey {
    /// A key of 32 bytes.
    pub fn new(bytes: &[u8; 32]) -> NonceKey {
        NonceKey(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes))
    }

    /// A random key, for one process.
    pub fn random() -> NonceKey {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        crate::random::fill(&mut *bytes);
        NonceKey::new(&bytes)
    }

    /// The key written as 64 hex digits or 43 base64url characters (32
    /// bytes), surrounding white space ignored. The text never reaches the
    /// error.
    pub fn from_text(text: &str) -> Result<NonceKey, ProofError> {
        let bytes = crate::signing::key_bytes(text).ok_or(ProofError(
            "the nonce key must be 32 bytes: 64 hex digits or 43 base64url characters",
        ))?;
        Ok(NonceKey::new(&bytes))
    }

    fn tag(&self, made: u64) -> ring::hmac::Tag {
        let mut ctx = ring::hmac::Context::with_key(&self.0);
        ctx.update(NONCE_CONTEXT);
        ctx.update(&made.to_be_bytes());
        ctx.sign()
    }

    /// A nonce made at `now`.
    pub fn issue(&self, now: u64) -> String {
        let mut out = [0u8; 8 + NONCE_TAG_BYTES];
        out[..8].copy_from_slice(&now.to_be_bytes());
        out[8..].copy_from_slice(&self.tag(now).as_ref()[..NONCE_TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Whether `nonce` was made with this key at most `lifetime` seconds
    /// before `now` (and at most [`NONCE_SKEW_SECONDS`] after). The tag is
    /// compared in constant time.
    pub fn accepts(&self, nonce: &str, now: u64, lifetime: u64) -> bool {
        if nonce.len() != 32 {
            return false;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let (made, tag) = bytes.split_at(8);
        let made = u64::from_be_bytes(made.try_into().unwrap_or_default());
        if made > now.saturating_add(NONCE_SKEW_SECONDS) || now.saturating_sub(made) > lifetime {
            return false;
        }
        let want = self.tag(made);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            tag,
            &want.as_ref()[..NONCE_TAG_BYTES],
        ))
    }
}

/// The `ath` of an access token: base64url(SHA-256(token)).
pub fn token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        access_token.as_bytes(),
    ))
}

/// Reads and checks `proof` against the request `cx` (module
/// documentation); the key's thumbprint and the `jti` to remember.
pub fn check(proof: &str, cx: &ProofContext<'_>) -> Result<Proof, ProofError> {
    let bad = |why: &'static str| move |_| ProofError(why);
    if proof.contains(',') {
        // §4.3 step 1: one DPoP header. Copies are joined with commas (RFC
        // 9110 §5.3), which no proof holds.
        return Err(ProofError("the request carries more than one DPoP header"));
    }
    let parsed = jws::parse(proof, &ALGORITHMS, DPOP_TYP).map_err(|e| ProofError(e.reason()))?;
    let jwk = parsed
        .header
        .get("jwk")
        .and_then(Value::as_object)
        .ok_or(ProofError("the proof's header carries no jwk"))?;
    let key = VerifyingKey::from_public_jwk(jwk).map_err(|e| ProofError(e.reason()))?;
    let claims: Map<String, Value> = parsed
        .claims_verified_by(&key)
        .map_err(|e| ProofError(e.reason()))?;
    let text = |name: &'static str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .ok_or(ProofError(match name {
                "jti" => "the proof has no jti",
                "htm" => "the proof has no htm",
                "htu" => "the proof has no htu",
                "ath" => "the proof has no ath (the hash of the access token)",
                _ => "the proof has no nonce",
            }))
    };
    let jti = text("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_BYTES {
        return Err(ProofError("the proof's jti is empty or too long"));
    }
    if text("htm")? != cx.method {
        return Err(ProofError("the proof is for another method"));
    }
    let ours = normalise(cx.uri).map_err(bad("the request's URI cannot be compared"))?;
    let theirs = normalise(text("htu")?).map_err(bad("the proof's htu is not an absolute URI"))?;
    if ours != theirs {
        return Err(ProofError("the proof is for another URI"));
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or(ProofError("the proof has no iat"))?;
    if iat.abs_diff(cx.now) > PROOF_WINDOW_SECONDS {
        return Err(ProofError("the proof was not made now (iat)"));
    }
    if let Some(token) = cx.access_token {
        let ath = text("ath")?;
        let want = token_hash(token);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            ath.as_bytes(),
            want.as_bytes(),
        )) {
            return Err(ProofError("the proof is for another access token (ath)"));
        }
    }
    if let Some(nonce) = cx.nonce {
        if text("nonce")? != nonce {
            return Err(ProofError("the proof's nonce is not the server's"));
        }
    }
    let nonce = match claims.get("nonce") {
        None => None,
        Some(Value::String(n)) if n.len() <= MAX_JTI_BYTES => Some(n.clone()),
        Some(_) => return Err(ProofError("the proof's nonce is not a short string")),
    };
    Ok(Proof {
        jkt: key.kid().to_string(),
        jti: jti.to_string(),
        iat,
        nonce,
    })
}

/// An absolute http(s) URI for comparison (RFC 9449 §4.3 step 9): scheme
/// and host lower-cased, the default port dropped, an empty path `/`,
/// percent-encodings of unreserved characters decoded and the others'
/// hex upper-cased, the query and fragment dropped.
fn normalise(uri: &str) -> Result<String, ()> {
    let uri = uri.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = uri.split_once("://").ok_or(())?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return Err(()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(());
    }
    let mut host = authority.to_ascii_lowercase();
    if host.ends_with(default_port) {
        host.truncate(host.len() - default_port.len());
    }
    let mut out = format!("{scheme}://{host}");
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3).ok_or(())?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| ())?;
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(char::from(b));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    if !out.is_ascii() {
        return Err(());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::{generate_pkcs8, SigningKey};
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn key(alg: Algorithm) -> SigningKey {
        SigningKey::from_pkcs8("", alg, &generate_pkcs8(alg).unwrap()).unwrap()
    }

    fn proof(k: &SigningKey, header: Value, claims: Value) -> String {
        let mut jwk = k.verifying_key().to_jwk();
        for drop in ["kid", "use", "alg"] {
            jwk.as_object_mut().unwrap().remove(drop);
        }
        let mut h = json!({"typ": "dpop+jwt", "alg": k.algorithm().name(), "jwk": jwk});
        h.as_object_mut()
            .unwrap()
            .extend(header.as_object().unwrap().clone());
        let mut c = json!({"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": "https://as.example/token", "iat": NOW});
        c.as_object_mut()
            .unwrap()
            .extend(claims.as_object().unwrap().clone());
        h.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        c.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        k.sign_with_header(&h, c.as_object().unwrap()).unwrap()
    }

    fn cx() -> ProofContext<'static> {
        ProofContext {
            method: "POST",
            uri: "https://as.example/token",
            access_token: None,
            nonce: None,
            now: NOW,
        }
    }

    #[test]
    fn a_good_proof_names_its_key_by_thumbprint() {
        for alg in ALGORITHMS {
            let k = key(alg);
            let p = check(&proof(&k, json!({}), json!({})), &cx()).unwrap();
            assert_eq!(p.jkt, k.verifying_key().thumbprint());
            assert_eq!((p.jti.as_str(), p.iat), ("e1j3V_bKic8-LAEB", NOW));
        }
    }

    #[test]
    fn a_nonce_is_accepted_by_its_key_for_its_lifetime_only() {
        let nk = NonceKey::from_text(&"ab".repeat(32)).unwrap();
        let same = NonceKey::from_text(&URL_SAFE_NO_PAD.encode([0xab; 32])).unwrap();
        let other = NonceKey::random();
        let n = nk.issue(NOW);
        assert_eq!(n.len(), 32);
        // Computed apart, with Python's hmac: the format is the one the
        // documentation gives (time, then the tag over the context and it).
        let k42 = NonceKey::from_text(&"42".repeat(32)).unwrap();
        assert_eq!(k42.issue(1_700_000_000), "AAAAAGVT8QBLetP4nKHd_ye5to4PAL5h");
        assert_eq!(n, same.issue(NOW), "the same key makes the same nonce");
        assert_ne!(n, nk.issue(NOW + 1));
        assert!(nk.accepts(&n, NOW, 300) && same.accepts(&n, NOW + 300, 300));
        assert!(!nk.accepts(&n, NOW + 301, 300), "stale");
        assert!(nk.accepts(&n, NOW - NONCE_SKEW_SECONDS, 300));
        assert!(
            !nk.accepts(&n, NOW - NONCE_SKEW_SECONDS - 1, 300),
            "from the future"
        );
        assert!(!other.accepts(&n, NOW, 300), "another key");
        let mut forged = URL_SAFE_NO_PAD.decode(&n).unwrap();
        forged[7] ^= 1; // a later time under the old tag
        assert!(!nk.accepts(&URL_SAFE_NO_PAD.encode(&forged), NOW, 300));
        for bad in [
            "",
            "x",
            "not a nonce at all, not at all!!",
            &format!("{n}A"),
        ] {
            assert!(!nk.accepts(bad, NOW, 300), "{bad:?}");
        }
        for bad in ["", "ab", &"zz".repeat(32), &"ab".repeat(33)] {
            assert!(NonceKey::from_text(bad).is_err(), "{bad:?}");
        }
        // A proof gives its nonce to the caller; a non-string is refused.
        let k = key(Algorithm::EdDsa);
        let p = check(&proof(&k, json!({}), json!({"nonce": n})), &cx()).unwrap();
        assert_eq!(p.nonce.as_deref(), Some(n.as_str()));
        assert_eq!(
            check(&proof(&k, json!({}), json!({})), &cx())
                .unwrap()
                .nonce,
            None
        );
        assert!(check(&proof(&k, json!({}), json!({"nonce": 7})), &cx()).is_err());
    }

    #[test]
    fn the_uri_is_compared_normalised() {
        let k = key(Algorithm::EdDsa);
        for htu in [
            "HTTPS://AS.example:443/token",
            "https://as.example/token?x=1",
            "https://as.example/token#f",
            "https://as.example/%74oken",
        ] {
            check(&proof(&k, json!({}), json!({"htu": htu})), &cx())
                .unwrap_or_else(|e| panic!("{htu}: {e}"));
        }
        for htu in [
            "https://as.example/token/",
            "http://as.example/token",
            "https://as.example:8443/token",
            "https://other.example/token",
            "/token",
            "https://user@as.example/token",
            "https://as.example/%zz",
        ] {
            assert!(
                check(&proof(&k, json!({}), json!({"htu": htu})), &cx()).is_err(),
                "{htu}"
            );
        }
        assert_eq!(
            normalise("https://as.example").unwrap(),
            "https://as.example/"
        );
        assert_eq!(
            normalise("https://as.example/a%2fb").unwrap(),
            "https://as.example/a%2Fb"
        );
    }

    #[test]
    fn every_refusal_of_rfc_9449_section_4_3() {
        let k = key(Algorithm::Es256);
        let other = key(Algorithm::Es256);
        let refused = |p: String, cx: &ProofContext<'_>| check(&p, cx).unwrap_err().reason();
        let c = cx();
        assert!(refused(proof(&k, json!({"typ": "JWT"}), json!({})), &c).contains("typ"));
        let good = proof(&k, json!({}), json!({}));
        for two in [format!("{good}, {good}"), format!("{good},{good}")] {
            assert!(refused(two, &c).contains("more than one DPoP header"));
        }
        assert!(refused(proof(&k, json!({"alg": "HS256"}), json!({})), &c).contains("algorithm"));
        assert!(refused(proof(&k, json!({"alg": "none"}), json!({})), &c).contains("algorithm"));
        assert!(refused(proof(&k, json!({"jwk": null}), json!({})), &c).contains("jwk"));
        let mut private = k.verifying_key().to_jwk();
        private["d"] = json!("AAAA");
        assert!(refused(proof(&k, json!({"jwk": private}), json!({})), &c).contains("private"));
        let mut foreign = other.verifying_key().to_jwk();
        foreign.as_object_mut().unwrap().remove("kid");
        assert!(refused(proof(&k, json!({"jwk": foreign}), json!({})), &c).contains("signature"));
        for claim in ["jti", "htm", "htu", "iat"] {
            let mut missing = json!({});
            missing[claim] = Value::Null;
            assert!(
                refused(proof(&k, json!({}), missing), &c).contains(claim),
                "{claim}"
            );
        }
        assert!(refused(proof(&k, json!({}), json!({"htm": "GET"})), &c).contains("method"));
        assert!(refused(proof(&k, json!({}), json!({"iat": NOW - 61})), &c).contains("iat"));
        assert!(refused(proof(&k, json!({}), json!({"iat": NOW + 61})), &c).contains("iat"));
        check(&proof(&k, json!({}), json!({"iat": NOW - 60})), &c).unwrap();
        assert!(refused(proof(&k, json!({}), json!({"jti": ""})), &c).contains("jti"));
        assert!(refused(proof(&k, json!({}), json!({"jti": "x".repeat(257)})), &c).contains("jti"));
        assert!(refused(proof(&k, json!({"crit": ["x"]}), json!({})), &c).contains("critical"));
        // At a resource server: the proof carries the token's hash.
        let rs = ProofContext {
            method: "GET",
            uri: "https://api.example/docs/1",
            access_token: Some("the-token"),
            ..cx()
        };
        let claims = json!({"htm": "GET", "htu": "https://api.example/docs/1"});
        assert!(refused(proof(&k, json!({}), claims.clone()), &rs).contains("ath"));
        let mut with = claims.clone();
        with["ath"] = json!(token_hash("another-token"));
        assert!(refused(proof(&k, json!({}), with.clone()), &rs).contains("another access token"));
        with["ath"] = json!(token_hash("the-token"));
        check(&proof(&k, json!({}), with), &rs).unwrap();
        // A server nonce.
        let nonce = ProofContext {
            nonce: Some("n-1"),
            ..cx()
        };
        assert!(refused(proof(&k, json!({}), json!({})), &nonce).contains("nonce"));
        assert!(refused(proof(&k, json!({}), json!({"nonce": "n-0"})), &nonce).contains("nonce"));
        check(&proof(&k, json!({}), json!({"nonce": "n-1"})), &nonce).unwrap();
        // Not a proof at all.
        for junk in ["", "a.b.c", "....", &"A".repeat(9000)] {
            assert!(check(junk, &c).is_err());
        }
    }

    /// RFC 9449 §4.1's example `ath`: the hash of its example token.
    #[test]
    fn ath_is_the_rfc_s() {
        assert_eq!(
            token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
