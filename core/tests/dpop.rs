//! DPoP (RFC 9449) end to end in the core: a proof at the token endpoint
//! binds the access token to its key (`token_type` DPoP, `cnf.jkt` in
//! introspection and in a JWT); the resource check takes the token only
//! with a fresh proof of that key for the request; proofs are used once
//! on every host.

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::jws::{self, Algorithm, SigningKey};
use ropc_core::store::Store;
use ropc_core::*;
use serde_json::{json, Value};
use std::sync::Arc;

const T0: u64 = 1_700_000_000;
const ISSUER: &str = "https://as.example";
const API: &str = "https://api.example/docs/alice/1";

fn key(alg: Algorithm) -> SigningKey {
    SigningKey::from_pkcs8("", alg, &jws::generate_pkcs8(alg).unwrap()).unwrap()
}

/// A proof by `k` for `htm` and `htu` at `iat`, for the token `ath` if any.
fn proof(k: &SigningKey, htm: &str, htu: &str, iat: u64, token: Option<&str>) -> String {
    let mut jwk = k.verifying_key().to_jwk();
    for drop in ["kid", "use", "alg"] {
        jwk.as_object_mut().unwrap().remove(drop);
    }
    let mut jti = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut jti))
        .unwrap();
    let mut claims = json!({
        "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        "htm": htm, "htu": htu, "iat": iat,
    });
    if let Some(t) = token {
        claims["ath"] = dpop::token_hash(t).into();
    }
    let header = json!({"typ": "dpop+jwt", "alg": k.algorithm().name(), "jwk": jwk});
    k.sign_with_header(&header, claims.as_object().unwrap())
        .unwrap()
}

/// A proof by `k` for the token endpoint (`POST` the issuer's `/token`) at `iat`.
fn token_proof(k: &SigningKey, iat: u64) -> String {
    proof(k, "POST", &format!("{ISSUER}/token"), iat, None)
}

fn config(mode: &str) -> Config {
    let mut c = docs::base()
        .client(docs::app().default_scopes(&["read"]))
        .user(UserConfig::new(
            "alice",
            &hash_password("alice-pw", CHEAP).unwrap(),
        ))
        .rule(RuleConfig::new(&["* /docs/{username}/*"]).users(&["*"]));
    c.clients[0].dpop = Some(mode.into());
    c.issuer = Some(ISSUER.into());
    c
}

fn server(c: Config, store: &Arc<dyn Store>, clock: &ManualClock) -> Server {
    Server::builder(c)
        .store(Arc::clone(store))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap()
}

fn host(mode: &str) -> (ManualClock, Arc<dyn Store>, Server) {
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let s = server(config(mode), &store, &clock);
    (clock, store, s)
}

/// POSTs a token request with a `DPoP` header (or none): status and body.
fn token(s: &Server, body: &str, dpop: Option<&str>) -> (u16, Value) {
    let auth = ClientCredentials::new("app", "app-secret").basic_authorization();
    let r = s.token_endpoint(&HttpRequest {
        dpop,
        ..HttpRequest::form_post(Some(&auth), body.as_bytes())
    });
    (r.status, serde_json::from_str(&r.body).unwrap())
}

const GRANT: &str = "grant_type=password&username=alice&password=alice-pw";

fn introspect(s: &Server, t: &str) -> Introspection {
    let rs = ClientCredentials::new("app", "app-secret");
    s.introspect(&rs, t, None).unwrap()
}

#[test]
fn a_proof_binds_the_token_and_only_its_key_may_use_it() {
    let (_clock, _, s) = host("allowed");
    let k = key(Algorithm::Es256);
    let (status, body) = token(&s, GRANT, Some(&token_proof(&k, T0)));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().unwrap();
    let jkt = k.verifying_key().thumbprint();
    let i = introspect(&s, at);
    assert_eq!(
        (i.token_type, i.cnf.map(|c| c.jkt)),
        (Some("DPoP"), Some(jkt.clone()))
    );
    // As a bearer token: refused (RFC 9449 §7.2).
    let bearer = s.check_request(Some(&format!("Bearer {at}")), "GET /docs/alice/1", None);
    assert_eq!(
        bearer.unwrap_err().error.unwrap().code(),
        ErrorCode::InvalidToken
    );
    // With a proof of its key for this request: allowed, once.
    let dpop_auth = format!("DPoP {at}");
    let good = proof(&k, "GET", API, T0, Some(at));
    let check = |p: &str, uri: &str| {
        s.check_with_proof(
            Some(&dpop_auth),
            Some(p),
            "GET",
            uri,
            "GET /docs/alice/1",
            None,
        )
    };
    assert_eq!(check(&good, API).unwrap().username, "alice");
    let replay = check(&good, API).unwrap_err();
    assert_eq!(replay.response.status, 401);
    assert_eq!(replay.description(), "the proof was used before");
    let challenge = replay.response.header("WWW-Authenticate").unwrap();
    assert!(
        challenge
            .starts_with("DPoP realm=\"ropc\", algs=\"EdDSA ES256\", error=\"invalid_dpop_proof\""),
        "{challenge}"
    );
    // Another key, another request, no ath, no proof at all: refused.
    let thief = key(Algorithm::EdDsa);
    for (p, why) in [
        (proof(&thief, "GET", API, T0, Some(at)), "another key"),
        (proof(&k, "POST", API, T0, Some(at)), "another method"),
        (
            proof(&k, "GET", "https://api.example/docs/alice/2", T0, Some(at)),
            "another URI",
        ),
        (proof(&k, "GET", API, T0, None), "ath"),
        (proof(&k, "GET", API, T0 - 120, Some(at)), "iat"),
    ] {
        let r = check(&p, API).unwrap_err();
        assert_eq!(
            r.error.as_ref().unwrap().code(),
            ErrorCode::InvalidDpopProof,
            "{why}"
        );
        assert!(r.description().contains(why), "{why}: {}", r.description());
    }
    let none = s.check_with_proof(
        Some(&dpop_auth),
        None,
        "GET",
        API,
        "GET /docs/alice/1",
        None,
    );
    assert_eq!(
        none.unwrap_err().description(),
        "the request carries no DPoP proof"
    );
    // The usual rules still apply, under the DPoP challenge.
    let other = check(&proof(&k, "GET", API, T0, Some(at)), API);
    assert!(other.is_ok());
    let denied = s.check_with_proof(
        Some(&dpop_auth),
        Some(&proof(
            &k,
            "GET",
            "https://api.example/docs/bob/1",
            T0,
            Some(at),
        )),
        "GET",
        "https://api.example/docs/bob/1",
        "GET /docs/bob/1",
        None,
    );
    assert_eq!(denied.unwrap_err().response.status, 403);
}

#[test]
fn bearer_tokens_stay_bearer_tokens() {
    let (_clock, _, s) = host("allowed");
    let (status, body) = token(&s, GRANT, None);
    assert_eq!((status, body["token_type"].as_str()), (200, Some("Bearer")));
    let at = body["access_token"].as_str().unwrap();
    assert!(introspect(&s, at).cnf.is_none());
    let bearer = format!("Bearer {at}");
    assert!(s
        .check_request(Some(&bearer), "GET /docs/alice/1", None)
        .is_ok());
    // check_with_proof takes a bearer request as check_request does.
    assert!(s
        .check_with_proof(Some(&bearer), None, "GET", API, "GET /docs/alice/1", None)
        .is_ok());
    // An unbound token under the DPoP scheme is refused.
    let k = key(Algorithm::EdDsa);
    let r = s.check_with_proof(
        Some(&format!("DPoP {at}")),
        Some(&proof(&k, "GET", API, T0, Some(at))),
        "GET",
        API,
        "GET /docs/alice/1",
        None,
    );
    assert_eq!(
        r.unwrap_err().error.unwrap().code(),
        ErrorCode::InvalidToken
    );
    // A client with DPoP off ignores a proof.
    let (_c, _, off) = host("off");
    let (_, body) = token(&off, GRANT, Some(&token_proof(&k, T0)));
    assert_eq!(body["token_type"], "Bearer");
}

#[test]
fn the_token_endpoint_checks_the_proof_before_anything_is_spent() {
    let (_clock, _, s) = host("required");
    let k = key(Algorithm::EdDsa);
    let (status, body) = token(&s, GRANT, None);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_dpop_proof"))
    );
    assert_eq!(
        body["error_description"],
        "this client must send a DPoP proof"
    );
    for (p, why) in [
        (
            proof(&k, "POST", "https://as.example/other", T0, None),
            "another URI",
        ),
        (
            proof(&k, "GET", &format!("{ISSUER}/token"), T0, None),
            "another method",
        ),
        (token_proof(&k, T0 + 3600), "iat"),
        ("not.a.proof".to_string(), "base64url"),
    ] {
        let (status, body) = token(&s, GRANT, Some(&p));
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_dpop_proof")),
            "{why}"
        );
        assert!(
            body["error_description"].as_str().unwrap().contains(why),
            "{why}: {body}"
        );
    }
    let first = token_proof(&k, T0);
    let (status, body) = token(&s, GRANT, Some(&first));
    assert_eq!(status, 200, "{body}");
    let (status, body) = token(&s, GRANT, Some(&first));
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the proof was used before"))
    );
    // A refresh needs a proof too; a bad one leaves the refresh token be.
    let rt = {
        let (_, b) = token(&s, GRANT, Some(&token_proof(&k, T0)));
        b["refresh_token"].as_str().unwrap().to_string()
    };
    let refresh = format!("grant_type=refresh_token&refresh_token={rt}");
    let (status, _) = token(&s, &refresh, Some("junk"));
    assert_eq!(status, 400);
    // The new access token is bound to the refresh request's key (§5).
    let k2 = key(Algorithm::Es256);
    let (status, body) = token(&s, &refresh, Some(&token_proof(&k2, T0)));
    assert_eq!(
        status, 200,
        "the refresh token was not spent by the bad proof: {body}"
    );
    let at = body["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&s, at).cnf.unwrap().jkt,
        k2.verifying_key().thumbprint()
    );
}

#[test]
fn a_proof_is_used_once_on_every_host() {
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let hosts = [
        server(config("allowed"), &store, &clock),
        server(config("allowed"), &store, &clock),
    ];
    let k = key(Algorithm::EdDsa);
    let p = token_proof(&k, T0);
    assert_eq!(token(&hosts[0], GRANT, Some(&p)).0, 200);
    let (status, body) = token(&hosts[1], GRANT, Some(&p));
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("the proof was used before"))
    );
}

/// A server issuing JWTs signed with an operator's PEM key, and a JWT
/// access token it bound to a new ES256 client key: the key-file's
/// directory (kept while the server lives), the server's clock, the
/// server, the client key, the token and the server's key set.
fn jwt_host_with_bound_token() -> (
    tempfile::TempDir,
    ManualClock,
    Server,
    SigningKey,
    String,
    jws::KeySet,
) {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("k.pem");
    let der = jws::generate_pkcs8(Algorithm::EdDsa).unwrap();
    std::fs::write(
        &pem,
        pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der).unwrap(),
    )
    .unwrap();
    let mut c = config("allowed");
    c.clients[0].access_token_format = Some("jwt".into());
    c.clients[0].audience = vec!["https://api.example".into()];
    c.signing = Some(SigningConfig::with_key_files(&[pem.to_str().unwrap()]));
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let s = server(c, &store, &clock);
    let k = key(Algorithm::Es256);
    let (_, body) = token(&s, GRANT, Some(&token_proof(&k, T0)));
    let at = body["access_token"].as_str().unwrap().to_string();
    let keys = jws::KeySet::from_json(&s.key_set().unwrap().unwrap()).unwrap();
    (dir, clock, s, k, at, keys)
}

#[test]
fn a_jwt_names_its_key() {
    let (_dir, _clock, _server, k, at, keys) = jwt_host_with_bound_token();
    let at = at.as_str();
    let claims = jws::verify(at, &keys, &[Algorithm::EdDsa], "at+jwt")
        .unwrap()
        .claims;
    assert_eq!(
        claims["cnf"],
        json!({"jkt": k.verifying_key().thumbprint()})
    );
}

#[test]
fn dpop_configuration_errors_name_the_field() {
    let e = Server::from_config(config("maybe")).unwrap_err();
    assert_eq!(e.path(), "clients[0].dpop");
    let mut c = config("required");
    c.issuer = None;
    assert_eq!(Server::from_config(c).unwrap_err().path(), "issuer");
}

/// A resource server elsewhere never takes a bound token as a bearer
/// token: not from introspection (cnf) and not offline from a JWT (cnf).
#[test]
fn a_remote_guard_refuses_bound_tokens_as_bearer_tokens() {
    let (_clock, _, s) = host("allowed");
    let k = key(Algorithm::EdDsa);
    let (_, body) = token(&s, GRANT, Some(&token_proof(&k, T0)));
    let at = body["access_token"].as_str().unwrap();
    let intro = introspect(&s, at).to_json();
    let mut c = docs::base().rule(RuleConfig::new(&["* /docs/{username}/*"]).users(&["*"]));
    c.issuer = Some(ISSUER.into());
    c.audience = Some("https://api.example".into());
    let clock = ManualClock::new(T0);
    let g = ResourceGuard::with_clock(&c, Arc::new(clock.clone())).unwrap();
    let e = g
        .check_introspection(&intro, "GET /docs/alice/1", None)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidToken);
    assert!(e.description().contains("bound to a key"), "{e:?}");
    // The same answer with the token_type said otherwise: cnf alone decides.
    let bearerish = intro.replace("\"DPoP\"", "\"Bearer\"");
    assert!(g
        .check_introspection(&bearerish, "GET /docs/alice/1", None)
        .is_err());
    let unbound: Value = {
        let mut v: Value = serde_json::from_str(&bearerish).unwrap();
        v.as_object_mut().unwrap().remove("cnf");
        v
    };
    assert!(
        g.check_introspection(&unbound.to_string(), "GET /docs/alice/1", None)
            .is_ok(),
        "the control"
    );
}

/// Forward-auth: the gateway passes the proof on, and says the scheme and
/// host the client reached; ropc checks the proof for that URI.
#[test]
fn a_gateway_s_held_request_may_carry_a_bound_token_and_its_proof() {
    let (_clock, _, s) = host("allowed");
    let k = key(Algorithm::EdDsa);
    let (_, body) = token(&s, GRANT, Some(&token_proof(&k, T0)));
    let at = body["access_token"].as_str().unwrap().to_string();
    let dpop_auth = format!("DPoP {at}");
    let ask = |auth: &str, p: Option<&str>, host: &str| {
        let headers = [
            ("authorization", auth),
            ("x-forwarded-method", "GET"),
            ("x-forwarded-uri", "/docs/alice/1?page=2"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", host),
            ("dpop", p.unwrap_or("")),
        ];
        let f = Forwarded::from_headers(|name| {
            headers
                .iter()
                .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.is_empty())
                .map(|(_, v)| *v)
        });
        s.forward_auth(&f)
    };
    let ok = ask(
        &dpop_auth,
        Some(&proof(&k, "GET", API, T0, Some(&at))),
        "api.example",
    );
    assert_eq!((ok.status, ok.header(FORWARDED_USER)), (200, Some("alice")));
    let other_host = ask(
        &dpop_auth,
        Some(&proof(&k, "GET", API, T0, Some(&at))),
        "evil.example",
    );
    assert_eq!(other_host.status, 401, "the proof names another host");
    let none = ask(&dpop_auth, None, "api.example");
    assert_eq!(none.status, 401);
    assert!(none
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("DPoP "));
    let bearer = ask(&format!("Bearer {at}"), None, "api.example");
    assert_eq!(
        bearer.status, 401,
        "a bound token is no bearer token, behind a gateway too"
    );
}

/// A resource server elsewhere takes a bound token with its proof: from an
/// introspection answer (cnf.jkt) or offline from a JWT (cnf.jkt), the
/// proof for this request and token, used once here, of the token's key.
#[test]
fn a_remote_guard_takes_a_bound_token_with_its_proof() {
    let (_dir, clock, s, k, at, keys) = jwt_host_with_bound_token();
    let at = at.as_str();
    let intro = introspect(&s, at).to_json();
    let mut rc = docs::base().rule(RuleConfig::new(&["* /docs/{username}/*"]).users(&["*"]));
    rc.issuer = Some(ISSUER.into());
    rc.audience = Some("https://api.example".into());
    let g = ResourceGuard::with_clock(&rc, Arc::new(clock.clone())).unwrap();
    assert_eq!(g.dpop_token(Some(&format!("DPoP {at}"))).unwrap(), Some(at));
    assert_eq!(g.dpop_token(Some(&format!("Bearer {at}"))).unwrap(), None);
    let res = "GET /docs/alice/1";
    let p = proof(&k, "GET", API, T0, Some(at));
    assert_eq!(
        g.check_introspection_with_proof(&intro, at, Some(&p), "GET", API, res, None)
            .unwrap()
            .username,
        "alice"
    );
    let replay = g
        .check_introspection_with_proof(&intro, at, Some(&p), "GET", API, res, None)
        .unwrap_err();
    assert_eq!(replay.description(), "the proof was used before");
    assert!(replay
        .response
        .header("WWW-Authenticate")
        .unwrap()
        .starts_with("DPoP "));
    let jwt_proof = proof(&k, "GET", API, T0, Some(at));
    assert_eq!(
        g.check_jwt_with_proof(at, &keys, Some(&jwt_proof), "GET", API, res, None)
            .unwrap()
            .username,
        "alice"
    );
    let thief = key(Algorithm::EdDsa);
    let stolen = g.check_jwt_with_proof(
        at,
        &keys,
        Some(&proof(&thief, "GET", API, T0, Some(at))),
        "GET",
        API,
        res,
        None,
    );
    assert!(stolen.unwrap_err().description().contains("another key"));
    let none = g
        .check_introspection_with_proof(&intro, at, None, "GET", API, res, None)
        .unwrap_err();
    assert_eq!(none.response.status, 401);
    // An unbound token under the DPoP scheme: refused.
    let unbound: Value = {
        let mut v: Value = serde_json::from_str(&intro).unwrap();
        v.as_object_mut().unwrap().remove("cnf");
        v["token_type"] = "Bearer".into();
        v
    };
    let r = g.check_introspection_with_proof(
        &unbound.to_string(),
        at,
        Some(&proof(&k, "GET", API, T0, Some(at))),
        "GET",
        API,
        res,
        None,
    );
    assert_eq!(
        r.unwrap_err().error.unwrap().code(),
        ErrorCode::InvalidToken
    );
}

/// A request without credentials, where DPoP is taken: both schemes are
/// challenged (RFC 9449 §7.1), in one field; where it is not, Bearer alone.
#[test]
fn no_credentials_get_both_challenges_where_dpop_is_taken() {
    let (_c, _, s) = host("allowed");
    let r = s
        .check_with_proof(None, None, "GET", API, "GET /docs/alice/1", None)
        .unwrap_err();
    let challenges: Vec<&str> = r
        .response
        .headers
        .iter()
        .filter(|(n, _)| *n == "WWW-Authenticate")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(
        challenges,
        ["Bearer realm=\"ropc\", DPoP realm=\"ropc\", algs=\"EdDSA ES256\""]
    );
    let (_c, _, off) = host("off");
    let r = off
        .check_with_proof(None, None, "GET", API, "GET /docs/alice/1", None)
        .unwrap_err();
    assert_eq!(
        r.response
            .headers
            .iter()
            .filter(|(n, _)| *n == "WWW-Authenticate")
            .count(),
        1
    );
}

/// [`proof`] carrying the server's `nonce`.
fn proof_with_nonce(k: &SigningKey, iat: u64, nonce: &str) -> String {
    let mut jwk = k.verifying_key().to_jwk();
    for drop in ["kid", "use", "alg"] {
        jwk.as_object_mut().unwrap().remove(drop);
    }
    let claims = json!({
        "jti": format!("{nonce}-{iat}"), "htm": "POST", "htu": format!("{ISSUER}/token"),
        "iat": iat, "nonce": nonce,
    });
    let header = json!({"typ": "dpop+jwt", "alg": k.algorithm().name(), "jwk": jwk});
    k.sign_with_header(&header, claims.as_object().unwrap())
        .unwrap()
}

fn token_response(s: &Server, dpop: Option<&str>) -> HttpResponse {
    let auth = ClientCredentials::new("app", "app-secret").basic_authorization();
    s.token_endpoint(&HttpRequest {
        dpop,
        ..HttpRequest::form_post(Some(&auth), GRANT.as_bytes())
    })
}

fn with_nonces(key_env: Option<&str>) -> Config {
    let mut c = config("required");
    c.dpop_nonce = Some(DpopNonceConfig {
        lifetime_seconds: 300,
        key_env: key_env.map(Into::into),
        key_file: None,
    });
    c
}

/// Server nonces (RFC 9449 §8): a proof without one, or with a stale or
/// foreign one, gets `use_dpop_nonce` and a fresh `DPoP-Nonce`; any host
/// given the same key accepts a nonce another made.
#[test]
fn server_nonces_are_asked_for_and_accepted_across_hosts_sharing_the_key() {
    std::env::set_var("ROPC_TEST_DPOP_NONCE_KEY", "42".repeat(32));
    let clock = ManualClock::new(T0);
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let a = server(
        with_nonces(Some("ROPC_TEST_DPOP_NONCE_KEY")),
        &store,
        &clock,
    );
    let b = server(
        with_nonces(Some("ROPC_TEST_DPOP_NONCE_KEY")),
        &store,
        &clock,
    );
    let k = key(Algorithm::EdDsa);
    let first = token_response(&a, Some(&token_proof(&k, T0)));
    assert_eq!(first.status, 400);
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["error"], "use_dpop_nonce");
    let nonce = first.header("DPoP-Nonce").unwrap().to_string();
    assert_eq!(nonce.len(), 32);
    // The nonce A gave, at B: accepted, and a fresh one comes back.
    let ok = token_response(&b, Some(&proof_with_nonce(&k, T0, &nonce)));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let body: Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(body["token_type"], "DPoP");
    clock.advance(1);
    let fresh = ok.header("DPoP-Nonce").unwrap().to_string();
    assert_ne!(fresh, "");
    // Stale: past the lifetime.
    clock.advance(300);
    let now = T0 + 301;
    let stale = token_response(&a, Some(&proof_with_nonce(&k, now, &nonce)));
    let body: Value = serde_json::from_str(&stale.body).unwrap();
    assert_eq!(
        (stale.status, body["error"].as_str()),
        (400, Some("use_dpop_nonce"))
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("stale"));
    // Made with another key (a server that makes its own): refused.
    let own = server(with_nonces(None), &store, &clock);
    let foreign = token_response(&own, Some(&token_proof(&k, now)))
        .header("DPoP-Nonce")
        .unwrap()
        .to_string();
    let refused = token_response(&a, Some(&proof_with_nonce(&k, now, &foreign)));
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("use_dpop_nonce"));
    // A proof refused for its nonce is not remembered: the client retries.
    let retry = token_response(&own, Some(&proof_with_nonce(&k, now, &foreign)));
    assert_eq!(retry.status, 200, "{}", retry.body);
    // No proof, no nonce: the answer is about the proof.
    let none = token_response(&a, None);
    assert!(none.body.contains("invalid_dpop_proof") && none.header("DPoP-Nonce").is_none());
    // Without nonces configured, no DPoP-Nonce header.
    let (_c, _, plain) = host("required");
    let r = token_response(&plain, Some(&token_proof(&k, T0)));
    assert_eq!((r.status, r.header("DPoP-Nonce")), (200, None));
}

#[test]
fn nonce_configuration_errors_name_the_field_never_the_key() {
    let build = |c: Config| Server::builder(c).build().map(|_| ()).unwrap_err();
    let mut c = with_nonces(None);
    c.dpop_nonce.as_mut().unwrap().lifetime_seconds = 0;
    assert_eq!(build(c).path(), "dpop_nonce.lifetime_seconds");
    let mut c = with_nonces(Some("ROPC_TEST_DPOP_NONCE_UNSET"));
    c.dpop_nonce.as_mut().unwrap().key_file = Some("/nonexistent".into());
    assert_eq!(build(c).path(), "dpop_nonce");
    let e = build(with_nonces(Some("ROPC_TEST_DPOP_NONCE_UNSET")));
    assert!(e.to_string().contains("ROPC_TEST_DPOP_NONCE_UNSET"), "{e}");
    std::env::set_var("ROPC_TEST_DPOP_NONCE_SHORT", "secret-ish-but-short");
    let e = build(with_nonces(Some("ROPC_TEST_DPOP_NONCE_SHORT")));
    assert_eq!(e.path(), "dpop_nonce.key_env");
    assert!(!e.to_string().contains("secret-ish"), "{e}");
    // A shared store: every host must be given the key.
    let dir = std::env::temp_dir().join(format!("ropc-nonce-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = with_nonces(None);
    c.store = StoreConfig::Sqlite {
        path: dir.join("s.db").to_string_lossy().into_owned(),
        pool_size: None,
        busy_timeout_ms: None,
        durable: None,
    };
    let e = build(c);
    assert_eq!(e.path(), "dpop_nonce");
    assert!(e.to_string().contains("key_env or key_file"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

/// RFC 9449 §5.1: the metadata lists the proof algorithms where some
/// client takes DPoP, and says nothing of DPoP where none does.
#[test]
fn the_metadata_names_the_proof_algorithms_where_dpop_is_taken() {
    let get = HttpRequest {
        method: "GET",
        content_type: None,
        authorization: None,
        dpop: None,
        body: b"",
    };
    let doc = |mode: &str| -> Value {
        let (_c, _, s) = host(mode);
        serde_json::from_str(&s.metadata_endpoint(&get).body).unwrap()
    };
    assert_eq!(
        doc("allowed")["dpop_signing_alg_values_supported"],
        json!(["EdDSA", "ES256"])
    );
    assert!(doc("off")
        .get("dpop_signing_alg_values_supported")
        .is_none());
}
