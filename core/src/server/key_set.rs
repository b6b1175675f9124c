//! The key set (RFC 7517) resource servers verify JWT access tokens with:
//! the keys the schedule publishes now, the next one included before it
//! signs.

use super::Server;
use crate::error::OAuthError;
use crate::http::{HttpRequest, HttpResponse};

impl Server {
    /// The key set now, as a JWKS document (`{"keys": [...]}`, public keys
    /// only); `None` when the server signs nothing (no `signing`).
    pub fn key_set(&self) -> Result<Option<String>, OAuthError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        signer
            .key_set(self.store.store().keys(), self.clock.now())
            .map(Some)
    }

    /// `GET /jwks.json`: the key set, cacheable for less than the lead with
    /// which keys are published (a resource server that honours it always
    /// knows the signing key). 404 on a server that signs nothing, 405 for
    /// a method but GET or HEAD.
    pub fn key_set_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        if let Some(refused) = self.get_only(req) {
            return refused;
        }
        let (set, max_age) = match (self.key_set(), &self.signer) {
            (Ok(Some(set)), Some(signer)) => (set, signer.max_age()),
            (Err(e), _) => return HttpResponse::token_error(&e, &self.realm()),
            _ => return super::metadata::not_found("this server signs no tokens"),
        };
        HttpResponse {
            status: 200,
            headers: vec![
                ("Content-Type", "application/jwk-set+json".into()),
                ("Cache-Control", format!("public, max-age={max_age}")),
            ],
            body: set,
        }
    }
}
