//! What a JWT access token costs and saves (part of `make bench-jwt`).
//! Prints JSON: nanoseconds per call, the median of seven rounds, on one
//! thread:
//!
//! - `ring_verify`: `ring`'s raw Ed25519 verification of the token's
//!   signature (the floor: no parsing, no claims);
//! - `jws_verify`: ropc's strict reading and verification of the token;
//! - `check_jwt`: a resource server's whole offline check
//!   (`ResourceGuard::check_jwt`: the above, then iss, aud, exp, scope and
//!   the owner's rules);
//! - `check_opaque`: the authorization server's own check of an opaque
//!   token on the memory store (for comparison);
//! - `grant_opaque`, `grant_jwt`, `refresh_opaque`, `refresh_jwt`: the
//!   password grant (cheap argon2, so that what the JWT adds shows) and a
//!   refresh, for a client with opaque tokens and one with JWTs;
//! - `dpop_proof_check`: a DPoP proof read and checked (`ropc_core::dpop`,
//!   no replay record), beside `ring_verify`;
//! - `password_bearer_http`, `password_dpop_http`: a password grant at the
//!   token endpoint (form parsed), without and with a DPoP proof.
//! - `refresh_bearer_http`, `refresh_dpop_http`: a refresh at the token
//!   endpoint (the form parsed), without and with a proof (checked, recorded
//!   once, the token bound);
//! - `check_bearer_http`, `check_dpop`: `check_with_proof` for a bearer
//!   token and for a bound one with a fresh proof each time (the proof
//!   checked with `ath`, recorded once in the memory store).
//!
//! Usage: bench_jwt CONFIG_JSON KEY_PEM OUT_DIR. The configuration is
//! bench/c/config.json; a JWT client, the issuer and the signing key are
//! added here. The token and the key set go to OUT_DIR (`jwt_token.txt`,
//! `jwt_jwks.json`) for the C, Python and Node benches to verify the same.

use base64::Engine;
use ropc_core::jws::{self, KeySet};
use ropc_core::{ClientCredentials, Config, ResourceGuard, Server};
use std::hint::black_box;
use std::time::Instant;

const ROUNDS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median nanoseconds per call of `f` over `n` calls, `ROUNDS` times.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    median(
        (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..n {
                    f();
                }
                start.elapsed().as_nanos() as f64 / f64::from(n)
            })
            .collect(),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, config, pem, out] = &args[..] else {
        panic!("usage: bench_jwt CONFIG_JSON KEY_PEM OUT_DIR");
    };
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(config).expect("config")).expect("json");
    doc["issuer"] = "https://as.example".into();
    doc["audience"] = "https://api.example".into();
    doc["signing"] = serde_json::json!({ "key_files": [pem] });
    let mut jwt_client = doc["clients"][0].clone();
    jwt_client["id"] = "jwt".into();
    jwt_client["access_token_format"] = "jwt".into();
    jwt_client["audience"] = serde_json::json!(["https://api.example"]);
    jwt_client["access_token_ttl"] = 86_400.into();
    doc["clients"]
        .as_array_mut()
        .expect("clients")
        .push(jwt_client);
    std::fs::write(format!("{out}/jwt_config.json"), doc.to_string()).expect("write");
    let config = Config::from_json(&doc.to_string()).expect("config");
    let server = Server::from_config(config.clone()).expect("server");
    let guard = ResourceGuard::new(&config).expect("guard");
    let (app, jwt) = (
        ClientCredentials::new("app", "app-secret"),
        ClientCredentials::new("jwt", "app-secret"),
    );
    let grant = |c: &ClientCredentials| {
        server
            .password_grant(c, "alice", "pw", Some("read write"))
            .expect("grant")
    };
    let token = grant(&jwt).access_token.clone();
    let opaque = grant(&app).access_token.clone();
    let jwks = server.key_set().expect("key set").expect("signs");
    std::fs::write(format!("{out}/jwt_token.txt"), &token).expect("write");
    std::fs::write(format!("{out}/jwt_jwks.json"), &jwks).expect("write");
    let keys = KeySet::from_json(&jwks).expect("keys");

    // ring's raw verification: the public key and the signature decoded once.
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let set: serde_json::Value = serde_json::from_str(&jwks).expect("jwks");
    let public = b64
        .decode(set["keys"][0]["x"].as_str().expect("x"))
        .expect("x");
    let (input, sig) = token.rsplit_once('.').expect("jws");
    let signature = b64.decode(sig).expect("sig");
    let key = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public);
    let ring_verify = time(20_000, || {
        key.verify(black_box(input.as_bytes()), black_box(&signature))
            .expect("verifies");
    });
    let allowed = [jws::Algorithm::EdDsa];
    let jws_verify = time(20_000, || {
        black_box(jws::verify(black_box(&token), &keys, &allowed, "at+jwt").expect("verifies"));
    });
    let check_jwt = time(20_000, || {
        black_box(
            guard
                .check_jwt(
                    black_box(&token),
                    &keys,
                    black_box("GET /invoices/42"),
                    black_box(Some("read")),
                )
                .expect("check"),
        );
    });
    let check_opaque = time(200_000, || {
        black_box(
            server
                .check(
                    black_box(&opaque),
                    black_box("GET /invoices/42"),
                    black_box(Some("read")),
                )
                .expect("check"),
        );
    });
    let grant_opaque = time(3_000, || drop(black_box(grant(&app))));
    let grant_jwt = time(3_000, || drop(black_box(grant(&jwt))));
    let server = &server;
    let refresh = |c: &ClientCredentials| {
        let mut rt = grant(c).refresh_token.take().expect("rt");
        time(20_000, || {
            rt = server
                .refresh_grant(c, black_box(&rt), None)
                .expect("refresh")
                .refresh_token
                .take()
                .expect("rt");
        })
    };
    let refresh_opaque = refresh(&app);
    let refresh_jwt = refresh(&jwt);

    // DPoP: a client key, proofs made beforehand (each used once).
    let mut dpop_doc = doc.clone();
    dpop_doc["clients"][0]["dpop"] = "allowed".into();
    let dpop_server =
        Server::from_config(Config::from_json(&dpop_doc.to_string()).expect("config"))
            .expect("server");
    let client_key = {
        let pkcs8 = jws::generate_pkcs8(jws::Algorithm::EdDsa).expect("key");
        jws::SigningKey::from_pkcs8("", jws::Algorithm::EdDsa, &pkcs8).expect("key")
    };
    let mut jwk = client_key.verifying_key().to_jwk();
    for drop in ["kid", "use", "alg"] {
        jwk.as_object_mut().expect("jwk").remove(drop);
    }
    let header = serde_json::json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": jwk});
    let mut counter = 0u64;
    let mut make_proof = |htm: &str, htu: &str, ath: Option<String>| {
        counter += 1;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let mut claims = serde_json::json!({"jti": format!("bench-{counter}"), "htm": htm, "htu": htu, "iat": now});
        if let Some(ath) = ath {
            claims["ath"] = ath.into();
        }
        client_key
            .sign_with_header(&header, claims.as_object().expect("claims"))
            .expect("proof")
    };
    const DPOP_CALLS: u32 = 2_000;
    const GRANT_CALLS: u32 = 1_000;
    let total = DPOP_CALLS as usize * ROUNDS;
    let token_uri = "https://as.example/token";
    let one = make_proof("POST", token_uri, None);
    let cx = ropc_core::dpop::ProofContext {
        method: "POST",
        uri: token_uri,
        access_token: None,
        nonce: None,
        now: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    };
    let dpop_proof_check = time(20_000, || {
        black_box(ropc_core::dpop::check(black_box(&one), &cx).expect("a good proof"));
    });
    let auth = app.basic_authorization();
    let token_http = |body: &str, dpop: Option<&str>| {
        let r = dpop_server.token_endpoint(&ropc_core::HttpRequest {
            dpop,
            ..ropc_core::HttpRequest::form_post(Some(&auth), body.as_bytes())
        });
        assert_eq!(r.status, 200, "{}", r.body);
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        (
            v["access_token"].as_str().expect("at").to_string(),
            v["refresh_token"].as_str().expect("rt").to_string(),
        )
    };
    let password_form = "grant_type=password&username=alice&password=pw&scope=read%20write";
    let refresh_http = |dpop: bool, proofs: &mut Vec<String>| {
        let (_, mut rt) = token_http(password_form, None);
        time(DPOP_CALLS, || {
            let p = dpop.then(|| proofs.pop().expect("a proof"));
            rt = token_http(
                &format!("grant_type=refresh_token&refresh_token={rt}"),
                p.as_deref(),
            )
            .1;
        })
    };
    let mut refresh_proofs: Vec<String> = (0..total)
        .map(|_| make_proof("POST", token_uri, None))
        .collect();
    // The password grant at the token endpoint, with and without a proof
    // (argon2 at the bench configuration's cheap parameters, as above).
    let mut grant_proofs: Vec<String> = (0..GRANT_CALLS as usize * ROUNDS)
        .map(|_| make_proof("POST", token_uri, None))
        .collect();
    let password_bearer_http = time(GRANT_CALLS, || {
        drop(black_box(token_http(password_form, None)))
    });
    let password_dpop_http = time(GRANT_CALLS, || {
        let p = grant_proofs.pop().expect("a proof");
        drop(black_box(token_http(password_form, Some(&p))));
    });
    let refresh_bearer_http = refresh_http(false, &mut refresh_proofs);
    let refresh_dpop_http = refresh_http(true, &mut refresh_proofs);
    let api = "https://api.example/invoices/42";
    let (bearer_at, _) = token_http(password_form, None);
    let (bound_at, _) = token_http(password_form, Some(&make_proof("POST", token_uri, None)));
    let bearer_header = format!("Bearer {bearer_at}");
    let check_bearer_http = time(DPOP_CALLS, || {
        black_box(
            dpop_server
                .check_with_proof(
                    Some(&bearer_header),
                    None,
                    "GET",
                    api,
                    "GET /invoices/42",
                    Some("read"),
                )
                .expect("check"),
        );
    });
    let ath = ropc_core::dpop::token_hash(&bound_at);
    let mut check_proofs: Vec<String> = (0..total)
        .map(|_| make_proof("GET", api, Some(ath.clone())))
        .collect();
    let dpop_header = format!("DPoP {bound_at}");
    let check_dpop = time(DPOP_CALLS, || {
        let p = check_proofs.pop().expect("a proof");
        black_box(
            dpop_server
                .check_with_proof(
                    Some(&dpop_header),
                    Some(&p),
                    "GET",
                    api,
                    "GET /invoices/42",
                    Some("read"),
                )
                .expect("check"),
        );
    });
    println!(
        "{}",
        serde_json::json!({
            "language": "rust",
            "ns": {
                "ring_verify": ring_verify,
                "jws_verify": jws_verify,
                "check_jwt": check_jwt,
                "check_opaque": check_opaque,
                "grant_opaque": grant_opaque,
                "grant_jwt": grant_jwt,
                "refresh_opaque": refresh_opaque,
                "refresh_jwt": refresh_jwt,
                "dpop_proof_check": dpop_proof_check,
                "password_bearer_http": password_bearer_http,
                "password_dpop_http": password_dpop_http,
                "refresh_bearer_http": refresh_bearer_http,
                "refresh_dpop_http": refresh_dpop_http,
                "check_bearer_http": check_bearer_http,
                "check_dpop": check_dpop,
            },
            "token_bytes": token.len(),
        })
    );
}
