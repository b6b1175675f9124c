//! What the core's integration tests share: cheap argon2, and a
//! configuration with the scopes `read` (`GET /docs/*`) and `write`
//! (`PUT /docs/*`) and the client `app` / `app-secret`, which each test
//! completes.

#![allow(dead_code)] // each test uses its part

use ropc_core::*;

/// argon2 at the cost a test can afford (the default stays OWASP's).
pub const CHEAP: HashParams = HashParams {
    m_cost: 64,
    t_cost: 1,
    p_cost: 1,
};

/// The confidential client `app` (secret `app-secret`), allowed both grants
/// and both scopes.
pub fn app() -> ClientConfig {
    ClientConfig::confidential("app", &hash_client_secret("app-secret"))
        .grant_types(&["password", "refresh_token"])
        .scopes(&["read", "write"])
}

/// A client like [`app`] named `id` (same secret).
pub fn app_named(id: &str) -> ClientConfig {
    ClientConfig::confidential(id, &hash_client_secret("app-secret"))
        .grant_types(&["password", "refresh_token"])
        .scopes(&["read", "write"])
}

/// The scopes, and cheap hashing allowed.
pub fn base() -> Config {
    let mut c = Config::default()
        .scope("read", &["GET /docs/*"])
        .scope("write", &["PUT /docs/*"]);
    c.password_hashing = CHEAP;
    c.allow_weak_password_hashing = true;
    c
}
