//! Every store against the conformance suite, two handles on one storage,
//! and what the server answers when its store fails.
//!
//! PostgreSQL: `make test` starts a throwaway server and sets
//! `ROPC_TEST_POSTGRES_URL`, or one this process starts (test_postgres);
//! each test makes a database of its own in it.

#[path = "support/btree_store.rs"]
mod btree_store;

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::conformance::store as conformance;
use ropc_core::rotation::{RefreshPolicy, MAX_REFRESH_RETRIES};
use ropc_core::store::{
    CounterStore, CredentialStore, GrantId, KeyStore, ReplayStore, Rotation, RotationRequest,
    Successors, TokenRecord,
};
use ropc_core::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The test PostgreSQL: the one `make test` started (ROPC_TEST_POSTGRES_URL
/// and its CA files), or else one of this process's own, started by
/// tests/services/postgres.sh when the server's binaries are installed and
/// stopped when the process ends, so that `cargo test` runs these tests as
/// `make test` does.
struct TestPostgres {
    url: String,
    ca: String,
    other_ca: String,
}

fn test_postgres() -> &'static TestPostgres {
    static PG: std::sync::OnceLock<TestPostgres> = std::sync::OnceLock::new();
    PG.get_or_init(|| {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(url) = var("ROPC_TEST_POSTGRES_URL") {
            return TestPostgres {
                url,
                ca: var("ROPC_TEST_POSTGRES_CA").unwrap_or_default(),
                other_ca: var("ROPC_TEST_POSTGRES_OTHER_CA").unwrap_or_default(),
            };
        }
        let installed = std::fs::read_dir("/usr/lib/postgresql")
            .map(|versions| versions.flatten().any(|v| v.path().join("bin/postgres").exists()))
            .unwrap_or(false);
        assert!(
            installed,
            "the PostgreSQL tests need a PostgreSQL server: install Debian's `postgresql` package \
             (apt-get install postgresql; `make test` does it as root), or set ROPC_TEST_POSTGRES_URL \
             (with ROPC_TEST_POSTGRES_CA and ROPC_TEST_POSTGRES_OTHER_CA for the TLS test)"
        );
        let top = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut child = std::process::Command::new(format!("{top}/tests/services/postgres.sh"))
            .args(["run", "--", "sh", "-c"])
            .arg(r#"printf '%s\n%s\n%s\n' "$ROPC_TEST_POSTGRES_URL" "$ROPC_TEST_POSTGRES_CA" "$ROPC_TEST_POSTGRES_OTHER_CA"; cat >/dev/null"#)
            .env("ROPC_TEST_POSTGRES_DIR", format!("{top}/build/postgres-cargo-{}", std::process::id()))
            .env_remove("ROPC_TEST_POSTGRES_URL")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("tests/services/postgres.sh");
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(
            child.stdout.take().expect("its output"),
        ));
        let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
        let (url, ca, other_ca) = (next(), next(), next());
        assert!(!url.is_empty(), "tests/services/postgres.sh started no PostgreSQL");
        // Its standard input stays open while this process lives: when the
        // process ends, `cat` sees the end and the script stops the cluster.
        std::mem::forget(child);
        TestPostgres { url, ca, other_ca }
    })
}

fn postgres_url() -> String {
    let base = test_postgres().url.clone();
    // A database of this test's own, so that nothing else running touches it.
    let mut admin =
        postgres::Client::connect(&base, postgres::NoTls).expect("connect to the test PostgreSQL");
    let mut raw = [0u8; 6];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut raw))
        .expect("urandom");
    let db = format!(
        "ropc_test_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create a test database");
    let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /database");
    format!("{prefix}/{db}")
}

#[test]
fn the_memory_store_conforms() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    conformance::run(&|| Arc::clone(&store));
    conformance::run_shared(&*store, &*store);
}

/// A store written from the public API alone (tests/support/btree_store.rs)
/// passes every check: the contract is small enough to implement outside.
#[test]
fn a_store_written_from_the_public_api_alone_conforms() {
    let store: Arc<dyn Store> = Arc::new(btree_store::BTreeStore::<()>::default());
    conformance::run(&|| Arc::clone(&store));
    conformance::run_shared(&*store, &*store);
}

#[test]
fn the_sqlite_store_conforms_and_is_shared_by_every_handle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ropc.db");
    // Every call opens its own handle, as separate processes would.
    conformance::run(&|| Arc::new(SqliteStore::open(&path).expect("open")) as Arc<dyn Store>);
    let (a, b) = (
        SqliteStore::open(&path).expect("open"),
        SqliteStore::open(&path).expect("open"),
    );
    conformance::run_shared(&a, &b);
}

#[test]
fn the_postgres_store_conforms_and_is_shared_by_every_handle() {
    let url = postgres_url();
    conformance::run(&|| {
        Arc::new(PostgresStore::connect(&url).expect("connect")) as Arc<dyn Store>
    });
    let (a, b) = (
        PostgresStore::connect(&url).expect("connect"),
        PostgresStore::connect(&url).expect("connect"),
    );
    conformance::run_shared(&a, &b);
}

fn config(store: StoreConfig) -> Config {
    docs::base()
        .client(docs::app().introspect(true))
        .user(UserConfig::new(
            "alice",
            &hash_password("alice-pw", CHEAP).unwrap(),
        ))
        .rule(RuleConfig::new(&["* /docs/*"]).users(&["alice"]))
        .store(store)
}

fn sqlite(path: &std::path::Path) -> StoreConfig {
    StoreConfig::Sqlite {
        path: path.display().to_string(),
        pool_size: None,
        busy_timeout_ms: Some(200),
        durable: None,
    }
}

fn app() -> ClientCredentials {
    ClientCredentials::new("app", "app-secret")
}

#[test]
fn tokens_revocations_and_ended_users_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.db");
    let first = Server::from_config(config(sqlite(&path))).unwrap();
    for call in [Call::Store, Call::AsClient("app"), Call::PasswordGrant] {
        assert_eq!(
            first.blocking(call),
            Blocking::Waits,
            "a database may wait on any call"
        );
    }
    let memory = Server::from_config(config(StoreConfig::Memory)).unwrap();
    assert_eq!(
        memory.blocking(Call::AsClient("app")),
        Blocking::Inline,
        "in memory, a sha256-secret client's calls never block"
    );
    assert_eq!(memory.blocking(Call::PasswordGrant), Blocking::Cpu);
    assert_eq!(memory.blocking(Call::HashPassword), Blocking::Cpu);
    let kept = first
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    let revoked = first
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    first
        .revoke(&app(), revoked.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    drop(first);

    let second = Server::from_config(config(sqlite(&path))).unwrap();
    assert_eq!(
        second
            .check(&kept.access_token, "GET /docs/1", None)
            .unwrap()
            .username,
        "alice"
    );
    assert_eq!(
        second
            .check(&revoked.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert!(second.revoke_user_tokens("alice").unwrap());
    drop(second);

    let third = Server::from_config(config(sqlite(&path))).unwrap();
    assert_eq!(
        third
            .check(&kept.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken,
        "an ended user stays ended"
    );
    let e = third
        .refresh_grant(&app(), kept.refresh_token.as_deref().unwrap(), None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidGrant);
    let fresh = third
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    assert!(
        third
            .check(&fresh.access_token, "GET /docs/1", None)
            .is_ok(),
        "a new login works after the end"
    );
}

#[test]
fn stored_scopes_are_names_not_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.db");
    let before = Server::from_config(config(sqlite(&path))).unwrap();
    let t = before
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    drop(before);
    // A scope inserted before `read`: positions shift, names do not.
    let mut changed = config(sqlite(&path));
    changed.scopes.insert(
        0,
        ScopeConfig {
            name: "admin".into(),
            resources: vec!["* /docs/*".into()],
        },
    );
    changed.clients[0].scopes.push("admin".into());
    let after = Server::from_config(changed).unwrap();
    let who = after.check(&t.access_token, "GET /docs/1", None).unwrap();
    assert_eq!(who.scopes, vec!["read"]);
    assert_eq!(
        after
            .check(&t.access_token, "PUT /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InsufficientScope
    );
    let info = after.introspect(&app(), &t.access_token, None).unwrap();
    assert_eq!(info.scope.as_deref(), Some("read"));
}

/// Fails every store call while set.
#[derive(Default)]
struct Down(AtomicBool);

impl btree_store::Before for Down {
    fn before(&self, _call: &'static str) -> Result<(), StoreError> {
        if self.0.load(Ordering::SeqCst) {
            Err(StoreError::new("simulated outage"))
        } else {
            Ok(())
        }
    }
}

/// A memory store that fails every call while its `Down` is set.
type Flaky = btree_store::BTreeStore<Down>;

fn form(body: &str) -> HttpRequest<'_> {
    HttpRequest::form_post(None, body.as_bytes())
}

fn assert_unavailable(resp: &HttpResponse) {
    assert_eq!(resp.status, 503, "{resp:?}");
    assert_eq!(resp.header("Retry-After"), Some("2"));
    assert_eq!(resp.header("Cache-Control"), Some("no-store"));
    assert_eq!(
        resp.header("WWW-Authenticate"),
        None,
        "a 503 says nothing about the credentials"
    );
    let body: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        !resp.body.contains("simulated outage"),
        "what failed is for the log, not the client"
    );
}

#[test]
fn a_failing_store_answers_503_and_never_a_token_it_did_not_save() {
    let store = Arc::new(Flaky::default());
    let server = Server::builder(config(StoreConfig::Memory))
        .store(store.clone())
        .build()
        .unwrap();
    let t = server
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    let refresh = t.refresh_token.clone().unwrap();
    store.hook.0.store(true, Ordering::SeqCst);

    let creds = "client_id=app&client_secret=app-secret";
    assert_unavailable(&server.token_endpoint(&form(&format!(
        "grant_type=password&username=alice&password=alice-pw&scope=read&{creds}"
    ))));
    assert_unavailable(&server.token_endpoint(&form(&format!(
        "grant_type=refresh_token&refresh_token={refresh}&{creds}"
    ))));
    assert_unavailable(
        &server.introspection_endpoint(&form(&format!("token={}&{creds}", t.access_token))),
    );
    assert_unavailable(
        &server.revocation_endpoint(&form(&format!("token={}&{creds}", t.access_token))),
    );
    let refusal = server
        .check_request(
            Some(&format!("Bearer {}", t.access_token)),
            "GET /docs/1",
            None,
        )
        .unwrap_err();
    assert_eq!(
        refusal.error.as_ref().map(|e| e.code()),
        Some(ErrorCode::TemporarilyUnavailable)
    );
    assert_unavailable(&refusal.response);
    assert!(server.revoke_user_tokens("alice").is_err());
    assert!(matches!(
        server.set_user_enabled("alice", false),
        Err(AccountError::Store(_))
    ));
    assert!(server.purge_expired().is_err() && server.stats().is_err());
    // Client authentication needs no store: a bad secret is still 401.
    assert_eq!(
        server
            .token_endpoint(&form(
                "grant_type=password&username=alice&password=x&client_id=app&client_secret=bad"
            ))
            .status,
        401
    );

    store.hook.0.store(false, Ordering::SeqCst);
    assert_eq!(
        store.stats().unwrap().access_tokens,
        1,
        "nothing was saved during the outage"
    );
    assert!(
        server.check(&t.access_token, "GET /docs/1", None).is_ok(),
        "the outage did not end the token"
    );
    assert!(
        server.refresh_grant(&app(), &refresh, None).is_ok(),
        "nor the refresh token"
    );
    assert!(
        server.set_user_enabled("alice", true).is_ok(),
        "a failed disable changed nothing"
    );
}

#[test]
fn a_locked_sqlite_database_gives_503_not_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.db");
    let server = Server::from_config(config(sqlite(&path))).unwrap();
    let before = server
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    // Another process holds the write lock past the busy timeout (200 ms).
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let e = server
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TemporarilyUnavailable);
    let e = server
        .refresh_grant(&app(), before.refresh_token.as_deref().unwrap(), None)
        .unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::TemporarilyUnavailable,
        "a rotation that cannot be saved is not answered"
    );
    other.execute_batch("ROLLBACK").unwrap();
    let after = server
        .refresh_grant(&app(), before.refresh_token.as_deref().unwrap(), None)
        .unwrap();
    assert!(
        server
            .check(&after.access_token, "GET /docs/1", None)
            .is_ok(),
        "the refresh token survived the outage"
    );
}

#[test]
fn bad_store_settings_are_configuration_errors_naming_the_field() {
    let err = |store: StoreConfig| Server::from_config(config(store)).unwrap_err();
    assert_eq!(
        err(StoreConfig::Sqlite {
            path: String::new(),
            pool_size: None,
            busy_timeout_ms: None,
            durable: None
        })
        .path(),
        "store.path"
    );
    assert_eq!(
        err(StoreConfig::Sqlite {
            path: "/nonexistent-dir/x.db".into(),
            pool_size: None,
            busy_timeout_ms: None,
            durable: None
        })
        .path(),
        "store.path"
    );
    assert_eq!(
        err(StoreConfig::Sqlite {
            path: "x.db".into(),
            pool_size: Some(0),
            busy_timeout_ms: None,
            durable: None
        })
        .path(),
        "store.pool_size"
    );
    let pg = |url: Option<&str>, url_env: Option<&str>| StoreConfig::Postgres {
        url: url.map(String::from),
        url_env: url_env.map(String::from),
        pool_size: None,
        connect_timeout_ms: Some(2000),
        statement_timeout_ms: None,
        sslmode: None,
        sslrootcert: None,
    };
    assert_eq!(err(pg(None, None)).path(), "store");
    assert_eq!(err(pg(Some("postgres://a@b/c"), Some("X"))).path(), "store");
    let e = err(pg(None, Some("ROPC_SURELY_UNSET_VARIABLE")));
    assert_eq!(e.path(), "store.url_env");
    assert!(e.message().contains("ROPC_SURELY_UNSET_VARIABLE"), "{e}");
    // A port nobody listens on: refused at once, a clear error, no hang.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let e = err(pg(
        Some(&format!("postgres://ropc:hunter2@127.0.0.1:{port}/ropc")),
        None,
    ));
    assert_eq!(e.path(), "store.url");
    assert!(e.message().contains("cannot connect"), "{e}");
    assert!(
        e.message().to_lowercase().contains("refused"),
        "the cause, not only \"error connecting\": {e}"
    );
    assert!(
        !e.to_string().contains("hunter2"),
        "the password never appears: {e}"
    );
    // The server's own reason: a database that does not exist.
    let base = test_postgres().url.clone();
    let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /database");
    let e = err(pg(Some(&format!("{prefix}/ropc_no_such_database")), None));
    assert!(
        e.message()
            .contains("\"ropc_no_such_database\" does not exist")
            && e.message().contains("3D000"),
        "the server's reason and SQLSTATE, not \"db error\": {e}"
    );
    let e = Config::from_json(r#"{"store": {"type": "redis"}}"#).unwrap_err();
    assert!(e.path().starts_with("store"), "{e}");
    let e = Config::from_json(r#"{"store": {"type": "sqlite", "path": "x", "paht": "y"}}"#)
        .unwrap_err();
    assert!(e.message().contains("paht"), "{e}");
    let debug = format!("{:?}", pg(Some("postgres://ropc:hunter2@h/db"), None));
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn store_settings_round_trip_through_json() {
    let c =
        Config::from_json(r#"{"store": {"type": "postgres", "url_env": "DB", "pool_size": 3}}"#)
            .unwrap();
    assert_eq!(
        c.store,
        StoreConfig::Postgres {
            url: None,
            url_env: Some("DB".into()),
            pool_size: Some(3),
            connect_timeout_ms: None,
            statement_timeout_ms: None,
            sslmode: None,
            sslrootcert: None
        }
    );
    assert_eq!(Config::from_json(&c.to_json()).unwrap(), c);
    assert_eq!(
        Config::from_json("{}").unwrap().store,
        StoreConfig::Memory,
        "memory is the default"
    );
    assert!(
        !Config::default().to_json().contains("store"),
        "the default is left out of documents"
    );
}

/// A database store drops expired tokens by itself, one bounded batch at a
/// time as it writes (at most once a minute), and all of them on purge().
fn purges_by_itself_in_bounded_batches(store: &dyn Store) {
    const T0: u64 = 1_700_000_000;
    let record = |issued_at: u64| TokenRecord {
        grant: GrantId::random(),
        client_id: "app".into(),
        username: "u".into(),
        scope: "read".into(),
        issued_at,
        expires_at: issued_at + 10,
        user_version: 0,
        auth_time: issued_at,
        jkt: None,
    };
    let token = |i: u64| TokenHash::of(&format!("{i:043}"));
    for i in 0..1500 {
        store.insert_grant((token(i), record(T0)), None).unwrap();
    }
    assert_eq!(store.stats().unwrap().access_tokens, 1500);
    // A write a while later purges one batch of the expired tokens, no more.
    store
        .insert_grant((token(99_999), record(T0 + 100)), None)
        .unwrap();
    assert_eq!(
        store.stats().unwrap().access_tokens,
        1500 - 1000 + 1,
        "one batch of 1000 went by itself"
    );
    assert_eq!(
        store.purge(T0 + 100, 0).unwrap(),
        500,
        "purge() takes the rest, batch after batch"
    );
    assert_eq!(
        store.stats().unwrap().access_tokens,
        1,
        "the live token stays"
    );
}

#[test]
fn the_database_stores_purge_by_themselves_in_bounded_batches() {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteOptions {
        durable: false,
        ..SqliteOptions::default()
    };
    purges_by_itself_in_bounded_batches(
        &SqliteStore::open_with(dir.path().join("ropc.db"), options).unwrap(),
    );
    purges_by_itself_in_bounded_batches(&PostgresStore::connect(&postgres_url()).unwrap());
}

/// The tables of schema version 2, as earlier ropc made them (version 1:
/// the same without `ropc_credentials`).
const SQLITE_V2: &str = "
CREATE TABLE ropc_schema (version INTEGER NOT NULL);
CREATE TABLE ropc_grants (id BLOB PRIMARY KEY, revoked INTEGER NOT NULL DEFAULT 0, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE ropc_tokens (
    hash BLOB NOT NULL, kind INTEGER NOT NULL, grant_id BLOB NOT NULL,
    client_id TEXT NOT NULL, username TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, user_version INTEGER NOT NULL,
    rotated INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (hash, kind)) WITHOUT ROWID;
CREATE TABLE ropc_users (username TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE ropc_failures (account TEXT PRIMARY KEY, count INTEGER NOT NULL, pending INTEGER NOT NULL,
    last INTEGER NOT NULL, pending_since INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO ropc_failures VALUES ('hunter2 typed as a name', 2, 0, 1700000000, 0);
INSERT INTO ropc_grants VALUES (x'01010101010101010101010101010101', 0, 1700009999);
INSERT INTO ropc_tokens (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at, user_version)
    VALUES (x'0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a', 0, x'01010101010101010101010101010101', 'app', 'alice', 'read', 1700000000, 1700003600, 0),
           (x'0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 1, x'01010101010101010101010101010101', 'app', 'alice', 'read', 1700000000, 1700009999, 0);
";
const POSTGRES_V2: &str = "
CREATE TABLE ropc_schema (version BIGINT NOT NULL);
CREATE TABLE ropc_grants (id BYTEA PRIMARY KEY, revoked BOOLEAN NOT NULL DEFAULT FALSE, expires_at BIGINT NOT NULL);
CREATE TABLE ropc_tokens (
    hash BYTEA NOT NULL, kind BIGINT NOT NULL, grant_id BYTEA NOT NULL,
    client_id TEXT NOT NULL, username TEXT NOT NULL, scope TEXT NOT NULL,
    issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, user_version BIGINT NOT NULL,
    rotated BOOLEAN NOT NULL DEFAULT FALSE, PRIMARY KEY (hash, kind));
CREATE TABLE ropc_users (username TEXT PRIMARY KEY, version BIGINT NOT NULL);
CREATE TABLE ropc_failures (account TEXT PRIMARY KEY, count BIGINT NOT NULL, pending BIGINT NOT NULL,
    last BIGINT NOT NULL, pending_since BIGINT NOT NULL);
INSERT INTO ropc_failures VALUES ('hunter2 typed as a name', 2, 0, 1700000000, 0);
INSERT INTO ropc_grants VALUES ('\\x01010101010101010101010101010101', FALSE, 1700009999);
INSERT INTO ropc_tokens (hash, kind, grant_id, client_id, username, scope, issued_at, expires_at, user_version)
    VALUES ('\\x0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a', 0, '\\x01010101010101010101010101010101', 'app', 'alice', 'read', 1700000000, 1700003600, 0),
           ('\\x0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 1, '\\x01010101010101010101010101010101', 'app', 'alice', 'read', 1700000000, 1700009999, 0);
";

/// What an upgraded database must still do with the tokens it held: find
/// them (sign-in time: their issue time, the best known), rotate them, and
/// take a retry within a grace window.
fn the_old_tokens_live_on(store: &dyn Store) {
    let now = 1_700_000_100;
    let access = store
        .access(&TokenHash([0x0a; 32]), now)
        .expect("access")
        .expect("the old access token is found");
    assert_eq!(
        (access.issued_at, access.auth_time),
        (1_700_000_000, 1_700_000_000)
    );
    let next = |at: u64, seed: u8| Successors {
        refresh: TokenHash([seed; 32]),
        access: TokenHash([seed + 1; 32]),
        issued_at: at,
        refresh_expires_at: at + 900,
        access_expires_at: at + 60,
        access_scope: None,
        max_session: None,
        access_jkt: None,
    };
    let rule = RefreshPolicy {
        client_id: "app",
        grace_seconds: 30,
    };
    let old = TokenHash([0x0b; 32]);
    assert!(matches!(
        store
            .rotate(
                &old,
                &RotationRequest {
                    now,
                    next: &next(now, 0x20),
                    rule: &rule
                }
            )
            .unwrap(),
        Rotation::Rotated(_)
    ));
    assert!(matches!(
        store
            .rotate(
                &old,
                &RotationRequest {
                    now: now + 5,
                    next: &next(now + 5, 0x30),
                    rule: &rule,
                },
            )
            .unwrap(),
        Rotation::Retried(_)
    ));
    assert!(store
        .access(&TokenHash([0x31; 32]), now + 5)
        .unwrap()
        .is_some());
}

/// Databases made by the earlier schemas (1: no credentials table; 2: no
/// sign-in time or grace-window columns) are moved to version 6 when
/// opened, keeping their tokens and dropping the failure counters kept
/// under names as typed.
#[test]
fn databases_of_schema_1_and_2_are_upgraded_in_place() {
    for version in [1, 2] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ropc.db");
        {
            let c = rusqlite::Connection::open(&path).expect("open");
            c.execute_batch(SQLITE_V2).expect("the old tables");
            if version == 2 {
                c.execute_batch("CREATE TABLE ropc_credentials (username TEXT PRIMARY KEY, credential INTEGER NOT NULL) WITHOUT ROWID")
                    .expect("credentials");
            }
            c.execute("INSERT INTO ropc_schema (version) VALUES (?1)", [version])
                .expect("version");
        }
        let store = SqliteStore::open(&path).expect("an old database opens");
        assert_eq!(store.sync_credential("bob", 5).expect("sync"), 0);
        the_old_tokens_live_on(&store);
        assert!(store.signing_keys().expect("the keys' table").is_empty());
        assert!(ReplayStore::first_use(&store, &[7; 32], 2, 1).expect("the replays' table"));
        let c = rusqlite::Connection::open(&path).expect("open");
        let v: i64 = c
            .query_row("SELECT max(version) FROM ropc_schema", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, 6, "sqlite from version {version}");
        let plain: i64 = c
            .query_row("SELECT count(*) FROM ropc_failures", [], |r| r.get(0))
            .expect("failures");
        assert_eq!(plain, 0, "the counters under names as typed are dropped");

        let url = postgres_url();
        let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        admin.batch_execute(POSTGRES_V2).expect("the old tables");
        if version == 2 {
            admin
                .batch_execute("CREATE TABLE ropc_credentials (username TEXT PRIMARY KEY, credential BIGINT NOT NULL)")
                .expect("credentials");
        }
        admin
            .execute(
                "INSERT INTO ropc_schema (version) VALUES ($1)",
                &[&i64::from(version)],
            )
            .expect("version");
        let pg = PostgresStore::connect(&url).expect("an old database opens");
        assert_eq!(pg.sync_credential("bob", 5).expect("sync"), 0);
        the_old_tokens_live_on(&pg);
        assert!(pg.signing_keys().expect("the keys' table").is_empty());
        // The database outlives the run: an id of this run's.
        let id = TokenHash::of(&format!("{:?}", std::time::SystemTime::now())).0;
        assert!(ReplayStore::first_use(&pg, &id, 2, 1).expect("the replays' table"));
        let v: i64 = admin
            .query_one("SELECT max(version) FROM ropc_schema", &[])
            .expect("version")
            .get(0);
        assert_eq!(v, 6, "postgres from version {version}");
        let plain: i64 = admin
            .query_one("SELECT count(*) FROM ropc_failures", &[])
            .expect("failures")
            .get(0);
        assert_eq!(plain, 0, "the counters under names as typed are dropped");
    }
}

/// The refresh grace window's rule, each case across two servers (as two
/// processes would be) sharing one store: a retry after a lost response
/// works and ends the branch it abandons; a retired successor presented
/// again, or a retry past the bound or after the window, revokes the
/// lineage, and every token of it dies at both servers; concurrent retries
/// within the bound leave exactly one refresh token that continues.
fn refresh_retries_on_a_shared_store(store: StoreConfig, memory: Option<Arc<dyn Store>>) {
    const T0: u64 = 1_700_000_000;
    let mut c = config(store);
    c.clients[0].refresh_grace_seconds = Some(30);
    let clock = ManualClock::new(T0);
    let servers: Vec<Server> = (0..2)
        .map(|_| {
            let builder = Server::builder(c.clone()).clock(Arc::new(clock.clone()));
            match &memory {
                Some(store) => builder.store(Arc::clone(store)),
                None => builder,
            }
            .build()
            .expect("server")
        })
        .collect();
    let (a, b) = (&servers[0], &servers[1]);
    let login = || {
        let t = a
            .password_grant(&app(), "alice", "alice-pw", Some("read"))
            .expect("grant");
        t.refresh_token.clone().expect("a refresh token")
    };
    let refresh = |s: &Server, rt: &str| s.refresh_grant(&app(), rt, None);
    let live = |t: &TokenResponse| {
        let at = |s: &Server| s.check(&t.access_token, "GET /docs/1", None).is_ok();
        assert_eq!(at(a), at(b), "both servers agree");
        at(a)
    };
    let reuse = || {
        servers
            .iter()
            .map(|s| {
                s.metrics_text()
                    .lines()
                    .find_map(|l| l.strip_prefix("ropc_refresh_reuse_total "))
                    .and_then(|n| n.parse::<u64>().ok())
                    .expect("the reuse metric")
            })
            .sum::<u64>()
    };

    // A lost response: the retry at the other server works and ends the
    // abandoned branch; the lineage goes on.
    let rt = login();
    let lost = refresh(a, &rt).expect("rotation");
    clock.advance(5);
    let retry = refresh(b, &rt).expect("a retry within the window is answered");
    assert!(live(&retry) && !live(&lost));
    let on = refresh(a, retry.refresh_token.as_deref().unwrap()).expect("the lineage goes on");
    assert!(live(&on));
    assert_eq!(reuse(), 0);

    // A thief retries first at one server; the client's own successor,
    // presented at the other, revokes the lineage: the thief's tokens die.
    let rt = login();
    let client = refresh(a, &rt).expect("rotation");
    let thief = refresh(b, &rt).expect("the thief's retry");
    assert_eq!(
        refresh(a, client.refresh_token.as_deref().unwrap())
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
    assert_eq!(reuse(), 1, "the reuse metric sees it");
    assert!(!live(&thief));
    assert!(refresh(b, thief.refresh_token.as_deref().unwrap()).is_err());

    // Retries are bounded across servers: one more is reuse.
    let rt = login();
    refresh(a, &rt).expect("rotation");
    let mut last = None;
    for i in 0..MAX_REFRESH_RETRIES {
        last = Some(refresh(&servers[i as usize % 2], &rt).expect("a retry"));
    }
    assert!(refresh(a, &rt).is_err());
    assert!(!live(&last.expect("retried")));
    assert_eq!(reuse(), 2);

    // Concurrent retries within the bound, one at each server: both are
    // answered, exactly one refresh token continues.
    let rt = login();
    let first = refresh(a, &rt).expect("rotation");
    clock.advance(1);
    let barrier = std::sync::Barrier::new(servers.len());
    let answers: Vec<TokenResponse> = std::thread::scope(|s| {
        let handles: Vec<_> = servers
            .iter()
            .map(|server| {
                let (barrier, rt) = (&barrier, &rt);
                s.spawn(move || {
                    barrier.wait();
                    server.refresh_grant(&app(), rt, None)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("racer").expect("a retry is answered"))
            .collect()
    });
    // Each retry ended the branch before it: of the three, one access
    // token lives, and its refresh token is the one that continues.
    let branches: Vec<&TokenResponse> = std::iter::once(&first).chain(&answers).collect();
    let alive: Vec<&&TokenResponse> = branches.iter().filter(|t| live(t)).collect();
    assert_eq!(alive.len(), 1, "one branch survives the concurrent retries");
    let next = refresh(b, alive[0].refresh_token.as_deref().unwrap())
        .expect("and the lineage continues from it");
    assert!(live(&next));
    // A replay of the first token after the window: reuse, the lineage ends.
    clock.advance(30);
    assert_eq!(refresh(b, &rt).unwrap_err().code(), ErrorCode::InvalidGrant);
    assert!(
        !live(&next),
        "a replay after the window revokes every token of the grant"
    );
}

#[test]
fn refresh_retries_follow_one_rule_on_every_shared_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    refresh_retries_on_a_shared_store(sqlite(&dir.path().join("ropc.db")), None);
    refresh_retries_on_a_shared_store(StoreConfig::postgres(postgres_url()), None);
    refresh_retries_on_a_shared_store(StoreConfig::Memory, Some(Arc::new(MemoryStore::new())));
}

/// A password typed into the username field: what a failed sign-in leaves
/// in the database.
const TYPED: &str = "correct horse battery staple";

/// A failed sign-in under `TYPED`, then the counter read back through the
/// server (it locks after the configured failures): the counter works.
fn fail_as_typed(server: &Server) {
    for _ in 0..2 {
        let e = server
            .password_grant(&app(), TYPED, "guess", Some("read"))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidGrant);
    }
}

#[test]
fn sqlite_files_are_readable_by_their_owner_only() {
    // The usual umask: what SQLite would have created 0644.
    let old = unsafe { libc::umask(0o022) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.db");
    let server = Server::from_config(config(sqlite(&path))).unwrap();
    server
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    fail_as_typed(&server);
    use std::os::unix::fs::PermissionsExt;
    for name in ["ropc.db", "ropc.db-wal", "ropc.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
    // A database the operator made keeps the mode it was given.
    let shared = dir.path().join("shared.db");
    std::fs::write(&shared, b"").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
    SqliteStore::open(&shared).unwrap();
    let mode = std::fs::metadata(&shared).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    unsafe { libc::umask(old) };
}

#[test]
fn failure_counters_keep_no_name_as_typed_on_either_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ropc.db");
    let server = Server::from_config(config(sqlite(&path))).unwrap();
    fail_as_typed(&server);
    let c = rusqlite::Connection::open(&path).unwrap();
    let accounts: Vec<String> = c
        .prepare("SELECT account FROM ropc_failures")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(accounts.len(), 1, "one counter: {accounts:?}");
    assert!(!accounts[0].contains("horse"), "{accounts:?}");
    let other = SqliteStore::open(&path).unwrap();
    assert_eq!(
        other.counter(TYPED).unwrap().map(|f| f.count),
        Some(2),
        "another process finds the counter under the same key"
    );
    drop((server, other, c));
    for name in ["ropc.db", "ropc.db-wal"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap_or_default();
        assert!(
            !bytes.windows(TYPED.len()).any(|w| w == TYPED.as_bytes()),
            "{name} holds the name as typed"
        );
    }

    let url = postgres_url();
    let server = Server::from_config(config(StoreConfig::postgres(&url))).unwrap();
    fail_as_typed(&server);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = admin
        .query("SELECT account FROM ropc_failures", &[])
        .unwrap();
    let accounts: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(accounts.len(), 1, "one counter: {accounts:?}");
    assert!(!accounts[0].contains("horse"), "{accounts:?}");
}

/// TLS to PostgreSQL (store.sslmode): `verify-full` checks the server's
/// certificate against the CA file and its name, `require` encrypts
/// without checking, a server a CA did not sign is refused with the
/// reason; and every connection the store makes is encrypted (the server's
/// own pg_stat_ssl says so).
#[test]
fn the_postgres_store_speaks_tls_and_verifies_the_server() {
    let url = postgres_url();
    let database = url.rsplit('/').next().expect("a database").to_string();
    let (ca, other) = (test_postgres().ca.clone(), test_postgres().other_ca.clone());
    assert!(
        !ca.is_empty() && !other.is_empty(),
        "ROPC_TEST_POSTGRES_CA and ROPC_TEST_POSTGRES_OTHER_CA: the CA files of the test PostgreSQL"
    );
    let pg = |url: &str, mode: Option<&str>, root: Option<&str>| StoreConfig::Postgres {
        url: Some(url.to_string()),
        url_env: None,
        pool_size: Some(2),
        connect_timeout_ms: Some(5000),
        statement_timeout_ms: None,
        sslmode: mode.map(String::from),
        sslrootcert: root.map(String::from),
    };
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    let encrypted = |admin: &mut postgres::Client| -> (i64, i64) {
        let row = admin
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a
                 JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'ropc' AND a.datname = $1",
                &[&database],
            )
            .expect("pg_stat_ssl");
        (row.get(0), row.get(1))
    };
    for (mode, root) in [
        (Some("verify-full"), Some(ca.as_str())),
        (Some("require"), None),
    ] {
        let server = Server::from_config(config(pg(&url, mode, root)))
            .unwrap_or_else(|e| panic!("{mode:?}: {e}"));
        server
            .password_grant(&app(), "alice", "alice-pw", Some("read"))
            .expect("a grant over TLS");
        let (all, tls) = encrypted(&mut admin);
        assert!(
            all > 0 && all == tls,
            "{mode:?}: {tls} of {all} connections encrypted"
        );
        drop(server);
    }
    // sslmode=require in the URL, no field: encrypted too.
    let server =
        Server::from_config(config(pg(&format!("{url}?sslmode=require"), None, None))).unwrap();
    server
        .password_grant(&app(), "alice", "alice-pw", Some("read"))
        .unwrap();
    let (all, tls) = encrypted(&mut admin);
    assert!(all > 0 && all == tls, "{tls} of {all}");
    drop(server);
    // A server whose certificate the CA did not sign, or a name it was not
    // made for: refused, saying why; never a plain-text fallback.
    // (hostaddr: connect to 127.0.0.1, verify the name the URL gives.)
    let misnamed = format!(
        "{}?hostaddr=127.0.0.1",
        url.replace("127.0.0.1", "db.example.invalid")
    );
    for (url, root, why) in [
        (url.clone(), other.as_str(), "certificate"),
        (misnamed, ca.as_str(), "certificate"),
    ] {
        let e = match Server::from_config(config(pg(&url, Some("verify-full"), Some(root)))) {
            Err(e) => e,
            Ok(_) => panic!("verify-full connected to {url} with {root}"),
        };
        assert_eq!(e.path(), "store.url");
        assert!(e.to_string().to_lowercase().contains(why), "{e}");
    }
    // Settings that cannot be right are configuration errors at their path.
    for (mode, root, path) in [
        (Some("verify-ca"), None, "store.sslmode"),
        (Some("verify-full"), None, "store.sslrootcert"),
        (Some("require"), Some(ca.as_str()), "store.sslrootcert"),
        (
            Some("verify-full"),
            Some("/nonexistent/ca.pem"),
            "store.url",
        ),
    ] {
        let e = match Server::from_config(config(pg(&url, mode, root))) {
            Err(e) => e,
            Ok(_) => panic!("{mode:?} {root:?} was accepted"),
        };
        assert_eq!(e.path(), path, "{mode:?} {root:?}: {e}");
    }
}

/// Workers started together on a new SQLite file (gunicorn's, a cluster's)
/// all open it: the first turns it to WAL and creates the tables while the
/// others wait their turn, within the busy timeout, rather than failing
/// with "database is locked".
#[test]
fn processes_starting_together_on_a_new_sqlite_file_all_open_it() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..20 {
        let path = dir.path().join(format!("fresh-{round}.db"));
        let start = Arc::new(std::sync::Barrier::new(6));
        let openers: Vec<_> = (0..6)
            .map(|_| {
                let (path, start) = (path.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    SqliteStore::open(&path).map(|_| ())
                })
            })
            .collect();
        for o in openers {
            o.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
    }
}
