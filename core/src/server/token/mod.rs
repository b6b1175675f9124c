//! The token endpoint (RFC 6749 §3.2, §5.1): its answer, and how a grant
//! is issued; its grants are the submodules.

mod password;
mod refresh;

use super::owners::owned_groups;
use super::Server;
use crate::dpop;
use crate::error::OAuthError;
use crate::events::{Event, EventKind};
use crate::http::{HttpRequest, HttpResponse};
use crate::metrics::Operation;
use crate::registry::{Client, Dpop, Registry};
use crate::scope::ScopeSet;
use crate::store::{GrantId, TokenRecord};
use crate::token::{mint, TokenHash};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// A successful token response (RFC 6749 §5.1). Its `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// `Bearer`, or `DPoP` for a token bound to a DPoP key (RFC 9449 §5).
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// A refresh token, when the client gets them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The scope granted.
    pub scope: String,
}

impl Drop for TokenResponse {
    /// The tokens are zeroed before their memory is freed.
    fn drop(&mut self) {
        use crate::secret::Wipe;
        self.access_token.wipe();
        if let Some(t) = &mut self.refresh_token {
            t.wipe();
        }
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

/// `token_type` (RFC 6749 §7.1): `DPoP` for a bound token (RFC 9449 §5).
pub(super) fn token_type(bound: bool) -> &'static str {
    if bound {
        "DPoP"
    } else {
        "Bearer"
    }
}

impl Server {
    /// The token endpoint (RFC 6749 §3.2): `password` and `refresh_token`
    /// grants. For a client whose `dpop` is `"allowed"` or `"required"`, a
    /// proof in the request's `DPoP` header (RFC 9449 §5) binds the access
    /// token to its key (`token_type` `DPoP`).
    pub fn token_endpoint(&self, req: &HttpRequest<'_>) -> HttpResponse {
        let dpop = req.dpop;
        let mut resp = self.endpoint(req, Operation::Token, |creds, form, dispatch| {
            let grant_type = form.require("grant_type")?;
            let scope = form.get("scope")?;
            let resources = form.resources();
            let tokens = match grant_type {
                "password" => {
                    dispatch.to(Operation::Password);
                    let (username, password) = (form.get("username")?, form.get("password")?);
                    let (username, password) = (username.unwrap_or(""), password.unwrap_or(""));
                    dispatch.call(|| {
                        self.password_grant_for(&creds, username, password, scope, &resources, dpop)
                    })?
                }
                "refresh_token" => {
                    dispatch.to(Operation::Refresh);
                    let token = form.get("refresh_token")?.unwrap_or("");
                    dispatch
                        .call(|| self.refresh_grant_for(&creds, token, scope, &resources, dpop))?
                }
                _ => {
                    Self::authenticate(&self.registry.load(), &creds)?;
                    return Err(OAuthError::unsupported_grant_type(
                        "ropc supports the password and refresh_token grants",
                    ));
                }
            };
            Ok(HttpResponse::json(200, &tokens))
        });
        if dpop.is_some() {
            // RFC 9449 §8: a fresh nonce with every answer to a request that
            // carried a proof, where nonces are required.
            let reg = self.registry.load();
            if let Some(nonces) = &reg.dpop_nonce {
                let key = self.nonce_key(nonces);
                resp.headers
                    .push(("DPoP-Nonce", key.issue(self.clock.now())));
            }
        }
        resp
    }

    /// The audience RFC 8707's `resource` parameters ask for: each an
    /// absolute URI without a fragment (§2) and one the client's `audience`
    /// lists; `None` when none is asked for (the client's whole audience).
    pub(super) fn audience_for(
        client: &Client,
        resources: &[&str],
    ) -> Result<Option<Vec<Box<str>>>, OAuthError> {
        if resources.is_empty() {
            return Ok(None);
        }
        let mut out: Vec<Box<str>> = Vec::with_capacity(resources.len());
        for r in resources {
            let scheme = r.split_once(':').map_or("", |(s, _)| s);
            let absolute = scheme
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            if !absolute || r.contains('#') {
                return Err(OAuthError::invalid_target(
                    "a resource must be an absolute URI without a fragment (RFC 8707)",
                ));
            }
            let Some(known) = client.audience.iter().find(|a| ***a == **r) else {
                // Not echoed: it could be anything, of any length.
                return Err(OAuthError::invalid_target(
                    "a requested resource is not one this client may ask for",
                ));
            };
            if !out.contains(known) {
                out.push(known.clone());
            }
        }
        Ok(Some(out))
    }

    /// The key a new access token is bound to (DPoP, RFC 9449 §5): none
    /// for a client with DPoP off (a proof is ignored) or without a proof
    /// where one is allowed; else the proof's key, once it is checked for
    /// the token endpoint (the issuer's `/token`, `POST`) and used for the
    /// first time on any host.
    pub(super) fn dpop_key(
        &self,
        reg: &Registry,
        client: &Client,
        proof: Option<&str>,
    ) -> Result<Option<Arc<str>>, OAuthError> {
        let proof = match (client.dpop, proof) {
            (Dpop::Off, _) | (Dpop::Allowed, None) => return Ok(None),
            (Dpop::Required, None) => {
                return Err(OAuthError::invalid_dpop_proof(
                    "this client must send a DPoP proof",
                ))
            }
            (_, Some(proof)) => proof,
        };
        let uri = format!(
            "{}/token",
            reg.config
                .issuer
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('/')
        );
        let now = self.clock.now();
        let cx = dpop::ProofContext {
            method: "POST",
            uri: &uri,
            access_token: None,
            nonce: None,
            now,
        };
        let proof =
            dpop::check(proof, &cx).map_err(|e| OAuthError::invalid_dpop_proof(e.reason()))?;
        if let Some(nonces) = &reg.dpop_nonce {
            // RFC 9449 §8: before the proof is remembered, so that a client
            // asked for a nonce may retry at once.
            let key = self.nonce_key(nonces);
            match &proof.nonce {
                None => {
                    return Err(OAuthError::use_dpop_nonce(
                        "this server requires a nonce in DPoP proofs: retry with the DPoP-Nonce given",
                    ))
                }
                Some(n) if !key.accepts(n, now, nonces.lifetime) => {
                    return Err(OAuthError::use_dpop_nonce(
                        "the proof's nonce is stale or not this server's: retry with the DPoP-Nonce given",
                    ))
                }
                Some(_) => {}
            }
        }
        if !self.first_use(&proof, now)? {
            return Err(OAuthError::invalid_dpop_proof("the proof was used before"));
        }
        Ok(Some(proof.jkt.into()))
    }

    /// The key DPoP nonces are made and checked with: the configuration's,
    /// else the one this server made when it started.
    fn nonce_key<'a>(&'a self, nonces: &'a crate::registry::DpopNonces) -> &'a dpop::NonceKey {
        nonces.key.as_ref().unwrap_or(&self.nonce_key)
    }

    /// Records a checked proof as used, on every host (RFC 9449 §11.1);
    /// whether this was its first use.
    pub(in crate::server) fn first_use(
        &self,
        proof: &dpop::Proof,
        now: u64,
    ) -> Result<bool, OAuthError> {
        let id = TokenHash::of(&format!("{}\n{}", proof.jkt, proof.jti)).0;
        let until = proof.iat.saturating_add(dpop::PROOF_WINDOW_SECONDS + 1);
        Ok(self.store.call(|s| match s.replays() {
            Some(r) => r.first_use(&id, until, now),
            None => Err(crate::store::StoreError::new(
                "this store keeps no DPoP proofs",
            )),
        })?)
    }

    /// A JWT access token (RFC 9068) for `client`, signed with the key
    /// that signs now, and its hash (it is stored like an opaque token, so
    /// that introspection, revocation and this server's own checks see its
    /// grant).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn mint_jwt(
        &self,
        reg: &Registry,
        client: &Client,
        audience: Option<&[Box<str>]>,
        jkt: Option<&str>,
        subject: &str,
        scope: &str,
        groups: Option<Vec<String>>,
        issued_at: u64,
        expires_at: u64,
        auth_time: u64,
    ) -> Result<(String, TokenHash), OAuthError> {
        let Some(signer) = &self.signer else {
            return Err(OAuthError::server_error("this server has no signing keys"));
        };
        let key = signer.current(self.store.store().keys(), issued_at)?;
        // RFC 9068 §2.2: iss, sub, aud, client_id, iat, exp, jti, scope,
        // auth_time, and the owner's groups (§2.2.3.1) for resource servers'
        // rules.
        let mut jti = [0u8; 16];
        crate::random::fill(&mut jti);
        let aud: Value = match audience.unwrap_or(&client.audience) {
            [one] => Value::from(&**one),
            many => many.iter().map(|a| Value::from(&**a)).collect(),
        };
        let mut claims = Map::new();
        claims.insert(
            "iss".into(),
            reg.config.issuer.as_deref().unwrap_or_default().into(),
        );
        claims.insert("sub".into(), subject.into());
        claims.insert("aud".into(), aud);
        claims.insert("client_id".into(), (&*client.id).into());
        claims.insert("iat".into(), issued_at.into());
        claims.insert("exp".into(), expires_at.into());
        claims.insert("jti".into(), crate::token::encode(&jti).into());
        claims.insert("scope".into(), scope.into());
        claims.insert("auth_time".into(), auth_time.into());
        if let Some(groups) = groups.filter(|g| !g.is_empty()) {
            claims.insert("groups".into(), groups.into());
        }
        if let Some(jkt) = jkt {
            // RFC 9449 §6.1: the key the token is bound to.
            claims.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
        }
        let token = key
            .sign(super::signer::AT_JWT, &claims)
            .ok_or_else(|| OAuthError::server_error("signing the access token failed"))?;
        let hash = TokenHash::of(&token);
        Ok((token, hash))
    }

    /// Saves a new grant, then answers with its tokens: nothing is answered
    /// that was not saved.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn issue(
        &self,
        reg: &Registry,
        client: &Client,
        username: &str,
        user_version: u64,
        scopes: ScopeSet,
        audience: Option<&[Box<str>]>,
        jkt: Option<Arc<str>>,
    ) -> Result<TokenResponse, OAuthError> {
        let now = self.clock.now();
        let scope: Arc<str> = reg.scope_string(&scopes).into();
        let username: Arc<str> = username.into();
        let grant = GrantId::random();
        // The grant's maximum age bounds every token of it.
        let end = client
            .max_session
            .map_or(u64::MAX, |m| now.saturating_add(m));
        let record = |ttl: u64| TokenRecord {
            grant,
            client_id: Arc::clone(&client.id),
            username: Arc::clone(&username),
            scope: Arc::clone(&scope),
            issued_at: now,
            expires_at: now.saturating_add(ttl).min(end),
            user_version,
            auth_time: now,
            jkt: None,
        };
        let refresh = client.refresh_tokens.then(|| {
            let (token, hash) = mint();
            (token, (hash, record(client.refresh_ttl)))
        });
        let (access_token, hash) = if client.jwt {
            let groups = self.with_owner(reg, &client.id, &username, user_version, owned_groups)?;
            let expires_at = now.saturating_add(client.access_ttl).min(end);
            self.mint_jwt(
                reg,
                client,
                audience,
                jkt.as_deref(),
                &username,
                &scope,
                groups,
                now,
                expires_at,
                now,
            )?
        } else {
            mint()
        };
        let (refresh_token, refresh_entry) =
            refresh.map_or((None, None), |(t, e)| (Some(t), Some(e)));
        let access_record = TokenRecord {
            jkt: jkt.clone(),
            ..record(client.access_ttl)
        };
        self.store
            .call(|s| s.insert_grant((hash, access_record), refresh_entry))?;
        self.events.emit(EventKind::TokenIssued, |k| {
            Event::new(k, now)
                .client(&client.id)
                .user(&username)
                .grant(&grant)
        });
        Ok(TokenResponse {
            access_token,
            token_type: token_type(jkt.is_some()),
            expires_in: client.access_ttl.min(end - now),
            refresh_token,
            scope: scope.to_string(),
        })
    }
}
