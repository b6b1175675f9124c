//! The HTTP endpoints: requests in, ready responses out.

use super::*;
use crate::metrics::Operation;
use std::cell::Cell;

/// One of the three HTTP endpoints, for callers that choose one at run time
/// (a binding's glue, a router).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// [`Server::token_endpoint`].
    Token,
    /// [`Server::introspection_endpoint`].
    Introspection,
    /// [`Server::revocation_endpoint`].
    Revocation,
}

impl Endpoint {
    /// `"token"`, `"introspection"` or `"revocation"`.
    pub fn from_name(name: &str) -> Option<Endpoint> {
        match name {
            "token" => Some(Endpoint::Token),
            "introspection" => Some(Endpoint::Introspection),
            "revocation" => Some(Endpoint::Revocation),
            _ => None,
        }
    }
}

impl Server {
    /// The endpoint `which` answers `req`.
    pub fn answer(&self, which: Endpoint, req: &HttpRequest<'_>) -> HttpResponse {
        match which {
            Endpoint::Token => self.token_endpoint(req),
            Endpoint::Introspection => self.introspection_endpoint(req),
            Endpoint::Revocation => self.revocation_endpoint(req),
        }
    }

    /// The endpoint's answer when giving it cannot block the calling
    /// thread; `None` when it may ([`Server::may_block`]: argon2, a store
    /// that waits, host callbacks), and nothing has been done: the caller
    /// then calls [`Server::answer`] off its event loop. One reading of the
    /// decision for every binding's glue.
    pub fn answer_in_place(&self, which: Endpoint, req: &HttpRequest<'_>) -> Option<HttpResponse> {
        if self.may_block(req) {
            return None;
        }
        Some(self.answer(which, req))
    }

    /// Runs an endpoint and counts it once: as the operation `handle` says
    /// it dispatched to, else as `op` (a request refused before that).
    fn endpoint(
        &self,
        req: &HttpRequest<'_>,
        op: Operation,
        handle: impl FnOnce(
            ClientCredentials,
            &Form,
            &Cell<Operation>,
        ) -> Result<HttpResponse, OAuthError>,
    ) -> HttpResponse {
        let dispatched = Cell::new(op);
        if !req.method.eq_ignore_ascii_case("POST") {
            self.metrics.request(op, Some(ErrorCode::InvalidRequest));
            return HttpResponse::post_only(&self.realm());
        }
        let result = Form::from_request(req)
            .and_then(|form| {
                ClientCredentials::from_request(req.authorization, &form).map(|c| (c, form))
            })
            .and_then(|(creds, form)| handle(creds, &form, &dispatched));
        self.metrics.request(
            dispatched.get(),
            result.as_ref().err().map(OAuthError::code),
        );
        result.unwrap_or_else(|e| HttpResponse::token_error(&e, &self.realm()))
    }

    /// The token endpoint (RFC 6749 §3.2): `password` and `refresh_token` grants.
    pub fn token_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, Operation::Token, |creds, form, op| {
            let grant_type = form.require("grant_type")?;
            let scope = form.get("scope")?;
            let tokens = match grant_type {
                "password" => {
                    op.set(Operation::Password);
                    let (username, password) = (form.get("username")?, form.get("password")?);
                    self.password_grant_impl(
                        &creds,
                        username.unwrap_or(""),
                        password.unwrap_or(""),
                        scope,
                    )?
                }
                "refresh_token" => {
                    op.set(Operation::Refresh);
                    self.refresh_grant_impl(
                        &creds,
                        form.get("refresh_token")?.unwrap_or(""),
                        scope,
                    )?
                }
                _ => {
                    Self::authenticate(&self.registry.load(), &creds)?;
                    return Err(OAuthError::unsupported_grant_type(
                        "ropc supports the password and refresh_token grants",
                    ));
                }
            };
            Ok(HttpResponse::json(200, &tokens))
        })
    }

    /// The introspection endpoint (RFC 7662).
    pub fn introspection_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, Operation::Introspect, |creds, form, _| {
            let token = form.require("token")?;
            let info = self.introspect_impl(&creds, token, form.get("token_type_hint")?)?;
            Ok(HttpResponse::json(200, &info))
        })
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, Operation::Revoke, |creds, form, _| {
            let token = form.require("token")?;
            self.revoke_impl(&creds, token, form.get("token_type_hint")?)?;
            // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps
            // clients that insist on parsing JSON (simple-oauth2) happy.
            Ok(HttpResponse::json(200, &serde_json::json!({})))
        })
    }
}
