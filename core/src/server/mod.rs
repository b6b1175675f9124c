//! The authorization server: token endpoint (password and refresh_token
//! grants), introspection, revocation, and the in-process resource check.

use crate::accounts::AccountError;
use crate::accounts::{Accounts, AccountsStats, ConfigAccounts, HostAccounts, OwnerAuthorizer};
use crate::client_secret::SecretHash;
use crate::clock::{Clock, SystemClock, SystemTimer, Timer};
use crate::config::{AuthorizeMode, Config, StoreConfig};
use crate::error::{ConfigError, ErrorCode, OAuthError};
use crate::http::{ClientCredentials, Form, HttpRequest, HttpResponse};
use crate::password::{hash_password, HashError, PasswordHashed, MAX_PASSWORD_BYTES};
use crate::registry::{Client, Registry, MAX_NAME_BYTES};
use crate::resource::{authorize, bearer, check_arguments, Principal, Refusal};
use crate::scope::{parse_scope, ScopeSet};
use crate::store::{
    GrantId, RefreshState, Rotation, Store, StoreError, StoreStats, Successors, TokenKind,
    TokenRecord, TokenView,
};
use crate::throttle::Verdict;
use crate::token::{looks_like_token, mint, mint_two, TokenHash};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::Arc;

mod accounts;
mod check;
mod counted;
mod endpoints;
pub use endpoints::Endpoint;
mod grants;
mod introspection;

/// A successful token response (RFC 6749 §5.1). Its `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The bearer access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// A refresh token, when the client gets them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The scope granted.
    pub scope: String,
}

impl Drop for TokenResponse {
    /// The tokens are zeroed before their memory is freed.
    fn drop(&mut self) {
        use crate::secret::Wipe;
        self.access_token.wipe();
        if let Some(t) = &mut self.refresh_token {
            t.wipe();
        }
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

/// An introspection response (RFC 7662 §2.2). Inactive: `{"active":false}`
/// and nothing more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is active.
    pub active: bool,
    /// The token's scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client it was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The resource owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `Bearer` for an access token, `refresh_token` for a refresh token
    /// (which a resource server must never accept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// Expiry, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<u64>,
    /// Issue time, seconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    /// Subject: the resource owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The issuer, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The resource owner's groups (an extension, for access rules in a
    /// remote resource server).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// When the resource owner signed in (the password grant that began
    /// the grant), seconds since the epoch (RFC 9068 §2.2.1's claim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// When the grant ends by the client's maximum session age, whatever
    /// the rotations (an extension; absent without a maximum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_exp: Option<u64>,
}

impl Introspection {
    /// The RFC 7662 JSON document, as the introspection endpoint sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Introspection always serializes")
    }
}

/// Builds a [`Server`] with a non-default store, clock, accounts or
/// owner-authorization hook.
pub struct ServerBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    clock: Option<Arc<dyn Clock>>,
    timer: Option<Arc<dyn Timer>>,
    accounts: Option<Arc<dyn Accounts>>,
    authorizer: Option<Arc<dyn OwnerAuthorizer>>,
    events: Option<(Arc<dyn crate::events::EventSink>, usize)>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("custom_store", &self.store.is_some())
            .field("host_accounts", &self.accounts.is_some())
            .field("owner_authorizer", &self.authorizer.is_some())
            .finish()
    }
}

impl ServerBuilder {
    /// Uses `store` for tokens and counters, instead of the one the
    /// configuration's `store` field names.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses `clock` for all times.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Uses `timer` to pace answers about host accounts (tests pass a
    /// [`crate::ManualTimer`] to see exactly how long each answer took).
    pub fn timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = Some(timer);
        self
    }

    /// Verifies resource owners with the host's `accounts` instead of the
    /// configuration's `users` (which must then be empty). See
    /// [`crate::accounts`] for what ropc adds around them.
    pub fn accounts(mut self, accounts: Arc<dyn Accounts>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Asks `authorizer` whether an owner may use a resource, after the
    /// token and scope checks; `accounts.authorize` in the configuration
    /// says whether the rules are consulted too.
    pub fn owner_authorizer(mut self, authorizer: Arc<dyn OwnerAuthorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    /// Sends the server's audit events ([`crate::events`]) to `sink`, on a
    /// thread of their own behind a queue of [`crate::events::QUEUE`].
    pub fn events(mut self, sink: Arc<dyn crate::events::EventSink>) -> Self {
        self.events = Some((sink, crate::events::QUEUE));
        self
    }

    /// As [`ServerBuilder::events`] with a queue of `capacity` events (at
    /// least 1): past it, events are dropped and counted.
    pub fn events_with_queue(
        mut self,
        sink: Arc<dyn crate::events::EventSink>,
        capacity: usize,
    ) -> Self {
        self.events = Some((sink, capacity.max(1)));
        self
    }

    /// Validates the configuration, opens its store (unless one was given)
    /// and builds the server.
    pub fn build(self) -> Result<Server, ConfigError> {
        let (registry, users) = Registry::build(&self.config)?;
        let timer = self.timer.unwrap_or_else(|| Arc::new(SystemTimer));
        crate::accounts::config::check_owners(&self.config, &users, self.accounts.is_some())?;
        let accounts = match self.accounts {
            Some(host) => Owners::Host(HostAccounts::new(
                host,
                self.config.accounts,
                Arc::clone(&timer),
            )),
            None => Owners::Config(ConfigAccounts::new(users, registry.hash_params)),
        };
        let store = match self.store {
            Some(store) => store,
            None => crate::store::open(&self.config.store)?,
        };
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let events = Arc::new(match self.events {
            Some((sink, capacity)) => crate::events::Events::to(sink, capacity),
            None => crate::events::Events::log_only(),
        });
        // The store's failures are counted, and its calls timed when it
        // is a database.
        let store = crate::metrics::Metered::new(
            store,
            Arc::clone(&metrics),
            Arc::clone(&events),
            self.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
        );
        Ok(Server {
            registry: ArcSwap::from_pointee(registry),
            accounts,
            authorizer: self.authorizer,
            store,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            timer,
            reloading: Mutex::new(()),
            metrics,
            events,
        })
    }
}

/// What a configuration holds, validated as a server validates it (see
/// [`Config::check`]): what an operator's "check this file" prints.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigSummary {
    /// Scopes defined.
    pub scopes: usize,
    /// Clients registered.
    pub clients: usize,
    /// Of them, those allowed the password grant.
    pub password_clients: usize,
    /// Configured users (none with a host's accounts).
    pub users: usize,
    /// Access rules.
    pub rules: usize,
    /// The store's kind: `memory`, `sqlite`, `postgres` (or `unavailable`).
    pub store: &'static str,
}

impl std::fmt::Display for ConfigSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} scopes, {} clients ({} with the password grant), {} users, {} rules, store: {}",
            self.scopes, self.clients, self.password_clients, self.users, self.rules, self.store
        )
    }
}

impl Config {
    /// Validates the configuration exactly as [`ServerBuilder::build`]
    /// does, without opening its store; `host_accounts` says the server
    /// will verify owners with a host's accounts (then `users` must be
    /// empty and the rules' names are not checked).
    pub fn check(&self, host_accounts: bool) -> Result<ConfigSummary, ConfigError> {
        let (_, users) = Registry::build(self)?;
        crate::accounts::config::check_owners(self, &users, host_accounts)?;
        crate::store::settings(&self.store)?;
        Ok(ConfigSummary {
            scopes: self.scopes.len(),
            clients: self.clients.len(),
            password_clients: self
                .clients
                .iter()
                .filter(|c| c.grant_types.iter().any(|g| g == "password"))
                .count(),
            users: users.len(),
            rules: self.rules.len(),
            store: match self.store {
                StoreConfig::Memory => "memory",
                StoreConfig::Sqlite { .. } => "sqlite",
                StoreConfig::Postgres { .. } => "postgres",
                StoreConfig::Unavailable => "unavailable",
            },
        })
    }
}

/// Where the resource owners are.
enum Owners {
    Config(ConfigAccounts),
    Host(HostAccounts),
}

/// An OAuth 2.0 authorization server for the password grant, and the
/// resource-server check beside it. `Send + Sync`: share one across threads.
///
/// ```
/// use ropc_core::{ClientConfig, ClientCredentials, Config, HashParams, RuleConfig, Server, UserConfig};
/// let cheap = HashParams { m_cost: 64, t_cost: 1, p_cost: 1 }; // tests only
/// let (secret, secret_hash) = ropc_core::generate_client_secret();
/// let mut config = Config::default()
///     .scope("read", &["GET /invoices/*"])
///     .client(ClientConfig::confidential("app", &secret_hash)
///         .grant_types(&["password", "refresh_token"]).scopes(&["read"]))
///     .user(UserConfig::new("alice", &ropc_core::hash_password("s3cret!", cheap).unwrap()))
///     .rule(RuleConfig::new(&["GET /invoices/*"]).users(&["alice"]));
/// config.password_hashing = cheap;
/// config.allow_weak_password_hashing = true;
/// let server = Server::from_config(config).unwrap();
/// let client = ClientCredentials::new("app", &secret);
/// let tokens = server.password_grant(&client, "alice", "s3cret!", Some("read")).unwrap();
/// let who = server.check(&tokens.access_token, "GET /invoices/7", Some("read")).unwrap();
/// assert_eq!(who.username, "alice");
/// ```
pub struct Server {
    /// Scopes, clients, rules and settings: swapped whole by a reload.
    registry: ArcSwap<Registry>,
    accounts: Owners,
    authorizer: Option<Arc<dyn OwnerAuthorizer>>,
    /// Every store call goes through it, metered.
    store: crate::metrics::Metered,
    clock: Arc<dyn Clock>,
    timer: Arc<dyn Timer>,
    /// One reload at a time.
    reloading: Mutex<()>,
    metrics: Arc<crate::metrics::Metrics>,
    events: Arc<crate::events::Events>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reg = self.registry.load();
        let mut d = f.debug_struct("Server");
        d.field("realm", &reg.config.realm)
            .field("clients", &reg.clients.len());
        match &self.accounts {
            Owners::Config(users) => d.field("users", &users.len()),
            Owners::Host(_) => d.field("users", &"<host accounts>"),
        };
        d.finish()
    }
}

/// The bounded argon2 pool is full: answer at once, do nothing.
fn busy(_: crate::password::Busy) -> OAuthError {
    OAuthError::temporarily_unavailable("the server is busy verifying passwords; retry shortly")
}

const BAD_CREDENTIALS: &str = "the username or password is wrong";
const BAD_REFRESH: &str = "the refresh token is invalid, expired or revoked";
const BAD_ACCESS: &str = "the access token is invalid, expired or revoked";

/// `token_type_hint` values (RFC 7009 §2.1, RFC 7662 §2.1); anything else
/// is ignored and every type is searched.
fn search_order(hint: Option<&str>) -> [TokenKind; 2] {
    if hint == Some("refresh_token") {
        [TokenKind::Refresh, TokenKind::Access]
    } else {
        [TokenKind::Access, TokenKind::Refresh]
    }
}

impl Server {
    /// A builder, for a custom store or clock.
    pub fn builder(config: Config) -> ServerBuilder {
        ServerBuilder {
            config,
            store: None,
            clock: None,
            timer: None,
            accounts: None,
            authorizer: None,
            events: None,
        }
    }

    /// A server on the store its configuration names, with the system clock.
    pub fn from_config(config: Config) -> Result<Server, ConfigError> {
        Self::builder(config).build()
    }

    /// A server from a JSON configuration document.
    pub fn from_json(json: &str) -> Result<Server, ConfigError> {
        Self::from_config(Config::from_json(json)?)
    }

    /// A server from a JSON configuration file.
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Server, ConfigError> {
        let path = path.as_ref();
        let config = Config::from_file(path)?;
        Self::from_config(config).map_err(|e| e.in_file(path.display().to_string()))
    }

    /// The realm of `WWW-Authenticate` challenges.
    pub fn realm(&self) -> String {
        self.registry.load().config.realm.clone()
    }

    /// The current configuration, with password hashes as they are now
    /// (after re-hashing on login and password changes): persist it to keep them.
    pub fn config(&self) -> Config {
        let mut config = self.registry.load().config.clone();
        if let Owners::Config(users) = &self.accounts {
            for u in &mut config.users {
                if let Some((hash, enabled)) = users.current(&u.username) {
                    u.password_hash = hash;
                    u.enabled = enabled;
                }
            }
        }
        config
    }

    /// Swaps in a new configuration (clients, users, scopes, rules and
    /// settings) at once, without dropping a token: a request sees the old
    /// configuration or the new one, never a mix. Tokens of a removed
    /// client or user stop working; users the new configuration removes,
    /// disables or gives another password hash lose their tokens in every
    /// process sharing the store. The store cannot change (restart for
    /// that); on an error nothing changes.
    pub fn reload(&self, config: Config) -> Result<(), ConfigError> {
        let _one_at_a_time = self.reloading.lock();
        let current = self.registry.load_full();
        if config.store != current.config.store {
            return Err(ConfigError::new(
                "store",
                "the store cannot change on a reload: restart the server to move it",
            ));
        }
        let (registry, users) = Registry::build(&config)?;
        crate::accounts::config::check_owners(
            &config,
            &users,
            matches!(self.accounts, Owners::Host(_)),
        )?;
        match &self.accounts {
            Owners::Config(accounts) => {
                for name in accounts.ended_by(&users) {
                    self.store.call(|s| s.revoke_user(&name)).map_err(|e| {
                        ConfigError::new(
                            "users",
                            format!("the store could not end a changed user's tokens, nothing changed: {e}"),
                        )
                    })?;
                    self.events
                        .emit(crate::events::EventKind::UserTokensRevoked, |k| {
                            crate::events::Event::new(k, self.clock.now())
                                .user(&name)
                                .reason("reload")
                        });
                }
                accounts.replace(users, registry.hash_params);
            }
            Owners::Host(host) => {
                host.set_settings(config.accounts);
            }
        }
        self.registry.store(Arc::new(registry));
        Ok(())
    }

    /// [`Server::reload`] from a JSON document.
    pub fn reload_json(&self, json: &str) -> Result<(), ConfigError> {
        self.reload(Config::from_json(json)?)
    }

    /// [`Server::reload`] from a configuration file, read as
    /// [`Config::from_file`] reads it (strict UTF-8: a file cut inside a
    /// character, as an editor mid-write leaves it, is an error naming the
    /// file). What every binding's reload-on-SIGHUP calls.
    pub fn reload_file(&self, path: impl AsRef<std::path::Path>) -> Result<(), ConfigError> {
        self.reload(Config::from_file(path)?)
    }

    /// The token-endpoint response for an error from a typed call
    /// (RFC 6749 §5.2), for callers that parse requests themselves.
    pub fn error_response(&self, err: &OAuthError) -> HttpResponse {
        HttpResponse::token_error(err, &self.registry.load().config.realm)
    }

    /// Whether answering `req` may run argon2 (a password grant, or a client
    /// whose secret is an argon2 hash): such calls belong off an event loop,
    /// the rest cost microseconds and can run where they are. Bindings use
    /// it to choose; the answer never changes what the endpoint decides.
    pub fn may_hash(&self, req: &HttpRequest<'_>) -> bool {
        let Ok(form) = Form::from_request(req) else {
            return false;
        };
        if form.get("grant_type").ok().flatten() == Some("password") {
            return true;
        }
        ClientCredentials::from_request(req.authorization, &form)
            .ok()
            .is_some_and(|c| self.client_secret_is_hashed(&c.client_id))
    }

    /// Whether answering `req` may block the calling thread: it may run
    /// argon2 ([`Server::may_hash`]) or the store may wait on a disk or a
    /// network. Event-loop bindings send such calls to a worker pool.
    pub fn may_block(&self, req: &HttpRequest<'_>) -> bool {
        self.store.store().may_block() || self.has_host_accounts() || self.may_hash(req)
    }

    /// Whether resource owners are the host's (callbacks may run, on any
    /// call that verifies or looks up an owner).
    pub fn has_host_accounts(&self) -> bool {
        matches!(self.accounts, Owners::Host(_)) || self.authorizer.is_some()
    }

    /// Whether calls that read tokens may block: the store waits on a disk
    /// or a network (SQLite, PostgreSQL), or host callbacks (accounts,
    /// authorize) may run. Then every such call belongs off an event loop and
    /// outside Python's GIL.
    pub fn calls_may_block(&self) -> bool {
        self.store.store().may_block() || self.has_host_accounts()
    }

    /// Whether a typed call that authenticates `client_id` without a
    /// password (refresh, introspection, revocation) may block: its secret
    /// is an argon2 hash, or the store may wait on a disk or a network.
    pub fn client_call_may_block(&self, client_id: &str) -> bool {
        self.calls_may_block() || self.client_secret_is_hashed(client_id)
    }

    /// Whether authenticating as this client takes one argon2 verification:
    /// its secret is an argon2 hash, or the id is unknown and the dummy it
    /// is verified against is one (client secrets are all of one kind).
    pub fn client_secret_is_hashed(&self, client_id: &str) -> bool {
        let reg = self.registry.load();
        match reg.clients.get(client_id) {
            Some(c) => matches!(c.secret, Some(SecretHash::Argon2(_))),
            None => matches!(reg.dummy_secret, SecretHash::Argon2(_)),
        }
    }

    /// Hashes a password with this server's parameters.
    pub fn hash_password(&self, password: &str) -> Result<String, HashError> {
        hash_password(password, self.registry.load().hash_params)
    }

    // ---- client authentication and shared helpers -------------------------

    /// RFC 6749 §2.3.1: the client must be confidential and prove its secret.
    /// Every failure answers alike after the same work: client secrets are
    /// all of one kind (the configuration is refused otherwise), an unknown
    /// id is verified against a dummy of that kind, a missing secret
    /// against the client's own hash.
    fn authenticate<'r>(
        reg: &'r Registry,
        creds: &ClientCredentials,
    ) -> Result<&'r Client, OAuthError> {
        let failed = || OAuthError::invalid_client("client authentication failed");
        let presented = creds.client_secret.as_deref();
        let Some(client) = reg.clients.get(creds.client_id.as_str()) else {
            reg.dummy_secret
                .verify(presented.unwrap_or(""))
                .map_err(busy)?;
            return Err(failed());
        };
        match (&client.secret, presented) {
            (None, None) => Err(OAuthError::unauthorized_client(
                "public clients can never use this endpoint",
            )),
            (Some(hash), Some(secret)) => match hash.verify(secret).map_err(busy)? {
                true => Ok(client),
                false => Err(failed()),
            },
            (Some(hash), None) => {
                // No secret for a confidential client: the work of a wrong one.
                hash.verify("").map_err(busy)?;
                Err(failed())
            }
            _ => Err(failed()),
        }
    }

    fn scope_for(
        reg: &Registry,
        client: &Client,
        requested: Option<&str>,
    ) -> Result<ScopeSet, OAuthError> {
        let Some(requested) = requested else {
            if client.default_scopes.is_empty() {
                return Err(OAuthError::invalid_scope(
                    "no scope was requested and the client has no default scope",
                ));
            }
            return Ok(client.default_scopes.clone());
        };
        Self::scope_within(
            reg,
            requested,
            &client.scopes,
            "is not allowed for this client",
        )
    }

    /// The requested scope, each of whose tokens must be in `allowed`.
    fn scope_within(
        reg: &Registry,
        requested: &str,
        allowed: &ScopeSet,
        otherwise: &str,
    ) -> Result<ScopeSet, OAuthError> {
        let mut ids = Vec::new();
        for name in parse_scope(requested)? {
            match reg.scope_id(name).filter(|id| allowed.contains(*id)) {
                Some(id) => ids.push(id),
                None => {
                    return Err(OAuthError::invalid_scope(format!(
                        "the scope '{name}' {otherwise}"
                    )))
                }
            }
        }
        Ok(ScopeSet::from_ids(ids))
    }

    /// `f` of the groups of the owner behind a token, if it still stands
    /// here: exists and is enabled, and the client it was issued to is
    /// still configured. (Credential versions, which end tokens everywhere,
    /// are the store's to check.) `Err` when the host's accounts failed.
    fn owner_of<R>(
        &self,
        reg: &Registry,
        record: &TokenRecord,
        f: impl FnOnce(&[Box<str>]) -> R,
    ) -> Result<Option<R>, OAuthError> {
        self.with_owner(
            reg,
            &record.client_id,
            &record.username,
            record.user_version,
            f,
        )
    }

    /// [`Server::owner_of`] a token of `client_id`, `username` and
    /// `user_version`.
    fn with_owner<R>(
        &self,
        reg: &Registry,
        client_id: &str,
        username: &str,
        user_version: u64,
        f: impl FnOnce(&[Box<str>]) -> R,
    ) -> Result<Option<R>, OAuthError> {
        if !reg.clients.contains_key(client_id) {
            return Ok(None);
        }
        match &self.accounts {
            Owners::Config(users) => Ok(users.with_groups(username, f)),
            Owners::Host(host) => {
                let (state, fresh) = host.state(username, self.clock.now())?;
                let Some(state) = state.filter(|s| s.enabled) else {
                    return Ok(None);
                };
                if let (true, Some(c)) = (fresh, state.credential) {
                    // A credential changed in the host since the token was
                    // issued ends it (and every older token, everywhere).
                    if self.store.call(|s| s.sync_credential(username, c))? != user_version {
                        return Ok(None);
                    }
                }
                Ok(Some(f(&state.groups)))
            }
        }
    }

    /// Saves a new grant, then answers with its tokens: nothing is answered
    /// that was not saved.
    fn issue(
        &self,
        reg: &Registry,
        client: &Client,
        username: &str,
        user_version: u64,
        scopes: ScopeSet,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let scope: Arc<str> = reg.scope_string(&scopes).into();
        let username: Arc<str> = username.into();
        let grant = GrantId::random();
        // The grant's maximum age bounds every token of it.
        let end = client
            .max_session
            .map_or(u64::MAX, |m| now.saturating_add(m));
        let record = |ttl: u64| TokenRecord {
            grant,
            client_id: Arc::clone(&client.id),
            username: Arc::clone(&username),
            scope: Arc::clone(&scope),
            issued_at: now,
            expires_at: now.saturating_add(ttl).min(end),
            user_version,
            auth_time: now,
        };
        let refresh = client.refresh_tokens.then(|| {
            let (token, hash) = mint();
            (token, (hash, record(client.refresh_ttl)))
        });
        let (access_token, hash) = mint();
        let (refresh_token, refresh_entry) =
            refresh.map_or((None, None), |(t, e)| (Some(t), Some(e)));
        self.store
            .call(|s| s.insert_grant((hash, record(client.access_ttl)), refresh_entry))?;
        self.events
            .emit(crate::events::EventKind::TokenIssued, |k| {
                crate::events::Event::new(k, now)
                    .client(&client.id)
                    .user(&username)
                    .grant(&grant)
            });
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: client.access_ttl.min(end - now),
            refresh_token,
            scope: scope.to_string(),
        })
    }
}

/// An owner's groups, copied out of what [`Server::with_owner`] lends.
fn owned_groups(groups: &[Box<str>]) -> Vec<String> {
    // String::from, not to_string: the latter goes through fmt, a
    // measurable share of a check.
    groups.iter().map(|g| String::from(&**g)).collect()
}

/// A live token as a check, an introspection or a revocation reads it,
/// copied out of the store. An access token is lent
/// ([`Store::access_with`]), so no `Arc` that a client's or user's tokens
/// share is counted up and down by threads reading at once.
struct Found {
    kind: TokenKind,
    hash: TokenHash,
    /// A rotated refresh token is live only to detect reuse.
    usable: bool,
    grant: GrantId,
    client_id: String,
    username: String,
    scope: ScopeSet,
    issued_at: u64,
    expires_at: u64,
    user_version: u64,
    auth_time: u64,
}

impl Found {
    fn of(
        kind: TokenKind,
        hash: TokenHash,
        usable: bool,
        t: TokenView<'_>,
        reg: &Registry,
    ) -> Found {
        // String::from, not to_string: the latter goes through fmt, a
        // measurable share of a check.
        Found {
            kind,
            hash,
            usable,
            grant: t.grant,
            client_id: String::from(t.client_id),
            username: String::from(t.username),
            scope: reg.scope_set_of(t.scope),
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            user_version: t.user_version,
            auth_time: t.auth_time,
        }
    }
}

impl Server {
    /// A live access token, copied out of the store's lent record.
    fn lent_access(
        &self,
        reg: &Registry,
        hash: TokenHash,
        now: u64,
    ) -> Result<Option<Found>, StoreError> {
        let mut found = None;
        self.store.call(|s| {
            s.access_with(&hash, now, &mut |t| {
                found = Some(Found::of(TokenKind::Access, hash, true, t, reg));
            })
        })?;
        Ok(found)
    }
}
