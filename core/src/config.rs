//! The configuration document: the JSON form and the typed builder are the
//! same structs, so both go through one validation ([`crate::Registry`]).
//!
//! Configuration holds hashes, never plain passwords or client secrets.

use crate::error::ConfigError;
use crate::password::HashParams;
use serde::{Deserialize, Serialize};

/// Default lifetime of an access token: one hour.
pub const DEFAULT_ACCESS_TTL: u64 = 3600;
/// The lifetime of a JWT access token when its client sets none: five
/// minutes (a JWT cannot be recalled; its refresh token can).
pub const DEFAULT_JWT_ACCESS_TTL: u64 = 300;
/// Default lifetime of a refresh token: 30 days.
pub const DEFAULT_REFRESH_TTL: u64 = 30 * 24 * 3600;
/// Default realm in `WWW-Authenticate` challenges.
pub const DEFAULT_REALM: &str = "ropc";

/// The whole configuration of a server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `iss` in introspection responses and JWT access tokens; omitted
    /// when not set. A resource server checking JWTs names the issuer it
    /// trusts here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// For a resource server checking JWT access tokens: the audience
    /// (`aud`) it accepts, its own name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Realm of `WWW-Authenticate` challenges.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// Access token lifetime in seconds, unless the client sets its own.
    #[serde(default = "default_access_ttl")]
    pub access_token_ttl: u64,
    /// Refresh token lifetime in seconds (each rotation starts it anew).
    #[serde(default = "default_refresh_ttl")]
    pub refresh_token_ttl: u64,
    /// The longest a grant lives, in seconds from the owner's sign-in,
    /// whatever the rotations (unless the client sets its own); none by
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_seconds: Option<u64>,
    /// argon2id parameters for new hashes (and re-hashing on login).
    #[serde(default)]
    pub password_hashing: HashParams,
    /// Accepts `password_hashing` below OWASP's minimums (see
    /// [`HashParams::is_strong`]). For tests only: a server refuses weak
    /// parameters unless this is set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_weak_password_hashing: bool,
    /// Per-account throttling of failed password attempts.
    #[serde(default)]
    pub throttle: ThrottleConfig,
    /// The identity headers a forward-auth 200 carries.
    #[serde(default, skip_serializing_if = "ForwardAuthConfig::is_default")]
    pub forward_auth: ForwardAuthConfig,
    /// The scopes and the resources each covers.
    #[serde(default)]
    pub scopes: Vec<ScopeConfig>,
    /// The registered clients.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// The resource owners.
    #[serde(default)]
    pub users: Vec<UserConfig>,
    /// Which users and groups may use which resources.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// Where tokens, counters and credential versions live (default: memory).
    #[serde(default, skip_serializing_if = "StoreConfig::is_memory")]
    pub store: StoreConfig,
    /// How resource owners verified by the host (callbacks) are treated,
    /// and how a host's owner-authorization hook combines with the rules.
    #[serde(default, skip_serializing_if = "AccountsConfig::is_default")]
    pub accounts: AccountsConfig,
    /// The keys JWT access tokens are signed with, for clients whose
    /// `access_token_format` is `"jwt"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing: Option<SigningConfig>,
    /// Server nonces in DPoP proofs at the token endpoint (RFC 9449 §8);
    /// off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_nonce: Option<DpopNonceConfig>,
}

/// `"dpop_nonce"` in the document: the token endpoint requires every DPoP
/// proof to carry a nonce it gave (`DPoP-Nonce`), so that a proof cannot be
/// made ahead of time. Nonces are stateless: the time they were made and an
/// HMAC-SHA256 tag under a 32-byte key, which every host sharing a store
/// must be given alike, in the environment or a file (never in this
/// document). A server on its own memory store may leave the key out: it
/// makes one when it starts (a restart then asks clients for a new nonce).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopNonceConfig {
    /// How long a nonce is accepted, in seconds (default 300, at most 86400).
    #[serde(default = "default_nonce_lifetime")]
    pub lifetime_seconds: u64,
    /// The environment variable holding the key: 32 bytes, as 64 hex
    /// digits or 43 base64url characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_env: Option<String>,
    /// Or the file holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
}

fn default_nonce_lifetime() -> u64 {
    300
}

/// `"signing"` in the document: keys made, rotated and shared through the
/// store by every host, sealed under a key-encryption key the operator
/// gives in the environment or a file (never in this document).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// `"EdDSA"` (Ed25519, the default) or `"ES256"` (P-256).
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// The environment variable holding the key-encryption key: 32 bytes,
    /// as 64 hex digits or 43 base64url characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_encryption_key_env: Option<String>,
    /// Or the file holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_encryption_key_file: Option<String>,
    /// Days a key signs before the next takes over (default 30).
    #[serde(default = "default_rotate_days")]
    pub rotate_days: u64,
    /// Days before it starts signing that a key is published (default 14,
    /// less than `rotate_days`): resource servers that cache the key set
    /// for less than this always know the signing key.
    #[serde(default = "default_announce_days")]
    pub announce_days: u64,
    /// Or the operator's own keys, instead of keys that rotate by
    /// themselves: PEM files (PKCS#8 `PRIVATE KEY`, Ed25519 or P-256). The
    /// first signs; all are published (the next before it signs, the last
    /// until its tokens have expired). Kids are RFC 7638 thumbprints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_files: Vec<String>,
}

fn default_algorithm() -> String {
    "EdDSA".into()
}
fn default_rotate_days() -> u64 {
    30
}
fn default_announce_days() -> u64 {
    14
}

impl SigningConfig {
    /// Keys of `algorithm`, sealed under the key in the environment
    /// variable `kek_env`, on the default schedule.
    pub fn with_kek_env(algorithm: &str, kek_env: &str) -> SigningConfig {
        SigningConfig {
            algorithm: algorithm.into(),
            key_encryption_key_env: Some(kek_env.into()),
            key_encryption_key_file: None,
            rotate_days: default_rotate_days(),
            announce_days: default_announce_days(),
            key_files: Vec::new(),
        }
    }

    /// The operator's own keys in the PEM files `paths`: the first signs.
    pub fn with_key_files(paths: &[&str]) -> SigningConfig {
        SigningConfig {
            algorithm: default_algorithm(),
            key_encryption_key_env: None,
            key_encryption_key_file: None,
            rotate_days: default_rotate_days(),
            announce_days: default_announce_days(),
            key_files: paths.iter().map(|p| p.to_string()).collect(),
        }
    }
}

/// `"accounts"` in the document: settings for resource owners the host
/// verifies (see [`crate::Accounts`]) and for the owner-authorization hook
/// (see [`crate::OwnerAuthorizer`]). Ignored for what is not configured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountsConfig {
    /// How long an owner's state (exists, enabled, groups) fetched from the
    /// host is trusted for bearer checks, introspection and refresh: the
    /// longest a change made in the host without `revoke_user_tokens` takes
    /// to reach tokens. 0: ask the host every time. Default 30.
    pub owner_cache_seconds: u64,
    /// The longest a host callback may take; a later answer is discarded and
    /// the request gets `500 server_error`. Default 10000.
    pub callback_timeout_ms: u64,
    /// Every answer to a password grant on host accounts takes at least
    /// this long, and at least as long as 9 in 10 of the host's recent
    /// password checks: an unknown user, a wrong password, a disabled or a
    /// locked account cannot be told apart by time. Set it near the host's
    /// verification time (bcrypt at cost 12: about 250). Default 100.
    pub min_verify_ms: u64,
    /// How the owner-authorization hook, when the host sets one, combines
    /// with the configured `rules`. Default `with_rules`.
    pub authorize: AuthorizeMode,
}

/// How a host's owner-authorization hook combines with the `rules`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthorizeMode {
    /// The rules and the hook must both let the owner in.
    #[default]
    WithRules,
    /// The hook alone decides; the rules are not consulted.
    InsteadOfRules,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        AccountsConfig {
            owner_cache_seconds: 30,
            callback_timeout_ms: 10_000,
            min_verify_ms: 100,
            authorize: AuthorizeMode::WithRules,
        }
    }
}

impl AccountsConfig {
    fn is_default(&self) -> bool {
        *self == AccountsConfig::default()
    }
}

/// Where a server keeps its state: `"store": {"type": ...}` in the document.
///
/// - `memory` (the default): this process only, lost on restart.
/// - `sqlite`: one file on one host, shared by all its processes, durable.
/// - `postgres`: one database shared by many hosts.
/// - `unavailable`: fails every call, to test how clients see an outage.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum StoreConfig {
    /// [`crate::MemoryStore`].
    #[default]
    Memory,
    /// [`crate::SqliteStore`] on the file at `path` (created if missing).
    Sqlite {
        /// The database file.
        path: String,
        /// Connections per process (default 4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool_size: Option<u32>,
        /// How long a call waits for another process's write lock (default 5000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        busy_timeout_ms: Option<u64>,
        /// Commit to disk before answering (default true; see [`crate::SqliteOptions`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        durable: Option<bool>,
    },
    /// [`crate::PostgresStore`]: exactly one of `url` and `url_env`.
    Postgres {
        /// The connection URL. Prefer `url_env`: a password in a file is a secret at rest.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// The name of an environment variable holding the URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url_env: Option<String>,
        /// Connections per process (default 8).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pool_size: Option<u32>,
        /// How long connecting may take (default 5000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        connect_timeout_ms: Option<u64>,
        /// The longest a statement may run (default 10000).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        statement_timeout_ms: Option<u64>,
        /// TLS, by libpq's names: `disable` (the default, unless the URL
        /// says `sslmode=require`), `require` (encrypted, the server's
        /// certificate not verified) or `verify-full` (verified against
        /// `sslrootcert`, the host name included).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sslmode: Option<String>,
        /// The CA certificates (PEM file) `verify-full` trusts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sslrootcert: Option<String>,
    },
    /// [`crate::store::UnavailableStore`].
    Unavailable,
}

impl StoreConfig {
    /// The PostgreSQL database at `url`, every other setting its default.
    pub fn postgres(url: impl Into<String>) -> StoreConfig {
        StoreConfig::Postgres {
            url: Some(url.into()),
            url_env: None,
            pool_size: None,
            connect_timeout_ms: None,
            statement_timeout_ms: None,
            sslmode: None,
            sslrootcert: None,
        }
    }

    fn is_memory(&self) -> bool {
        *self == StoreConfig::Memory
    }
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreConfig::Memory => f.write_str("Memory"),
            StoreConfig::Unavailable => f.write_str("Unavailable"),
            StoreConfig::Sqlite { path, .. } => f
                .debug_struct("Sqlite")
                .field("path", path)
                .finish_non_exhaustive(),
            // The URL may hold a password: never print it.
            StoreConfig::Postgres { url, url_env, .. } => f
                .debug_struct("Postgres")
                .field("url", &url.as_ref().map(|_| "<redacted>"))
                .field("url_env", url_env)
                .finish_non_exhaustive(),
        }
    }
}

fn default_realm() -> String {
    DEFAULT_REALM.into()
}
fn default_access_ttl() -> u64 {
    DEFAULT_ACCESS_TTL
}
fn default_refresh_ttl() -> u64 {
    DEFAULT_REFRESH_TTL
}
fn default_true() -> bool {
    true
}

impl Default for Config {
    fn default() -> Self {
        Config {
            issuer: None,
            audience: None,
            realm: default_realm(),
            access_token_ttl: DEFAULT_ACCESS_TTL,
            refresh_token_ttl: DEFAULT_REFRESH_TTL,
            max_session_seconds: None,
            password_hashing: HashParams::OWASP,
            allow_weak_password_hashing: false,
            throttle: ThrottleConfig::default(),
            forward_auth: ForwardAuthConfig::default(),
            scopes: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
            rules: Vec::new(),
            store: StoreConfig::Memory,
            accounts: AccountsConfig::default(),
            signing: None,
            dpop_nonce: None,
        }
    }
}

impl Config {
    /// Parses a JSON configuration document (not yet validated: see
    /// [`crate::Server::from_config`]).
    pub fn from_json(json: &str) -> Result<Config, ConfigError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let inner = e.inner();
            let path = e.path().to_string();
            // "." is the whole document, "?" a place the parser never
            // reached (the text ended first): neither is a path to show.
            let path = if path == "." || path == "?" { String::new() } else { path };
            let mut message = plain(&strip_position(&inner.to_string()));
            if inner.is_eof() {
                message = format!(
                    "the text ends before the document does (a closing bracket, brace or quote is missing): {message}"
                );
            }
            // serde_json counts columns from 0 at a line's start: the end of
            // a file cut after a newline is column 0 of the next line.
            ConfigError::new(path, message).at(inner.line(), inner.column().max(1))
        })
    }

    /// Reads and parses a JSON configuration file (not yet validated: see
    /// [`Config::check`]). Errors name the file; a file that cannot be read
    /// keeps its [`std::io::ErrorKind`] ([`ConfigError::io_kind`]).
    pub fn from_file(path: impl AsRef<std::path::Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let json = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::unreadable(file.clone(), e.kind()))?;
        Config::from_json(&json).map_err(|e| e.in_file(file))
    }

    /// The document as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a Config always serializes")
    }

    /// Adds a scope.
    pub fn scope(mut self, name: &str, resources: &[&str]) -> Self {
        self.scopes.push(ScopeConfig {
            name: name.into(),
            resources: strings(resources),
        });
        self
    }

    /// Adds a client.
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    /// Sets where state is kept.
    pub fn store(mut self, store: StoreConfig) -> Self {
        self.store = store;
        self
    }

    /// Adds an access rule.
    pub fn rule(mut self, rule: RuleConfig) -> Self {
        self.rules.push(rule);
        self
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(at) => msg[..at].to_string(),
        None => msg.to_string(),
    }
}

/// serde's messages in the words of a JSON document rather than Rust's
/// types (`expected u64` is "expected a whole number, 0 or more").
fn plain(msg: &str) -> String {
    const WORDS: [(&str, &str); 13] = [
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected usize", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
        ("invalid type: sequence", "invalid type: a list"),
        ("invalid type: map", "invalid type: an object"),
        ("invalid type: unit value", "invalid type: null"),
        ("invalid value: integer", "invalid value: the number"),
        ("integer `", "the number `"),
    ];
    // "expected struct ThrottleConfig": the document says an object.
    let mut out = String::with_capacity(msg.len());
    let mut rest = msg;
    while let Some(at) = rest.find("struct ") {
        out.push_str(&rest[..at]);
        out.push_str("an object");
        rest = rest[at + "struct ".len()..]
            .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
    }
    out.push_str(rest);
    for (rust, json) in WORDS {
        out = out.replace(rust, json);
    }
    out
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Throttling of failed password attempts, per account name (NIST SP 800-63B:
/// at most 100 consecutive failures).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleConfig {
    /// Consecutive failures after which the account is locked.
    pub max_failures: u32,
    /// How long a lock lasts; afterwards one attempt at a time is allowed.
    pub lockout_seconds: u64,
    /// Failures older than this are forgotten.
    pub forget_after_seconds: u64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 100,
            lockout_seconds: 900,
            forget_after_seconds: 24 * 3600,
        }
    }
}

/// `"forward_auth"`: the names of the identity headers a forward-auth 200
/// carries for the gateway to copy upstream (HTTP field names, distinct).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ForwardAuthConfig {
    /// The resource owner (default `X-Auth-User`).
    pub user_header: String,
    /// The client (default `X-Auth-Client`).
    pub client_header: String,
    /// The token's scopes, space-separated (default `X-Auth-Scope`).
    pub scope_header: String,
}

impl Default for ForwardAuthConfig {
    fn default() -> Self {
        ForwardAuthConfig {
            user_header: "X-Auth-User".into(),
            client_header: "X-Auth-Client".into(),
            scope_header: "X-Auth-Scope".into(),
        }
    }
}

impl ForwardAuthConfig {
    fn is_default(&self) -> bool {
        *self == ForwardAuthConfig::default()
    }
}

/// A scope and the resources it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    /// The scope token.
    pub name: String,
    /// Resource patterns (`GET /invoices/*`, `finance.invoices:*`).
    #[serde(default)]
    pub resources: Vec<String>,
}

/// Confidential or public (RFC 6749 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ClientKind {
    /// Can keep a secret; the only kind that may use the password grant.
    Confidential,
    /// Cannot keep a secret; never allowed the password grant.
    Public,
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The client identifier.
    pub id: String,
    /// Confidential (the default) or public.
    #[serde(rename = "type", default = "confidential")]
    pub kind: ClientKind,
    /// Hash of the client secret: `sha256:<64 hex digits>` for generated
    /// secrets (see [`crate::generate_client_secret`]) or an argon2id PHC string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<String>,
    /// `password` and/or `refresh_token`. Empty by default: the password
    /// grant is off unless a client is allowed it.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// Scopes the client may request.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scopes granted when a request names none; if empty, such a request
    /// fails with `invalid_scope`.
    #[serde(default)]
    pub default_scopes: Vec<String>,
    /// Whether the client gets refresh tokens (default: whether it may use
    /// the `refresh_token` grant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_tokens: Option<bool>,
    /// Overrides the server's access token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_ttl: Option<u64>,
    /// Overrides the server's refresh token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_ttl: Option<u64>,
    /// Overrides the server's `max_session_seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_seconds: Option<u64>,
    /// Seconds after a rotation during which the rotated refresh token,
    /// presented again, is taken as a retry (a lost response, two tabs)
    /// rather than theft, as long as its successor was not used: the
    /// successor is retired and a new pair issued. Off (0) by default; at
    /// most [`crate::MAX_REFRESH_GRACE_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_grace_seconds: Option<u64>,
    /// Whether the client may introspect every token (a resource server);
    /// other clients see only their own tokens as active.
    #[serde(default)]
    pub introspect: bool,
    /// `"opaque"` (the default: random tokens, checked by the store or by
    /// introspection) or `"jwt"` (RFC 9068 access tokens any resource
    /// server checks with the key set; needs `issuer`, `signing` and an
    /// `audience`). Refresh tokens stay opaque either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_format: Option<String>,
    /// The `aud` of the client's JWT access tokens: the resource servers
    /// that accept them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audience: Vec<String>,
    /// DPoP (RFC 9449): `"off"` (the default: a proof is ignored and tokens
    /// are bearer tokens), `"allowed"` (a token request with a proof gets a
    /// token bound to its key) or `"required"` (a token request without one
    /// is refused). Needs `issuer` (the token endpoint's URI is the issuer's
    /// `/token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop: Option<String>,
}

fn confidential() -> ClientKind {
    ClientKind::Confidential
}

impl ClientConfig {
    /// A confidential client with the given secret hash and nothing allowed yet.
    pub fn confidential(id: &str, secret_hash: &str) -> Self {
        ClientConfig {
            id: id.into(),
            kind: ClientKind::Confidential,
            secret_hash: Some(secret_hash.into()),
            grant_types: Vec::new(),
            scopes: Vec::new(),
            default_scopes: Vec::new(),
            refresh_tokens: None,
            access_token_ttl: None,
            refresh_token_ttl: None,
            max_session_seconds: None,
            refresh_grace_seconds: None,
            introspect: false,
            access_token_format: None,
            audience: Vec::new(),
            dpop: None,
        }
    }

    /// A public client (it can never use the password grant).
    pub fn public(id: &str) -> Self {
        ClientConfig {
            kind: ClientKind::Public,
            secret_hash: None,
            ..Self::confidential(id, "")
        }
    }

    /// Sets the allowed grant types.
    pub fn grant_types(mut self, grants: &[&str]) -> Self {
        self.grant_types = strings(grants);
        self
    }

    /// Sets the allowed scopes.
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = strings(scopes);
        self
    }

    /// Sets the default scopes.
    pub fn default_scopes(mut self, scopes: &[&str]) -> Self {
        self.default_scopes = strings(scopes);
        self
    }

    /// Issues JWT access tokens (RFC 9068) for `audience`.
    pub fn jwt(mut self, audience: &[&str]) -> Self {
        self.access_token_format = Some("jwt".into());
        self.audience = strings(audience);
        self
    }

    /// Sets whether refresh tokens are issued.
    pub fn refresh_tokens(mut self, on: bool) -> Self {
        self.refresh_tokens = Some(on);
        self
    }

    /// Sets the token lifetimes for this client.
    pub fn ttls(mut self, access: Option<u64>, refresh: Option<u64>) -> Self {
        self.access_token_ttl = access;
        self.refresh_token_ttl = refresh;
        self
    }

    /// Allows the client to introspect every token.
    pub fn introspect(mut self, on: bool) -> Self {
        self.introspect = on;
        self
    }
}

/// A resource owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// The username.
    pub username: String,
    /// argon2id PHC string (see [`crate::hash_password`]).
    pub password_hash: String,
    /// Groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// A disabled user cannot log in, and its tokens stop working.
    #[serde(default = "default_true")]
    pub enabled: bool,
}

impl UserConfig {
    /// An enabled user with no groups.
    pub fn new(username: &str, password_hash: &str) -> Self {
        UserConfig {
            username: username.into(),
            password_hash: password_hash.into(),
            groups: Vec::new(),
            enabled: true,
        }
    }

    /// Sets the groups.
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = strings(groups);
        self
    }

    /// Sets whether the user is enabled.
    pub fn enabled(mut self, on: bool) -> Self {
        self.enabled = on;
        self
    }
}

/// An access rule: the named users and the members of the named groups may
/// use the resources that match. `"*"` in `users` means every user. Access
/// is denied unless some rule allows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Resource patterns; `{username}` stands for the resource owner.
    pub resources: Vec<String>,
    /// Usernames, or `"*"` for everyone.
    #[serde(default)]
    pub users: Vec<String>,
    /// Group names.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl RuleConfig {
    /// A rule over the given resource patterns, allowing no one yet.
    pub fn new(resources: &[&str]) -> Self {
        RuleConfig {
            resources: strings(resources),
            users: Vec::new(),
            groups: Vec::new(),
        }
    }

    /// Allows these users (`"*"`: everyone).
    pub fn users(mut self, users: &[&str]) -> Self {
        self.users = strings(users);
        self
    }

    /// Allows these groups.
    pub fn groups(mut self, groups: &[&str]) -> Self {
        self.groups = strings(groups);
        self
    }
}

/// The text of a key the configuration names by an environment variable or
/// a file, never in the document (the key-encryption key, the DPoP nonce
/// key): `None` when neither is given; an error naming the field when both
/// are, when the variable is unset or the file unreadable. The text never
/// reaches an error.
pub(crate) fn key_text(
    section: &str,
    (env_field, env): (&str, Option<&str>),
    (file_field, file): (&str, Option<&str>),
    what: &str,
) -> Result<Option<(zeroize::Zeroizing<String>, String)>, ConfigError> {
    match (env, file) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ConfigError::new(
            section,
            format!("give {env_field} or {file_field}, not both"),
        )),
        (Some(name), None) => {
            let field = format!("{section}.{env_field}");
            match std::env::var(name) {
                Ok(text) => Ok(Some((zeroize::Zeroizing::new(text), field))),
                Err(_) => Err(ConfigError::new(
                    field,
                    format!(
                        "the environment variable {name} is not set (it should hold the {what})"
                    ),
                )),
            }
        }
        (None, Some(path)) => {
            let field = format!("{section}.{file_field}");
            match std::fs::read_to_string(path) {
                Ok(text) => Ok(Some((zeroize::Zeroizing::new(text), field))),
                Err(e) => Err(ConfigError::new(field, format!("cannot read {path}: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod config_error_tests {
    use super::*;

    #[test]
    fn a_parse_error_has_a_clean_path_its_position_and_no_rust_jargon() {
        let e = Config::from_json("{\n  \"access_token_ttl\": \"soon\"\n}").unwrap_err();
        assert_eq!(e.path(), "access_token_ttl");
        assert_eq!(e.position(), Some((2, 28)));
        assert!(!e.message().contains("u64"), "{}", e.message());
        assert!(
            e.message().contains("expected a whole number"),
            "{}",
            e.message()
        );
        assert_eq!(
            e.to_string(),
            format!(
                "invalid configuration at access_token_ttl (line 2, column 28): {}",
                e.message()
            )
        );
        let e = Config::from_json("{\"throttle\": 5}").unwrap_err();
        assert_eq!(e.path(), "throttle");
        assert!(
            e.message().contains("expected an object") && !e.message().contains("struct"),
            "{}",
            e.message()
        );
        let e = Config::from_json("{\"throttle\": {\"max_failures\": -1}}").unwrap_err();
        assert_eq!(e.path(), "throttle.max_failures");
        assert!(
            !e.message().contains("u32") && !e.message().contains("integer"),
            "{}",
            e.message()
        );
        let e = Config::from_json("[").unwrap_err();
        assert_eq!(e.path(), "", "the whole document");
        assert!(e.position().is_some());
        assert_eq!(e.clone().without_position().position(), None);
    }

    #[test]
    fn a_missing_file_says_so_plainly_and_names_the_file() {
        let e = crate::Server::from_file("/nonexistent/ropc.json").unwrap_err();
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::NotFound));
        assert_eq!(e.file(), Some("/nonexistent/ropc.json"));
        assert_eq!(
            e.to_string(),
            "invalid configuration in /nonexistent/ropc.json: cannot read the file: no such file"
        );
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"realm\": 1}").unwrap();
        let e = crate::Server::from_file(&bad).unwrap_err();
        assert_eq!(e.file(), Some(bad.display().to_string().as_str()));
        assert_eq!(e.path(), "realm");
        assert_eq!(e.io_kind(), None);
    }
}
