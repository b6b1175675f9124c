//! Authorization server metadata (RFC 8414): what a client or a resource
//! server discovers from the issuer, served at
//! `/.well-known/oauth-authorization-server`.
//!
//! The endpoints are named under the issuer at the paths every example
//! server and glue serves them on: `/token`, `/introspect`, `/revoke` and
//! (with signed tokens) `/jwks.json`. `response_types_supported`, which
//! §2 requires, is empty: this server has no authorization endpoint, so it
//! supports no response type.

use super::Server;
use crate::http::{HttpRequest, HttpResponse};
use crate::registry::Registry;
use serde_json::{json, Value};

/// Where RFC 8414 puts the metadata (the issuer's path, if any, follows).
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

impl Server {
    /// The metadata document; `None` without an `issuer` (which every URL
    /// in it is made from).
    pub fn metadata(&self) -> Option<String> {
        let reg = self.registry.load();
        let issuer = reg.config.issuer.as_deref().filter(|i| !i.is_empty())?;
        Some(document(&reg, issuer, self.signer.is_some()).to_string())
    }

    /// `GET /.well-known/oauth-authorization-server`: the metadata, JSON,
    /// cacheable for five minutes; 404 without an `issuer`, 405 for a
    /// method but GET or HEAD.
    pub fn metadata_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        if let Some(refused) = self.get_only(req) {
            return refused;
        }
        match self.metadata() {
            Some(body) => HttpResponse {
                status: 200,
                headers: vec![
                    ("Content-Type", "application/json".into()),
                    ("Cache-Control", "public, max-age=300".into()),
                ],
                body,
            },
            None => not_found("this server has no issuer configured"),
        }
    }
}

/// 404, plain text.
pub(super) fn not_found(why: &str) -> HttpResponse {
    HttpResponse {
        status: 404,
        headers: vec![("Content-Type", "text/plain;charset=UTF-8".into())],
        body: why.into(),
    }
}

fn document(reg: &Registry, issuer: &str, signs: bool) -> Value {
    let base = issuer.trim_end_matches('/');
    let mut grants: Vec<&str> = Vec::new();
    for c in reg.clients.values() {
        if c.password_grant && !grants.contains(&"password") {
            grants.push("password");
        }
        if c.refresh_grant && !grants.contains(&"refresh_token") {
            grants.push("refresh_token");
        }
    }
    grants.sort_unstable();
    let auth = json!(["client_secret_basic", "client_secret_post"]);
    let mut doc = json!({
        "issuer": issuer,
        "token_endpoint": format!("{base}/token"),
        "introspection_endpoint": format!("{base}/introspect"),
        "revocation_endpoint": format!("{base}/revoke"),
        "scopes_supported": reg.scopes.iter().map(|s| s.name.as_ref()).collect::<Vec<&str>>(),
        "response_types_supported": [],
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": auth,
        "introspection_endpoint_auth_methods_supported": auth,
        "revocation_endpoint_auth_methods_supported": auth,
    });
    if signs {
        doc["jwks_uri"] = json!(format!("{base}/jwks.json"));
    }
    if reg.dpop_client().is_some() {
        // RFC 9449 §5.1: the algorithms proofs may use, where DPoP is taken.
        doc["dpop_signing_alg_values_supported"] = json!(crate::dpop::ALGORITHMS.map(|a| a.name()));
    }
    doc
}
