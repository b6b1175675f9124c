//! # ropc-core
//!
//! An OAuth 2.0 authorization server and resource-server check for the
//! resource owner password credentials grant (RFC 6749 §4.3), done as safely
//! as that legacy grant can be (RFC 9700): confidential clients only, off
//! unless a client is allowed it, argon2id passwords, per-account throttling,
//! opaque 256-bit tokens stored only as hashes, refresh token rotation with
//! reuse detection, introspection (RFC 7662) and revocation (RFC 7009).
//!
//! Start with [`Server`]: build it from a [`Config`] (JSON or typed), then
//! either hand it HTTP requests ([`Server::token_endpoint`], ...) or call the
//! typed methods ([`Server::password_grant`], ...). A resource server in
//! another process uses [`ResourceGuard`] with the introspection response.

// No unsafe code but one audited call: registering the fork handler that
// keeps a forked child from reusing its parent's random bytes (random.rs).
#![deny(unsafe_code)]
// The README's Rust example is what users copy: it compiles without a warning.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs, missing_debug_implementations)]
#![deny(clippy::unwrap_used, clippy::dbg_macro, clippy::print_stdout)]
// Tests state their expectations with unwrap: a panic there is the failure.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod accounts;
mod byte_class;
#[cfg(feature = "cli")]
pub mod cli;
mod client_secret;
mod clock;
mod config;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod dpop;
mod error;
pub mod events;
mod histogram;
mod http;
pub mod jws;
pub mod key_cache;
pub mod legacy_hash;
pub mod metrics;
mod names;
mod password;
mod pattern;
mod random;
mod registry;
mod resource;
pub mod rotation;
mod scope;
pub mod secret;
mod server;
pub mod signing;
pub mod store;
mod target;
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub mod test_clock;
mod throttle;

/// What `fuzz/` drives beside the public API: the parsers and the glob
/// matcher. Not a stable API; only with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use crate::error::OAuthError;

    pub use crate::pattern::Pattern;

    /// Parses a form body (every rule: encoding, UTF-8, repeats); returns
    /// how many pairs it held.
    pub fn parse_form(body: &[u8]) -> Result<usize, OAuthError> {
        crate::http::Form::parse(body).map(|f| f.len())
    }

    /// Client credentials from an Authorization header and a form body.
    pub fn client_credentials(
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<crate::ClientCredentials, OAuthError> {
        let form = crate::http::Form::parse(body)?;
        crate::ClientCredentials::from_request(authorization, &form)
    }

    /// The bearer token of an Authorization header.
    pub fn parse_bearer(header: Option<&str>) -> Result<Option<&str>, OAuthError> {
        crate::http::parse_bearer(header)
    }

    /// Whether `bytes` is a JSON object naming no member twice (the JWS
    /// reader's rule for headers and payloads).
    pub fn strict_json(bytes: &[u8]) -> bool {
        crate::jws::strict_object(bytes).is_some()
    }
}
mod token;

pub use accounts::{
    fold_name, AccountError, Accounts, AccountsStats, ConfigAccounts, HostError, Owner,
    Verification,
};
pub use client_secret::{generate_client_secret, hash_client_secret};
pub use clock::{Clock, ManualClock, ManualTimer, SystemClock, SystemTimer, Timer};
pub use config::{
    AccountsConfig, AuthorizeMode, ClientConfig, ClientKind, Config, DpopNonceConfig,
    ForwardAuthConfig, RuleConfig, ScopeConfig, SigningConfig, StoreConfig, ThrottleConfig,
    UserConfig, DEFAULT_ACCESS_TTL, DEFAULT_JWT_ACCESS_TTL, DEFAULT_REALM, DEFAULT_REFRESH_TTL,
};
pub use error::{ConfigError, ErrorCode, OAuthError, RETRY_AFTER_SECS};
pub use http::{json_exact, ClientCredentials, HttpRequest, HttpResponse, MAX_BODY_BYTES};
pub use password::{
    argon2_verifications_on_this_thread, hash_password, HashError, HashParams, ParamsError,
    PhcError, MAX_PASSWORD_BYTES,
};
pub use registry::{MAX_NAME_BYTES, MAX_REFRESH_GRACE_SECONDS};
pub use resource::{
    IntrospectionRequest, OwnerAuthorizer, Principal, Refusal, ResourceGuard, JWT_LEEWAY_SECONDS,
    NO_CREDENTIALS,
};
pub use scope::MAX_RESOURCE_BYTES;
pub use server::{
    Blocking, Call, ConfigSummary, Confirmation, Endpoint, Forwarded, Introspection, Server,
    ServerBuilder, TokenResponse, FORWARDED_CLIENT, FORWARDED_HEADERS, FORWARDED_SCOPE,
    FORWARDED_USER, FORWARD_AUTH_PATH, METADATA_PATH,
};
pub use store::{MemoryStore, Store, StoreError};
#[cfg(feature = "postgres")]
pub use store::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use store::{SqliteOptions, SqliteStore};
pub use target::resource_name;
pub use token::TokenHash;

/// The README's Rust quick start, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The book's Rust examples, compiled and run as doc tests: every chapter
/// with a ```rust block (`tests/doc_links.py` checks none is left out).
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/rust.md")]
pub struct BookRustDoctests;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/accounts.md")]
pub struct BookAccountsDoctests;

/// The library's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod assert_traits {
    fn send_sync<T: Send + Sync>() {}
    #[test]
    fn server_is_send_sync() {
        send_sync::<crate::Server>();
        send_sync::<crate::ResourceGuard>();
        send_sync::<crate::MemoryStore>();
    }
}
