//! The public operations, each counted once in the server's metrics
//! (the HTTP endpoints count the same way, around the same work).

use super::*;
use crate::metrics::Operation;

impl Server {
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
        let out = self.password_grant_impl(client, username, password, scope);
        self.metrics.request(
            Operation::Password,
            out.as_ref().err().map(OAuthError::code),
        );
        out
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
        let out = self.refresh_grant_impl(client, refresh_token, scope);
        self.metrics
            .request(Operation::Refresh, out.as_ref().err().map(OAuthError::code));
        out
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
        let out = self.introspect_impl(caller, token, hint);
        self.metrics.request(
            Operation::Introspect,
            out.as_ref().err().map(OAuthError::code),
        );
        out
    }

    /// Revocation (RFC 7009). Revoking a refresh token ends its whole grant,
    /// access tokens included; revoking an access token ends that token.
    /// Unknown tokens succeed; so does another client's token, which is left
    /// alone (a refusal would tell the caller that the token is live).
    pub fn revoke(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<(), OAuthError> {
        let out = self.revoke_impl(caller, token, hint);
        self.metrics
            .request(Operation::Revoke, out.as_ref().err().map(OAuthError::code));
        out
    }

    /// Stage 5: whether `access_token` may be used on `resource` (and has
    /// `required_scope`, if given). Checks the token is active, the resource
    /// is within one of its scopes, and the access rules let its owner in.
    pub fn check(
        &self,
        access_token: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        let out = self.check_impl(access_token, resource, required_scope);
        self.metrics
            .request(Operation::Check, out.as_ref().err().map(OAuthError::code));
        out
    }

    /// The server's metrics as Prometheus text (exposition format 0.0.4):
    /// see [`crate::metrics`] for each. Reads the store's counts, so it may
    /// wait on a database store (a failure leaves `ropc_live_tokens` out
    /// and is counted in `ropc_store_errors_total`).
    pub fn metrics_text(&self) -> String {
        let stats = self.store.call(|s| s.stats()).ok();
        self.metrics.text(
            stats,
            crate::password::queued(),
            self.events
                .dropped
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }
}
