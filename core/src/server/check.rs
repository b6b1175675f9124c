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
    /// A token bound to a DPoP key is refused here (RFC 9449 §7.2: it is
    /// no bearer token): see [`Server::check_with_proof`].
    pub fn check(
        &self,
        access_token: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        self.check_bound(access_token, None, resource, required_scope)
    }

    /// The check, for a token presented as a bearer token (`key` `None`)
    /// or with a DPoP proof of the key `key`: a bound token must come with
    /// its own key's proof, an unbound one with none.
    fn check_bound(
        &self,
        access_token: &str,
        key: Option<&str>,
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
                jkt,
                ..
            } = self
                .lent_access(&reg, TokenHash::of(access_token), self.clock.now())?
                .ok_or_else(invalid)?;
            crate::resource::bound_to(jkt.as_deref(), key)?;
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

    /// Stage 5 for a request that may carry a DPoP-bound token (RFC 9449
    /// §7): `Authorization: DPoP <token>` with its proof in `dpop` (the
    /// request's `DPoP` header) for `method` and `uri` (the request's
    /// absolute URI, as the client reached it: scheme, host, path), checked
    /// as [`crate::dpop::check`] says, with the token's hash (`ath`), used
    /// once on any host, made with the token's key; or a bearer token as
    /// [`Server::check_request`] checks it. A refusal of a DPoP request
    /// carries a `DPoP` challenge naming the algorithms.
    #[allow(clippy::too_many_arguments)]
    pub fn check_with_proof(
        &self,
        authorization: Option<&str>,
        dpop: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        let realm = || self.registry.load().config.realm.clone();
        let refuse = |e: OAuthError| {
            self.metrics.request(Operation::Check, Some(e.code()));
            Refusal::dpop(e, &realm())
        };
        let token = match crate::http::parse_dpop(authorization) {
            Ok(Some(token)) => token,
            Ok(None) => {
                return self
                    .check_request(authorization, resource, required_scope)
                    .map_err(|mut r| {
                        // No credentials where DPoP is taken too: both
                        // schemes are challenged (RFC 9449 §7.1), in one
                        // field (RFC 9110 §11.6.1), which frameworks that
                        // keep headers in a map pass on whole.
                        if r.error.is_none() && self.registry.load().dpop_client().is_some() {
                            for (name, value) in &mut r.response.headers {
                                if *name == "WWW-Authenticate" {
                                    value.push_str(", ");
                                    value.push_str(&crate::http::dpop_challenge(&realm()));
                                }
                            }
                        }
                        r
                    });
            }
            Err(e) => return Err(refuse(e)),
        };
        let Some(proof) = dpop else {
            return Err(refuse(OAuthError::invalid_dpop_proof(
                "the request carries no DPoP proof",
            )));
        };
        let now = self.clock.now();
        let cx = crate::dpop::ProofContext {
            method,
            uri,
            access_token: Some(token),
            nonce: None,
            now,
        };
        let proof = crate::dpop::check(proof, &cx)
            .map_err(|e| refuse(OAuthError::invalid_dpop_proof(e.reason())))?;
        match self.first_use(&proof, now) {
            Ok(true) => {}
            Ok(false) => {
                return Err(refuse(OAuthError::invalid_dpop_proof(
                    "the proof was used before",
                )))
            }
            Err(e) => return Err(refuse(e)),
        }
        self.check_bound(token, Some(&proof.jkt), resource, required_scope)
            .map_err(|e| Refusal::dpop(e, &realm()))
    }
}
