//! Resource owners kept by the host (`Accounts`), the owner-authorization
//! hook and reloads: what ropc guarantees around a host's callbacks.
//! Timing is shown on a `ManualTimer`: the host "takes" time by moving it,
//! ropc's pacing moves it by what it waits, so every duration is exact.

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const T0: u64 = 1_700_000_000;
const CHECK: Duration = Duration::from_millis(30);
const MISS: Duration = Duration::from_millis(1);

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Normal,
    Fail,
    Panic,
    Slow,
    BadGroups,
}

/// A host's user table: plain passwords (it is a test), a check that takes
/// 30 ms on the manual timer for a known user and 1 ms for an unknown one.
struct Host {
    users: Mutex<HashMap<String, (String, Owner)>>,
    timer: ManualTimer,
    mode: Mutex<Mode>,
    verifies: AtomicU64,
    lookups: AtomicU64,
    check: Mutex<Duration>,
    /// Names matched as a directory matches `uid` (any case and spacing),
    /// plus the aliases listed, and the account's own name reported.
    loose: Mutex<Option<HashMap<String, String>>>,
}

impl Host {
    fn new(timer: ManualTimer) -> Arc<Host> {
        let mut users = HashMap::new();
        users.insert("alice".into(), ("alice-pw".into(), Owner::new(["staff"])));
        users.insert(
            "dave".into(),
            (
                "dave-pw".into(),
                Owner {
                    groups: vec!["staff".into()],
                    enabled: false,
                    credential: None,
                    name: None,
                },
            ),
        );
        Arc::new(Host {
            users: Mutex::new(users),
            timer,
            mode: Mutex::new(Mode::Normal),
            verifies: AtomicU64::new(0),
            lookups: AtomicU64::new(0),
            check: Mutex::new(CHECK),
            loose: Mutex::new(None),
        })
    }
    /// The account `username` names, as a loose host finds it.
    fn account_of(&self, username: &str) -> String {
        match &*self.loose.lock().unwrap() {
            None => username.to_string(),
            Some(aliases) => {
                let folded = fold_name(username).into_owned();
                aliases.get(&folded).cloned().unwrap_or(folded)
            }
        }
    }
    fn set_mode(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }
    fn misbehave(&self) -> Result<(), HostError> {
        let mode = *self.mode.lock().unwrap();
        match mode {
            Mode::Fail => Err(HostError::new("directory unreachable")),
            Mode::Panic => panic!("host bug"),
            Mode::Slow => {
                self.timer.advance(Duration::from_secs(11));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl Accounts for Host {
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError> {
        self.verifies.fetch_add(1, SeqCst);
        self.misbehave()?;
        let account = self.account_of(username);
        let users = self.users.lock().unwrap();
        let Some((pw, owner)) = users.get(&account) else {
            self.timer.advance(MISS);
            return Ok(Verification::UnknownUser);
        };
        let loose = self.loose.lock().unwrap().is_some();
        let owner = if loose {
            owner.clone().with_name(account)
        } else {
            owner.clone()
        };
        self.timer.advance(*self.check.lock().unwrap());
        if *self.mode.lock().unwrap() == Mode::BadGroups {
            return Ok(Verification::Verified(Owner::new(["bad\ngroup"])));
        }
        Ok(if pw == password {
            Verification::Verified(owner)
        } else {
            Verification::WrongPassword
        })
    }
    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError> {
        self.lookups.fetch_add(1, SeqCst);
        self.misbehave()?;
        Ok(self
            .users
            .lock()
            .unwrap()
            .get(username)
            .map(|(_, o)| o.clone()))
    }
}

fn config() -> Config {
    let mut c = docs::base()
        .client(docs::app().default_scopes(&["read"]))
        .client(
            ClientConfig::confidential("other", &hash_client_secret("other-secret"))
                .grant_types(&["password"])
                .scopes(&["read"])
                .default_scopes(&["read"]),
        )
        .rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
    c.throttle = ThrottleConfig {
        max_failures: 3,
        lockout_seconds: 100,
        forget_after_seconds: 1000,
    };
    c.accounts.min_verify_ms = 50;
    c.accounts.owner_cache_seconds = 30;
    c
}

struct Fixture {
    server: Server,
    host: Arc<Host>,
    timer: ManualTimer,
    clock: ManualClock,
    app: ClientCredentials,
}

fn fixture_with(config: Config, hook: Option<Arc<dyn OwnerAuthorizer>>) -> Fixture {
    let timer = ManualTimer::new();
    let clock = ManualClock::new(T0);
    let host = Host::new(timer.clone());
    let mut b = Server::builder(config)
        .clock(Arc::new(clock.clone()))
        .timer(Arc::new(timer.clone()))
        .accounts(host.clone());
    if let Some(h) = hook {
        b = b.owner_authorizer(h);
    }
    Fixture {
        server: b.build().unwrap(),
        host,
        timer,
        clock,
        app: ClientCredentials::new("app", "app-secret"),
    }
}

fn fixture() -> Fixture {
    fixture_with(config(), None)
}

impl Fixture {
    /// A password grant and how long it took on the manual timer.
    fn grant(&self, user: &str, pw: &str) -> (Result<TokenResponse, OAuthError>, Duration) {
        let before = self.timer.now();
        let r = self.server.password_grant(&self.app, user, pw, None);
        (r, self.timer.now() - before)
    }
}

#[test]
fn host_owners_get_tokens_and_their_groups_reach_the_rules() {
    let f = fixture();
    let (t, _) = f.grant("alice", "alice-pw");
    let t = t.unwrap();
    let who = f
        .server
        .check(&t.access_token, "GET /docs/1", None)
        .unwrap();
    assert_eq!(
        (who.username.as_str(), who.groups),
        ("alice", vec!["staff".to_string()])
    );
    // The owner's state was known from the verification: no lookup yet.
    assert_eq!(f.host.lookups.load(SeqCst), 0);
    let stats = f.server.accounts_stats();
    assert_eq!((stats.verify_calls, stats.paced), (1, 1));
}

#[test]
fn unknown_wrong_disabled_and_locked_answer_alike_in_words_and_in_time() {
    let f = fixture();
    let mut answers = Vec::new();
    for (user, pw) in [
        ("nobody", "x"),
        ("alice", "wrong"),
        ("dave", "dave-pw"),
        ("alice", "wrong"),
        ("alice", "wrong"),
    ] {
        answers.push(f.grant(user, pw));
    }
    // alice is now locked (3 failures): the host is not asked.
    let verifies = f.host.verifies.load(SeqCst);
    answers.push(f.grant("alice", "alice-pw"));
    assert_eq!(
        f.host.verifies.load(SeqCst),
        verifies,
        "a locked account never reaches the host"
    );
    for (r, took) in &answers {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidGrant);
        assert_eq!(e.description(), "the username or password is wrong");
        // Every refusal takes the pacing target exactly: the floor of 50 ms
        // (the host's 30 ms checks are below it), whatever the host spent.
        assert_eq!(*took, Duration::from_millis(50), "{e:?}");
    }
    let stats = f.server.accounts_stats();
    assert_eq!(stats.paced, answers.len() as u64);
    assert_eq!(stats.pace_target_us, 50_000);
}

#[test]
fn the_pacing_target_follows_the_hosts_own_checks() {
    let f = fixture();
    *f.host.check.lock().unwrap() = Duration::from_millis(80);
    for _ in 0..20 {
        assert!(f.grant("alice", "alice-pw").0.is_ok());
    }
    // 9 in 10 of the host's checks took 80 ms: an unknown user (1 ms at the
    // host) is made to take as long.
    let (r, took) = f.grant("nobody", "x");
    assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidGrant);
    assert_eq!(took, Duration::from_millis(80));
    assert_eq!(f.server.accounts_stats().pace_target_us, 80_000);
}

#[test]
fn a_failing_panicking_slow_or_nonsensical_host_is_a_server_error_never_a_grant() {
    for mode in [Mode::Fail, Mode::Panic, Mode::Slow, Mode::BadGroups] {
        let f = fixture();
        f.host.set_mode(mode);
        let (r, _) = f.grant("alice", "alice-pw");
        let e = r.unwrap_err();
        assert_eq!(
            (e.code(), e.code().status()),
            (ErrorCode::ServerError, 500),
            "{mode:?}"
        );
        assert_eq!(e.description(), "the account service failed");
        assert_eq!(f.server.accounts_stats().failures, 1, "{mode:?}");
        // Counted as a failed attempt: a host made to fail buys no guesses.
        let store = f.server.stats().unwrap();
        assert_eq!(store.throttled_accounts, 1, "{mode:?}");
        // The HTTP answer: 500, JSON, no challenge, no secret.
        let body = "grant_type=password&username=alice&password=alice-pw";
        let resp = f.server.token_endpoint(&HttpRequest {
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            authorization: Some("Basic YXBwOmFwcC1zZWNyZXQ="),
            body: body.as_bytes(),
            dpop: None,
        });
        assert_eq!(resp.status, 500);
        assert!(resp.body.contains("\"server_error\"") && !resp.body.contains("alice-pw"));
        assert!(resp.headers.iter().all(|(k, _)| *k != "WWW-Authenticate"));
    }
}

#[test]
fn owner_state_is_cached_for_a_bounded_time_and_revocation_is_immediate() {
    let f = fixture();
    let t = f.grant("alice", "alice-pw").0.unwrap();
    f.server.forget_owner("alice");
    for _ in 0..5 {
        f.server
            .check(&t.access_token, "GET /docs/1", None)
            .unwrap();
    }
    assert_eq!(
        f.host.lookups.load(SeqCst),
        1,
        "one lookup per cache period"
    );
    // The host disables alice without telling ropc: within the staleness
    // bound the token still works, after it, no more.
    f.host
        .users
        .lock()
        .unwrap()
        .get_mut("alice")
        .unwrap()
        .1
        .enabled = false;
    f.clock.advance(29);
    assert!(f.server.check(&t.access_token, "GET /docs/1", None).is_ok());
    f.clock.advance(1);
    let e = f
        .server
        .check(&t.access_token, "GET /docs/1", None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidToken);
    assert_eq!(f.host.lookups.load(SeqCst), 2);

    // Re-enabled, and this time the host tells ropc it changed the password.
    f.host
        .users
        .lock()
        .unwrap()
        .get_mut("alice")
        .unwrap()
        .1
        .enabled = true;
    f.server.forget_owner("alice");
    let t = f.grant("alice", "alice-pw").0.unwrap();
    assert!(f.server.check(&t.access_token, "GET /docs/1", None).is_ok());
    assert!(f.server.revoke_user_tokens("alice").unwrap());
    let e = f
        .server
        .check(&t.access_token, "GET /docs/1", None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidToken);
    // Introspection and refresh see the same.
    let i = f.server.introspect(&f.app, &t.access_token, None).unwrap();
    assert!(!i.active);
    let r = f
        .server
        .refresh_grant(&f.app, t.refresh_token.as_deref().unwrap(), None);
    assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidGrant);
}

#[test]
fn no_cache_means_asking_the_host_every_time() {
    let mut c = config();
    c.accounts.owner_cache_seconds = 0;
    let f = fixture_with(c, None);
    let t = f.grant("alice", "alice-pw").0.unwrap();
    for _ in 0..3 {
        f.server
            .check(&t.access_token, "GET /docs/1", None)
            .unwrap();
    }
    assert_eq!(f.host.lookups.load(SeqCst), 3);
}

#[test]
fn a_host_failure_at_refresh_leaves_the_client_its_refresh_token() {
    let f = fixture();
    let t = f.grant("alice", "alice-pw").0.unwrap();
    let refresh = t.refresh_token.clone().unwrap();
    f.server.forget_owner("alice");
    f.host.set_mode(Mode::Fail);
    let e = f.server.refresh_grant(&f.app, &refresh, None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    f.host.set_mode(Mode::Normal);
    let next = f.server.refresh_grant(&f.app, &refresh, None).unwrap();
    assert!(f
        .server
        .check(&next.access_token, "GET /docs/1", None)
        .is_ok());
    // And a failing lookup at a check is a server error, not invalid_token.
    f.server.forget_owner("alice");
    f.host.set_mode(Mode::Panic);
    let e = f
        .server
        .check(&next.access_token, "GET /docs/1", None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
    let refusal = f
        .server
        .check_request(
            Some(&format!("Bearer {}", next.access_token)),
            "GET /docs/1",
            None,
        )
        .unwrap_err();
    assert_eq!(refusal.response.status, 500);
    assert!(refusal
        .response
        .headers
        .iter()
        .all(|(k, _)| *k != "WWW-Authenticate"));
}

#[test]
fn host_accounts_and_configured_users_do_not_mix() {
    let c = config().user(UserConfig::new(
        "bob",
        &hash_password("bob-pw", CHEAP).unwrap(),
    ));
    let e = Server::builder(c)
        .accounts(Host::new(ManualTimer::new()))
        .build()
        .unwrap_err();
    assert_eq!(e.path(), "users");
    let f = fixture();
    let hash = hash_password("new-pw", CHEAP).unwrap();
    assert_eq!(
        f.server.set_user_password_hash("alice", &hash),
        Err(AccountError::NotConfigured)
    );
    assert_eq!(
        f.server.set_user_enabled("alice", false),
        Err(AccountError::NotConfigured)
    );
}

#[test]
fn usernames_with_control_characters_never_reach_the_host() {
    let f = fixture();
    let (r, _) = f.grant("alice\0", "alice-pw");
    assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidRequest);
    assert_eq!(f.host.verifies.load(SeqCst), 0);
}

// ---- the owner-authorization hook ----------------------------------------

struct Hook {
    calls: AtomicU64,
    allow_path: &'static str,
    panic: bool,
}

impl OwnerAuthorizer for Hook {
    fn authorize(
        &self,
        principal: &Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, HostError> {
        self.calls.fetch_add(1, SeqCst);
        assert_eq!(principal.username, "alice");
        assert_eq!(principal.groups, vec!["staff".to_string()]);
        assert_eq!(required_scope, Some("read"));
        if self.panic {
            panic!("hook bug");
        }
        Ok(resource.ends_with(self.allow_path))
    }
}

fn hook(allow: &'static str, panic: bool) -> Arc<Hook> {
    Arc::new(Hook {
        calls: AtomicU64::new(0),
        allow_path: allow,
        panic,
    })
}

#[test]
fn the_hook_runs_after_the_scope_check_and_with_the_rules() {
    let h = hook("/mine", false);
    let mut c = config();
    // The rules let staff read /docs/* only.
    c.rules = vec![RuleConfig::new(&["GET /docs/*"]).groups(&["staff"])];
    c.scopes[0].resources.push("GET /other/*".into());
    let f = fixture_with(c, Some(h.clone()));
    let t = f.grant("alice", "alice-pw").0.unwrap().access_token.clone();
    assert!(f.server.check(&t, "GET /docs/mine", Some("read")).is_ok());
    let e = f
        .server
        .check(&t, "GET /docs/theirs", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    // The rules say no first: the hook cannot widen them.
    let e = f
        .server
        .check(&t, "GET /other/mine", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    // Outside the token's scope: refused before the hook is asked.
    let calls = h.calls.load(SeqCst);
    let e = f
        .server
        .check(&t, "PUT /docs/mine", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InsufficientScope);
    assert_eq!(h.calls.load(SeqCst), calls);
    assert_eq!(calls, 2);
}

#[test]
fn the_hook_can_replace_the_rules() {
    let h = hook("/mine", false);
    let mut c = config();
    c.rules = vec![RuleConfig::new(&["GET /docs/*"]).users(&["nobody"])];
    c.accounts.authorize = AuthorizeMode::InsteadOfRules;
    let f = fixture_with(c, Some(h.clone()));
    let t = f.grant("alice", "alice-pw").0.unwrap().access_token.clone();
    assert!(f.server.check(&t, "GET /docs/mine", Some("read")).is_ok());
    let e = f
        .server
        .check(&t, "GET /docs/theirs", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

#[test]
fn a_panicking_hook_is_a_server_error() {
    let f = fixture_with(config(), Some(hook("/mine", true)));
    let t = f.grant("alice", "alice-pw").0.unwrap().access_token.clone();
    let e = f
        .server
        .check(&t, "GET /docs/mine", Some("read"))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerError);
}

#[test]
fn a_closure_is_a_hook() {
    let hook: Arc<dyn OwnerAuthorizer> = Arc::new(|p: &Principal, r: &str, _: Option<&str>| {
        Ok(p.username == "alice" && r.ends_with("/1"))
    });
    let f = fixture_with(config(), Some(hook));
    let t = f.grant("alice", "alice-pw").0.unwrap().access_token.clone();
    assert!(f.server.check(&t, "GET /docs/1", None).is_ok());
    assert_eq!(
        f.server.check(&t, "GET /docs/2", None).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
}

// ---- configured accounts, as an `Accounts` ------------------------------

#[test]
fn configured_users_answer_the_accounts_contract() {
    let c = config()
        .user(UserConfig::new("bob", &hash_password("bob-pw", CHEAP).unwrap()).groups(&["staff"]));
    let mut c2 = c.clone();
    c2.users
        .push(UserConfig::new("carol", &hash_password("carol-pw", CHEAP).unwrap()).enabled(false));
    let server = Server::from_config(c2.clone()).unwrap();
    drop(server);
    let accounts = ConfigAccounts::from_config(&c2).unwrap();
    assert_eq!(
        accounts.verify("bob", "bob-pw").unwrap(),
        Verification::Verified(Owner::new(["staff"]).with_name("bob"))
    );
    // Any spelling finds the user, and says the name as configured.
    assert_eq!(
        accounts.verify(" BOB", "bob-pw").unwrap(),
        Verification::Verified(Owner::new(["staff"]).with_name("bob"))
    );
    assert_eq!(
        accounts.verify("bob", "nope").unwrap(),
        Verification::WrongPassword
    );
    assert_eq!(
        accounts.verify("zed", "nope").unwrap(),
        Verification::UnknownUser
    );
    assert_eq!(
        accounts.verify("carol", "carol-pw").unwrap(),
        Verification::Verified(Owner {
            groups: vec![],
            enabled: false,
            credential: None,
            name: Some("carol".into()),
        })
    );
    assert_eq!(accounts.lookup("zed").unwrap(), None);
    assert_eq!(accounts.lookup("bob").unwrap(), Some(Owner::new(["staff"])));
    // And as host accounts behind a server, they get tokens like any host's.
    let server = Server::builder(c.clone().tap_users_cleared())
        .accounts(Arc::new(ConfigAccounts::from_config(&c).unwrap()))
        .build()
        .unwrap();
    let t = server
        .password_grant(
            &ClientCredentials::new("app", "app-secret"),
            "bob",
            "bob-pw",
            None,
        )
        .unwrap();
    assert!(server.check(&t.access_token, "GET /docs/1", None).is_ok());
}

trait TapUsers {
    fn tap_users_cleared(self) -> Self;
}
impl TapUsers for Config {
    fn tap_users_cleared(mut self) -> Self {
        self.users.clear();
        self
    }
}

// ---- reload ----------------------------------------------------------------

fn configured() -> Config {
    config()
        .user(
            UserConfig::new("alice", &hash_password("alice-pw", CHEAP).unwrap()).groups(&["staff"]),
        )
        .user(UserConfig::new("bob", &hash_password("bob-pw", CHEAP).unwrap()).groups(&["staff"]))
}

fn login(server: &Server, client: &str, user: &str) -> TokenResponse {
    server
        .password_grant(
            &ClientCredentials::new(client, &format!("{client}-secret")),
            user,
            &format!("{user}-pw"),
            None,
        )
        .unwrap()
}

#[test]
fn reload_keeps_tokens_and_ends_those_of_removed_clients_and_users() {
    let server = Server::from_config(configured()).unwrap();
    let alice = login(&server, "app", "alice");
    let bob = login(&server, "app", "bob");
    let other = login(&server, "other", "alice");
    let mut next = server.config();
    next.clients.retain(|c| c.id != "other");
    next.users.retain(|u| u.username != "bob");
    next.scopes.push(ScopeConfig {
        name: "admin".into(),
        resources: vec!["* /admin/*".into()],
    });
    server.reload(next).unwrap();
    assert!(server
        .check(&alice.access_token, "GET /docs/1", None)
        .is_ok());
    for gone in [&bob, &other] {
        let e = server
            .check(&gone.access_token, "GET /docs/1", None)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidToken);
    }
    // The refresh token of a kept user still rotates.
    let app = ClientCredentials::new("app", "app-secret");
    assert!(server
        .refresh_grant(&app, alice.refresh_token.as_deref().unwrap(), None)
        .is_ok());
    assert!(server.config().scopes.iter().any(|s| s.name == "admin"));
}

#[test]
fn reload_ends_the_tokens_of_users_whose_password_or_state_it_changes() {
    let server = Server::from_config(configured()).unwrap();
    let alice = login(&server, "app", "alice");
    let bob = login(&server, "app", "bob");
    let mut next = server.config();
    // Same password, a new hash (a new salt) for alice; bob unchanged.
    next.users[0].password_hash = hash_password("alice-pw", CHEAP).unwrap();
    server.reload(next.clone()).unwrap();
    assert_eq!(
        server
            .check(&alice.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert!(server.check(&bob.access_token, "GET /docs/1", None).is_ok());
    next.users[1].enabled = false;
    server.reload(next).unwrap();
    assert_eq!(
        server
            .check(&bob.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
}

#[test]
fn a_password_set_at_run_time_survives_a_reload_of_the_same_document() {
    let doc = configured();
    let server = Server::from_config(doc.clone()).unwrap();
    server
        .set_user_password_hash("alice", &hash_password("changed", CHEAP).unwrap())
        .unwrap();
    server.reload(doc).unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    assert!(server
        .password_grant(&app, "alice", "changed", None)
        .is_ok());
    assert!(server
        .password_grant(&app, "alice", "alice-pw", None)
        .is_err());
}

#[test]
fn a_reload_that_fails_changes_nothing() {
    let server = Server::from_config(configured()).unwrap();
    let alice = login(&server, "app", "alice");
    let before = server.config();
    let mut bad = before.clone();
    bad.clients[0].scopes.push("nope".into());
    let e = server.reload(bad).unwrap_err();
    assert_eq!(e.path(), "clients[0].scopes[2]");
    let moved = before.clone().store(StoreConfig::Sqlite {
        path: "/nonexistent/x.db".into(),
        pool_size: None,
        busy_timeout_ms: None,
        durable: None,
    });
    assert_eq!(server.reload(moved).unwrap_err().path(), "store");
    assert!(server
        .check(&alice.access_token, "GET /docs/1", None)
        .is_ok());
    assert_eq!(server.config(), before);
}

#[test]
fn checks_never_fail_while_the_configuration_is_reloaded() {
    let server = Arc::new(Server::from_config(configured()).unwrap());
    let t = login(&server, "app", "alice");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let checker = {
        let (server, stop, token) = (server.clone(), stop.clone(), t.access_token.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(SeqCst) || n < 100 {
                server.check(&token, "GET /docs/1", None).unwrap();
                n += 1;
            }
            n
        })
    };
    let doc = server.config();
    for i in 0..50 {
        let mut next = doc.clone();
        next.realm = format!("realm-{i}");
        server.reload(next).unwrap();
    }
    stop.store(true, SeqCst);
    assert!(checker.join().unwrap() >= 100);
    assert_eq!(server.realm(), "realm-49");
}

#[test]
fn host_accounts_reload_their_settings_and_refuse_users() {
    let f = fixture();
    let mut next = config();
    next.accounts.min_verify_ms = 70;
    f.server.reload(next.clone()).unwrap();
    let (_, took) = f.grant("nobody", "x");
    assert_eq!(took, Duration::from_millis(70));
    let with_users = configured();
    assert_eq!(f.server.reload(with_users).unwrap_err().path(), "users");
}

// ---- the conformance suite, on the implementations in Rust ----------------

fn fixture_for_suite() -> conformance::accounts::Fixture {
    conformance::accounts::Fixture::standard()
}

#[test]
fn the_configured_users_and_a_rust_host_conform() {
    let c = config()
        .user(
            UserConfig::new("alice", &hash_password("alice-pw", CHEAP).unwrap()).groups(&["staff"]),
        )
        .user(
            UserConfig::new("dave", &hash_password("dave-pw", CHEAP).unwrap())
                .groups(&["staff"])
                .enabled(false),
        );
    let configured = ConfigAccounts::from_config(&c).unwrap();
    conformance::accounts::run(&configured, &fixture_for_suite()).unwrap();
    conformance::accounts::run(&*Host::new(ManualTimer::new()), &fixture_for_suite()).unwrap();
}

#[test]
fn the_suite_catches_a_host_that_truncates_at_nul() {
    struct Truncating(Arc<Host>);
    impl Accounts for Truncating {
        fn verify(&self, u: &str, p: &str) -> Result<Verification, HostError> {
            self.0.verify(u, p.split('\0').next().unwrap_or(""))
        }
        fn lookup(&self, u: &str) -> Result<Option<Owner>, HostError> {
            self.0.lookup(u)
        }
    }
    let e = conformance::accounts::run(
        &Truncating(Host::new(ManualTimer::new())),
        &fixture_for_suite(),
    )
    .unwrap_err();
    assert!(e.contains("NUL"), "{e}");
}

// ---- host credential versions -------------------------------------------

#[test]
fn a_credential_the_host_changes_ends_older_tokens_without_being_told() {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let timer = ManualTimer::new();
    let clock = ManualClock::new(T0);
    let host = Host::new(timer.clone());
    let set_credential = |c: u64| {
        host.users
            .lock()
            .unwrap()
            .get_mut("alice")
            .unwrap()
            .1
            .credential = Some(c);
    };
    set_credential(1);
    let server = |store: &Arc<dyn Store>| {
        Server::builder(config())
            .clock(Arc::new(clock.clone()))
            .timer(Arc::new(timer.clone()))
            .store(Arc::clone(store))
            .accounts(host.clone())
            .build()
            .unwrap()
    };
    let (a, b) = (server(&store), server(&store));
    let app = ClientCredentials::new("app", "app-secret");
    let first = a.password_grant(&app, "alice", "alice-pw", None).unwrap();
    let second = a.password_grant(&app, "alice", "alice-pw", None).unwrap();
    assert!(
        a.check(&first.access_token, "GET /docs/1", None).is_ok(),
        "the same credential again ends nothing"
    );
    // The host changes alice's password (credential 2) and tells nobody.
    set_credential(2);
    assert!(
        a.check(&second.access_token, "GET /docs/1", None).is_ok(),
        "within owner_cache_seconds the cached state stands"
    );
    // Server b looks alice up first: its lookup sees the new credential
    // and ends her older tokens in the shared store, for a too.
    clock.advance(30);
    assert_eq!(
        b.check(&second.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    assert_eq!(
        a.check(&first.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    // A sign-in under the new credential works, and lasts.
    let third = a.password_grant(&app, "alice", "alice-pw", None).unwrap();
    clock.advance(30);
    assert!(b.check(&third.access_token, "GET /docs/1", None).is_ok());
    assert!(a.check(&third.access_token, "GET /docs/1", None).is_ok());
    // A sign-in that brings a new credential ends the older tokens at once.
    set_credential(3);
    let fourth = b.password_grant(&app, "alice", "alice-pw", None).unwrap();
    assert_eq!(
        a.check(&third.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken,
        "a's cache is fresh, but the store's version moved on"
    );
    assert!(a.check(&fourth.access_token, "GET /docs/1", None).is_ok());
}

// ---- one account, one counter, one subject -----------------------------------

/// Spellings of one name that a directory matching `uid` accepts alike.
const SPELLINGS: [&str; 8] = [
    "ALICE",
    "Alice",
    "alice ",
    " aLiCe",
    "ali\u{AD}ce",
    "ａｌｉｃｅ",
    "alice\u{3000}",
    "ALICE  ",
];

#[test]
fn a_host_account_has_one_counter_and_one_subject_however_its_name_is_typed() {
    let f = fixture();
    *f.host.loose.lock().unwrap() = Some(HashMap::new());
    // Three wrong guesses, each under another spelling: the third locks.
    for who in &SPELLINGS[..3] {
        let (r, _) = f.grant(who, "guess");
        assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidGrant);
    }
    assert_eq!(f.host.verifies.load(SeqCst), 3);
    // Every other spelling, with the right password, is locked out, and
    // the host is not asked: 3 password checks in all, not 3 a spelling.
    for who in SPELLINGS {
        let (r, _) = f.grant(who, "alice-pw");
        assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidGrant, "{who:?}");
    }
    assert_eq!(
        f.host.verifies.load(SeqCst),
        3,
        "a locked account never reaches the host"
    );
    // After the lock, any spelling signs in, and the token is alice's.
    f.clock.advance(101);
    let (t, _) = f.grant(" ALICE ", "alice-pw");
    let t = t.unwrap();
    let who = f
        .server
        .check(&t.access_token, "GET /docs/1", None)
        .unwrap();
    assert_eq!(
        who.username, "alice",
        "the subject is the account's own name"
    );
    let again = f.grant("Alice", "alice-pw").0.unwrap();
    assert!(f.server.revoke_user_tokens("alice").unwrap());
    for token in [&t.access_token, &again.access_token] {
        assert_eq!(
            f.server
                .check(token, "GET /docs/1", None)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidToken,
            "revoking alice ends the tokens of every spelling"
        );
    }
}

#[test]
fn a_locked_account_stays_locked_under_another_name_the_host_accepts() {
    let f = fixture();
    let aliases = HashMap::from([("alice@example.org".to_string(), "alice".to_string())]);
    *f.host.loose.lock().unwrap() = Some(aliases);
    for _ in 0..3 {
        assert!(f.grant("alice", "guess").0.is_err());
    }
    // The alias has a counter of its own, but the account it names is
    // locked: the right password under it is refused too.
    let (r, _) = f.grant("alice@example.org", "alice-pw");
    assert_eq!(r.unwrap_err().code(), ErrorCode::InvalidGrant);
    f.clock.advance(101);
    let t = f.grant("alice@example.org", "alice-pw").0.unwrap();
    assert_eq!(
        f.server
            .check(&t.access_token, "GET /docs/1", None)
            .unwrap()
            .username,
        "alice"
    );
}

#[test]
fn a_host_name_that_is_no_name_is_a_host_failure_never_a_token() {
    struct Renames(&'static str);
    impl Accounts for Renames {
        fn verify(&self, _: &str, _: &str) -> Result<Verification, HostError> {
            Ok(Verification::Verified(
                Owner::new(["staff"]).with_name(self.0),
            ))
        }
        fn lookup(&self, _: &str) -> Result<Option<Owner>, HostError> {
            Ok(Some(Owner::new(["staff"])))
        }
    }
    for bad in ["", "bad\nname"] {
        let server = Server::builder(config())
            .accounts(Arc::new(Renames(bad)))
            .build()
            .unwrap();
        let e = server
            .password_grant(&ClientCredentials::new("app", "app-secret"), "x", "y", None)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::ServerError, "{bad:?}");
    }
}

fn configured_server(users: &[&str]) -> (Server, ManualClock) {
    let mut c = config();
    let phc = hash_password("pw", CHEAP).unwrap();
    for u in users {
        c = c.user(UserConfig::new(u, &phc).groups(&["staff"]));
    }
    let clock = ManualClock::new(T0);
    let server = Server::builder(c)
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    (server, clock)
}

#[test]
fn a_configured_user_has_one_counter_and_one_subject_however_the_name_is_typed() {
    let (server, clock) = configured_server(&["alice", "bob"]);
    let app = ClientCredentials::new("app", "app-secret");
    let before = argon2_verifications_on_this_thread();
    for who in &SPELLINGS[..3] {
        let e = server.password_grant(&app, who, "guess", None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidGrant);
    }
    for who in SPELLINGS {
        let e = server.password_grant(&app, who, "pw", None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidGrant, "{who:?} is locked out");
    }
    // Every refusal did one verification (the locked ones against the
    // dummy hash: the same work), and bob is untouched.
    assert_eq!(argon2_verifications_on_this_thread() - before, 11);
    assert!(server.password_grant(&app, "BOB", "pw", None).is_ok());
    clock.advance(101);
    let t = server
        .password_grant(&app, "\u{FEFF}Alice ", "pw", None)
        .unwrap();
    assert_eq!(
        server
            .check(&t.access_token, "GET /docs/1", None)
            .unwrap()
            .username,
        "alice"
    );
    // The operator's calls find the user under any spelling too.
    assert!(server.revoke_user_tokens("ALICE").unwrap());
    assert_eq!(
        server
            .check(&t.access_token, "GET /docs/1", None)
            .unwrap_err()
            .code(),
        ErrorCode::InvalidToken
    );
    server.set_user_enabled(" Alice", false).unwrap();
    assert!(server.password_grant(&app, "alice", "pw", None).is_err());
    assert!(!server.revoke_user_tokens("carol").unwrap());
}

#[test]
fn two_configured_users_may_not_differ_only_in_how_the_name_is_spelt() {
    let phc = hash_password("pw", CHEAP).unwrap();
    for (a, b) in [
        ("alice", "Alice"),
        ("bob", " bob"),
        ("jos\u{E9}", "Jose\u{301}"),
    ] {
        let c = config()
            .user(UserConfig::new(a, &phc))
            .user(UserConfig::new(b, &phc));
        let e = Server::from_config(c).unwrap_err();
        assert_eq!(e.path(), "users[1].username", "{a:?} {b:?}");
        assert!(e.to_string().contains("one name spelt two ways"), "{e}");
    }
}

/// An argon2 hash whose costs would exhaust the host (4 TiB, 2.9 GiB at the
/// first login) is refused everywhere a hash enters: the configuration, a
/// reload and the run-time call. The server keeps what it had.
#[test]
fn argon2_hashes_beyond_the_limits_are_refused_wherever_they_enter() {
    let huge = "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$2pKZ5p2UZlXDHJ2xkq9hYnCixr9+bMVlZH2Ia7qpPfo";
    let big = huge.replace("m=4294967295", "m=3000000");
    for hash in [huge, big.as_str()] {
        let e = Server::from_config(config().user(UserConfig::new("eve", hash))).unwrap_err();
        assert_eq!(e.path(), "users[0].password_hash");
        assert!(e.to_string().contains("beyond the limits"), "{e}");
        let (server, _) = configured_server(&["alice"]);
        let app = ClientCredentials::new("app", "app-secret");
        assert!(matches!(
            server.set_user_password_hash("alice", hash),
            Err(AccountError::InvalidHash(_))
        ));
        let mut c = server.config();
        c.users[0].password_hash = hash.to_string();
        assert!(server.reload(c).is_err());
        assert!(server.password_grant(&app, "alice", "pw", None).is_ok());
    }
}
