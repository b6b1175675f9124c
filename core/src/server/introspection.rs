//! Introspection (RFC 7662).

use super::owners::owned_groups;
use super::Server;
use crate::error::OAuthError;
use crate::events::{Event, EventKind};
use crate::http::{ClientCredentials, HttpRequest, HttpResponse};
use crate::metrics::Operation;
use crate::store::TokenKind;
use serde::Serialize;

/// An introspection response (RFC 7662 §2.2). Inactive: `{"active":false}`
/// and nothing more.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
    /// `Bearer` for an access token (`DPoP` for one bound to a DPoP key),
    /// `refresh_token` for a refresh token (which a resource server must
    /// never accept).
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
    /// When the resource owner signed in (the password grant that began
    /// the grant), seconds since the epoch (RFC 9068 §2.2.1's claim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// When the grant ends by the client's maximum session age, whatever
    /// the rotations (an extension; absent without a maximum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_exp: Option<u64>,
    /// For a DPoP-bound token: `{"jkt": ...}`, the thumbprint of its key
    /// (RFC 9449 §6.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// A token's confirmation (RFC 7800): the key it is bound to.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Confirmation {
    /// The RFC 7638 thumbprint of the DPoP key (RFC 9449 §6).
    pub jkt: String,
}

impl Introspection {
    /// The RFC 7662 JSON document, as the introspection endpoint sends it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an Introspection always serializes")
    }
}

impl Server {
    /// Introspection (RFC 7662). The caller must be an authenticated
    /// confidential client; a client allowed `introspect` sees every token,
    /// any other only its own.
    pub fn introspect(
        &self,
        caller: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
    ) -> Result<Introspection, OAuthError> {
        self.counted(Operation::Introspect, || {
            let reg = self.registry.load();
            let caller = Self::authenticate(&reg, caller)?;
            let now = self.clock.now();
            let inactive = || {
                self.events.emit(EventKind::Introspected, |k| {
                    Event::new(k, now).client(&caller.id).reason("inactive")
                });
                Ok(Introspection::default())
            };
            let Some(found) = self.find(&reg, token, hint)? else {
                return inactive();
            };
            if !found.usable || !(caller.introspect || *found.client_id == *caller.id) {
                return inactive();
            }
            let Some(groups) = self.with_owner(
                &reg,
                &found.client_id,
                &found.username,
                found.user_version,
                owned_groups,
            )?
            else {
                return inactive();
            };
            self.events.emit(EventKind::Introspected, |k| {
                Event::new(k, now)
                    .client(&caller.id)
                    .user(&found.username)
                    .grant(&found.grant)
                    .reason("active")
            });
            Ok(Introspection {
                active: true,
                scope: Some(reg.scope_string(&found.scope)),
                token_type: Some(if found.kind == TokenKind::Access {
                    super::token::token_type(found.jkt.is_some())
                } else {
                    "refresh_token"
                }),
                exp: Some(found.expires_at),
                iat: Some(found.issued_at),
                sub: Some(found.username.clone()),
                iss: reg.config.issuer.clone(),
                groups: Some(groups),
                auth_time: Some(found.auth_time),
                session_exp: reg
                    .clients
                    .get(&*found.client_id)
                    .and_then(|c| c.max_session)
                    .map(|m| found.auth_time.saturating_add(m)),
                cnf: found.jkt.map(|jkt| Confirmation { jkt }),
                client_id: Some(found.client_id),
                username: Some(found.username),
            })
        })
    }

    /// The introspection endpoint (RFC 7662).
    pub fn introspection_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, Operation::Introspect, |creds, form, dispatch| {
            let (token, hint) = (form.require("token")?, form.get("token_type_hint")?);
            let info = dispatch.call(|| self.introspect(&creds, token, hint))?;
            Ok(HttpResponse::json(200, &info))
        })
    }
}
