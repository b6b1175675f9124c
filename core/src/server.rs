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

    // ---- client authentication -------------------------------------------

    /// RFC 6749 §2.3.1: the client must be confidential and prove its secret.
    /// Every failure answers alike and takes about the same time.
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

    // ---- grants -------------------------------------------------------------

    /// The password grant (RFC 6749 §4.3). Checks, in order: the client, its
    /// right to the grant, the scope, the throttle, the password; so a
    /// client that may not use the grant never causes a password check.
    pub fn password_grant(
        &self,
        client: &ClientCredentials,
        username: &str,
        password: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.authenticate(client)?;
        if !client.password_grant {
            return Err(OAuthError::unauthorized_client(
                "this client is not allowed the password grant",
            ));
        }
        if username.is_empty() || password.is_empty() {
            return Err(OAuthError::invalid_request(
                "username and password are required",
            ));
        }
        if username.len() > MAX_NAME_BYTES {
            // Before any work: no configured name is longer, and an
            // attacker's 60 KB names must not cost counters their size.
            return Err(OAuthError::invalid_request(format!(
                "the username is longer than {MAX_NAME_BYTES} bytes"
            )));
        }
        let scopes = self.scope_for(client, scope)?;
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(OAuthError::invalid_request(format!(
                "the password is longer than {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        // Counters are kept per name whether or not the account exists, so
        // a lock-out says nothing about which accounts exist. The attempt is
        // counted before the password is checked, in one atomic store
        // operation: concurrent guesses, in any number of processes sharing
        // the store, never get more checks than the throttle allows.
        let now = self.clock.now();
        let attempt = self
            .store
            .login_attempt(username, now, &self.registry.config.throttle)?;
        match attempt.verdict {
            Verdict::Proceed => {}
            Verdict::Locked => {
                // Exactly like a wrong password, in body and in work (one
                // argon2 verification), as Keycloak does for direct grants:
                // the attacker learns nothing; the operator learns from the log.
                self.passwords.verify_dummy(password);
                log::warn!(target: "ropc::throttle", "sign-in refused: the account {username:?} is locked");
                return Err(OAuthError::invalid_grant(BAD_CREDENTIALS));
            }
            Verdict::Busy => {
                return Err(OAuthError::temporarily_unavailable(
                    "too many sign-ins for this account are in progress; retry shortly",
                ))
            }
        }
        let user = self.user(username);
        let ok = match &user {
            Some(u) => u.hash.verify(password) && u.enabled,
            None => {
                self.passwords.verify_dummy(password);
                false
            }
        };
        // Both outcomes make the same store call.
        self.store.login_finished(username, now, ok)?;
        let user = match user {
            Some(u) if ok => u,
            _ => return Err(OAuthError::invalid_grant(BAD_CREDENTIALS)),
        };
        if user.hash.needs_rehash(self.passwords.params()) {
            self.rehash(&user, password);
        }
        self.issue(client, &user, attempt.user_version, scopes)
    }

    /// Upgrades a hash made on older parameters, unless the password changed meanwhile.
    fn rehash(&self, user: &User, password: &str) {
        let Ok(phc) = hash_password(password, self.passwords.params()) else {
            return;
        };
        let Ok(parsed) = PasswordHashed::parse(&phc) else {
            return;
        };
        if let Some(u) = self.users.write().get_mut(&*user.username) {
            if u.hash.to_phc_string() == user.hash.to_phc_string() {
                u.hash = parsed;
            }
        }
    }

    /// The refresh_token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14):
    /// the token is exchanged for a new one; presenting it again revokes its
    /// whole grant. The scope may narrow, never widen.
    pub fn refresh_grant(
        &self,
        client: &ClientCredentials,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let client = self.authenticate(client)?;
        if !client.refresh_grant {
            return Err(OAuthError::unauthorized_client(
                "this client is not allowed the refresh_token grant",
            ));
        }
        if refresh_token.is_empty() {
            return Err(OAuthError::invalid_request(
                "the parameter refresh_token is missing",
            ));
        }
        let invalid = || OAuthError::invalid_grant(BAD_REFRESH);
        if !looks_like_token(refresh_token) {
            return Err(invalid());
        }
        let hash = TokenHash::of(refresh_token);
        let now = self.clock.now();
        let (new_refresh, new_refresh_hash) = mint();
        let (new_access, new_access_hash) = mint();
        let mut next = Successors {
            refresh: new_refresh_hash,
            access: new_access_hash,
            issued_at: now,
            refresh_expires_at: now.saturating_add(client.refresh_ttl),
            access_expires_at: now.saturating_add(client.access_ttl),
            access_scope: None,
        };
        if let Some(requested) = scope {
            // Narrowing needs the scope granted originally: one read first.
            let record = match self.store.refresh(&hash, now)? {
                Some(RefreshState::Active(r)) if *r.client_id == *client.id => r,
                Some(RefreshState::Rotated(r)) if *r.client_id == *client.id => {
                    // Reuse of a rotated token: someone holds a copy. End the grant.
                    self.store.revoke_grant(TokenKind::Refresh, &hash)?;
                    return Err(invalid());
                }
                _ => return Err(invalid()),
            };
            let granted = self.registry.scope_set_of(&record.scope);
            let narrowed = self.scope_within(requested, &granted, "was not granted originally")?;
            next.access_scope = Some(self.registry.scope_string(&narrowed).into());
        }
        // The swap decides everything else in one store operation (on
        // PostgreSQL, one statement): the token is active and this client's,
        // or it was rotated before (reuse: the store revokes the lineage),
        // or it is not a live token.
        let old = match self.store.rotate(&hash, &client.id, now, &next)? {
            Rotation::Rotated(old) => old,
            Rotation::Reused | Rotation::WrongClient | Rotation::Invalid => return Err(invalid()),
        };
        if self.user_current(&old).is_none() {
            // The owner no longer stands here (removed or disabled): end the
            // grant, successors included.
            self.store.revoke_grant(TokenKind::Refresh, &next.refresh)?;
            return Err(invalid());
        }
        let scope = match next.access_scope {
            Some(narrowed) => narrowed.to_string(),
            None => self
                .registry
                .scope_string(&self.registry.scope_set_of(&old.scope)),
        };
        Ok(TokenResponse {
            access_token: new_access,
            token_type: "Bearer",
            expires_in: client.access_ttl,
            refresh_token: Some(new_refresh),
            scope,
        })
    }

    // ---- introspection and revocation ---------------------------------------

    /// A live token of either kind (and whether it is usable: a rotated
    /// refresh token is live only to detect reuse).
    fn find(
        &self,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Option<(TokenKind, TokenHash, TokenRecord, bool)>, StoreError> {
        if !looks_like_token(token) {
            return Ok(None);
        }
        let hash = TokenHash::of(token);
        let now = self.clock.now();
        for kind in search_order(hint) {
            let found = match kind {
                TokenKind::Access => self.store.access(&hash, now)?.map(|r| (r, true)),
                TokenKind::Refresh => self.store.refresh(&hash, now)?.map(|s| match s {
                    RefreshState::Active(r) => (r, true),
                    RefreshState::Rotated(r) => (r, false),
                }),
            };
            if let Some((record, usable)) = found {
                return Ok(Some((kind, hash, record, usable)));
            }
        }
        Ok(None)
    }

    /// Introspection (RFC 7662). The caller must be an authenticated
    /// confidential client; a client allowed `introspect` sees every token,
    /// any other only its own.
    pub fn introspect(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Introspection, OAuthError> {
        let caller = self.authenticate(caller)?;
        let Some((kind, _, record, usable)) = self.find(token, hint)? else {
            return Ok(Introspection::default());
        };
        if !usable || !(caller.introspect || *record.client_id == *caller.id) {
            return Ok(Introspection::default());
        }
        let Some(groups) = self.user_current(&record) else {
            return Ok(Introspection::default());
        };
        Ok(Introspection {
            active: true,
            scope: Some(
                self.registry
                    .scope_string(&self.registry.scope_set_of(&record.scope)),
            ),
            client_id: Some(record.client_id.to_string()),
            username: Some(record.username.to_string()),
            token_type: Some(if kind == TokenKind::Access {
                "Bearer"
            } else {
                "refresh_token"
            }),
            exp: Some(record.expires_at),
            iat: Some(record.issued_at),
            sub: Some(record.username.to_string()),
            iss: self.registry.config.issuer.clone(),
            groups: Some(groups.iter().map(|g| g.to_string()).collect()),
        })
    }

    /// Revocation (RFC 7009). Revoking a refresh token ends its whole grant,
    /// access tokens included; revoking an access token ends that token.
    /// Unknown tokens succeed; another client's token is refused.
    pub fn revoke(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<(), OAuthError> {
        let caller = self.authenticate(caller)?;
        let Some((kind, hash, record, _)) = self.find(token, hint)? else {
            return Ok(());
        };
        if *record.client_id != *caller.id {
            return Err(OAuthError::invalid_grant(
                "the token was not issued to this client",
            ));
        }
        match kind {
            TokenKind::Refresh => self.store.revoke_grant(kind, &hash)?,
            TokenKind::Access => {
                self.store.remove(kind, &hash)?;
            }
        }
        Ok(())
    }

    // ---- account events -------------------------------------------------------

    /// Sets a user's password hash (a PHC string) and ends every token the
    /// user holds (RFC 9700 §4.14: revoke on security events), in every
    /// process that shares the store. The new hash is this process's: other
    /// workers load it with their configuration (see [`Server::config`]).
    pub fn set_user_password_hash(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<(), AccountError> {
        let parsed = PasswordHashed::parse(password_hash).map_err(AccountError::InvalidHash)?;
        if !self.users.read().contains_key(username) {
            return Err(AccountError::UnknownUser);
        }
        // Tokens end first: if the store cannot record that, nothing changes.
        self.store.revoke_user(username)?;
        if let Some(user) = self.users.write().get_mut(username) {
            user.hash = parsed;
        }
        Ok(())
    }

    /// Enables or disables a user; disabling ends every token the user holds.
    pub fn set_user_enabled(&self, username: &str, enabled: bool) -> Result<(), AccountError> {
        let was_enabled = self
            .users
            .read()
            .get(username)
            .map(|u| u.enabled)
            .ok_or(AccountError::UnknownUser)?;
        if was_enabled && !enabled {
            self.store.revoke_user(username)?;
        }
        if let Some(user) = self.users.write().get_mut(username) {
            user.enabled = enabled;
        }
        Ok(())
    }

    /// Ends every token a user holds, without changing the password, in
    /// every process that shares the store. `Ok(false)` for an unknown user.
    pub fn revoke_user_tokens(&self, username: &str) -> Result<bool, StoreError> {
        if !self.users.read().contains_key(username) {
            return Ok(false);
        }
        self.store.revoke_user(username)?;
        Ok(true)
    }

    /// Drops expired tokens and stale counters now, in bounded batches (the
    /// store also does so as it goes).
    pub fn purge_expired(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        self.store.purge(
            now,
            now.saturating_sub(self.registry.config.throttle.forget_after_seconds),
        )
    }

    /// Counts from the store.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        self.store.stats()
    }

    // ---- resource server --------------------------------------------------------

    /// Stage 5: whether `access_token` may be used on `resource` (and has
    /// `required_scope`, if given). Checks the token is active, the resource
    /// is within one of its scopes, and the access rules let its owner in.
    pub fn check(
        &self,
        access_token: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        check_arguments(resource, required_scope)?;
        let invalid = || OAuthError::invalid_token(BAD_ACCESS);
        if !looks_like_token(access_token) {
            return Err(invalid());
        }
        let record = self
            .store
            .access(&TokenHash::of(access_token), self.clock.now())?
            .ok_or_else(invalid)?;
        let groups = self.user_current(&record).ok_or_else(invalid)?;
        let scopes = self.registry.scope_set_of(&record.scope);
        authorize(
            &self.registry,
            &record.username,
            &groups,
            &scopes,
            resource,
            required_scope,
        )?;
        // String::from, not to_string: the latter goes through fmt, a
        // measurable share of a check.
        Ok(Principal {
            username: String::from(&*record.username),
            client_id: String::from(&*record.client_id),
            scopes: scopes
                .iter()
                .map(|id| String::from(&*self.registry.scopes[id].name))
                .collect(),
            groups: groups.iter().map(|g| String::from(&**g)).collect(),
            expires_at: record.expires_at,
        })
    }

    /// [`Server::check`] from a request's `Authorization` header, with the
    /// RFC 6750 response ready when the answer is no.
    pub fn check_request(
        &self,
        authorization: Option<&str>,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        let token = bearer(authorization, self.realm())?;
        self.check(&token, resource, required_scope)
            .map_err(|e| Refusal::new(Some(e), self.realm()))
    }

    // ---- HTTP endpoints ---------------------------------------------------------

    fn endpoint(
        &self,
        req: &HttpRequest<'_>,
        handle: impl FnOnce(ClientCredentials, &Form) -> Result<HttpResponse, OAuthError>,
    ) -> HttpResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return HttpResponse::post_only(self.realm());
        }
        let result = Form::from_request(req)
            .and_then(|form| {
                ClientCredentials::from_request(req.authorization, &form).map(|c| (c, form))
            })
            .and_then(|(creds, form)| handle(creds, &form));
        result.unwrap_or_else(|e| HttpResponse::token_error(&e, self.realm()))
    }

    /// The token endpoint (RFC 6749 §3.2): `password` and `refresh_token` grants.
    pub fn token_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, |creds, form| {
            let grant_type = form.require("grant_type")?;
            let scope = form.get("scope")?;
            let tokens = match grant_type {
                "password" => {
                    let (username, password) = (form.get("username")?, form.get("password")?);
                    self.password_grant(
                        &creds,
                        username.unwrap_or(""),
                        password.unwrap_or(""),
                        scope,
                    )?
                }
                "refresh_token" => {
                    self.refresh_grant(&creds, form.get("refresh_token")?.unwrap_or(""), scope)?
                }
                _ => {
                    self.authenticate(&creds)?;
                    return Err(OAuthError::unsupported_grant_type(
                        "ropc supports the password and refresh_token grants",
                    ));
                }
            };
            Ok(HttpResponse::json(200, &tokens))
        })
    }

    /// The introspection endpoint (RFC 7662).
    pub fn introspection_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, |creds, form| {
            let token = form.require("token")?;
            let info = self.introspect(&creds, token, form.get("token_type_hint")?)?;
            Ok(HttpResponse::json(200, &info))
        })
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, |creds, form| {
            let token = form.require("token")?;
            self.revoke(&creds, token, form.get("token_type_hint")?)?;
            // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps
            // clients that insist on parsing JSON (simple-oauth2) happy.
            Ok(HttpResponse::json(200, &serde_json::json!({})))
        })
    }
}
