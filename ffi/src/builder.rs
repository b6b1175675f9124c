//! Building a server from C without writing JSON. Setters only record;
//! everything is validated by `ropc_server_builder_build`, which names what
//! is wrong and where, as for a JSON document.

use crate::accounts::{
    c_accounts, c_authorizer, ropc_authorize_callback, ropc_lookup_callback, ropc_verify_callback,
};
use crate::error::ropc_error;
use crate::server::{ropc_server, server_from_builder};
use crate::{c_str_array, ffi_boundary, free_box, ropc_status, try_opt_str, try_str};
use ropc_core::{
    Accounts, AuthorizeMode, ClientConfig, Config, HashParams, OwnerAuthorizer, RuleConfig, Server,
    ThrottleConfig, UserConfig,
};
use std::ffi::{c_char, c_void};
use std::sync::Arc;

/// A server under construction. One thread at a time.
pub struct ropc_server_builder {
    config: Config,
    accounts: Option<Arc<dyn Accounts>>,
    authorizer: Option<Arc<dyn OwnerAuthorizer>>,
    pub(crate) events: Option<Arc<dyn ropc_core::events::EventSink>>,
}

impl ropc_server_builder {
    fn new(config: Config) -> ropc_server_builder {
        ropc_server_builder {
            config,
            accounts: None,
            authorizer: None,
            events: None,
        }
    }
}

/// A mutable builder, or `ROPC_NULL_PARAMETER` from the export.
macro_rules! try_builder {
    ($b:expr) => {{
        let b = $b;
        if b.is_null() {
            return ropc_status::ROPC_NULL_PARAMETER;
        }
        // SAFETY: non-NULL; the caller promises it came from
        // ropc_server_builder_new and is used by one thread at a time.
        unsafe { &mut *b }
    }};
}

macro_rules! try_array {
    ($items:expr, $n:expr) => {
        match c_str_array($items, $n) {
            Ok(v) => v,
            Err(status) => return status,
        }
    };
}

fn words(s: Option<&str>) -> Vec<String> {
    s.unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A new, empty builder (defaults as for an empty JSON document), or NULL
/// if memory ran out. Free with `ropc_server_builder_free` unless built.
#[no_mangle]
pub extern "C" fn ropc_server_builder_new() -> *mut ropc_server_builder {
    ffi_boundary! { Box::into_raw(Box::new(ropc_server_builder::new(Config::default()))) }
}

/// A builder holding a JSON configuration document, to add callbacks to
/// before building. On success writes `*out` (free with
/// `ropc_server_builder_free` unless built); otherwise returns
/// `ROPC_INVALID_CONFIG` and, if `err` is not NULL, what is wrong and where.
#[no_mangle]
pub extern "C" fn ropc_server_builder_new_from_json(
    json: *const c_char,
    out: *mut *mut ropc_server_builder,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let json = try_str!(json);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match Config::from_json(json) {
            Ok(config) => {
                crate::write_out(out, Box::new(ropc_server_builder::new(config)));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// A builder holding a JSON configuration file; as
/// `ropc_server_builder_new_from_json` (the error names the file).
#[no_mangle]
pub extern "C" fn ropc_server_builder_new_from_file(
    path: *const c_char,
    out: *mut *mut ropc_server_builder,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let path = try_str!(path);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match Config::from_file(path) {
            Ok(config) => {
                crate::write_out(out, Box::new(ropc_server_builder::new(config)));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// Verifies resource owners with the host's callbacks instead of the
/// configured users (of which there must be none). `verify` and `lookup`
/// are required. They are called from any thread calling into the server,
/// concurrently, so they must be thread-safe; `userdata` is passed to each
/// call and must stay valid until `ropc_server_free` has returned (ropc
/// never frees it).
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_accounts(
    builder: *mut ropc_server_builder,
    verify: ropc_verify_callback,
    lookup: ropc_lookup_callback,
    userdata: *mut c_void,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let Some(accounts) = c_accounts(verify, lookup, userdata) else {
            return ropc_status::ROPC_NULL_PARAMETER;
        };
        b.accounts = Some(Arc::new(accounts));
        ropc_status::ROPC_OK
    }
}

/// Asks `authorize` whether an owner may use a resource, after the token
/// and scope checks (see `ropc_server_builder_set_accounts_options` for how
/// it combines with the rules). Same thread-safety and lifetime rules as
/// `ropc_server_builder_set_accounts`.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_owner_authorizer(
    builder: *mut ropc_server_builder,
    authorize: ropc_authorize_callback,
    userdata: *mut c_void,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let Some(authorizer) = c_authorizer(authorize, userdata) else {
            return ropc_status::ROPC_NULL_PARAMETER;
        };
        b.authorizer = Some(Arc::new(authorizer));
        ropc_status::ROPC_OK
    }
}

/// The `"accounts"` settings: how long an owner's state is cached
/// (seconds), the longest a callback may take (ms), the least time every
/// password-grant answer takes on host accounts (ms), and whether the
/// authorize callback replaces the rules (`true`) or is asked as well.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_accounts_options(
    builder: *mut ropc_server_builder,
    owner_cache_seconds: u64,
    callback_timeout_ms: u64,
    min_verify_ms: u64,
    instead_of_rules: bool,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        b.config.accounts = ropc_core::AccountsConfig {
            owner_cache_seconds,
            callback_timeout_ms,
            min_verify_ms,
            authorize: if instead_of_rules { AuthorizeMode::InsteadOfRules } else { AuthorizeMode::WithRules },
        };
        ropc_status::ROPC_OK
    }
}

/// Frees a builder that was not built. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_server_builder_free(builder: *mut ropc_server_builder) {
    ffi_boundary! { free_box(builder) }
}

/// Adds a scope covering `n_resources` resource patterns.
#[no_mangle]
pub extern "C" fn ropc_server_builder_add_scope(
    builder: *mut ropc_server_builder,
    name: *const c_char,
    resources: *const *const c_char,
    n_resources: usize,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let name = try_str!(name);
        let resources = try_array!(resources, n_resources);
        b.config.scopes.push(ropc_core::ScopeConfig { name: name.into(), resources: owned(&resources) });
        ropc_status::ROPC_OK
    }
}

/// Adds a client. `secret_hash` NULL makes a public client. `grant_types`,
/// `scopes` and `default_scopes` are space-separated (NULL: none).
/// `refresh_tokens`: -1 for the default (whether the refresh_token grant is
/// allowed), 0 or 1. TTLs of 0 mean the server's.
#[no_mangle]
pub extern "C" fn ropc_server_builder_add_client(
    builder: *mut ropc_server_builder,
    id: *const c_char,
    secret_hash: *const c_char,
    grant_types: *const c_char,
    scopes: *const c_char,
    default_scopes: *const c_char,
    refresh_tokens: i32,
    access_token_ttl: u64,
    refresh_token_ttl: u64,
    introspect: bool,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let id = try_str!(id);
        let secret_hash = try_opt_str!(secret_hash);
        let grants = words(try_opt_str!(grant_types));
        let scopes = words(try_opt_str!(scopes));
        let defaults = words(try_opt_str!(default_scopes));
        let mut client = match secret_hash {
            Some(h) => ClientConfig::confidential(id, h),
            None => ClientConfig::public(id),
        };
        client.grant_types = grants;
        client.scopes = scopes;
        client.default_scopes = defaults;
        client.refresh_tokens = match refresh_tokens { 0 => Some(false), 1 => Some(true), _ => None };
        client.access_token_ttl = (access_token_ttl > 0).then_some(access_token_ttl);
        client.refresh_token_ttl = (refresh_token_ttl > 0).then_some(refresh_token_ttl);
        client.introspect = introspect;
        b.config.clients.push(client);
        ropc_status::ROPC_OK
    }
}

/// Adds a user with an argon2 PHC password hash and `n_groups` groups.
#[no_mangle]
pub extern "C" fn ropc_server_builder_add_user(
    builder: *mut ropc_server_builder,
    username: *const c_char,
    password_hash: *const c_char,
    groups: *const *const c_char,
    n_groups: usize,
    enabled: bool,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let username = try_str!(username);
        let hash = try_str!(password_hash);
        let groups = try_array!(groups, n_groups);
        b.config.users.push(UserConfig::new(username, hash).groups(&groups).enabled(enabled));
        ropc_status::ROPC_OK
    }
}

/// Adds an access rule: these users (`"*"`: everyone) and groups may use
/// the resources matching these patterns.
#[no_mangle]
pub extern "C" fn ropc_server_builder_add_rule(
    builder: *mut ropc_server_builder,
    resources: *const *const c_char,
    n_resources: usize,
    users: *const *const c_char,
    n_users: usize,
    groups: *const *const c_char,
    n_groups: usize,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let resources = try_array!(resources, n_resources);
        let users = try_array!(users, n_users);
        let groups = try_array!(groups, n_groups);
        b.config.rules.push(RuleConfig::new(&resources).users(&users).groups(&groups));
        ropc_status::ROPC_OK
    }
}

/// Sets the argon2id parameters for new hashes. Parameters below OWASP's
/// minimums make `ropc_server_builder_build` fail with
/// `ROPC_INVALID_CONFIG` unless
/// `ropc_server_builder_allow_weak_password_hashing` was called (tests only).
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_password_hashing(
    builder: *mut ropc_server_builder,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        b.config.password_hashing = HashParams { m_cost, t_cost, p_cost };
        ropc_status::ROPC_OK
    }
}

/// Accepts argon2id parameters below OWASP's minimums (for tests only: a
/// server's password hashes must not be cheap to guess).
#[no_mangle]
pub extern "C" fn ropc_server_builder_allow_weak_password_hashing(
    builder: *mut ropc_server_builder,
    allow: bool,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        b.config.allow_weak_password_hashing = allow;
        ropc_status::ROPC_OK
    }
}

/// Sets the default token lifetimes in seconds.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_token_ttls(
    builder: *mut ropc_server_builder,
    access_token_ttl: u64,
    refresh_token_ttl: u64,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        b.config.access_token_ttl = access_token_ttl;
        b.config.refresh_token_ttl = refresh_token_ttl;
        ropc_status::ROPC_OK
    }
}

/// Sets the throttling of failed password attempts.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_throttle(
    builder: *mut ropc_server_builder,
    max_failures: u32,
    lockout_seconds: u64,
    forget_after_seconds: u64,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        b.config.throttle = ThrottleConfig { max_failures, lockout_seconds, forget_after_seconds };
        ropc_status::ROPC_OK
    }
}

/// Sets the realm and (NULL for none) the issuer.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_realm(
    builder: *mut ropc_server_builder,
    realm: *const c_char,
    issuer: *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let b = try_builder!(builder);
        let realm = try_str!(realm);
        let issuer = try_opt_str!(issuer);
        b.config.realm = realm.into();
        b.config.issuer = issuer.map(String::from);
        ropc_status::ROPC_OK
    }
}

/// Validates and builds. Always consumes `builder` (do not free it after).
/// On success writes `*out`; otherwise returns `ROPC_INVALID_CONFIG` and,
/// if `err` is not NULL, what is wrong and where.
#[no_mangle]
pub extern "C" fn ropc_server_builder_build(
    builder: *mut ropc_server_builder,
    out: *mut *mut ropc_server,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        // From ropc_server_builder_new; consumed here.
        let Some(b) = crate::take_box(builder) else { return ropc_status::ROPC_NULL_PARAMETER };
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        let mut server = Server::builder(b.config);
        if let Some(accounts) = b.accounts {
            server = server.accounts(accounts);
        }
        if let Some(authorizer) = b.authorizer {
            server = server.owner_authorizer(authorizer);
        }
        if let Some(events) = b.events {
            server = server.events(events);
        }
        match server.build() {
            Ok(server) => {
                crate::write_out(out, server_from_builder(server));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// Sends the server's audit events (sign-ins, refreshes, reuse, locks,
/// revocations, introspections, re-hashed passwords, store errors: see the
/// book's "Audit events", docs/src/operating.md) to `callback` with `userdata`. The callback runs
/// on a thread of ropc's own, one event at a time; it may be slow: events
/// wait in a bounded queue and are dropped (counted in the metrics) when it
/// falls behind, and no request ever waits for it. `ropc_server_free`
/// delivers the events still queued before it returns; `userdata` must stay
/// valid until then. Events never hold a password, a secret or a token.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_event_callback(
    builder: *mut ropc_server_builder,
    callback: Option<
        unsafe extern "C" fn(userdata: *mut std::ffi::c_void, event_json: *const c_char),
    >,
    userdata: *mut std::ffi::c_void,
) -> ropc_status {
    ffi_boundary! {
        set_events(builder, callback, userdata, false)
    }
}

/// Both event setters: the sink, all events or the warnings only.
fn set_events(
    builder: *mut ropc_server_builder,
    callback: Option<
        unsafe extern "C" fn(userdata: *mut std::ffi::c_void, event_json: *const c_char),
    >,
    userdata: *mut std::ffi::c_void,
    warnings_only: bool,
) -> ropc_status {
    // Inside the exports' boundaries.
    let b = try_builder!(builder);
    let Some(callback) = callback else {
        return ropc_status::ROPC_NULL_PARAMETER;
    };
    b.events = Some(Arc::new(crate::events::CEvents {
        callback,
        userdata,
        warnings_only,
    }));
    ropc_status::ROPC_OK
}

/// As `ropc_server_builder_set_event_callback`, for the warnings only:
/// refresh-token reuse, accounts locked, store errors (the events the core
/// logs at warning level). No other event is made, so a server that only
/// wants to hear of trouble (a log line to stderr) pays nothing per request.
/// Replaces any callback set before.
#[no_mangle]
pub extern "C" fn ropc_server_builder_set_warning_callback(
    builder: *mut ropc_server_builder,
    callback: Option<
        unsafe extern "C" fn(userdata: *mut std::ffi::c_void, event_json: *const c_char),
    >,
    userdata: *mut std::ffi::c_void,
) -> ropc_status {
    ffi_boundary! {
        set_events(builder, callback, userdata, true)
    }
}
