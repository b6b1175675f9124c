//! Stage 5 of the flow: the resource server's decision. A token is only the
//! start: the resource must lie within one of its scopes and the access
//! rules must let its resource owner use that resource.

use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ConfigError, OAuthError};
use crate::http::{form_encode, parse_bearer, ClientCredentials, HttpResponse};
use crate::registry::Registry;
use crate::scope::{check_resource, is_scope_token, ScopeSet};
use serde::Deserialize;
use std::sync::Arc;

/// Who is calling a resource: the outcome of a successful check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The resource owner.
    pub username: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// The token's scopes.
    pub scopes: Vec<String>,
    /// The resource owner's groups.
    pub groups: Vec<String>,
    /// When the token expires, seconds since the epoch.
    pub expires_at: u64,
}

/// A resource server's "no": the error (`None` when the request carried no
/// credentials at all, RFC 6750 §3) and the ready RFC 6750 response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The error, or `None` for a request without credentials.
    pub error: Option<OAuthError>,
    /// The response to send: status, `WWW-Authenticate: Bearer ...`, body.
    pub response: HttpResponse,
}

/// What the refusal says when the authorization server could not be
/// asked ([`ResourceGuard::unavailable`]); the cause goes to the log only.
pub const AUTHORIZATION_SERVER_UNAVAILABLE: &str =
    "the authorization server could not be asked; retry shortly";

/// What a refusal without an error says: the request carried no credentials.
pub const NO_CREDENTIALS: &str = "the request carries no credentials";

impl Refusal {
    /// The error's description, or [`NO_CREDENTIALS`] when there is no error.
    pub fn description(&self) -> &str {
        self.error
            .as_ref()
            .map_or(NO_CREDENTIALS, OAuthError::description)
    }

    /// The refusal for an error from a typed check, with its RFC 6750 response.
    pub fn for_error(error: OAuthError, realm: &str) -> Refusal {
        Refusal::new(Some(error), realm)
    }

    /// The refusal of a request that used the `DPoP` scheme: a `DPoP`
    /// challenge naming the algorithms (RFC 9449 §7.1).
    pub(crate) fn dpop(error: OAuthError, realm: &str) -> Refusal {
        Refusal {
            response: HttpResponse::dpop_error(Some(&error), realm),
            error: Some(error),
        }
    }

    pub(crate) fn new(error: Option<OAuthError>, realm: &str) -> Refusal {
        let response = HttpResponse::bearer_error(error.as_ref(), realm);
        Refusal { error, response }
    }
}

/// A request for the resource server to send to the authorization server's
/// introspection endpoint (RFC 7662 §2.1): POST it with these headers and body.
#[derive(Clone, PartialEq, Eq)]
pub struct IntrospectionRequest {
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Authorization`: the resource server's client_secret_basic credentials.
    pub authorization: String,
    /// The form body.
    pub body: String,
}

impl Drop for IntrospectionRequest {
    /// The credentials and the token are zeroed before they are freed.
    fn drop(&mut self) {
        use crate::secret::Wipe;
        self.authorization.wipe();
        self.body.wipe();
    }
}

impl std::fmt::Debug for IntrospectionRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionRequest")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
    }
}

/// Step one of every bearer check: the token in the `Authorization` header.
pub(crate) fn bearer<'a>(authorization: Option<&'a str>, realm: &str) -> Result<&'a str, Refusal> {
    match parse_bearer(authorization) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(Refusal::new(None, realm)),
        Err(e) => Err(Refusal::new(Some(e), realm)),
    }
}

/// The checks shared by the in-process server and a remote guard, in order:
/// the required scope, the resource within the token's scope, the access rules.
pub(crate) fn authorize(
    registry: &Registry,
    username: &str,
    groups: &[Box<str>],
    scopes: &ScopeSet,
    resource: &str,
    required_scope: Option<&str>,
    rules: bool,
) -> Result<(), OAuthError> {
    if let Some(required) = required_scope {
        if !registry
            .scope_id(required)
            .is_some_and(|id| scopes.contains(id))
        {
            return Err(OAuthError::insufficient_scope(
                "the access token lacks the required scope",
            )
            .with_scope(required));
        }
    }
    if !registry.covers(scopes, resource, username) {
        let covering = registry.scopes_covering(resource, username);
        let err =
            OAuthError::insufficient_scope("the resource is outside the access token's scope");
        return Err(if covering.is_empty() {
            err
        } else {
            err.with_scope(registry.scope_string(&covering))
        });
    }
    if rules && !registry.allowed(username, groups, resource) {
        return Err(OAuthError::access_denied(
            "the resource owner may not access this resource",
        ));
    }
    Ok(())
}

/// Checks the arguments a resource server passes about itself.
pub(crate) fn check_arguments(
    resource: &str,
    required_scope: Option<&str>,
) -> Result<(), OAuthError> {
    check_resource(resource)?;
    if required_scope.is_some_and(|s| !is_scope_token(s)) {
        return Err(OAuthError::invalid_request(
            "the required scope is not a scope token",
        ));
    }
    Ok(())
}

/// A resource server in another process: it asks the authorization server's
/// introspection endpoint about a token, then decides with the same scopes
/// and access rules (from the same configuration document; users and
/// clients in it are not needed).
pub struct ResourceGuard {
    /// Scopes and rules: swapped whole by a reload.
    registry: arc_swap::ArcSwap<Registry>,
    clock: Arc<dyn Clock>,
    /// DPoP proofs seen here, until they run out (RFC 9449 §11.1): this
    /// process's; a proof replayed to another resource server process is
    /// not seen here.
    replays: parking_lot::Mutex<std::collections::HashMap<[u8; 32], u64>>,
}

/// The most DPoP proofs a guard remembers at once: a proof lives two
/// minutes; beyond this many live ones, proofs are refused (503) rather
/// than forgotten early.
pub const MAX_REMEMBERED_PROOFS: usize = 1 << 17;

impl std::fmt::Debug for ResourceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceGuard")
            .field("realm", &self.registry.load().config.realm)
            .finish()
    }
}

/// What a token says, from an introspection response or a JWT.
struct Claims {
    username: String,
    client_id: String,
    scope: String,
    groups: Vec<String>,
    expires_at: u64,
}

/// The binding rule (RFC 9449 §7): a token bound to a key (`jkt`) comes
/// with a proof of that key (`key`), an unbound one with none.
pub(crate) fn bound_to(jkt: Option<&str>, key: Option<&str>) -> Result<(), OAuthError> {
    match (jkt, key) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(OAuthError::invalid_token(BOUND)),
        (None, Some(_)) => Err(OAuthError::invalid_token(
            "the access token is not bound to a DPoP key: present it as a Bearer token",
        )),
        (Some(bound), Some(proved)) => {
            if bool::from(subtle::ConstantTimeEq::ct_eq(
                bound.as_bytes(),
                proved.as_bytes(),
            )) {
                Ok(())
            } else {
                Err(OAuthError::invalid_dpop_proof(
                    "the proof is made with another key than the token's",
                ))
            }
        }
    }
}

/// Why a bound token is refused where a bearer token is checked.
pub(crate) const BOUND: &str =
    "the access token is bound to a key: present it with a proof (Authorization: DPoP)";

/// How far a resource server's clock may be from the authorization
/// server's when it reads a JWT's `exp`, `nbf` and `iat`.
pub const JWT_LEEWAY_SECONDS: u64 = 30;

#[derive(Deserialize)]
struct IntrospectionBody {
    active: bool,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    groups: Vec<String>,
    /// A DPoP-bound token's confirmation (RFC 9449 §6.2).
    #[serde(default)]
    cnf: Option<serde_json::Value>,
}

impl ResourceGuard {
    /// A guard over the scopes and rules of `config`.
    pub fn new(config: &Config) -> Result<ResourceGuard, ConfigError> {
        Self::with_clock(config, crate::clock::default_clock())
    }

    /// A guard with an injected clock.
    pub fn with_clock(
        config: &Config,
        clock: Arc<dyn Clock>,
    ) -> Result<ResourceGuard, ConfigError> {
        let registry = Registry::build(config)?;
        Ok(ResourceGuard {
            registry: arc_swap::ArcSwap::from_pointee(registry),
            clock,
            replays: parking_lot::Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// Swaps in the scopes and rules of a new configuration at once; on an
    /// error nothing changes.
    pub fn reload(&self, config: &Config) -> Result<(), ConfigError> {
        let registry = Registry::build(config)?;
        self.registry.store(Arc::new(registry));
        Ok(())
    }

    /// [`ResourceGuard::reload`] from a configuration file, read as
    /// [`Config::from_file`] reads it (strict UTF-8).
    pub fn reload_file(&self, path: impl AsRef<std::path::Path>) -> Result<(), ConfigError> {
        self.reload(&Config::from_file(path)?)
    }

    /// [`ResourceGuard::reload`] from JSON text.
    pub fn reload_json(&self, json: &str) -> Result<(), ConfigError> {
        self.reload(&Config::from_json(json)?)
    }

    /// The realm of this guard's challenges.
    pub fn realm(&self) -> String {
        self.registry.load().config.realm.clone()
    }

    /// Step one: the bearer token of a request, to send to introspection;
    /// or the response to send back when there is none or it is malformed.
    pub fn bearer_token<'a>(&self, authorization: Option<&'a str>) -> Result<&'a str, Refusal> {
        bearer(authorization, &self.realm())
    }

    /// The introspection request for `token`, authenticated as `client`
    /// (the resource server's own credentials).
    pub fn introspection_request(
        &self,
        token: &str,
        client: &ClientCredentials,
    ) -> IntrospectionRequest {
        IntrospectionRequest {
            content_type: "application/x-www-form-urlencoded",
            authorization: client.basic_authorization(),
            body: {
                // Allocated once at its size: no outgrown copy of the token.
                let token = crate::secret::Wiped::new(form_encode(token));
                const HINT: &str = "&token_type_hint=access_token";
                let mut body = String::with_capacity(6 + token.len() + HINT.len());
                body.push_str("token=");
                body.push_str(&token);
                body.push_str(HINT);
                body
            },
        }
    }

    /// Step two: decides from the introspection response's JSON body.
    pub fn check_introspection(
        &self,
        introspection_json: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        self.introspected(introspection_json, None, resource, required_scope)
    }

    /// The introspection answer's claims, for a token presented as a bearer
    /// token (`key` `None`) or with a DPoP proof of the key `key`.
    fn introspected(
        &self,
        introspection_json: &str,
        key: Option<&str>,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        check_arguments(resource, required_scope)?;
        let invalid =
            || OAuthError::invalid_token("the access token is invalid, expired or revoked");
        let body: IntrospectionBody =
            serde_json::from_str(introspection_json).map_err(|_| invalid())?;
        let now = self.clock.now();
        let (Some(username), Some(exp)) = (body.username, body.exp) else {
            return Err(invalid());
        };
        let token_type = body.token_type.as_deref();
        if !body.active
            || token_type.is_some_and(|t| {
                !t.eq_ignore_ascii_case("bearer") && !t.eq_ignore_ascii_case("dpop")
            })
            || now >= exp
        {
            return Err(invalid());
        }
        let jkt = match &body.cnf {
            None if token_type.is_some_and(|t| t.eq_ignore_ascii_case("dpop")) => {
                return Err(invalid())
            }
            None => None,
            Some(cnf) => Some(
                cnf.get("jkt")
                    .and_then(serde_json::Value::as_str)
                    // Bound to something else (a certificate): never here.
                    .ok_or_else(|| OAuthError::invalid_token(BOUND))?
                    .to_string(),
            ),
        };
        bound_to(jkt.as_deref(), key)?;
        let claims = Claims {
            username,
            client_id: body.client_id.unwrap_or_default(),
            scope: body.scope.unwrap_or_default(),
            groups: body.groups,
            expires_at: exp,
        };
        self.check_claims(
            claims,
            "an introspection response",
            resource,
            required_scope,
        )
    }

    /// Stage 5 offline for a JWT access token (RFC 9068), with the key set
    /// `keys` (the authorization server's `jwks.json`): a strict reading
    /// ([`crate::jws::verify`]: `typ` `at+jwt`, EdDSA or ES256 only, the
    /// `kid` in the set), then `iss` (this configuration's `issuer`), `aud`
    /// (its `audience`), `exp` and `nbf` with [`JWT_LEEWAY_SECONDS`] of
    /// leeway, and then the same scope and owner rules, the same answers,
    /// as an introspection response. A JWT cannot be recalled: one whose
    /// grant was revoked passes here until it expires (ask introspection
    /// where that matters).
    pub fn check_jwt(
        &self,
        token: &str,
        keys: &crate::jws::KeySet,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        self.jwt_checked(token, keys, None, resource, required_scope)
    }

    /// [`ResourceGuard::check_jwt`] for a token presented as a bearer
    /// token (`key` `None`) or with a DPoP proof of the key `key`.
    fn jwt_checked(
        &self,
        token: &str,
        keys: &crate::jws::KeySet,
        key: Option<&str>,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        use crate::jws::Algorithm;
        use serde_json::Value;
        check_arguments(resource, required_scope)?;
        let refused = |why: &str| {
            log::info!(target: "ropc::resource", "a JWT access token was refused: {why}");
            OAuthError::invalid_token("the access token is invalid, expired or revoked")
        };
        let verified =
            crate::jws::verify(token, keys, &[Algorithm::EdDsa, Algorithm::Es256], "at+jwt")
                .map_err(|e| refused(e.reason()))?;
        let c = &verified.claims;
        let text = |name: &str| c.get(name).and_then(Value::as_str);
        let time = |name: &str| c.get(name).and_then(Value::as_u64);
        let registry = self.registry.load();
        let config = &registry.config;
        match (config.issuer.as_deref(), text("iss")) {
            (Some(ours), Some(theirs)) if ours == theirs => {}
            _ => return Err(refused("another issuer (or no issuer configured)")),
        }
        let aud_ok = match (config.audience.as_deref(), c.get("aud")) {
            (Some(ours), Some(Value::String(a))) => a == ours,
            (Some(ours), Some(Value::Array(all))) => all.iter().any(|a| a.as_str() == Some(ours)),
            _ => false,
        };
        if !aud_ok {
            return Err(refused("another audience (or no audience configured)"));
        }
        let now = self.clock.now();
        let exp = time("exp").ok_or_else(|| refused("no exp"))?;
        if now >= exp.saturating_add(JWT_LEEWAY_SECONDS) {
            return Err(refused("expired"));
        }
        if time("nbf").is_some_and(|nbf| now.saturating_add(JWT_LEEWAY_SECONDS) < nbf)
            || time("iat").is_some_and(|iat| now.saturating_add(JWT_LEEWAY_SECONDS) < iat)
        {
            return Err(refused("not valid yet"));
        }
        let groups = match c.get("groups") {
            None => Vec::new(),
            Some(Value::Array(all)) => all
                .iter()
                .map(|g| g.as_str().map(String::from))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| refused("groups that are not names"))?,
            Some(_) => return Err(refused("groups that are not a list")),
        };
        let (Some(sub), Some(client_id)) = (text("sub"), text("client_id")) else {
            return Err(refused("no sub or client_id"));
        };
        let jkt = match c.get("cnf") {
            None => None,
            Some(cnf) => Some(
                cnf.get("jkt")
                    .and_then(Value::as_str)
                    .ok_or_else(|| OAuthError::invalid_token(BOUND))?,
            ),
        };
        bound_to(jkt, key)?;
        let claims = Claims {
            username: sub.to_string(),
            client_id: client_id.to_string(),
            scope: text("scope").unwrap_or_default().to_string(),
            groups,
            expires_at: exp,
        };
        drop(registry);
        self.check_claims(claims, "a JWT access token", resource, required_scope)
    }

    /// [`ResourceGuard::check_jwt`] from a request's `Authorization`
    /// header, with the RFC 6750 response ready when the answer is no.
    pub fn check_jwt_request(
        &self,
        authorization: Option<&str>,
        keys: &crate::jws::KeySet,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        let token = self.bearer_token(authorization)?;
        self.check_jwt(token, keys, resource, required_scope)
            .map_err(|e| Refusal::new(Some(e), &self.realm()))
    }

    /// The rules for a token's claims, however they came (introspection or
    /// a JWT): names without control characters, the scope covering the
    /// resource, the owner allowed it.
    fn check_claims(
        &self,
        claims: Claims,
        source: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, OAuthError> {
        let invalid =
            || OAuthError::invalid_token("the access token is invalid, expired or revoked");
        let Claims {
            username,
            client_id,
            scope,
            groups: claimed_groups,
            expires_at: exp,
        } = claims;
        // Names with control characters are no one's: ropc's own server
        // never issues them. A NUL would change a name for a C caller (the
        // C ABI drops it, so "admin\0" arrives as "admin") and misalign a
        // binding's packed principal. A token naming one is not believed.
        if [&username, &client_id, &scope]
            .into_iter()
            .chain(&claimed_groups)
            .any(|s| crate::names::has_control(s))
        {
            log::warn!(
                target: "ropc::resource",
                "{source} names a user, client, scope or group with control characters; the token is treated as invalid"
            );
            return Err(invalid());
        }
        // The same rule as for stored tokens: the names still configured count.
        let registry = self.registry.load();
        let scopes = registry.scope_set_of(&scope);
        let names: Vec<String> = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let groups: Vec<Box<str>> = claimed_groups.iter().map(|g| g.as_str().into()).collect();
        authorize(
            &registry,
            &username,
            &groups,
            &scopes,
            resource,
            required_scope,
            true,
        )?;
        Ok(Principal {
            username,
            client_id,
            scopes: names,
            groups: claimed_groups,
            expires_at: exp,
        })
    }

    /// The access token of an `Authorization: DPoP <token>` header (RFC
    /// 9449 §7.1); `None` for any other scheme (a bearer token: check it
    /// as always); the refusal for a malformed one.
    pub fn dpop_token<'a>(
        &self,
        authorization: Option<&'a str>,
    ) -> Result<Option<&'a str>, Refusal> {
        crate::http::parse_dpop(authorization).map_err(|e| Refusal::dpop(e, &self.realm()))
    }

    /// The key a request's DPoP proof proves, for `token` and the request
    /// `method` and `uri` (its absolute URI): checked as [`crate::dpop::check`]
    /// says and used once here.
    fn proved_key(
        &self,
        token: &str,
        proof: Option<&str>,
        method: &str,
        uri: &str,
    ) -> Result<String, OAuthError> {
        let proof = proof
            .ok_or_else(|| OAuthError::invalid_dpop_proof("the request carries no DPoP proof"))?;
        let now = self.clock.now();
        let cx = crate::dpop::ProofContext {
            method,
            uri,
            access_token: Some(token),
            nonce: None,
            now,
        };
        let proof = crate::dpop::check(proof, &cx)
            .map_err(|e| OAuthError::invalid_dpop_proof(e.reason()))?;
        let id = crate::token::TokenHash::of(&format!("{}\n{}", proof.jkt, proof.jti)).0;
        let until = proof
            .iat
            .saturating_add(crate::dpop::PROOF_WINDOW_SECONDS + 1);
        let mut seen = self.replays.lock();
        if seen.get(&id).is_some_and(|t| *t > now) {
            return Err(OAuthError::invalid_dpop_proof("the proof was used before"));
        }
        if seen.len() >= MAX_REMEMBERED_PROOFS {
            seen.retain(|_, t| *t > now);
            if seen.len() >= MAX_REMEMBERED_PROOFS {
                return Err(OAuthError::temporarily_unavailable(
                    "too many DPoP proofs to remember; retry shortly",
                ));
            }
        }
        seen.insert(id, until);
        Ok(proof.jkt)
    }

    /// Stage 5 from an introspection answer for a request that used the
    /// `DPoP` scheme (RFC 9449 §7): the proof (the request's `DPoP` header)
    /// for `method` and `uri` and the `token`, used once here, made with
    /// the key the answer's `cnf.jkt` names; then the usual rules. A
    /// refusal carries a `DPoP` challenge.
    #[allow(clippy::too_many_arguments)]
    pub fn check_introspection_with_proof(
        &self,
        introspection_json: &str,
        token: &str,
        proof: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        self.proved_key(token, proof, method, uri)
            .and_then(|key| {
                self.introspected(introspection_json, Some(&key), resource, required_scope)
            })
            .map_err(|e| Refusal::dpop(e, &self.realm()))
    }

    /// [`ResourceGuard::check_introspection_with_proof`] for a JWT access
    /// token checked offline with `keys`: its `cnf.jkt` must name the
    /// proof's key.
    #[allow(clippy::too_many_arguments)]
    pub fn check_jwt_with_proof(
        &self,
        token: &str,
        keys: &crate::jws::KeySet,
        proof: Option<&str>,
        method: &str,
        uri: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        self.proved_key(token, proof, method, uri)
            .and_then(|key| self.jwt_checked(token, keys, Some(&key), resource, required_scope))
            .map_err(|e| Refusal::dpop(e, &self.realm()))
    }

    /// Until when (seconds since the epoch) a resource server may keep an
    /// introspection response, given at `now`, for at most `max_seconds`:
    /// only an active answer is kept, and never past the token's `exp`.
    /// `None`: not at all. The one policy behind every binding's
    /// `IntrospectionChecker` cache (off unless `max_seconds > 0`).
    pub fn cache_until(&self, introspection_json: &str, now: f64, max_seconds: f64) -> Option<f64> {
        // Off at 0 (and for a NaN, which no comparison lets through).
        if max_seconds.is_nan() || max_seconds <= 0.0 {
            return None;
        }
        let doc: serde_json::Value = serde_json::from_str(introspection_json).ok()?;
        if doc.get("active") != Some(&serde_json::Value::Bool(true)) {
            return None;
        }
        let mut until = now + max_seconds;
        if let Some(exp) = doc.get("exp").and_then(serde_json::Value::as_f64) {
            until = until.min(exp);
        }
        (until > now).then_some(until)
    }

    /// The refusal when the authorization server could not be asked (down,
    /// unreachable, answering 503 or refusing the resource server's own
    /// credentials): `503 temporarily_unavailable` with `Retry-After`, the
    /// answer a store outage gets at a check, and never a verdict on the
    /// token. Every language's introspection client and glue answers it.
    pub fn unavailable(&self) -> Refusal {
        Refusal::for_error(
            OAuthError::temporarily_unavailable(AUTHORIZATION_SERVER_UNAVAILABLE),
            &self.realm(),
        )
    }

    /// Step two at the HTTP level: the principal, or the RFC 6750 response.
    pub fn check_introspection_response(
        &self,
        introspection_json: &str,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<Principal, Refusal> {
        self.check_introspection(introspection_json, resource, required_scope)
            .map_err(|e| Refusal::new(Some(e), &self.realm()))
    }
}

/// The host's say on stage 5: may this owner use this resource? Asked after
/// the token and its scope were checked, for every check (not cached: the
/// answer may depend on the resource). See [`crate::AuthorizeMode`] for how
/// it combines with the configured rules.
pub trait OwnerAuthorizer: Send + Sync {
    /// `principal` holds the owner, its groups, the client and the token's
    /// scopes; `resource` is `"METHOD /path"`.
    fn authorize(
        &self,
        principal: &Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, crate::accounts::HostError>;
}

impl<F> OwnerAuthorizer for F
where
    F: Fn(&Principal, &str, Option<&str>) -> Result<bool, crate::accounts::HostError> + Send + Sync,
{
    fn authorize(
        &self,
        principal: &Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, crate::accounts::HostError> {
        self(principal, resource, required_scope)
    }
}
