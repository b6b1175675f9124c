//! The authorization server: token endpoint (password and refresh_token
//! grants), introspection, revocation, and the in-process resource check.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::error::{AccountError, ConfigError, OAuthError};
use crate::http::{ClientCredentials, Form, HttpRequest, HttpResponse};
use crate::password::{hash_password, HashError, PasswordHashed, Passwords, MAX_PASSWORD_BYTES};
use crate::registry::{Client, Registry, SecretHash, User, MAX_NAME_BYTES};
use crate::resource::{authorize, bearer, check_arguments, Principal, Refusal};
use crate::scope::{parse_scope, ScopeSet};
use crate::store::{
    GrantId, RefreshState, Rotation, Store, StoreError, StoreStats, Successors, TokenKind,
    TokenRecord, Verdict,
};
use crate::token::{looks_like_token, mint, TokenHash};
use parking_lot::RwLock;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

mod accounts;
mod check;
mod endpoints;
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
}

impl Introspection {
    /// The RFC 7662 JSON document, as the introspection endpoint sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Introspection always serializes")
    }
}

/// Builds a [`Server`] with a non-default store or clock.
pub struct ServerBuilder {
    config: Config,
    store: Option<Arc<dyn Store>>,
    clock: Option<Arc<dyn Clock>>,
}

impl std::fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("custom_store", &self.store.is_some())
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

    /// Validates the configuration, opens its store (unless one was given)
    /// and builds the server.
    pub fn build(self) -> Result<Server, ConfigError> {
        let (registry, users) = Registry::build(&self.config)?;
        let store = match self.store {
            Some(store) => store,
            None => crate::store::open(&self.config.store)?,
        };
        Ok(Server {
            passwords: Passwords::new(registry.hash_params),
            registry,
            users: RwLock::new(users),
            store,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        })
    }
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
/// let server = Server::from_config(config).unwrap();
/// let client = ClientCredentials::new("app", &secret);
/// let tokens = server.password_grant(&client, "alice", "s3cret!", Some("read")).unwrap();
/// let who = server.check(&tokens.access_token, "GET /invoices/7", Some("read")).unwrap();
/// assert_eq!(who.username, "alice");
/// ```
pub struct Server {
    registry: Registry,
    users: RwLock<HashMap<Arc<str>, User>>,
    passwords: Passwords,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("realm", &self.registry.config.realm)
            .field("clients", &self.registry.clients.len())
            .field("users", &self.users.read().len())
            .finish()
    }
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
        let json = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                path.display().to_string(),
                format!("cannot read the file: {e}"),
            )
        })?;
        Self::from_json(&json)
    }

    /// The realm of `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.registry.config.realm
    }

    /// The current configuration, with password hashes as they are now
    /// (after re-hashing on login and password changes): persist it to keep them.
    pub fn config(&self) -> Config {
        let mut config = self.registry.config.clone();
        let users = self.users.read();
        for u in &mut config.users {
            if let Some(cur) = users.get(u.username.as_str()) {
                u.password_hash = cur.hash.to_phc_string();
                u.enabled = cur.enabled;
            }
        }
        config
    }

    /// The token-endpoint response for an error from a typed call
    /// (RFC 6749 §5.2), for callers that parse requests themselves.
    pub fn error_response(&self, err: &OAuthError) -> HttpResponse {
        HttpResponse::token_error(err, self.realm())
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
        self.store.may_block() || self.may_hash(req)
    }

    /// Whether store calls may wait on a disk or a network (SQLite,
    /// PostgreSQL): then every call that reads tokens belongs off an event
    /// loop and outside Python's GIL.
    pub fn store_may_block(&self) -> bool {
        self.store.may_block()
    }

    /// Whether a typed call that authenticates `client_id` without a
    /// password (refresh, introspection, revocation) may block: its secret
    /// is an argon2 hash, or the store may wait on a disk or a network.
    pub fn client_call_may_block(&self, client_id: &str) -> bool {
        self.store_may_block() || self.client_secret_is_hashed(client_id)
    }

    /// Whether this client's secret is an argon2 hash (so that
    /// authenticating it takes one argon2 verification).
    pub fn client_secret_is_hashed(&self, client_id: &str) -> bool {
        self.registry
            .clients
            .get(client_id)
            .is_some_and(|c| matches!(c.secret, Some(SecretHash::Argon2(_))))
    }

    /// Hashes a password with this server's parameters.
    pub fn hash_password(&self, password: &str) -> Result<String, HashError> {
        hash_password(password, self.passwords.params())
    }

    // ---- client authentication and shared helpers -------------------------

    /// RFC 6749 §2.3.1: the client must be confidential and prove its secret.
    /// Every failure answers alike after the same work: an unknown id is
    /// verified against a dummy of the costliest secret kind configured, a
    /// missing secret against the client's own hash.
    fn authenticate(&self, creds: &ClientCredentials) -> Result<&Client, OAuthError> {
        let failed = || OAuthError::invalid_client("client authentication failed");
        let presented = creds.client_secret.as_deref();
        let Some(client) = self.registry.clients.get(creds.client_id.as_str()) else {
            self.registry.dummy_secret.verify(presented.unwrap_or(""));
            return Err(failed());
        };
        match (&client.secret, presented) {
            (None, None) => Err(OAuthError::unauthorized_client(
                "public clients can never use this endpoint",
            )),
            (Some(hash), Some(secret)) if hash.verify(secret) => Ok(client),
            (Some(hash), None) => {
                // No secret for a confidential client: the work of a wrong one.
                hash.verify("");
                Err(failed())
            }
            _ => Err(failed()),
        }
    }

    fn scope_for(&self, client: &Client, requested: Option<&str>) -> Result<ScopeSet, OAuthError> {
        let Some(requested) = requested else {
            if client.default_scopes.is_empty() {
                return Err(OAuthError::invalid_scope(
                    "no scope was requested and the client has no default scope",
                ));
            }
            return Ok(client.default_scopes.clone());
        };
        self.scope_within(requested, &client.scopes, "is not allowed for this client")
    }

    /// The requested scope, each of whose tokens must be in `allowed`.
    fn scope_within(
        &self,
        requested: &str,
        allowed: &ScopeSet,
        otherwise: &str,
    ) -> Result<ScopeSet, OAuthError> {
        let mut ids = Vec::new();
        for name in parse_scope(requested)? {
            match self
                .registry
                .scope_id(name)
                .filter(|id| allowed.contains(*id))
            {
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

    fn user(&self, username: &str) -> Option<User> {
        self.users.read().get(username).cloned()
    }

    /// Whether the user behind a token still stands: exists, enabled, and
    /// has not changed credentials since the token was issued.
    /// Whether the user behind a token still stands in this server's
    /// accounts: exists and is enabled. (Credential versions, which end
    /// tokens everywhere, are the store's to check.)
    fn user_current(&self, record: &TokenRecord) -> Option<Arc<[Box<str>]>> {
        let users = self.users.read();
        let u = users.get(&*record.username)?;
        u.enabled.then(|| Arc::clone(&u.groups))
    }

    /// Saves a new grant, then answers with its tokens: nothing is answered
    /// that was not saved.
    fn issue(
        &self,
        client: &Client,
        user: &User,
        user_version: u64,
        scopes: ScopeSet,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let scope: Arc<str> = self.registry.scope_string(&scopes).into();
        let grant = GrantId::random();
        let record = |ttl: u64| TokenRecord {
            grant,
            client_id: Arc::clone(&client.id),
            username: Arc::clone(&user.username),
            scope: Arc::clone(&scope),
            issued_at: now,
            expires_at: now.saturating_add(ttl),
            user_version,
        };
        let refresh = client.refresh_tokens.then(|| {
            let (token, hash) = mint();
            (token, (hash, record(client.refresh_ttl)))
        });
        let (access_token, hash) = mint();
        let (refresh_token, refresh_entry) =
            refresh.map_or((None, None), |(t, e)| (Some(t), Some(e)));
        self.store
            .insert_grant((hash, record(client.access_ttl)), refresh_entry)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: client.access_ttl,
            refresh_token,
            scope: scope.to_string(),
        })
    }
}
