//! The authorization server, one module per endpoint or job:
//!
//! - [`build`](self): building a server, checking and reloading a configuration;
//! - `client_auth`: client authentication and the scopes a client may ask for;
//! - `token`: the token endpoint and how a grant is issued, with its two
//!   grants in `token::password` (and the throttle, `crate::throttle`) and
//!   `token::refresh` (and the rotation rule, [`crate::rotation`]);
//! - `introspection` (RFC 7662) and `revocation` (RFC 7009), which find a
//!   presented token through `lookup`;
//! - `check`: the resource server's check in process;
//! - `owners`: whether the owner behind a token still stands;
//! - `accounts`: changes to owners that end their tokens;
//! - `dispatch`: HTTP requests to endpoints, and where a call may run;
//! - `operate`: metrics, counts, purging.
//!
//! Each public operation counts itself once in the metrics
//! ([`Server::counted`](Server)); store calls are metered in one place
//! ([`crate::metrics::Metered`]).

use crate::accounts::{ConfigAccounts, HostAccounts};
use crate::clock::{Clock, Timer};
use crate::error::OAuthError;
use crate::metrics::Operation;
use crate::registry::Registry;
use crate::resource::OwnerAuthorizer;
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use std::sync::Arc;

mod accounts;
mod build;
mod check;
mod client_auth;
mod dispatch;
mod forward_auth;
mod introspection;
mod key_set;
mod lookup;
mod metadata;
mod open_store;
mod operate;
mod owners;
mod revocation;
mod signer;
mod token;

pub use build::{ConfigSummary, ServerBuilder};
pub use dispatch::{Blocking, Call, Endpoint};
pub use forward_auth::{
    Forwarded, FORWARDED_CLIENT, FORWARDED_HEADERS, FORWARDED_SCOPE, FORWARDED_USER,
    FORWARD_AUTH_PATH,
};
pub use introspection::{Confirmation, Introspection};
pub use metadata::METADATA_PATH;
pub use token::TokenResponse;

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
    /// The signing keys of JWT access tokens, when configured.
    signer: Option<signer::Signer>,
    /// The DPoP nonce key when the configuration names none (one process,
    /// kept across reloads).
    nonce_key: crate::dpop::NonceKey,
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

impl Server {
    /// Counts a public operation's outcome once, in the server's metrics
    /// (the HTTP endpoints count the same way, around the same work).
    fn counted<T>(
        &self,
        op: Operation,
        work: impl FnOnce() -> Result<T, OAuthError>,
    ) -> Result<T, OAuthError> {
        let out = work();
        self.metrics
            .request(op, out.as_ref().err().map(OAuthError::code));
        out
    }
}
