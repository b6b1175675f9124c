//! JWT access tokens (RFC 9068): issued by clients set to `"jwt"`, signed
//! with keys that rotate by themselves through the store, checked offline
//! by a resource server with the key set, and still introspectable and
//! revocable at the authorization server.

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::jws::{KeySet, MAX_JWS_BYTES};
use ropc_core::store::Store;
use ropc_core::*;
use std::sync::Arc;

const T0: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

/// A key-encryption key in a file of its own (never in the configuration).
fn kek_file(dir: &tempfile::TempDir, name: &str, byte: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, byte.repeat(32)).unwrap();
    path.display().to_string()
}

fn config(kek: &str) -> Config {
    let mut c = docs::base()
        .client(
            docs::app()
                .default_scopes(&["read"])
                .jwt(&["https://api.example"])
                .ttls(Some(600), Some(30 * DAY)),
        )
        .client(docs::app_named("opaque").default_scopes(&["read"]))
        .user(
            UserConfig::new("alice", &hash_password("alice-pw", CHEAP).unwrap()).groups(&["staff"]),
        )
        .rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
    c.issuer = Some("https://as.example".into());
    c.signing = Some(SigningConfig {
        key_encryption_key_file: Some(kek.into()),
        key_encryption_key_env: None,
        ..SigningConfig::with_kek_env("EdDSA", "UNUSED")
    });
    c
}

/// The resource server's configuration: the same scopes and rules, the
/// issuer it trusts and its own audience.
fn guard(clock: &ManualClock) -> ResourceGuard {
    let mut c = docs::base().rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
    c.issuer = Some("https://as.example".into());
    c.audience = Some("https://api.example".into());
    ResourceGuard::with_clock(&c, Arc::new(clock.clone())).unwrap()
}

fn server(config: Config, store: &Arc<dyn Store>, clock: &ManualClock) -> Server {
    Server::builder(config)
        .store(Arc::clone(store))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

/// A bodiless GET, for the GET endpoints.
const GET: HttpRequest<'static> = HttpRequest {
    method: "GET",
    content_type: None,
    authorization: None,
    body: b"",
    dpop: None,
};

/// One server on a memory store and a manual clock, its KEK in a file:
/// (the directory, the clock, the store, the server).
fn host() -> (tempfile::TempDir, ManualClock, Arc<dyn Store>, Server) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let server = server(config(&kek_file(&dir, "kek", "ab")), &store, &clock);
    (dir, clock, store, server)
}

fn app() -> ClientCredentials {
    ClientCredentials::new("app", "app-secret")
}

fn key_set(server: &Server) -> KeySet {
    KeySet::from_json(&server.key_set().unwrap().expect("the server signs")).unwrap()
}

#[test]
fn a_jwt_client_gets_a_signed_token_that_a_resource_server_checks_offline() {
    let (_dir, clock, _, s) = host();
    let t = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    assert_eq!(t.access_token.matches('.').count(), 2, "a JWT");
    assert_eq!(
        t.refresh_token.as_deref().map(str::len),
        Some(43),
        "the refresh token stays opaque"
    );
    let keys = key_set(&s);
    let v = jws::verify(&t.access_token, &keys, &[jws::Algorithm::EdDsa], "at+jwt").unwrap();
    let c = &v.claims;
    for (claim, want) in [
        ("iss", "https://as.example"),
        ("aud", "https://api.example"),
        ("sub", "alice"),
        ("client_id", "app"),
        ("scope", "read"),
    ] {
        assert_eq!(c[claim], want, "{claim}");
    }
    assert_eq!(c["groups"], serde_json::json!(["staff"]));
    assert_eq!(
        (
            c["iat"].as_u64(),
            c["exp"].as_u64(),
            c["auth_time"].as_u64()
        ),
        (Some(T0), Some(T0 + 600), Some(T0))
    );
    assert_eq!(c["jti"].as_str().map(str::len), Some(22));
    // Offline, with the key set: the same principal the server's own check gives.
    let g = guard(&clock);
    let offline = g
        .check_jwt(&t.access_token, &keys, "GET /docs/1", Some("read"))
        .unwrap();
    let online = s
        .check(&t.access_token, "GET /docs/1", Some("read"))
        .unwrap();
    assert_eq!(offline, online);
    assert_eq!(offline.groups, vec!["staff"]);
    // The same rules: the scope, the owner's rights.
    assert_eq!(
        g.check_jwt(&t.access_token, &keys, "PUT /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InsufficientScope
    );
    // Introspection sees it; revoking its grant ends it there and at the
    // server, but not offline (a JWT cannot be recalled: it expires).
    let rs = ClientCredentials::new("app", "app-secret");
    assert!(s.introspect(&rs, &t.access_token, None).unwrap().active);
    s.revoke(&app(), t.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    assert!(!s.introspect(&rs, &t.access_token, None).unwrap().active);
    assert_eq!(
        s.check(&t.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert!(g
        .check_jwt(&t.access_token, &keys, "GET /docs/1", None)
        .is_ok());
    clock.advance(600 + JWT_LEEWAY_SECONDS);
    assert_eq!(
        g.check_jwt(&t.access_token, &keys, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    // An opaque client on the same server is unchanged.
    let opaque = ClientCredentials::new("opaque", "app-secret");
    let o = s
        .password_grant(&opaque, "alice", "alice-pw", None)
        .unwrap();
    assert_eq!(o.access_token.len(), 43);
}

#[test]
fn a_refresh_mints_a_new_jwt_of_the_same_grant() {
    let (_dir, clock, _, s) = host();
    let t = s
        .password_grant(&app(), "alice", "alice-pw", Some("read write"))
        .unwrap();
    clock.advance(100);
    let r = s
        .refresh_grant(&app(), t.refresh_token.as_deref().unwrap(), Some("read"))
        .unwrap();
    let keys = key_set(&s);
    let v = jws::verify(&r.access_token, &keys, &[jws::Algorithm::EdDsa], "at+jwt").unwrap();
    assert_eq!(v.claims["scope"], "read", "narrowed");
    assert_eq!(
        v.claims["auth_time"].as_u64(),
        Some(T0),
        "the sign-in's time"
    );
    assert_eq!(v.claims["iat"].as_u64(), Some(T0 + 100));
    assert_eq!(r.scope, "read");
    assert!(s
        .check(&r.access_token, "GET /docs/1", Some("read"))
        .is_ok());
    assert!(
        s.check(&t.access_token, "GET /docs/1", None).is_ok(),
        "the older token lives on"
    );
}

/// Two hosts on one store over two full rotations, day by day: every token
/// either issues verifies at both with either's key set until it expires,
/// the next key is published a lead before it signs, and a retired key
/// leaves the key set once its tokens are expired.
#[test]
fn keys_rotate_by_themselves_and_two_hosts_agree() {
    let dir = tempfile::tempdir().unwrap();
    let kek = kek_file(&dir, "kek", "ab");
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let hosts = [
        server(config(&kek), &store, &clock),
        server(config(&kek), &store, &clock),
    ];
    let g = guard(&clock);
    let mut seen_kids: Vec<String> = Vec::new();
    for day in 0..75u64 {
        clock.set(T0 + day * DAY);
        let sets = [key_set(&hosts[0]), key_set(&hosts[1])];
        assert_eq!(
            sets[0], sets[1],
            "day {day}: both hosts publish the same keys"
        );
        let mut today = Vec::new();
        for h in &hosts {
            let t = h.password_grant(&app(), "alice", "alice-pw", None).unwrap();
            let kid = jws::verify(
                &t.access_token,
                &sets[0],
                &[jws::Algorithm::EdDsa],
                "at+jwt",
            )
            .unwrap_or_else(|e| panic!("day {day}: a token signed now does not verify: {e}"))
            .kid;
            today.push((t.access_token.clone(), kid));
        }
        assert_eq!(
            today[0].1, today[1].1,
            "day {day}: both hosts sign with the same key"
        );
        if !seen_kids.contains(&today[0].1) {
            seen_kids.push(today[0].1.clone());
            if seen_kids.len() > 1 {
                // The new signing key was in yesterday's key set already.
                clock.set(T0 + day * DAY - DAY);
                assert!(
                    key_set(&hosts[0]).get(&today[0].1).is_some(),
                    "day {day}: published a day ahead"
                );
                clock.set(T0 + day * DAY);
            }
        }
        for (token, _) in &today {
            for set in &sets {
                g.check_jwt(token, set, "GET /docs/1", None).unwrap();
            }
        }
    }
    assert_eq!(
        seen_kids.len(),
        3,
        "two rotations in 75 days: {seen_kids:?}"
    );
    // By day 74, the first key is long retired and gone from the key set.
    assert!(key_set(&hosts[0]).get(&seen_kids[0]).is_none());
    // The store keeps no retired key either.
    let kept = store.keys().unwrap().signing_keys().unwrap();
    assert!(kept.iter().all(|k| k.kid != seen_kids[0]));
    assert!(kept.iter().all(|k| !k.public_jwk.contains("\"d\"")));
}

/// A token signed a second before the next key takes over verifies until
/// it expires; its key leaves the key set when its tokens are all expired
/// (the longest lifetime, 600 s, and 300 s for clocks), not before.
#[test]
fn a_retired_key_stays_published_for_its_tokens_then_leaves_on_time() {
    let (_dir, clock, store, s) = host();
    let g = guard(&clock);
    let first = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    let old_kid = jws::verify(
        &first.access_token,
        &key_set(&s),
        &[jws::Algorithm::EdDsa],
        "at+jwt",
    )
    .unwrap()
    .kid;
    // The server is up meanwhile: it makes the next key 14 days ahead.
    for day in 1..30 {
        clock.set(T0 + day * DAY);
        key_set(&s);
    }
    let switch = T0 + 30 * DAY;
    clock.set(switch - 1);
    let last = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    clock.set(switch);
    let next = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    let set = key_set(&s);
    let new_kid = jws::verify(&next.access_token, &set, &[jws::Algorithm::EdDsa], "at+jwt")
        .unwrap()
        .kid;
    assert_ne!(new_kid, old_kid, "the next key signs from its activation");
    clock.set(switch + 598); // the last old token's final second (issued at switch - 1)
    let set = key_set(&s);
    assert!(set.get(&old_kid).is_some());
    g.check_jwt(&last.access_token, &set, "GET /docs/1", None)
        .unwrap();
    clock.set(switch + 899);
    assert!(
        key_set(&s).get(&old_kid).is_some(),
        "kept until its tokens are past any clock's expiry"
    );
    clock.set(switch + 900);
    assert!(key_set(&s).get(&old_kid).is_none(), "then gone, on time");
    // The store drops it at the host's next read of the keys (each minute).
    clock.set(switch + 900 + 60);
    key_set(&s);
    assert!(store
        .keys()
        .unwrap()
        .signing_keys()
        .unwrap()
        .iter()
        .all(|k| k.kid != old_kid));
    assert!(key_set(&s).get(&new_kid).is_some());
}

#[test]
fn the_key_set_endpoint_is_cacheable_for_less_than_the_lead() {
    let (_dir, _, _, s) = host();
    let r = s.key_set_endpoint(&GET);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/jwk-set+json"));
    let age: u64 = r
        .header("Cache-Control")
        .unwrap()
        .trim_start_matches("public, max-age=")
        .parse()
        .unwrap();
    assert!(age > 0 && age < 14 * DAY, "{age}");
    let set = KeySet::from_json(&r.body).unwrap();
    assert_eq!(set.keys().len(), 1);
    assert!(!r.body.contains("\"d\""), "public keys only");
    let post = HttpRequest {
        method: "POST",
        ..GET
    };
    assert_eq!(s.key_set_endpoint(&post).status, 405);
    let plain = Server::from_config(docs::base()).unwrap();
    assert_eq!(plain.key_set_endpoint(&GET).status, 404);
    assert_eq!(plain.key_set().unwrap(), None);
}

#[test]
fn a_resource_server_refuses_every_jwt_it_should() {
    let (dir, clock, _, s) = host();
    let t = s
        .password_grant(&app(), "alice", "alice-pw", None)
        .unwrap()
        .access_token
        .clone();
    let keys = key_set(&s);
    let refused = |g: &ResourceGuard, token: &str, keys: &KeySet| {
        g.check_jwt(token, keys, "GET /docs/1", None)
            .unwrap_err()
            .code()
    };
    let g = guard(&clock);
    // Another issuer's or another audience's resource server.
    for (issuer, audience) in [
        ("https://other.example", "https://api.example"),
        ("https://as.example", "https://other-api"),
    ] {
        let mut c = docs::base().rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
        c.issuer = Some(issuer.into());
        c.audience = Some(audience.into());
        let other = ResourceGuard::with_clock(&c, Arc::new(clock.clone())).unwrap();
        assert_eq!(
            refused(&other, &t, &keys),
            ErrorCode::InvalidToken,
            "{issuer} {audience}"
        );
    }
    // Another server's keys (another KEK, another store).
    let other = server(
        config(&kek_file(&dir, "kek2", "cd")),
        &(Arc::new(MemoryStore::new()) as Arc<dyn Store>),
        &clock,
    );
    assert_eq!(refused(&g, &t, &key_set(&other)), ErrorCode::InvalidToken);
    // Tampered, truncated, huge, an opaque token: invalid_token, no panic.
    let mut tampered = t.clone().into_bytes();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    for bad in [
        String::from_utf8(tampered).unwrap(),
        t[..t.len() - 3].to_string(),
        "a.".repeat(MAX_JWS_BYTES),
        "x".repeat(43),
    ] {
        assert_eq!(refused(&g, &bad, &keys), ErrorCode::InvalidToken);
    }
    // Not yet valid, beyond the leeway (a clock far behind).
    clock.set(T0 - 3600);
    assert_eq!(refused(&g, &t, &keys), ErrorCode::InvalidToken);
}

#[test]
fn jwt_configuration_errors_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let kek = kek_file(&dir, "kek", "ab");
    let mut no_issuer = config(&kek);
    no_issuer.issuer = None;
    assert_eq!(Server::from_config(no_issuer).unwrap_err().path(), "issuer");
    let mut no_signing = config(&kek);
    no_signing.signing = None;
    assert_eq!(
        Server::from_config(no_signing).unwrap_err().path(),
        "signing"
    );
    let mut no_audience = config(&kek);
    no_audience.clients[0].audience.clear();
    assert_eq!(
        Server::from_config(no_audience).unwrap_err().path(),
        "clients[0].audience"
    );
    let mut format = config(&kek);
    format.clients[0].access_token_format = Some("paseto".into());
    assert_eq!(
        Server::from_config(format).unwrap_err().path(),
        "clients[0].access_token_format"
    );
    let mut bad_kek = config(&kek_file(&dir, "short", "a"));
    let e = Server::from_config(bad_kek.clone()).unwrap_err();
    assert_eq!(e.path(), "signing.key_encryption_key_file");
    assert!(
        !e.to_string().contains(&"a".repeat(32)),
        "the key never in an error"
    );
    bad_kek.signing.as_mut().unwrap().key_encryption_key_file =
        Some(dir.path().join("missing").display().to_string());
    assert_eq!(
        Server::from_config(bad_kek).unwrap_err().path(),
        "signing.key_encryption_key_file"
    );
    let mut lead = config(&kek);
    lead.signing.as_mut().unwrap().announce_days = 30;
    assert_eq!(
        Server::from_config(lead).unwrap_err().path(),
        "signing.announce_days"
    );
    let mut alg = config(&kek);
    alg.signing.as_mut().unwrap().algorithm = "HS256".into();
    assert_eq!(
        Server::from_config(alg).unwrap_err().path(),
        "signing.algorithm"
    );
    // A host given another key-encryption key than the store's keys were
    // sealed with refuses to start (it could sign with nothing).
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let first = server(config(&kek), &store, &clock);
    first
        .password_grant(&app(), "alice", "alice-pw", None)
        .unwrap();
    let e = Server::builder(config(&kek_file(&dir, "other", "cd")))
        .store(Arc::clone(&store))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap_err();
    assert_eq!(e.path(), "signing");
    // A store that keeps no keys: said plainly.
    let mut down = config(&kek);
    down.store = StoreConfig::Unavailable;
    assert_eq!(Server::from_config(down).unwrap_err().path(), "store");
}

/// Two processes on one SQLite file share the keys: a token either signs
/// verifies with the other's key set, and a restart keeps the keys.
#[test]
#[cfg_attr(
    not(feature = "sqlite"),
    ignore = "needs the sqlite feature (cargo test at the workspace root has it)"
)]
fn hosts_on_one_sqlite_file_share_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let kek = kek_file(&dir, "kek", "ab");
    let mut c = config(&kek);
    c.store = StoreConfig::Sqlite {
        path: dir.path().join("ropc.db").display().to_string(),
        pool_size: None,
        busy_timeout_ms: None,
        durable: None,
    };
    let clock = ManualClock::new(T0);
    let build = || {
        Server::builder(c.clone())
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap()
    };
    let (a, b) = (build(), build());
    let g = guard(&clock);
    let ta = a.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    let tb = b.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    assert_eq!(key_set(&a), key_set(&b), "one key, made once");
    assert_eq!(key_set(&a).keys().len(), 1);
    for set in [key_set(&a), key_set(&b)] {
        g.check_jwt(&ta.access_token, &set, "GET /docs/1", None)
            .unwrap();
        g.check_jwt(&tb.access_token, &set, "GET /docs/1", None)
            .unwrap();
    }
    assert!(b.check(&ta.access_token, "GET /docs/1", None).is_ok());
    drop((a, b));
    let again = build();
    g.check_jwt(&ta.access_token, &key_set(&again), "GET /docs/1", None)
        .unwrap();
}

/// RFC 8414: the metadata names the issuer, every endpoint under it, the
/// key set when tokens are signed, the grants, scopes and client
/// authentication methods configured; none without an issuer.
#[test]
fn the_metadata_describes_the_server() {
    let (_dir, _, _, s) = host();
    let r = s.metadata_endpoint(&GET);
    assert_eq!(r.status, 200);
    let m: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(m["issuer"], "https://as.example");
    assert_eq!(m["token_endpoint"], "https://as.example/token");
    assert_eq!(m["introspection_endpoint"], "https://as.example/introspect");
    assert_eq!(m["revocation_endpoint"], "https://as.example/revoke");
    assert_eq!(m["jwks_uri"], "https://as.example/jwks.json");
    assert_eq!(
        m["grant_types_supported"],
        serde_json::json!(["password", "refresh_token"])
    );
    assert_eq!(m["scopes_supported"], serde_json::json!(["read", "write"]));
    assert_eq!(m["response_types_supported"], serde_json::json!([]));
    assert_eq!(
        m["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(
        s.metadata_endpoint(&HttpRequest {
            method: "POST",
            ..GET
        })
        .status,
        405
    );
    assert_eq!(METADATA_PATH, "/.well-known/oauth-authorization-server");
    // No signing: no jwks_uri. No issuer: no metadata.
    let mut opaque = docs::base().client(docs::app());
    opaque.issuer = Some("https://as.example/".into());
    let plain = Server::from_config(opaque.clone()).unwrap();
    let m: serde_json::Value = serde_json::from_str(&plain.metadata().unwrap()).unwrap();
    assert!(m.get("jwks_uri").is_none());
    assert_eq!(
        m["token_endpoint"], "https://as.example/token",
        "no double slash"
    );
    opaque.issuer = None;
    let none = Server::from_config(opaque).unwrap();
    assert_eq!(none.metadata(), None);
    assert_eq!(none.metadata_endpoint(&GET).status, 404);
}

#[test]
fn a_jwt_lives_minutes_unless_its_client_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&kek_file(&dir, "kek", "ab"));
    c.clients[0].access_token_ttl = None;
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let s = server(c, &store, &clock);
    let jwt = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
    assert_eq!(jwt.expires_in, DEFAULT_JWT_ACCESS_TTL);
    let opaque = s
        .password_grant(
            &ClientCredentials::new("opaque", "app-secret"),
            "alice",
            "alice-pw",
            None,
        )
        .unwrap();
    assert_eq!(opaque.expires_in, DEFAULT_ACCESS_TTL);
}

/// A resource server's key-set cache (the policy every binding's JWT
/// checker follows) over two rotations: it fetches when its copy is stale
/// or names no key a token names, never more than once per cooldown, and
/// every token verifies.
#[test]
fn a_resource_server_s_key_set_cache_follows_the_rotations() {
    use ropc_core::key_cache::{KeyPlan, KeySetCache};
    let (_dir, clock, _, s) = host();
    let g = guard(&clock);
    let cache = KeySetCache::new(7.0 * DAY as f64, 30.0).unwrap();
    let fetch = |now: u64| {
        let r = s.key_set_endpoint(&GET);
        let cc = r
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("cache-control"))
            .map(|(_, v)| v.clone());
        cache
            .fetched(r.status, r.body.as_bytes(), cc.as_deref(), now as f64)
            .unwrap();
    };
    let mut kids = Vec::new();
    for hour in 0..(75 * 24u64) {
        let now = T0 + hour * 3600;
        clock.set(now);
        let t = s.password_grant(&app(), "alice", "alice-pw", None).unwrap();
        let keys = match cache.plan(&t.access_token, now as f64, true) {
            KeyPlan::Use(keys) => keys,
            KeyPlan::Fetch => {
                fetch(now);
                match cache.plan(&t.access_token, now as f64, false) {
                    KeyPlan::Use(keys) => keys,
                    other => panic!("hour {hour}: {other:?}"),
                }
            }
            other => panic!("hour {hour}: {other:?}"),
        };
        let p = g.check_jwt(&t.access_token, &keys, "GET /docs/1", None);
        assert!(p.is_ok(), "hour {hour}: {p:?}");
        let kid = jws::kid_of(&t.access_token).unwrap();
        if kids.last() != Some(&kid) {
            kids.push(kid);
        }
    }
    assert_eq!(kids.len(), 3, "two rotations");
    // The server's max-age (a quarter of the lead, at most an hour) bounds
    // the copy's age: one fetch an hour, no more.
    assert_eq!(cache.fetches(), 75 * 24);
}

/// A PEM file (PKCS#8) holding a fresh key of `alg`.
fn pem_file(dir: &tempfile::TempDir, name: &str, alg: jws::Algorithm) -> String {
    let der = jws::generate_pkcs8(alg).unwrap();
    let pem = pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der).unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, pem).unwrap();
    path.display().to_string()
}

/// The operator's own keys: the first file signs, every file is published,
/// kids are thumbprints (two hosts reading the files agree), nothing goes
/// to the store, and a rotation is the operator's edit of the list.
#[test]
fn operators_may_bring_their_own_pem_keys() {
    let dir = tempfile::tempdir().unwrap();
    let current = pem_file(&dir, "current.pem", jws::Algorithm::EdDsa);
    let next = pem_file(&dir, "next.pem", jws::Algorithm::Es256);
    let files = |paths: &[&str]| {
        let mut c = config("unused");
        c.signing = Some(SigningConfig::with_key_files(paths));
        c
    };
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let hosts = [
        server(files(&[&current, &next]), &store, &clock),
        server(files(&[&current, &next]), &store, &clock),
    ];
    let set = key_set(&hosts[0]);
    assert_eq!(set, key_set(&hosts[1]), "both hosts publish the same keys");
    assert_eq!(
        set.keys().len(),
        2,
        "the next key is published before it signs"
    );
    let t = hosts[1]
        .password_grant(&app(), "alice", "alice-pw", None)
        .unwrap();
    let v = jws::verify(&t.access_token, &set, &[jws::Algorithm::EdDsa], "at+jwt").unwrap();
    assert_eq!(v.kid, set.keys()[0].kid(), "the first file signs");
    assert_eq!(v.kid, set.keys()[0].thumbprint());
    guard(&clock)
        .check_jwt(&t.access_token, &set, "GET /docs/1", None)
        .unwrap();
    hosts[0]
        .check(&t.access_token, "GET /docs/1", None)
        .unwrap();
    assert!(
        store.keys().unwrap().signing_keys().unwrap().is_empty(),
        "nothing stored"
    );
    // The operator's rotation: the next key first, the old one kept for its tokens.
    let rotated = server(files(&[&next, &current]), &store, &clock);
    let t2 = rotated
        .password_grant(&app(), "alice", "alice-pw", None)
        .unwrap();
    assert_eq!(
        jws::kid_of(&t2.access_token).as_deref(),
        Some(set.keys()[1].kid())
    );
    assert_eq!(key_set(&rotated).keys().len(), 2);
    for t in [&t.access_token, &t2.access_token] {
        guard(&clock)
            .check_jwt(t, &set, "GET /docs/1", None)
            .unwrap();
    }
    // The key set's cache lifetime is the files' (a fixed five minutes).
    let r = rotated.key_set_endpoint(&GET);
    assert!(
        r.headers
            .iter()
            .any(|(n, v)| *n == "Cache-Control" && v.contains("max-age=300")),
        "{:?}",
        r.headers
    );

    // Errors name the field and the file, never the key.
    let err = |c: Config| {
        Server::builder(c)
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap_err()
    };
    let mut both = files(&[&current]);
    both.signing.as_mut().unwrap().key_encryption_key_file = Some(kek_file(&dir, "kek", "ab"));
    assert_eq!(err(both).path(), "signing.key_files");
    let e = err(files(&[&current, "/nonexistent.pem"]));
    assert_eq!(e.path(), "signing.key_files[1]");
    assert!(e.message().contains("/nonexistent.pem"), "{e}");
    let sec1 = dir.path().join("sec1.pem");
    let text = std::fs::read_to_string(&current)
        .unwrap()
        .replace("PRIVATE KEY", "EC PRIVATE KEY");
    std::fs::write(&sec1, &text).unwrap();
    let e = err(files(&[sec1.to_str().unwrap()]));
    assert!(e.message().contains("openssl pkcs8"), "{e}");
    assert!(
        !e.message().contains(text.lines().nth(1).unwrap()),
        "no key in the error"
    );
    let e = err(files(&[&current, &current]));
    assert!(e.message().contains("listed already"), "{e}");
}

/// RFC 8707: a token request's `resource`s choose the JWT's `aud` among the
/// client's audience; anything else is `invalid_target`.
#[test]
fn resource_parameters_choose_the_audience() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&kek_file(&dir, "kek", "ab"));
    c.clients[0].audience = vec!["https://api.example".into(), "https://other.example".into()];
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let s = server(c, &store, &clock);
    let keys = key_set(&s);
    let post = |client: &str, body: &str| {
        let auth = ClientCredentials::new(client, "app-secret").basic_authorization();
        let r = s.token_endpoint(&HttpRequest {
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            authorization: Some(&auth),
            body: body.as_bytes(),
            dpop: None,
        });
        (
            r.status,
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap(),
        )
    };
    let aud = |body: &serde_json::Value| {
        let t = body["access_token"].as_str().unwrap();
        jws::verify(t, &keys, &[jws::Algorithm::EdDsa], "at+jwt")
            .unwrap()
            .claims["aud"]
            .clone()
    };
    let grant = "grant_type=password&username=alice&password=alice-pw";
    let (status, all) = post("app", grant);
    assert_eq!(status, 200);
    assert_eq!(
        aud(&all),
        serde_json::json!(["https://api.example", "https://other.example"])
    );
    let (_, one) = post(
        "app",
        &format!("{grant}&resource=https%3A%2F%2Fapi.example"),
    );
    assert_eq!(aud(&one), "https://api.example");
    let (_, two) = post(
        "app",
        &format!("{grant}&resource=https%3A%2F%2Fother.example&resource=https%3A%2F%2Fapi.example&resource=https%3A%2F%2Fother.example"),
    );
    assert_eq!(
        aud(&two),
        serde_json::json!(["https://other.example", "https://api.example"])
    );
    // A refresh asks again (within the client's audience).
    let rt = one["refresh_token"].as_str().unwrap();
    let (status, refreshed) = post(
        "app",
        &format!(
            "grant_type=refresh_token&refresh_token={rt}&resource=https%3A%2F%2Fother.example"
        ),
    );
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(aud(&refreshed), "https://other.example");
    for (client, resource, why) in [
        (
            "app",
            "https%3A%2F%2Fevil.example",
            "not one this client may ask for",
        ),
        ("app", "%2Frelative", "absolute URI"),
        ("app", "https%3A%2F%2Fapi.example%23top", "absolute URI"),
        ("app", "1https%3A%2F%2Fapi.example", "absolute URI"),
        (
            "opaque",
            "https%3A%2F%2Fapi.example",
            "not one this client may ask for",
        ),
    ] {
        let (status, body) = post(client, &format!("{grant}&resource={resource}"));
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_target")),
            "{resource}"
        );
        assert!(
            body["error_description"].as_str().unwrap().contains(why),
            "{body}"
        );
    }
    let (status, body) = post("app", &format!("{grant}&scope=read&scope=read"));
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "only resource repeats"
    );
}
