//! Stage 5 in process: the resource server's check against this server
//! (RFC 6750 for the request form).

use super::lookup::Found;
use super::owners::owned_groups;
use super::{Server, BAD_ACCESS};
use crate::accounts::run_callback;
use crate::config::AuthorizeMode;
use crate::error::OAuthError;
use crate::metrics::Operation;
use crate::resource::{authorize, bearer, check_arguments, Principal, Refusal};
use crate::token::{looks_like_access_token, TokenHash};
use std::time::Duration;

impl Server {
    /// Stage 5: whether `access_token` may be used on `resource` (and has
    /// `required_scope`, if given). Checks the token is active, the resource
    /// is within one of its scopes, and the access rules let its owner in.
    pub fn check(
        &self,
        access_token: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        self.counted(Operation::Check, || {
            check_arguments(resource, required_scope)?;
            let invalid = || OAuthError::invalid_token(BAD_ACCESS);
            if !looks_like_access_token(access_token) {
                return Err(invalid());
            }
            let reg = self.registry.load();
            // What the principal needs, copied out of the store, which lends
            // it: checks on many threads write nothing in common.
            let Found {
                username,
                client_id,
                scope: scopes,
                user_version,
                expires_at,
                ..
            } = self
                .lent_access(&reg, TokenHash::of(access_token), self.clock.now())?
                .ok_or_else(invalid)?;
            let rules = !(self.authorizer.is_some()
                && reg.config.accounts.authorize == AuthorizeMode::InsteadOfRules);
            // The owner's groups lent, not cloned (one `Arc` a user: every
            // thread checking that user's tokens would write its count).
            let groups = self
                .with_owner(&reg, &client_id, &username, user_version, |groups| {
                    authorize(
                        &reg,
                        &username,
                        groups,
                        &scopes,
                        resource,
                        required_scope,
                        rules,
                    )?;
                    Ok::<_, OAuthError>(owned_groups(groups))
                })?
                .ok_or_else(invalid)??;
            let principal = Principal {
                username,
                client_id,
                scopes: scopes
                    .iter()
                    .map(|id| String::from(&*reg.scopes[id].name))
                    .collect(),
                groups,
                expires_at,
            };
            if let Some(hook) = &self.authorizer {
                let limit = Duration::from_millis(reg.config.accounts.callback_timeout_ms);
                let (allowed, _) = run_callback("authorize", limit, &*self.timer, || {
                    hook.authorize(&principal, resource, required_scope)
                });
                let allowed = allowed?;
                if !allowed {
                    return Err(OAuthError::access_denied(
                        "the resource owner may not access this resource",
                    ));
                }
            }
            Ok(principal)
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
        let realm = || self.registry.load().config.realm.clone();
        let token = match bearer(authorization, &realm()) {
            Ok(token) => token,
            Err(refusal) => {
                match refusal.error.as_ref() {
                    None => self.metrics.no_credentials(),
                    Some(e) => self.metrics.request(Operation::Check, Some(e.code())),
                }
                return Err(refusal);
            }
        };
        self.check(token, resource, required_scope)
            .map_err(|e| Refusal::new(Some(e), &realm()))
    }
}
