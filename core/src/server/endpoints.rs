//! The HTTP endpoints: requests in, ready responses out.

use super::*;

impl Server {
    fn endpoint(
        &self,
        req: &HttpRequest<'_>,
        handle: impl FnOnce(ClientCredentials, &Form) -> Result<HttpResponse, OAuthError>,
    ) -> HttpResponse {
        if !req.method.eq_ignore_ascii_case("POST") {
            return HttpResponse::post_only(&self.realm());
        }
        let result = Form::from_request(req)
            .and_then(|form| {
                ClientCredentials::from_request(req.authorization, &form).map(|c| (c, form))
            })
            .and_then(|(creds, form)| handle(creds, &form));
        result.unwrap_or_else(|e| HttpResponse::token_error(&e, &self.realm()))
    }

    /// The token endpoint (RFC 6749 §3.2): `password` and `refresh_token` grants.
    pub fn token_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, |creds, form| {
            let grant_type = form.require("grant_type")?;
            let scope = form.get("scope")?;
            let tokens = match grant_type {
                "password" => {
                    let (username, password) = (form.get("username")?, form.get("password")?);
                    self.password_grant(
                        &creds,
                        username.unwrap_or(""),
                        password.unwrap_or(""),
                        scope,
                    )?
                }
                "refresh_token" => {
                    self.refresh_grant(&creds, form.get("refresh_token")?.unwrap_or(""), scope)?
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
        self.endpoint(req, |creds, form| {
            let token = form.require("token")?;
            let info = self.introspect(&creds, token, form.get("token_type_hint")?)?;
            Ok(HttpResponse::json(200, &info))
        })
    }

    /// The revocation endpoint (RFC 7009).
    pub fn revocation_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        self.endpoint(req, |creds, form| {
            let token = form.require("token")?;
            self.revoke(&creds, token, form.get("token_type_hint")?)?;
            // RFC 7009 §2.2: the body is ignored; an empty JSON object keeps
            // clients that insist on parsing JSON (simple-oauth2) happy.
            Ok(HttpResponse::json(200, &serde_json::json!({})))
        })
    }
}
