//! The JWS reader (RFC 7515 compact form, as RFC 9068 tokens use it) and
//! the key-set reader. First byte: 0 a key set (JWKS JSON), 1 strict JSON,
//! 0xF0 a PEM signing key, 0xF1 a key-set response for a resource server's
//! cache, else a token to verify (and its kid read). They answer or refuse, never panic; and no
//! input verifies against keys made at random here (no forging).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_core::fuzzing;
use ropc_core::jws::{self, Algorithm, KeySet, SigningKey};
use std::sync::OnceLock;

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let make = |kid: &str, alg| {
            let pkcs8 = jws::generate_pkcs8(alg).expect("a key");
            SigningKey::from_pkcs8(kid, alg, &pkcs8).expect("loads").verifying_key()
        };
        KeySet::new(vec![make("k1", Algorithm::EdDsa), make("k2", Algorithm::Es256)])
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(set) = KeySet::from_json(text) {
                    // What it reads, it writes back the same.
                    assert_eq!(KeySet::from_json(&set.to_json()).expect("its own JSON"), set);
                }
            }
        }
        1 => {
            let _ = fuzzing::strict_json(rest);
        }
        0xF0 => {
            if let Ok(key) = SigningKey::from_pem(rest) {
                assert_eq!(key.kid(), key.verifying_key().thumbprint());
            }
        }
        0xF1 => {
            let cache = ropc_core::key_cache::KeySetCache::new(600.0, 30.0).expect("a cache");
            if cache.fetched(200, rest, Some("max-age=60"), 0.0).is_ok() {
                assert_eq!(cache.fetches(), 1);
            }
        }
        _ => {
            if let Ok(token) = std::str::from_utf8(rest) {
                let _ = jws::kid_of(token);
                let got = jws::verify(token, keys(), &[Algorithm::EdDsa, Algorithm::Es256], "at+jwt");
                assert!(got.is_err(), "a token verified without ropc's keys");
            }
        }
    }
});
