//! Revocation (RFC 7009).

use super::lookup::Found;
use super::Server;
use crate::error::OAuthError;
use crate::events::{Event, EventKind};
use crate::http::{ClientCredentials, HttpRequest, HttpResponse};
use crate::metrics::Operation;
use crate::store::TokenKind;

impl Server {
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
        self.counted(Operation::Revoke, || {
            let reg = self.registry.load();
            let caller = Self::authenticate(&reg, caller)?;
            let Some(Found {
                kind,
                hash,
                client_id,
                username,
                grant,
                ..
            }) = self.find(&reg, token, hint)?
            else {
                return Ok(());
            };
            if *client_id != *caller.id {
                // RFC 7009 §2.1 says to refuse, but a refusal here and a success
                // for an unknown token would tell any client whether a token it
                // holds is live. The answer is the unknown token's (§2.2: 200),
                // nothing is revoked, and the operator hears of it.
                log::warn!(
                    target: "ropc::revocation",
                    "client {:?} asked to revoke a token issued to another client; nothing was revoked",
                    &*caller.id
                );
                return Ok(());
            }
            match kind {
                TokenKind::Refresh => self.store.call(|s| s.revoke_grant(kind, &hash))?,
                TokenKind::Access => {
                    self.store.call(|s| s.remove(kind, &hash))?;
                }
            }
            self.events.emit(EventKind::TokenRevoked, |k| {
                Event::new(k, self.clock.now())
                    .client(&caller.id)
                    .user(&username)
                    .grant(&grant)
                    .reason(if kind == TokenKind::Refresh {
                        "refresh_token"
                    } else {
                        "access_token"
                    })
            });
            Ok(())
        })
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, Operation::Revoke, |creds, form, dispatch| {
            let (token, hint) = (form.require("token")?, form.get("token_type_hint")?);
            dispatch.call(|| self.revoke(&creds, token, hint))?;
            // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps
            // clients that insist on parsing JSON (simple-oauth2) happy.
            Ok(HttpResponse::json(200, &serde_json::json!({})))
        })
    }
}
