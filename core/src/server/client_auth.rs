//! Client authentication (RFC 6749 §2.3.1, §3.2.1) and the scopes a client
//! may ask for (§3.3).

use super::{busy, Server};
use crate::client_secret::SecretHash;
use crate::error::OAuthError;
use crate::http::ClientCredentials;
use crate::registry::{Client, Registry};
use crate::scope::{parse_scope, ScopeSet};

impl Server {
    /// RFC 6749 §2.3.1: the client must be confidential and prove its secret.
    /// Every failure answers alike after the same work: client secrets are
    /// all of one kind (the configuration is refused otherwise), an unknown
    /// id is verified against a dummy of that kind, a missing secret
    /// against the client's own hash.
    pub(super) fn authenticate<'r>(
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

    pub(super) fn scope_for(
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
    pub(super) fn scope_within(
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

    /// Whether authenticating as this client takes one argon2 verification:
    /// its secret is an argon2 hash, or the id is unknown and the dummy it
    /// is verified against is one (client secrets are all of one kind).
    pub(crate) fn client_secret_is_hashed(&self, client_id: &str) -> bool {
        let reg = self.registry.load();
        match reg.clients.get(client_id) {
            Some(c) => matches!(c.secret, Some(SecretHash::Argon2(_))),
            None => matches!(reg.dummy_secret, SecretHash::Argon2(_)),
        }
    }
}
