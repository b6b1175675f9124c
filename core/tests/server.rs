//! Behaviour the wire vectors cannot show: time, threads, account events,
//! configuration errors, and secrets kept out of every output.

#[path = "support/btree_store.rs"]
mod btree_store;

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::rotation::MAX_REFRESH_RETRIES;
use ropc_core::store::{GrantId, StoreStats, TokenRecord, TokenView, UnavailableStore};
use ropc_core::*;
use std::sync::{Arc, Barrier};

const T0: u64 = 1_700_000_000;

struct Fixture {
    server: Arc<Server>,
    clock: ManualClock,
    app: ClientCredentials,
}

fn config() -> Config {
    let mut c = docs::base()
        .client(
            docs::app()
                .default_scopes(&["read"])
                .ttls(Some(60), Some(600)),
        )
        .client(
            ClientConfig::confidential("other", &hash_client_secret("other-secret"))
                .grant_types(&["password", "refresh_token"])
                .scopes(&["read"]),
        )
        .user(
            UserConfig::new("alice", &hash_password("alice-pw", CHEAP).unwrap()).groups(&["staff"]),
        )
        .rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
    c.throttle = ThrottleConfig {
        max_failures: 3,
        lockout_seconds: 100,
        forget_after_seconds: 1000,
    };
    c
}

fn fixture_with(config: Config) -> Fixture {
    let clock = ManualClock::new(T0);
    let server = Server::builder(config)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    Fixture {
        server: Arc::new(server),
        clock,
        app: ClientCredentials::new("app", "app-secret"),
    }
}

fn fixture() -> Fixture {
    fixture_with(config())
}

fn login(f: &Fixture) -> TokenResponse {
    f.server
        .password_grant(&f.app, "alice", "alice-pw", Some("read write"))
        .unwrap()
}

#[test]
fn access_token_expires_exactly_at_its_lifetime() {
    let f = fixture();
    let t = login(&f);
    assert_eq!(t.expires_in, 60);
    f.clock.advance(59);
    assert!(f.server.check(&t.access_token, "GET /docs/a", None).is_ok());
    f.clock.advance(1);
    let e = f
        .server
        .check(&t.access_token, "GET /docs/a", None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidToken);
    let info = f.server.introspect(&f.app, &t.access_token, None).unwrap();
    assert_eq!(info, Introspection::default());
}

#[test]
fn refresh_token_expires_exactly_and_rotation_restarts_its_lifetime() {
    let f = fixture();
    let t = login(&f);
    f.clock.advance(599);
    let t2 = f
        .server
        .refresh_grant(&f.app, t.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    f.clock.advance(599);
    let t3 = f
        .server
        .refresh_grant(&f.app, t2.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    f.clock.advance(600);
    let e = f
        .server
        .refresh_grant(&f.app, t3.refresh_token.as_deref().unwrap(), None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidGrant);
}

#[test]
fn introspection_times_are_the_clock_s() {
    let f = fixture();
    let t = login(&f);
    let info = f.server.introspect(&f.app, &t.access_token, None).unwrap();
    assert_eq!((info.iat, info.exp), (Some(T0), Some(T0 + 60)));
}

#[test]
fn of_many_concurrent_refreshes_exactly_one_wins() {
    for _round in 0..5 {
        let f = fixture();
        let rt = login(&f).refresh_token.clone().unwrap();
        let n = 16;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (server, barrier, rt, app) = (
                    Arc::clone(&f.server),
                    Arc::clone(&barrier),
                    rt.clone(),
                    f.app.clone(),
                );
                std::thread::spawn(move || {
                    barrier.wait();
                    server.refresh_grant(&app, &rt, None)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "exactly one refresh must succeed");
        for r in results.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(r.code(), ErrorCode::InvalidGrant);
        }
    }
}

#[test]
fn many_threads_issue_check_and_refresh_at_once() {
    let f = fixture();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (server, app) = (Arc::clone(&f.server), f.app.clone());
            std::thread::spawn(move || {
                for _ in 0..20 {
                    // More sign-ins at once than max_failures (3): the extra
                    // ones are told to retry (503), never refused as a lockout.
                    let t = loop {
                        match server.password_grant(&app, "alice", "alice-pw", None) {
                            Ok(t) => break t,
                            Err(e) if e.code() == ErrorCode::TemporarilyUnavailable => {
                                std::thread::yield_now()
                            }
                            Err(e) => panic!("a correct password was refused: {e}"),
                        }
                    };
                    server
                        .check(&t.access_token, "GET /docs/x", Some("read"))
                        .unwrap();
                    let t2 = server
                        .refresh_grant(&app, t.refresh_token.as_deref().unwrap(), None)
                        .unwrap();
                    server.check(&t2.access_token, "GET /docs/x", None).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(f.server.stats().unwrap().access_tokens, 8 * 20 * 2);
}

#[test]
fn throttle_locks_then_allows_one_try_after_the_lockout() {
    let f = fixture();
    let attempt = |password: &str| {
        let before = argon2_verifications_on_this_thread();
        let answer = f
            .server
            .password_grant(&f.app, "alice", password, None)
            .map(|_| ())
            .map_err(|e| e.to_string());
        (answer, argon2_verifications_on_this_thread() - before)
    };
    let wrong = (
        Err("invalid_grant: the username or password is wrong".to_string()),
        1,
    );
    for _ in 0..3 {
        assert_eq!(attempt("nope"), wrong);
    }
    // Locked: the right password gets the wrong password's answer, after the
    // same work (one verification).
    assert_eq!(
        attempt("alice-pw"),
        wrong,
        "a lockout answers like a wrong password"
    );
    f.clock.advance(99);
    assert_eq!(attempt("alice-pw"), wrong, "still locked");
    f.clock.advance(1);
    // After the lockout one wrong try locks again at once...
    assert_eq!(attempt("nope"), wrong);
    assert_eq!(attempt("alice-pw"), wrong, "locked again");
    // ...and a right one resets the count.
    f.clock.advance(100);
    assert_eq!(attempt("alice-pw"), (Ok(()), 1));
    assert_eq!(attempt("nope"), wrong);
    assert_eq!(attempt("alice-pw"), (Ok(()), 1));
}

#[test]
fn a_client_not_allowed_the_grant_never_causes_a_password_check() {
    let mut c = config();
    c.clients
        .push(ClientConfig::confidential("no-grant", &hash_client_secret("s")).scopes(&["read"]));
    let f = fixture_with(c);
    let no_grant = ClientCredentials::new("no-grant", "s");
    for _ in 0..10 {
        let e = f
            .server
            .password_grant(&no_grant, "alice", "wrong", None)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::UnauthorizedClient);
    }
    // Ten wrong passwords would have locked alice (max_failures is 3) had
    // any of them been checked.
    assert!(f
        .server
        .password_grant(&f.app, "alice", "alice-pw", None)
        .is_ok());
    assert_eq!(f.server.stats().unwrap().throttled_accounts, 0);
}

#[test]
fn old_failures_are_forgotten() {
    let f = fixture();
    for _ in 0..2 {
        let _ = f.server.password_grant(&f.app, "alice", "nope", None);
    }
    f.clock.advance(1001);
    let _ = f.server.password_grant(&f.app, "alice", "nope", None);
    // Only one recent failure counts, so the right password works.
    assert!(f
        .server
        .password_grant(&f.app, "alice", "alice-pw", None)
        .is_ok());
}

#[test]
fn default_throttle_is_nist_s_100() {
    assert_eq!(ThrottleConfig::default().max_failures, 100);
    assert_eq!(Config::default().password_hashing, HashParams::OWASP);
    assert_eq!(
        HashParams::OWASP,
        HashParams {
            m_cost: 19456,
            t_cost: 2,
            p_cost: 1
        }
    );
}

#[test]
fn password_change_and_disabling_end_tokens() {
    let f = fixture();
    let t = login(&f);
    f.server
        .set_user_password_hash("alice", &hash_password("new-pw", CHEAP).unwrap())
        .unwrap();
    assert_eq!(
        f.server
            .check(&t.access_token, "GET /docs/a", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert_eq!(
        f.server
            .refresh_grant(&f.app, t.refresh_token.as_deref().unwrap(), None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
    assert!(f
        .server
        .password_grant(&f.app, "alice", "alice-pw", None)
        .is_err());
    let t = f
        .server
        .password_grant(&f.app, "alice", "new-pw", None)
        .unwrap();
    f.server.set_user_enabled("alice", false).unwrap();
    assert!(f
        .server
        .check(&t.access_token, "GET /docs/a", None)
        .is_err());
    assert!(f
        .server
        .password_grant(&f.app, "alice", "new-pw", None)
        .is_err());
    f.server.set_user_enabled("alice", true).unwrap();
    assert!(
        f.server
            .check(&t.access_token, "GET /docs/a", None)
            .is_err(),
        "re-enabling does not revive old tokens"
    );
    let t = f
        .server
        .password_grant(&f.app, "alice", "new-pw", None)
        .unwrap();
    assert!(f.server.revoke_user_tokens("alice").unwrap());
    assert!(f
        .server
        .check(&t.access_token, "GET /docs/a", None)
        .is_err());
    assert!(!f.server.revoke_user_tokens("nobody").unwrap());
    assert!(f
        .server
        .set_user_password_hash("alice", "not a hash")
        .is_err());
}

#[test]
fn hashes_on_old_parameters_are_upgraded_on_login() {
    let mut c = config();
    c.users[0].password_hash = hash_password(
        "alice-pw",
        HashParams {
            m_cost: 32,
            t_cost: 1,
            p_cost: 1,
        },
    )
    .unwrap();
    let f = fixture_with(c);
    let before = f.server.config().users[0].password_hash.clone();
    assert!(before.contains("m=32"));
    login(&f);
    let after = f.server.config().users[0].password_hash.clone();
    assert!(after.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{after}");
    // The upgraded hash still verifies, and existing tokens stay valid.
    let t = login(&f);
    assert!(f.server.check(&t.access_token, "GET /docs/a", None).is_ok());
    // A failed login leaves the hash alone.
    let _ = f.server.password_grant(&f.app, "alice", "wrong", None);
    assert_eq!(f.server.config().users[0].password_hash, after);
}

#[test]
fn password_length_is_capped_before_hashing() {
    let f = fixture();
    let long = "x".repeat(MAX_PASSWORD_BYTES + 1);
    let e = f
        .server
        .password_grant(&f.app, "alice", &long, None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidRequest);
    assert_eq!(
        f.server.hash_password(&long).unwrap_err(),
        HashError::TooLong
    );
}

#[test]
fn unknown_user_wrong_password_and_disabled_user_do_the_same_work() {
    // Equal timing shown by what runs, not by a clock: every failing path
    // and the succeeding one run exactly one argon2 verification.
    let mut c = config();
    c.users
        .push(UserConfig::new("dora", &hash_password("dora-pw", CHEAP).unwrap()).enabled(false));
    let f = fixture_with(c);
    let work = |user: &str, password: &str| {
        let before = argon2_verifications_on_this_thread();
        let outcome = f
            .server
            .password_grant(&f.app, user, password, None)
            .map(|_| ());
        (
            argon2_verifications_on_this_thread() - before,
            outcome.map_err(|e| e.to_string()),
        )
    };
    let wrong = work("alice", "wrong");
    assert_eq!(wrong.0, 1, "a wrong password: one verification");
    assert_eq!(
        work("nobody", "wrong"),
        wrong,
        "an unknown user: the same work and the same answer"
    );
    assert_eq!(
        work("dora", "dora-pw"),
        wrong,
        "a disabled user: the same work and the same answer"
    );
    assert_eq!(
        work("alice", "alice-pw"),
        (1, Ok(())),
        "a success: one verification too"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let f = fixture();
    let t = login(&f);
    let dump = format!(
        "{t:?} {:?} {:?} {:?}",
        f.app,
        f.server,
        f.server.check(&t.access_token, "GET /docs/a", None)
    );
    assert!(!dump.contains(&t.access_token));
    assert!(!dump.contains(t.refresh_token.as_deref().unwrap()));
    assert!(!dump.contains("app-secret"));
    assert!(!dump.contains("alice-pw"));
    let e = f
        .server
        .password_grant(&f.app, "alice", "hunter2", None)
        .unwrap_err();
    assert!(!format!("{e} {e:?}").contains("hunter2"));
}

#[test]
fn purge_drops_expired_tokens() {
    let f = fixture();
    let _ = login(&f);
    let _ = login(&f);
    assert_eq!(f.server.stats().unwrap().access_tokens, 2);
    f.clock.advance(60);
    assert_eq!(f.server.purge_expired().unwrap(), 2);
    assert_eq!(
        f.server.stats().unwrap(),
        StoreStats {
            access_tokens: 0,
            refresh_tokens: 2,
            throttled_accounts: 0
        }
    );
    f.clock.advance(600);
    f.server.purge_expired().unwrap();
    assert_eq!(f.server.stats().unwrap().refresh_tokens, 0);
}

#[test]
fn the_store_purges_as_it_goes() {
    let f = fixture();
    for _ in 0..50 {
        login(&f);
    }
    f.clock.advance(10_000);
    for _ in 0..400 {
        login(&f);
    }
    // Every shard was written to after the old tokens expired, so they are gone.
    assert!(
        f.server.stats().unwrap().access_tokens < 450,
        "{:?}",
        f.server.stats()
    );
}

#[test]
fn typed_api_errors() {
    let f = fixture();
    let bad = ClientCredentials::new("app", "nope");
    assert_eq!(
        f.server
            .password_grant(&bad, "alice", "alice-pw", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidClient
    );
    assert_eq!(
        f.server
            .password_grant(&ClientCredentials::public("app"), "alice", "alice-pw", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidClient
    );
    let t = login(&f);
    let other = ClientCredentials::new("other", "other-secret");
    assert_eq!(
        f.server
            .refresh_grant(&other, t.refresh_token.as_deref().unwrap(), None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
    // The foreign attempt did not consume the token.
    assert!(f
        .server
        .refresh_grant(&f.app, t.refresh_token.as_deref().unwrap(), None)
        .is_ok());
    // Another client's token: answered like an unknown one, and left alone.
    assert_eq!(f.server.revoke(&other, &t.access_token, None), Ok(()));
    assert!(f.server.check(&t.access_token, "GET /docs/a", None).is_ok());
    assert!(
        f.server.introspect(&other, &t.access_token, None).unwrap() == Introspection::default()
    );
    assert!(f
        .server
        .check(&t.access_token, "GET /docs/a", Some("bad scope"))
        .is_err());
    assert_eq!(ErrorCode::from_u32(3), Some(ErrorCode::InvalidGrant));
    assert_eq!(ErrorCode::from_u32(0), None);
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_u32(code as u32), Some(code));
    }
}

fn config_error(json: &str) -> ConfigError {
    Server::from_json(json).unwrap_err()
}

#[test]
fn bad_configuration_says_what_and_where() {
    let h = hash_client_secret("s");
    let cases: Vec<(String, &str, &str)> = vec![
        // Whole-document errors: an empty path, the position apart.
        ("{".into(), "", "EOF"),
        (r#"{"scopez": []}"#.into(), "", "unknown field `scopez`"),
        (r#"{"realm": 5}"#.into(), "realm", "expected a string"),
        (
            r#"{"clients": [{"id": "c", "grant_types": "password"}]}"#.into(),
            "clients[0].grant_types",
            "expected a list",
        ),
        (
            r#"{"scopes":[{"name":"a b"}]}"#.into(),
            "scopes[0].name",
            "not a scope token",
        ),
        (
            r#"{"scopes":[{"name":"a"},{"name":"a"}]}"#.into(),
            "scopes[1].name",
            "duplicate scope",
        ),
        (
            format!(r#"{{"clients":[{{"id":"c","secret_hash":"{h}","scopes":["nope"]}}]}}"#),
            "clients[0].scopes[0]",
            "unknown scope \"nope\"",
        ),
        (
            format!(
                r#"{{"clients":[{{"id":"c","secret_hash":"{h}"}},{{"id":"c","secret_hash":"{h}"}}]}}"#
            ),
            "clients[1].id",
            "duplicate client id",
        ),
        (
            r#"{"clients":[{"id":"c","secret_hash":"sha256:abc"}]}"#.into(),
            "clients[0].secret_hash",
            "64 hex",
        ),
        (
            r#"{"clients":[{"id":"c","secret_hash":"plain"}]}"#.into(),
            "clients[0].secret_hash",
            "sha256:",
        ),
        (
            r#"{"clients":[{"id":"c"}]}"#.into(),
            "clients[0].secret_hash",
            "needs a secret hash",
        ),
        (
            r#"{"clients":[{"id":"c","type":"public","grant_types":["password"]}]}"#.into(),
            "clients[0].grant_types",
            "public clients can never",
        ),
        (
            format!(
                r#"{{"clients":[{{"id":"c","secret_hash":"{h}","grant_types":["client_credentials"]}}]}}"#
            ),
            "clients[0].grant_types[0]",
            "unsupported grant type",
        ),
        (
            format!(
                r#"{{"clients":[{{"id":"c","secret_hash":"{h}","grant_types":["password"],"refresh_tokens":true}}]}}"#
            ),
            "clients[0].refresh_tokens",
            "refresh_token",
        ),
        (
            format!(
                r#"{{"scopes":[{{"name":"a"}},{{"name":"b"}}],"clients":[{{"id":"c","secret_hash":"{h}","scopes":["a"],"default_scopes":["b"]}}]}}"#
            ),
            "clients[0].default_scopes",
            "among",
        ),
        (
            r#"{"users":[{"username":"u","password_hash":"$argon2id$bad"}]}"#.into(),
            "users[0].password_hash",
            "PHC",
        ),
        (
            r#"{"users":[{"username":"","password_hash":"x"}]}"#.into(),
            "users[0].username",
            "1 to 256",
        ),
        (
            r#"{"rules":[{"resources":["x"]}]}"#.into(),
            "rules[0]",
            "at least one user or group",
        ),
        (
            r#"{"access_token_ttl":0}"#.into(),
            "access_token_ttl",
            "lifetime",
        ),
        (r#"{"realm":"a\"b"}"#.into(), "realm", "realm"),
        (
            r#"{"password_hashing":{"m_cost":1,"t_cost":1,"p_cost":1}}"#.into(),
            "password_hashing",
            "argon2",
        ),
        (
            r#"{"throttle":{"max_failures":0,"lockout_seconds":1,"forget_after_seconds":1}}"#
                .into(),
            "throttle",
            "positive",
        ),
        (
            r#"{"scopes":[{"name":"a","resources":[""]}]}"#.into(),
            "scopes[0].resources[0]",
            "empty",
        ),
    ];
    for (json, path, message) in cases {
        let e = config_error(&json);
        assert!(
            e.path().contains(path),
            "{json}: path {:?}, want {path:?}",
            e.path()
        );
        assert!(
            e.message().contains(message),
            "{json}: message {:?}, want {message:?}",
            e.message()
        );
        assert!(e.to_string().contains(path));
    }
    assert_eq!(config_error("{").position(), Some((1, 1)));
    assert_eq!(
        config_error(r#"{"scopez": []}"#).position().map(|p| p.0),
        Some(1)
    );
    assert_eq!(
        config_error(r#"{"access_token_ttl":0}"#).position(),
        None,
        "found after parsing"
    );
    assert!(Server::from_file("/nonexistent/ropc.json")
        .unwrap_err()
        .message()
        .contains("cannot read"));
}

#[test]
fn config_round_trips_through_json() {
    let c = config();
    let again = Config::from_json(&c.to_json()).unwrap();
    assert_eq!(c, again);
    assert!(Server::from_config(again).is_ok());
}

/// The configuration's clients with argon2 secrets (every client alike).
fn argon2_clients(mut c: Config) -> Config {
    for client in &mut c.clients {
        let secret = format!("{}-secret", client.id);
        client.secret_hash = Some(hash_password(&secret, CHEAP).unwrap());
    }
    c
}

#[test]
fn argon2_client_secrets_work_too() {
    let f = fixture_with(argon2_clients(config()));
    assert!(f
        .server
        .password_grant(&f.app, "alice", "alice-pw", None)
        .is_ok());
    let wrong = ClientCredentials::new("app", "other-secret");
    assert!(f
        .server
        .password_grant(&wrong, "alice", "alice-pw", None)
        .is_err());
}

/// Client ids cannot be told apart by time: an unknown id, a wrong secret
/// and a missing one each cost one verification of the same kind (counted,
/// not timed), because every client secret is of one kind; a configuration
/// that mixes kinds, or argon2 costs, is refused.
#[test]
fn an_unknown_client_id_costs_what_a_wrong_secret_does() {
    let introspect = |f: &Fixture, id: &str, secret: Option<&str>| {
        let creds = match secret {
            Some(s) => ClientCredentials::new(id, s),
            None => ClientCredentials::public(id),
        };
        let before = argon2_verifications_on_this_thread();
        let e = f.server.introspect(&creds, "x", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid_client: client authentication failed"
        );
        assert_eq!(e.code(), ErrorCode::InvalidClient);
        argon2_verifications_on_this_thread() - before
    };
    for (config, argon2) in [(config(), 0), (argon2_clients(config()), 1)] {
        let f = fixture_with(config);
        for (id, secret) in [
            ("nobody", Some("x")),
            ("app", Some("wrong")),
            ("other", None),
        ] {
            assert_eq!(introspect(&f, id, secret), argon2, "{id}");
        }
        for id in ["nobody", "app"] {
            assert_eq!(
                f.server.blocking(Call::AsClient(id)),
                if argon2 == 1 {
                    Blocking::Cpu
                } else {
                    Blocking::Inline
                },
                "{id}: an event loop must know what the call costs"
            );
        }
    }
    let mut mixed = config();
    mixed.clients[1].secret_hash = Some(hash_password("other-secret", CHEAP).unwrap());
    let e = Server::from_config(mixed).unwrap_err();
    assert_eq!(e.path(), "clients[1].secret_hash");
    assert!(e.to_string().contains("two kinds"), "{e}");
    let mut costs = argon2_clients(config());
    let dearer = HashParams {
        m_cost: 128,
        ..CHEAP
    };
    costs.clients[1].secret_hash = Some(hash_password("other-secret", dearer).unwrap());
    assert_eq!(
        Server::from_config(costs).unwrap_err().path(),
        "clients[1].secret_hash"
    );
}

#[test]
fn the_classification_tells_which_requests_run_argon2() {
    fn hashes(server: &Server, req: &HttpRequest<'_>) -> bool {
        server.blocking(Call::Request(req)) == Blocking::Cpu
    }
    let basic = |id: &str, secret: &str| {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    };
    let app = basic("app", "app-secret");
    let other = basic("other", "x");
    let sha256 = fixture_with(config());
    let argon2 = fixture_with(argon2_clients(config()));
    for f in [&sha256, &argon2] {
        assert!(
            hashes(
                &f.server,
                &HttpRequest::form_post(Some(&app), b"grant_type=password&username=a&password=b")
            ),
            "a password grant verifies a password"
        );
        assert!(!hashes(
            &f.server,
            &HttpRequest {
                method: "POST",
                content_type: Some("text/plain"),
                authorization: None,
                body: b"",
                dpop: None,
            }
        ));
    }
    // The client's secret decides the rest: never on SHA-256 secrets,
    // always on argon2 ones (an unknown id's dummy among them).
    for (f, hashed) in [(&sha256, false), (&argon2, true)] {
        assert_eq!(
            hashes(
                &f.server,
                &HttpRequest::form_post(Some(&app), b"grant_type=refresh_token&refresh_token=x")
            ),
            hashed
        );
        assert_eq!(
            hashes(
                &f.server,
                &HttpRequest::form_post(Some(&other), b"grant_type=refresh_token&refresh_token=x")
            ),
            hashed
        );
        for form in [
            &b"token=x&client_id=other&client_secret=x"[..],
            b"token=x&client_id=nobody&client_secret=x",
        ] {
            assert_eq!(
                hashes(&f.server, &HttpRequest::form_post(None, form)),
                hashed
            );
        }
        assert_eq!(
            f.server.blocking(Call::AsClient("other")) == Blocking::Cpu,
            hashed
        );
    }
}

#[test]
fn generated_client_secrets_are_256_bit_and_verify() {
    let (secret, hash) = generate_client_secret();
    assert_eq!(secret.len(), 43);
    assert_eq!(hash, hash_client_secret(&secret));
    assert_ne!(generate_client_secret().0, secret);
}

#[test]
fn the_guard_s_introspection_request_is_accepted_by_the_server() {
    let mut c = config();
    c.clients
        .push(ClientConfig::confidential("rs api", &hash_client_secret("p:s%&+")).introspect(true));
    let f = fixture_with(c.clone());
    let t = login(&f);
    let guard = ResourceGuard::with_clock(&c, Arc::new(f.clock.clone())).unwrap();
    let call =
        guard.introspection_request(&t.access_token, &ClientCredentials::new("rs api", "p:s%&+"));
    let resp = f.server.introspection_endpoint(&HttpRequest {
        method: "POST",
        content_type: Some(call.content_type),
        authorization: Some(&call.authorization),
        body: call.body.as_bytes(),
        dpop: None,
    });
    assert_eq!(resp.status, 200, "{}", resp.body);
    let who = guard
        .check_introspection(&resp.body, "GET /docs/a", Some("read"))
        .unwrap();
    assert_eq!(who.username, "alice");
    assert!(!format!("{call:?}").contains("p:s"), "no secret in Debug");
}

#[test]
fn guard_uses_its_clock() {
    let clock = ManualClock::new(T0);
    let guard = ResourceGuard::with_clock(&config(), Arc::new(clock.clone())).unwrap();
    let json = format!(
        r#"{{"active":true,"token_type":"Bearer","scope":"read","username":"alice","client_id":"app","exp":{},"groups":["staff"]}}"#,
        T0 + 10
    );
    assert!(guard
        .check_introspection(&json, "GET /docs/a", Some("read"))
        .is_ok());
    clock.advance(10);
    assert_eq!(
        guard
            .check_introspection(&json, "GET /docs/a", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert!(guard.bearer_token(Some("Bearer abc")).is_ok());
    assert_eq!(guard.bearer_token(None).unwrap_err().response.status, 401);
    assert_eq!(guard.bearer_token(None).unwrap_err().error, None);
}

#[test]
fn absurd_numbers_are_refused_at_load() {
    let mut c = config();
    c.password_hashing = HashParams {
        m_cost: u32::MAX,
        t_cost: 1,
        p_cost: 1,
    };
    assert_eq!(
        Server::from_config(c).unwrap_err().path(),
        "password_hashing"
    );
    let mut c = config();
    c.throttle.lockout_seconds = u64::MAX;
    c.throttle.forget_after_seconds = u64::MAX;
    assert_eq!(Server::from_config(c).unwrap_err().path(), "throttle");
    assert!(hash_password(
        "pw",
        HashParams {
            m_cost: 64,
            t_cost: 1_000_000,
            p_cost: 1
        }
    )
    .is_err());
}

/// Hashes of "correct horse" made by other implementations (bcryptjs,
/// Django's format, Werkzeug 3's scrypt, passlib's PBKDF2).
const LEGACY: [(&str, &str); 4] = [
    ("bcrypt", "$2b$04$JePKT4kBM3.D4htYF7jHoufVCTflajOeQAeHGGfbImlmvSDzVXQq6"),
    ("django", "pbkdf2_sha256$1000$djangosalt123$WrZ0z9pVNKU2hkBgWfZabSktS5se+Mf84aO/j4oNU6E="),
    ("werkzeug", "scrypt:1024:8:1$ZfUdmObqKNVeHuEv$726f955b0cb6ee302b53d3dbd22e1b2f8e67f2bca6b02df08f809c90b0e6d3a703e6da99894936511a5ef76382190010e156d901958b83d05566598012beb19d"),
    ("passlib", "$pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg$cBg8D2DungRB9k76szThf5ehfyBz991ay6PT8Srwk4M"),
];

#[test]
fn a_user_base_of_bcrypt_pbkdf2_and_scrypt_logs_in_and_moves_to_argon2id() {
    let mut c = config();
    for (name, hash) in LEGACY {
        c = c.user(UserConfig::new(name, hash).groups(&["staff"]));
    }
    let f = fixture_with(c);
    for (name, hash) in LEGACY {
        let before = f.server.config();
        let configured = before.users.iter().find(|u| u.username == name).unwrap();
        assert_eq!(configured.password_hash, hash, "unchanged until a login");
        // A wrong password neither logs in nor re-hashes.
        assert!(f
            .server
            .password_grant(&f.app, name, "correct horsf", None)
            .is_err());
        assert_eq!(
            f.server
                .config()
                .users
                .iter()
                .find(|u| u.username == name)
                .unwrap()
                .password_hash,
            hash
        );
        let t = f
            .server
            .password_grant(&f.app, name, "correct horse", None)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(f.server.check(&t.access_token, "GET /docs/a", None).is_ok());
        let after = f.server.config();
        let rehashed = &after
            .users
            .iter()
            .find(|u| u.username == name)
            .unwrap()
            .password_hash;
        assert!(
            rehashed.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{name}: {rehashed}"
        );
        // The new hash is the same password, and the tokens live on.
        assert!(f
            .server
            .password_grant(&f.app, name, "correct horse", None)
            .is_ok());
        assert!(f.server.check(&t.access_token, "GET /docs/a", None).is_ok());
    }
}

#[test]
fn a_legacy_hash_beyond_the_cost_limits_is_a_configuration_error_at_its_path() {
    let c = config().user(UserConfig::new(
        "bob",
        "$2b$20$JePKT4kBM3.D4htYF7jHoufVCTflajOeQAeHGGfbImlmvSDzVXQq6",
    ));
    let err = Server::from_config(c).unwrap_err();
    assert_eq!(err.path(), "users[1].password_hash");
    assert!(err.to_string().contains("bcrypt"), "{err}");
}

#[test]
fn argon2_parameters_below_owasp_s_minimums_are_refused_unless_allowed() {
    let mut c = config();
    c.allow_weak_password_hashing = false;
    let err = Server::from_config(c.clone()).unwrap_err();
    assert_eq!(err.path(), "password_hashing");
    assert!(err.to_string().contains("below OWASP's minimums"), "{err}");
    assert!(
        err.to_string().contains("allow_weak_password_hashing"),
        "{err}"
    );
    // The same check on a reload, and in a JSON document.
    let f = fixture();
    assert_eq!(
        f.server.reload(c.clone()).unwrap_err().path(),
        "password_hashing"
    );
    let json = config().to_json();
    assert!(json.contains("\"allow_weak_password_hashing\": true"));
    assert!(Server::from_json(&json).is_ok());
    assert_eq!(
        Server::from_json(&json.replace(
            "\"allow_weak_password_hashing\": true",
            "\"allow_weak_password_hashing\": false"
        ))
        .unwrap_err()
        .path(),
        "password_hashing"
    );
    // Each of OWASP's settings is strong; with a KiB less memory, none is.
    for (m, t) in HashParams::OWASP_MINIMUMS {
        let p = HashParams {
            m_cost: m,
            t_cost: t,
            p_cost: 1,
        };
        assert!(p.is_strong(), "{p:?}");
        let less = HashParams { m_cost: m - 1, ..p };
        assert!(!less.is_strong(), "{less:?}");
    }
    assert!(HashParams::OWASP.is_strong());
    assert!(!HashParams {
        m_cost: 19456,
        t_cost: 1,
        p_cost: 1
    }
    .is_strong());
    assert!(!HashParams {
        m_cost: 7167,
        t_cost: 100,
        p_cost: 1
    }
    .is_strong());
    assert!(
        Server::from_config(Config::default()).is_ok(),
        "the default is strong"
    );
}

#[test]
fn rules_naming_users_or_groups_nobody_has_are_refused() {
    let c = config().rule(RuleConfig::new(&["GET /docs/x"]).users(&["alcie"]));
    let err = Server::from_config(c).unwrap_err();
    assert_eq!(err.path(), "rules[1].users[0]");
    assert!(err.to_string().contains("\"alcie\""), "{err}");
    let c = config().rule(RuleConfig::new(&["GET /docs/x"]).groups(&["staf"]));
    let err = Server::from_config(c.clone()).unwrap_err();
    assert_eq!(err.path(), "rules[1].groups[0]");
    // A reload is checked the same way, and changes nothing when refused.
    let f = fixture();
    assert_eq!(f.server.reload(c).unwrap_err().path(), "rules[1].groups[0]");
    assert_eq!(f.server.config().rules, config().rules);
    // "*" is every user; a ResourceGuard knows no users and checks none.
    assert!(Server::from_config(config().rule(RuleConfig::new(&["GET /x"]).users(&["*"]))).is_ok());
    let rs_only = Config::default()
        .scope("read", &["GET /docs/*"])
        .rule(RuleConfig::new(&["GET /docs/*"]).groups(&["staff"]));
    assert!(ResourceGuard::new(&rs_only).is_ok());
}

#[test]
fn a_maximum_session_age_ends_a_grant_whatever_the_rotations() {
    let mut c = config();
    c.max_session_seconds = Some(100); // the server's default
    let f = fixture_with(c);
    let rs = ClientCredentials::new("app", "app-secret");
    let t = login(&f);
    assert_eq!(
        t.expires_in, 60,
        "within the maximum, the client's lifetime"
    );
    let seen = f.server.introspect(&rs, &t.access_token, None).unwrap();
    assert_eq!(
        (seen.auth_time, seen.session_exp),
        (Some(T0), Some(T0 + 100))
    );
    let mut rt = t.refresh_token.clone().unwrap();
    // Rotations every 45 s: each new pair is bounded by the sign-in + 100 s.
    for (at, expires_in) in [(45, 55), (90, 10)] {
        f.clock.set(T0 + at);
        let next = f.server.refresh_grant(&f.app, &rt, None).unwrap();
        assert_eq!(next.expires_in, expires_in, "at +{at}");
        let seen = f.server.introspect(&rs, &next.access_token, None).unwrap();
        assert_eq!(seen.exp, Some(T0 + at + expires_in));
        assert_eq!(
            seen.auth_time,
            Some(T0),
            "the sign-in time stays the grant's"
        );
        assert_eq!(seen.session_exp, Some(T0 + 100));
        rt = next.refresh_token.clone().unwrap();
    }
    f.clock.set(T0 + 100);
    assert_eq!(
        f.server
            .refresh_grant(&f.app, &rt, None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant,
        "no refresh at or past the maximum age"
    );
    // A client's own maximum overrides the server's; a new sign-in starts anew.
    let mut c = config();
    c.max_session_seconds = Some(100);
    c.clients[0].max_session_seconds = Some(30);
    let f = fixture_with(c);
    let t = login(&f);
    assert_eq!(t.expires_in, 30);
    f.clock.set(T0 + 30);
    assert!(f
        .server
        .refresh_grant(&f.app, t.refresh_token.as_deref().unwrap(), None)
        .is_err());
    assert_eq!(login(&f).expires_in, 30);
    // Without a maximum, introspection says nothing of one.
    let f = fixture();
    let t = login(&f);
    let seen = f.server.introspect(&rs, &t.access_token, None).unwrap();
    assert_eq!((seen.auth_time, seen.session_exp), (Some(T0), None));
    assert!(!seen.to_json().contains("session_exp"));
}

#[test]
fn a_refresh_retried_within_the_client_s_grace_window_keeps_the_lineage() {
    let mut c = config();
    c.clients[0].refresh_grace_seconds = Some(30);
    let f = fixture_with(c);
    let reuse = |f: &Fixture| sample(&f.server.metrics_text(), "ropc_refresh_reuse_total");
    let live = |f: &Fixture, t: &str| f.server.check(t, "GET /docs/1", None).is_ok();

    // A genuine retry: the response was lost, the client tries again.
    let t = login(&f);
    let rt = t.refresh_token.clone().unwrap();
    let lost = f.server.refresh_grant(&f.app, &rt, None).unwrap(); // never arrived
    f.clock.advance(10);
    let retry = f.server.refresh_grant(&f.app, &rt, None).unwrap();
    assert!(live(&f, &retry.access_token));
    assert!(
        !live(&f, &lost.access_token),
        "the abandoned branch's access token ends with the decision"
    );
    let on = f
        .server
        .refresh_grant(&f.app, retry.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    assert!(live(&f, &on.access_token), "the lineage goes on");
    assert_eq!(reuse(&f), 0.0);
    // Two rotations on, the first token within its window is reuse: its
    // successor was used.
    assert!(f.server.refresh_grant(&f.app, &rt, None).is_err());
    assert!(!live(&f, &on.access_token), "reuse revoked the lineage");
    assert_eq!(reuse(&f), 1.0);

    // A thief replays the rotated token first: the client's own successor,
    // retired by the thief's retry, revokes the lineage when the client
    // presents it, and the thief's tokens die with it.
    let t = login(&f);
    let rt = t.refresh_token.clone().unwrap();
    let client = f.server.refresh_grant(&f.app, &rt, None).unwrap();
    f.clock.advance(1);
    let thief = f.server.refresh_grant(&f.app, &rt, None).unwrap();
    assert_eq!(
        f.server
            .refresh_grant(&f.app, client.refresh_token.as_deref().unwrap(), None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
    assert_eq!(reuse(&f), 2.0, "the metric sees it");
    assert!(
        !live(&f, &thief.access_token),
        "the thief's access token ends"
    );
    assert!(f
        .server
        .refresh_grant(&f.app, thief.refresh_token.as_deref().unwrap(), None)
        .is_err());

    // Retries are bounded: a thief replaying again and again within the
    // window gets at most MAX_REFRESH_RETRIES pairs, then the lineage ends.
    let t = login(&f);
    let rt = t.refresh_token.clone().unwrap();
    f.server.refresh_grant(&f.app, &rt, None).unwrap();
    let mut last = None;
    for _ in 0..MAX_REFRESH_RETRIES {
        last = Some(f.server.refresh_grant(&f.app, &rt, None).unwrap());
    }
    assert!(f.server.refresh_grant(&f.app, &rt, None).is_err());
    assert!(!live(&f, &last.unwrap().access_token));
    assert_eq!(reuse(&f), 3.0);

    // Without a window (the default), a retry is reuse, as RFC 9700 §4.14.2 says.
    let f = fixture();
    let t = login(&f);
    let rt = t.refresh_token.clone().unwrap();
    let first = f.server.refresh_grant(&f.app, &rt, None).unwrap();
    assert!(f.server.refresh_grant(&f.app, &rt, None).is_err());
    assert!(f
        .server
        .check(&first.access_token, "GET /docs/1", None)
        .is_err());
}

#[test]
fn grace_windows_and_maximum_ages_out_of_range_are_refused() {
    let mut c = config();
    c.clients[0].refresh_grace_seconds = Some(MAX_REFRESH_GRACE_SECONDS + 1);
    assert_eq!(
        Server::from_config(c).unwrap_err().path(),
        "clients[0].refresh_grace_seconds"
    );
    let mut c = config();
    c.clients[0].refresh_grace_seconds = Some(MAX_REFRESH_GRACE_SECONDS);
    assert!(Server::from_config(c).is_ok());
    let mut c = config();
    c.max_session_seconds = Some(0);
    assert_eq!(
        Server::from_config(c).unwrap_err().path(),
        "max_session_seconds"
    );
    let mut c = config();
    c.clients[1].max_session_seconds = Some(0);
    assert_eq!(
        Server::from_config(c).unwrap_err().path(),
        "clients[1].max_session_seconds"
    );
    let json = {
        let mut c = config();
        c.max_session_seconds = Some(3600);
        c.clients[0].refresh_grace_seconds = Some(10);
        c.to_json()
    };
    assert!(
        json.contains("\"max_session_seconds\": 3600")
            && json.contains("\"refresh_grace_seconds\": 10")
    );
    assert!(Server::from_json(&json).is_ok());
}

/// The value of one sample in Prometheus text, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap())
}

#[test]
fn metrics_count_every_outcome_once_in_prometheus_text() {
    let mut c = config();
    c.clients[0].refresh_grace_seconds = Some(30);
    let f = fixture_with(c);
    let rs = ClientCredentials::new("app", "app-secret");
    let before = f.server.metrics_text();
    assert!(before.contains("# TYPE ropc_requests_total counter"));
    assert_eq!(
        sample(
            &before,
            "ropc_requests_total{operation=\"password\",outcome=\"ok\"}"
        ),
        0.0
    );
    let verified_before = sample(&before, "ropc_password_verification_seconds_count");

    // Typed calls and the HTTP endpoint alike, each counted once.
    let t = login(&f);
    let resp = f.server.token_endpoint(&HttpRequest::form_post(
        Some("Basic YXBwOmFwcC1zZWNyZXQ="),
        b"grant_type=password&username=alice&password=wrong",
    ));
    assert_eq!(resp.status, 400);
    f.server.token_endpoint(&HttpRequest::form_post(
        Some("Basic YXBwOmFwcC1zZWNyZXQ="),
        b"grant_type=magic",
    ));
    let rt = t.refresh_token.clone().unwrap();
    f.server.refresh_grant(&f.app, &rt, None).unwrap();
    f.clock.advance(1);
    f.server.refresh_grant(&f.app, &rt, None).unwrap(); // a retry within the window
    f.clock.advance(60);
    assert!(f.server.refresh_grant(&f.app, &rt, None).is_err()); // reuse
    f.server
        .introspect(&rs, "x".repeat(43).as_str(), None)
        .unwrap();
    f.server.revoke(&rs, "y".repeat(43).as_str(), None).unwrap();
    assert!(f.server.check_request(None, "GET /docs/1", None).is_err());
    assert!(f
        .server
        .check_request(Some("Bearer nope"), "GET /docs/1", None)
        .is_err());
    for _ in 0..3 {
        let _ = f.server.password_grant(&f.app, "mallory", "guess", None);
    }
    for _ in 0..3 {
        let _ = f.server.password_grant(&f.app, "mallory", "guess", None); // locked by now
    }

    let m = f.server.metrics_text();
    for (series, n) in [
        (
            "ropc_requests_total{operation=\"password\",outcome=\"ok\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"password\",outcome=\"invalid_grant\"}",
            7.0,
        ),
        (
            "ropc_requests_total{operation=\"token\",outcome=\"unsupported_grant_type\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"refresh\",outcome=\"ok\"}",
            2.0,
        ),
        (
            "ropc_requests_total{operation=\"refresh\",outcome=\"invalid_grant\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"introspect\",outcome=\"ok\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"revoke\",outcome=\"ok\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"check\",outcome=\"no_credentials\"}",
            1.0,
        ),
        (
            "ropc_requests_total{operation=\"check\",outcome=\"invalid_token\"}",
            1.0,
        ),
        ("ropc_lockouts_total", 1.0),        // one account locked once
        ("ropc_locked_refusals_total", 3.0), // and three tries refused
        ("ropc_refresh_retries_total", 1.0),
        ("ropc_refresh_reuse_total", 1.0),
        ("ropc_store_errors_total", 0.0),
        // The retry deleted the access token of the branch it abandoned.
        ("ropc_live_tokens{kind=\"access\"}", 2.0),
        ("ropc_live_tokens{kind=\"refresh\"}", 3.0),
        ("ropc_store_seconds_count", 0.0), // the memory store is not timed
    ] {
        assert_eq!(sample(&m, series), n, "{series} in\n{m}");
    }
    // Every sign-in verified one password on the pool (six here), whatever
    // else the process runs at the same time.
    assert!(sample(&m, "ropc_password_verification_seconds_count") >= verified_before + 6.0);
    assert!(m.contains("ropc_password_verification_seconds_bucket{le=\"+Inf\"}"));
    // The pool's queue is the process's (other tests run beside this one).
    assert!(m.lines().any(|l| l.starts_with("ropc_password_queue ")));
    assert!(
        !m.contains("alice") && !m.contains(&rt),
        "no name or token in metrics"
    );
}

#[test]
#[cfg_attr(
    not(feature = "sqlite"),
    ignore = "needs the sqlite feature (cargo test at the workspace root has it)"
)]
fn store_latency_and_failures_are_counted_for_database_stores() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config();
    c.store = StoreConfig::Sqlite {
        path: dir.path().join("ropc.db").display().to_string(),
        pool_size: None,
        busy_timeout_ms: None,
        durable: Some(false),
    };
    let server = Server::from_config(c).unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    server
        .password_grant(&app, "alice", "alice-pw", None)
        .unwrap();
    let m = server.metrics_text();
    // A sign-in: the throttle, its outcome, the grant (and the stats read).
    assert!(sample(&m, "ropc_store_seconds_count") >= 3.0, "{m}");
    assert_eq!(sample(&m, "ropc_live_tokens{kind=\"access\"}"), 1.0);

    let down = Server::builder(config())
        .store(Arc::new(UnavailableStore))
        .build()
        .unwrap();
    assert!(down
        .password_grant(&app, "alice", "alice-pw", None)
        .is_err());
    let m = down.metrics_text();
    assert!(sample(&m, "ropc_store_errors_total") >= 2.0, "{m}");
    assert!(
        !m.contains("ropc_live_tokens"),
        "no count when the store cannot say"
    );
    assert_eq!(
        sample(
            &m,
            "ropc_requests_total{operation=\"password\",outcome=\"temporarily_unavailable\"}"
        ),
        1.0
    );
}

/// Collects events as a host's sink would.
#[derive(Default)]
struct Collected(std::sync::Mutex<Vec<events::Event>>);

impl events::EventSink for Collected {
    fn event(&self, e: &events::Event) {
        self.0.lock().unwrap().push(e.clone());
    }
}

impl Collected {
    /// The events so far, once at least `n` arrived (they come on ropc's
    /// own thread; a generous bound, not a timing assertion).
    fn at_least(&self, n: usize) -> Vec<events::Event> {
        for _ in 0..2000 {
            let got = self.0.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("fewer than {n} events: {:?}", self.0.lock().unwrap());
    }
}

fn kinds(events: &[events::Event]) -> Vec<(events::EventKind, Option<String>)> {
    events.iter().map(|e| (e.kind, e.reason.clone())).collect()
}

#[test]
fn every_audit_event_reaches_the_sink_with_its_context_and_no_secret() {
    use events::EventKind::*;
    let sink = Arc::new(Collected::default());
    let mut c = config();
    c.clients[0].refresh_grace_seconds = Some(30);
    // Alice's hash was made with other parameters: her sign-in re-hashes it.
    c.password_hashing = HashParams {
        m_cost: 128,
        t_cost: 1,
        p_cost: 1,
    };
    let clock = ManualClock::new(T0);
    let server = Server::builder(c)
        .clock(Arc::new(clock.clone()))
        .events(sink.clone())
        .build()
        .unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    let t = events::with_request_context(Some("203.0.113.7"), Some("req-1"), || {
        server
            .password_grant(&app, "alice", "alice-pw", None)
            .unwrap()
    });
    let got = sink.at_least(2);
    assert_eq!(kinds(&got), [(PasswordRehashed, None), (TokenIssued, None)]);
    let issued = &got[1];
    assert_eq!(issued.client_id.as_deref(), Some("app"));
    assert_eq!(issued.username.as_deref(), Some("alice"));
    assert_eq!(issued.remote_addr.as_deref(), Some("203.0.113.7"));
    assert_eq!(issued.request_id.as_deref(), Some("req-1"));
    assert_eq!(issued.time, T0);
    assert_eq!(issued.grant_id.as_ref().map(String::len), Some(32));
    assert!(got[0]
        .password_hash
        .as_deref()
        .unwrap()
        .starts_with("$argon2id$v=19$m=128,t=1,p=1$"));
    assert_eq!(got[0].remote_addr.as_deref(), Some("203.0.113.7"));

    let _ = server.password_grant(&app, "alice", "bad-guess-7", None);
    let _ = server.password_grant(&app, "nobody", "x", None);
    let rt = t.refresh_token.clone().unwrap();
    server.refresh_grant(&app, &rt, None).unwrap();
    clock.advance(1);
    let retried = server.refresh_grant(&app, &rt, None).unwrap();
    server
        .introspect(&app, &retried.access_token, None)
        .unwrap();
    server.introspect(&app, &"x".repeat(43), None).unwrap();
    server.revoke(&app, &retried.access_token, None).unwrap();
    clock.advance(60);
    assert!(server.refresh_grant(&app, &rt, None).is_err());
    server.revoke_user_tokens("alice").unwrap();
    for _ in 0..3 {
        let _ = server.password_grant(&app, "alice", "bad-guess-7", None);
    }
    let _ = server.password_grant(&app, "alice", "alice-pw", None); // locked
    clock.advance(100);
    server
        .password_grant(&app, "alice", "alice-pw", None)
        .unwrap();
    let got = sink.at_least(18);
    assert_eq!(
        kinds(&got[2..]),
        [
            (LoginFailed, Some("wrong_password".into())),
            (LoginFailed, Some("unknown_user".into())),
            (TokenRefreshed, None),
            (RefreshRetried, None),
            (Introspected, Some("active".into())),
            (Introspected, Some("inactive".into())),
            (TokenRevoked, Some("access_token".into())),
            (RefreshReuse, None),
            (UserTokensRevoked, None),
            // With the first wrong password above, two more lock (3).
            (LoginFailed, Some("wrong_password".into())),
            (LoginFailed, Some("wrong_password".into())),
            (AccountLocked, None),
            (LoginFailed, Some("locked".into())),
            (LoginFailed, Some("locked".into())),
            (AccountUnlocked, None),
            (TokenIssued, None),
        ]
        .to_vec(),
        "{got:#?}"
    );
    // The rehash happened once: the hash is current now.
    assert_eq!(got.iter().filter(|e| e.kind == PasswordRehashed).count(), 1);
    assert!(
        got[2..].iter().all(|e| e.remote_addr.is_none()),
        "context only where given"
    );
    for e in &got {
        let json = e.to_json();
        for secret in [
            "alice-pw",
            "app-secret",
            "bad-guess-7",
            &rt,
            &t.access_token,
            &retried.access_token,
        ] {
            assert!(!json.contains(secret), "{json} holds a secret");
        }
    }

    // A store that fails: one store_error event per failed call.
    let sink = Arc::new(Collected::default());
    let down = Server::builder(config())
        .store(Arc::new(UnavailableStore))
        .events(sink.clone())
        .build()
        .unwrap();
    assert!(down
        .password_grant(&app, "alice", "alice-pw", None)
        .is_err());
    let got = sink.at_least(1);
    assert_eq!(got[0].kind, StoreError);
    assert!(got[0].reason.is_some());
}

/// A sink that wants warnings only (as Python's does when its logger
/// records no INFO).
#[derive(Default)]
struct WarningsOnly(Collected);

impl events::EventSink for WarningsOnly {
    fn event(&self, e: &events::Event) {
        self.0.event(e)
    }

    fn wants(&self, kind: events::EventKind) -> bool {
        kind.is_warning()
    }
}

#[test]
fn a_sink_gets_only_the_kinds_it_wants_and_the_rest_are_not_queued() {
    let sink = Arc::new(WarningsOnly::default());
    let server = Server::builder(config())
        .events_with_queue(sink.clone(), 4)
        .build()
        .unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    let mut first = server
        .password_grant(&app, "alice", "alice-pw", None)
        .unwrap();
    let rt = first.refresh_token.take().unwrap();
    // Ten refreshes: ten unwanted events, more than the queue holds.
    let mut current = server.refresh_grant(&app, &rt, None).unwrap();
    for _ in 0..9 {
        let next = current.refresh_token.take().unwrap();
        current = server.refresh_grant(&app, &next, None).unwrap();
    }
    // The first token again: reuse, a warning, after all the rest.
    assert!(server.refresh_grant(&app, &rt, None).is_err());
    let got = sink.0.at_least(1);
    assert_eq!(
        kinds(&got),
        vec![(events::EventKind::RefreshReuse, None)],
        "the queue is FIFO: an unwanted event queued would have come first"
    );
    assert_eq!(
        sample(&server.metrics_text(), "ropc_events_dropped_total"),
        0.0,
        "unwanted events are not queued, so none was dropped"
    );
}

/// A sink that blocks until told: the grants go on, the queue stays
/// bounded, and what it could not hold is dropped and counted.
struct Stuck {
    release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    seen: std::sync::atomic::AtomicUsize,
}

impl events::EventSink for Stuck {
    fn event(&self, _: &events::Event) {
        let _ = self.release.lock().unwrap().recv();
        self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_slow_or_panicking_sink_never_holds_up_a_grant() {
    let (go, release) = std::sync::mpsc::channel();
    let stuck = Arc::new(Stuck {
        release: std::sync::Mutex::new(release),
        seen: Default::default(),
    });
    let server = Server::builder(config())
        .events_with_queue(stuck.clone(), 2)
        .build()
        .unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    // The sink holds its first event; ten grants still complete.
    for _ in 0..10 {
        server
            .password_grant(&app, "alice", "alice-pw", None)
            .unwrap();
    }
    let dropped = sample(&server.metrics_text(), "ropc_events_dropped_total");
    assert!(
        (7.0..=8.0).contains(&dropped),
        "one held, two queued, the rest dropped: {dropped}"
    );
    for _ in 0..10 {
        let _ = go.send(());
    }
    for _ in 0..2000 {
        if stuck.seen.load(std::sync::atomic::Ordering::SeqCst) as f64 + dropped >= 10.0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(
        stuck.seen.load(std::sync::atomic::Ordering::SeqCst) as f64 + dropped,
        10.0
    );

    // A sink that panics: the grant is answered, and the next events come.
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let panicky = move |_: &events::Event| {
        if counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            panic!("the host's sink failed");
        }
    };
    let server = Server::builder(config())
        .events(Arc::new(panicky))
        .build()
        .unwrap();
    server
        .password_grant(&app, "alice", "alice-pw", None)
        .unwrap();
    server
        .password_grant(&app, "alice", "alice-pw", None)
        .unwrap();
    for _ in 0..2000 {
        if calls.load(std::sync::atomic::Ordering::SeqCst) >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn an_introspection_answer_is_cached_only_while_active_and_never_past_exp() {
    let guard = ResourceGuard::new(&config()).unwrap();
    let active = r#"{"active":true,"exp":1000}"#;
    assert_eq!(guard.cache_until(active, 900.0, 30.0), Some(930.0));
    assert_eq!(
        guard.cache_until(active, 990.0, 30.0),
        Some(1000.0),
        "never past exp"
    );
    assert_eq!(
        guard.cache_until(active, 1000.0, 30.0),
        None,
        "nothing left to keep"
    );
    assert_eq!(guard.cache_until(active, 900.0, 0.0), None, "off");
    assert_eq!(guard.cache_until(r#"{"active":false}"#, 900.0, 30.0), None);
    assert_eq!(guard.cache_until(r#"{"active":"true"}"#, 900.0, 30.0), None);
    assert_eq!(guard.cache_until("not json", 900.0, 30.0), None);
    assert_eq!(
        guard.cache_until(r#"{"active":true}"#, 900.0, 30.0),
        Some(930.0)
    );
}

#[test]
fn an_endpoint_is_answered_inline_only_when_classified_so_and_a_decline_does_nothing() {
    let f = fixture();
    fn req(body: &[u8]) -> HttpRequest<'_> {
        HttpRequest {
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            authorization: Some("Basic YXBwOmFwcC1zZWNyZXQ="),
            body,
            dpop: None,
        }
    }
    // A password grant runs argon2: declined, and nothing happened (no
    // failed attempt counted, no request in the metrics).
    let login = req(b"grant_type=password&username=alice&password=wrong");
    assert_eq!(f.server.blocking(Call::Request(&login)), Blocking::Cpu);
    let before = f.server.metrics_text();
    assert_eq!(
        f.server.answer_inline(Endpoint::Token, &login).err(),
        Some(Blocking::Cpu)
    );
    assert_eq!(
        f.server.metrics_text(),
        before,
        "a declined request is not counted"
    );
    // Answered off the loop instead, it is the endpoint's own answer.
    assert_eq!(f.server.answer(Endpoint::Token, &login).status, 400);
    assert_ne!(f.server.metrics_text(), before);
    let t = f
        .server
        .password_grant(&f.app, "alice", "alice-pw", None)
        .unwrap();
    // A refresh, an introspection and a revocation on the memory store:
    // answered here, as the endpoints themselves answer.
    let refresh = format!(
        "grant_type=refresh_token&refresh_token={}",
        t.refresh_token.as_deref().unwrap()
    );
    let r = f
        .server
        .answer_inline(Endpoint::Token, &req(refresh.as_bytes()))
        .expect("in place");
    assert_eq!(r.status, 200);
    let bad = req(b"token=nope");
    let a = f
        .server
        .answer_inline(Endpoint::Introspection, &bad)
        .expect("in place");
    let b = f.server.introspection_endpoint(&bad);
    assert_eq!(
        (a.status, &a.headers, &a.body),
        (b.status, &b.headers, &b.body)
    );
    let c = f
        .server
        .answer_inline(Endpoint::Revocation, &bad)
        .expect("in place");
    assert_eq!(c.status, 200);
    assert_eq!(
        Endpoint::from_name("introspection"),
        Some(Endpoint::Introspection)
    );
    assert_eq!(Endpoint::from_name("authorize"), None);
}

/// Counts how access tokens are read.
#[derive(Default)]
struct Reads {
    access: std::sync::atomic::AtomicUsize,
    access_with: std::sync::atomic::AtomicUsize,
}

impl btree_store::Before for Reads {
    fn before(&self, call: &'static str) -> Result<(), StoreError> {
        let counter = match call {
            "access" => &self.access,
            "access_with" => &self.access_with,
            _ => return Ok(()),
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// A memory store that counts how its access tokens are read.
type CountingStore = btree_store::BTreeStore<Reads>;

/// Checks, introspections and revocations read an access token through
/// `Store::access_with` (lent: the memory store clones none of the
/// record's `Arc`s, which threads serving one client or user would all
/// write), never through `access`, and answer as before.
#[test]
fn checks_introspections_and_revocations_borrow_the_access_token() {
    use std::sync::atomic::Ordering::Relaxed;
    let store = Arc::new(CountingStore::default());
    let server = Server::builder(config())
        .store(Arc::clone(&store) as Arc<dyn Store>)
        .build()
        .unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    let t = server
        .password_grant(&app, "alice", "alice-pw", Some("read write"))
        .unwrap();
    for _ in 0..3 {
        let who = server
            .check(&t.access_token, "GET /docs/1", Some("read"))
            .unwrap();
        assert_eq!(
            (who.username.as_str(), who.client_id.as_str()),
            ("alice", "app")
        );
        assert_eq!(who.scopes, ["read", "write"]);
        assert_eq!(who.groups, ["staff"]);
    }
    let info = server.introspect(&app, &t.access_token, None).unwrap();
    assert!(info.active);
    assert_eq!(info.username.as_deref(), Some("alice"));
    assert_eq!(info.sub.as_deref(), Some("alice"));
    assert_eq!(info.client_id.as_deref(), Some("app"));
    assert_eq!(info.scope.as_deref(), Some("read write"));
    assert_eq!(info.groups, Some(vec!["staff".to_string()]));
    // A refresh token is looked for among access tokens first (no hint).
    let refresh = t.refresh_token.clone().unwrap();
    let info = server.introspect(&app, &refresh, None).unwrap();
    assert!(info.active);
    assert_eq!(info.token_type, Some("refresh_token"));
    server.revoke(&app, &t.access_token, None).unwrap();
    assert!(server
        .check(&t.access_token, "GET /docs/1", Some("read"))
        .is_err());
    assert!(
        !server
            .introspect(&app, &t.access_token, None)
            .unwrap()
            .active
    );
    assert_eq!(
        store.hook.access.load(Relaxed),
        0,
        "no record of an access token was cloned"
    );
    // 3 + 1 checks, 3 introspections, 1 revocation.
    assert_eq!(store.hook.access_with.load(Relaxed), 8);
}

/// A host's own store lends what it keeps: it can build the view itself
/// (the struct is open, as `TokenRecord` is), and it reads the same as the
/// record's.
#[test]
fn a_host_store_builds_the_view_it_lends() {
    let record = TokenRecord {
        grant: GrantId([9; 16]),
        client_id: "app".into(),
        username: "alice".into(),
        scope: "read".into(),
        issued_at: T0,
        expires_at: T0 + 60,
        user_version: 2,
        auth_time: T0 - 5,
        jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()),
    };
    let own = TokenView {
        grant: GrantId([9; 16]),
        client_id: "app",
        username: "alice",
        scope: "read",
        issued_at: T0,
        expires_at: T0 + 60,
        user_version: 2,
        auth_time: T0 - 5,
        jkt: Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
    };
    assert_eq!(record.view(), own);
    assert_eq!(TokenRecord::from(own), record, "and copies back out");
}

/// A reload from a file (what every binding's reload-on-SIGHUP calls): a
/// file cut inside a UTF-8 character, as an editor mid-write leaves it, is
/// an error naming the file and changes nothing, for a server and a guard.
#[test]
fn a_reload_from_a_file_cut_inside_a_character_changes_nothing() {
    let f = fixture();
    let guard = ResourceGuard::new(&config()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.json");
    let mut c = config();
    c.clients[0].id = "app\u{e9}".into();
    let whole = c.to_json();
    let cut = &whole.as_bytes()[..whole.find('\u{e9}').unwrap() + 1];
    std::fs::write(&path, cut).unwrap();
    let e = f.server.reload_file(&path).unwrap_err();
    assert!(
        e.to_string().contains("not UTF-8") && e.to_string().contains("ropc.json"),
        "{e}"
    );
    assert!(guard.reload_file(&path).is_err());
    assert!(
        login(&f).refresh_token.is_some(),
        "the old configuration serves on"
    );
    std::fs::write(&path, whole).unwrap();
    f.server.reload_file(&path).unwrap();
    guard.reload_file(&path).unwrap();
    assert_eq!(
        f.server
            .password_grant(&f.app, "alice", "alice-pw", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidClient,
        "the new one has no client \"app\""
    );
}
