//! A resource server's copy of the authorization server's key set, fetched
//! over HTTP by the host (sans-IO: this module decides, the binding does
//! the request). One policy for every language:
//!
//! - the set is fetched when first needed, kept for `max_age_seconds` (or
//!   less, when the response's `Cache-Control: max-age` says so), and
//!   fetched again when stale;
//! - a token naming a key the set lacks (a key announced since the fetch)
//!   triggers a fetch at once, but at most one every
//!   `min_refetch_seconds`, so tokens with made-up `kid`s cannot make the
//!   resource server hammer the authorization server;
//! - when a fetch fails, a stale set is kept for at most
//!   [`STALE_FOR_SECONDS`] more, then checks answer `503` (the answer an
//!   unreachable introspection endpoint gets), never a verdict on a token;
//! - a response that is not a key set (HTTP status, strict JSON, keys) is
//!   a failed fetch: it never replaces a good set.

use crate::jws::{self, KeySet};
use parking_lot::Mutex;
use std::sync::Arc;

/// How long a stale set is still used while fetches fail.
pub const STALE_FOR_SECONDS: f64 = 3600.0;

/// The longest key-set response read (far above a set of a few keys).
pub const MAX_KEY_SET_BYTES: usize = 64 * 1024;

/// What to do before checking a token.
#[derive(Clone, Debug)]
pub enum KeyPlan {
    /// The token is not a JWS (an opaque token): ask introspection.
    NotJwt,
    /// Check the token with these keys.
    Use(Arc<KeySet>),
    /// Fetch the key set now, hand an answer to [`KeySetCache::fetched`]
    /// (a fetch with no answer needs no report: the set is kept as the
    /// module documentation says), then plan again with `may_fetch` false.
    Fetch,
    /// No usable key set and no fetch allowed now: answer 503.
    Unavailable,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    fresh_until: f64,
    usable_until: f64,
    last_attempt: Option<f64>,
    fetches: u64,
}

/// The cache and its refetch policy (module documentation).
pub struct KeySetCache {
    max_age: f64,
    min_refetch: f64,
    state: Mutex<State>,
}

impl std::fmt::Debug for KeySetCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySetCache")
            .field("max_age", &self.max_age)
            .field("min_refetch", &self.min_refetch)
            .finish_non_exhaustive()
    }
}

/// Defaults: as `jose`'s `createRemoteJWKSet` (ten minutes, a 30 s cooldown).
pub const DEFAULT_MAX_AGE_SECONDS: f64 = 600.0;
/// The shortest time between two fetches.
pub const DEFAULT_MIN_REFETCH_SECONDS: f64 = 30.0;

/// The `max-age` of a `Cache-Control` header, if it has one.
fn max_age_of(cache_control: &str) -> Option<f64> {
    cache_control.split(',').find_map(|d| {
        let (name, value) = d.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| value.trim().trim_matches('"').parse::<u32>().ok())
            .flatten()
            .map(f64::from)
    })
}

impl KeySetCache {
    /// A cache keeping a set at most `max_age_seconds` and fetching at most
    /// once every `min_refetch_seconds`. Both must be finite, the first
    /// above 0 and the second at least 0.
    pub fn new(max_age_seconds: f64, min_refetch_seconds: f64) -> Result<KeySetCache, String> {
        let valid = max_age_seconds.is_finite()
            && max_age_seconds > 0.0
            && min_refetch_seconds.is_finite()
            && min_refetch_seconds >= 0.0;
        if !valid {
            return Err(
                "max_age_seconds must be above 0 and min_refetch_seconds at least 0".into(),
            );
        }
        Ok(KeySetCache {
            max_age: max_age_seconds,
            min_refetch: min_refetch_seconds,
            state: Mutex::new(State::default()),
        })
    }

    /// What to do for `token` at `now` (seconds since the epoch). A
    /// [`KeyPlan::Fetch`] answer reserves the fetch: callers at the same
    /// time get the current set (or [`KeyPlan::Unavailable`]). With
    /// `may_fetch` false (after a fetch) the answer is never a fetch.
    pub fn plan(&self, token: &str, now: f64, may_fetch: bool) -> KeyPlan {
        if !jws::looks_like_jws(token) {
            return KeyPlan::NotJwt;
        }
        let mut s = self.state.lock();
        // A clock that went back allows a fetch rather than none for long.
        let may_fetch = may_fetch
            && s.last_attempt
                .is_none_or(|t| now - t >= self.min_refetch || now < t);
        let reserve = |s: &mut State| {
            s.last_attempt = Some(now);
            KeyPlan::Fetch
        };
        let Some(keys) = s.keys.clone() else {
            return if may_fetch {
                reserve(&mut s)
            } else {
                KeyPlan::Unavailable
            };
        };
        let stale = now >= s.fresh_until;
        let unknown = jws::kid_of(token).is_some_and(|kid| keys.get(&kid).is_none());
        if (stale || unknown) && may_fetch {
            return reserve(&mut s);
        }
        if now >= s.usable_until {
            return KeyPlan::Unavailable;
        }
        KeyPlan::Use(keys)
    }

    /// The keys for `token` at `now` when no fetch could be wanted: the set
    /// is fresh and has the token's key. `None` otherwise (plan instead).
    /// For event loops, which check in place what needs no fetch.
    pub fn ready(&self, token: &str, now: f64) -> Option<Arc<KeySet>> {
        let s = self.state.lock();
        let keys = s.keys.as_ref().filter(|_| now < s.fresh_until)?;
        let kid = jws::kid_of(token)?;
        keys.get(&kid).is_some().then(|| Arc::clone(keys))
    }

    /// A fetch's answer: `status`, the body and its `Cache-Control`. A 200
    /// with a key set replaces the set; anything else is a failure (the
    /// reason is returned, for the log: it never holds a token).
    pub fn fetched(
        &self,
        status: u16,
        body: &[u8],
        cache_control: Option<&str>,
        now: f64,
    ) -> Result<(), String> {
        if status != 200 {
            return Err(format!("answered HTTP {status}"));
        }
        if body.len() > MAX_KEY_SET_BYTES {
            return Err(format!("sent a key set over {MAX_KEY_SET_BYTES} bytes"));
        }
        let text = std::str::from_utf8(body).map_err(|_| "sent a key set that is not UTF-8")?;
        let keys = KeySet::from_json(text).map_err(|e| format!("sent no key set: {e}"))?;
        let age = cache_control
            .and_then(max_age_of)
            .map_or(self.max_age, |a| a.min(self.max_age));
        let mut s = self.state.lock();
        s.keys = Some(Arc::new(keys));
        s.fresh_until = now + age;
        s.usable_until = now + age + STALE_FOR_SECONDS;
        s.fetches += 1;
        Ok(())
    }

    /// Key sets read so far (tests and monitoring).
    pub fn fetches(&self) -> u64 {
        self.state.lock().fetches
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::{generate_pkcs8, Algorithm, SigningKey};

    fn key(kid: &str) -> SigningKey {
        let pkcs8 = generate_pkcs8(Algorithm::EdDsa).unwrap();
        SigningKey::from_pkcs8(kid, Algorithm::EdDsa, &pkcs8).unwrap()
    }

    fn token(k: &SigningKey) -> String {
        k.sign("at+jwt", &serde_json::Map::new()).unwrap()
    }

    fn jwks(keys: &[&SigningKey]) -> Vec<u8> {
        KeySet::new(keys.iter().map(|k| k.verifying_key()).collect())
            .to_json()
            .into_bytes()
    }

    #[test]
    fn fetches_once_then_uses_until_stale() {
        let (a, c) = (key("a"), KeySetCache::new(600.0, 30.0).unwrap());
        let t = token(&a);
        assert!(matches!(c.plan("opaque", 0.0, true), KeyPlan::NotJwt));
        assert!(matches!(c.plan(&t, 0.0, true), KeyPlan::Fetch));
        assert!(
            matches!(c.plan(&t, 1.0, true), KeyPlan::Unavailable),
            "one fetch at a time"
        );
        c.fetched(200, &jwks(&[&a]), Some("public, max-age=120"), 1.0)
            .unwrap();
        assert!(matches!(c.plan(&t, 100.0, true), KeyPlan::Use(_)));
        assert!(c.ready(&t, 100.0).is_some());
        assert!(c.ready(&t, 121.0).is_none(), "stale: plan instead");
        assert!(
            c.ready(&token(&key("other")), 100.0).is_none(),
            "unknown: plan"
        );
        assert!(c.ready("opaque", 100.0).is_none());
        assert!(
            matches!(c.plan(&t, 121.0, true), KeyPlan::Fetch),
            "the server's max-age bounds it"
        );
        assert!(
            matches!(c.plan(&t, 122.0, true), KeyPlan::Use(_)),
            "stale but usable"
        );
        assert!(matches!(
            c.plan(&t, 1.0 + 120.0 + STALE_FOR_SECONDS, true),
            KeyPlan::Fetch
        ));
        assert!(matches!(
            c.plan(&t, 2.0 + 120.0 + STALE_FOR_SECONDS, true),
            KeyPlan::Unavailable
        ));
        assert_eq!(c.fetches(), 1);
        assert!(matches!(
            c.plan(&t, 1.0 + 121.0 + STALE_FOR_SECONDS, false),
            KeyPlan::Unavailable
        ));
    }

    #[test]
    fn an_unknown_kid_refetches_at_a_bounded_rate() {
        let (a, b) = (key("a"), key("b"));
        let c = KeySetCache::new(600.0, 30.0).unwrap();
        assert!(matches!(c.plan(&token(&a), 0.0, true), KeyPlan::Fetch));
        c.fetched(200, &jwks(&[&a]), None, 0.0).unwrap();
        let tb = token(&b);
        assert!(
            matches!(c.plan(&tb, 10.0, true), KeyPlan::Use(_)),
            "within the cooldown"
        );
        assert!(matches!(c.plan(&tb, 30.0, true), KeyPlan::Fetch));
        c.fetched(200, &jwks(&[&a, &b]), None, 30.0).unwrap();
        let z = KeySetCache::new(600.0, 0.0).unwrap();
        assert!(matches!(z.plan(&tb, 0.0, true), KeyPlan::Fetch));
        z.fetched(200, &jwks(&[&a]), None, 0.0).unwrap();
        assert!(
            matches!(z.plan(&tb, 0.0, false), KeyPlan::Use(_)),
            "no second fetch"
        );
        match c.plan(&tb, 31.0, true) {
            KeyPlan::Use(keys) => assert!(keys.get("b").is_some()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_answer_never_replaces_a_good_set() {
        let a = key("a");
        let c = KeySetCache::new(600.0, 0.0).unwrap();
        c.fetched(200, &jwks(&[&a]), None, 0.0).unwrap();
        assert!(c
            .fetched(500, b"{}", None, 1.0)
            .unwrap_err()
            .contains("500"));
        assert!(c.fetched(200, b"<html>", None, 1.0).is_err());
        assert!(c.fetched(200, &[0xff], None, 1.0).is_err());
        assert!(c
            .fetched(200, &vec![b' '; MAX_KEY_SET_BYTES + 1], None, 1.0)
            .is_err());
        assert!(matches!(c.plan(&token(&a), 2.0, true), KeyPlan::Use(k) if k.get("a").is_some()));
        assert!(KeySetCache::new(0.0, 1.0).is_err());
        assert!(KeySetCache::new(f64::NAN, 1.0).is_err());
        assert!(KeySetCache::new(1.0, -1.0).is_err());
        assert_eq!(max_age_of("no-cache, max-age=\"60\""), Some(60.0));
        assert_eq!(max_age_of("max-age=x"), None);
    }
}
