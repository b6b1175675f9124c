//! The five stages of the password grant, then a refresh and a revocation,
//! with real calls against the core: `make demo` (Rust part) runs this.

use base64::Engine;
use ropc_core::*;

/// Prints a response with its tokens shortened: a demo shows that tokens
/// were issued, not the secrets themselves.
fn show(step: &str, resp: &HttpResponse) {
    let mut body = if resp.body.is_empty() {
        "(empty body)".to_string()
    } else {
        resp.body.clone()
    };
    for key in ["access_token", "refresh_token"] {
        let token = json(resp, key);
        if token.len() > 8 {
            body = body.replace(&token, &format!("{}...", &token[..8]));
        }
    }
    println!("{step}\n    -> HTTP {} {body}", resp.status);
    if let Some(c) = resp.header("WWW-Authenticate") {
        println!("       WWW-Authenticate: {c}");
    }
}

fn json(resp: &HttpResponse, key: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or_default();
    v[key].as_str().unwrap_or_default().to_string()
}

fn main() {
    // Cheap argon2 keeps the demo quick; a real server keeps OWASP's default.
    let demo = HashParams {
        m_cost: 4096,
        t_cost: 1,
        p_cost: 1,
    };
    let (secret, secret_hash) = generate_client_secret();
    let mut config = Config::default()
        .scope("read", &["GET /invoices/*", "GET /users/*"])
        .scope("write", &["POST /invoices/*"])
        .client(
            ClientConfig::confidential("billing-app", &secret_hash)
                .grant_types(&["password", "refresh_token"])
                .scopes(&["read"]),
        )
        .client(ClientConfig::public("mobile-app").scopes(&["read"]))
        .user(
            UserConfig::new(
                "alice",
                &hash_password("correct horse", demo).expect("hash"),
            )
            .groups(&["finance"]),
        )
        .user(UserConfig::new(
            "bob",
            &hash_password("battery staple", demo).expect("hash"),
        ))
        .rule(RuleConfig::new(&["GET /invoices/*"]).groups(&["finance"]))
        .rule(RuleConfig::new(&["GET /users/{username}/*"]).users(&["*"]));
    config.password_hashing = demo;
    config.allow_weak_password_hashing = true;
    let server = Server::from_config(config).expect("a valid configuration");

    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("billing-app:{secret}"))
    );
    let mut ok = true;
    let mut expect = |label: &str, resp: &HttpResponse, status: u16| {
        show(label, resp);
        if resp.status != status {
            println!("    !! expected HTTP {status}");
            ok = false;
        }
    };
    let check = |token: &str, resource: &str, scope: Option<&str>| {
        server
            .check_request(Some(&format!("Bearer {token}")), resource, scope)
            .map_or_else(
                |refusal| refusal.response,
                |p| HttpResponse {
                    status: 200,
                    headers: vec![],
                    body: format!(
                        "allowed: user {} via client {} with scopes {}",
                        p.username,
                        p.client_id,
                        p.scopes.join(" ")
                    ),
                },
            )
    };
    let post = |auth: Option<&str>, body: &str| {
        server.token_endpoint(&HttpRequest::form_post(auth, body.as_bytes()))
    };

    println!("1. alice gives her username and password to billing-app (a confidential client)");
    println!(
        "2. billing-app POSTs them to the token endpoint, authenticating itself with HTTP Basic"
    );
    let login = "grant_type=password&username=alice&password=correct+horse&scope=read";
    let resp = post(Some(&basic), login);
    let (at, rt) = (json(&resp, "access_token"), json(&resp, "refresh_token"));
    expect(
        "3. the server checks client, grant, scope and password, and issues tokens",
        &resp,
        200,
    );
    println!(
        "       Cache-Control: {}, Pragma: {}",
        resp.header("Cache-Control").unwrap_or("(none)"),
        resp.header("Pragma").unwrap_or("(none)")
    );
    println!("4. billing-app calls the resource server: GET /invoices/42 with the access token");
    expect(
        "5. the resource server checks token, scope and alice's right to the resource",
        &check(&at, "GET /invoices/42", Some("read")),
        200,
    );
    expect(
        "   POST /invoices/42 needs the write scope",
        &check(&at, "POST /invoices/42", None),
        403,
    );
    expect(
        "   GET /users/bob/profile is another user's resource",
        &check(&at, "GET /users/bob/profile", None),
        403,
    );

    let refresh = format!("grant_type=refresh_token&refresh_token={rt}");
    let resp = post(Some(&basic), &refresh);
    let at2 = json(&resp, "access_token");
    expect(
        "refresh: a new access token and a rotated refresh token, without the password",
        &resp,
        200,
    );
    expect(
        "the old refresh token presented again is reuse: the lineage is revoked",
        &post(Some(&basic), &refresh),
        400,
    );
    expect(
        "   the refreshed access token after the reuse",
        &check(&at2, "GET /invoices/42", None),
        401,
    );
    expect(
        "a public client tries the password grant",
        &post(
            None,
            "grant_type=password&username=alice&password=correct+horse&client_id=mobile-app",
        ),
        400,
    );
    expect(
        "a wrong password",
        &post(
            Some(&basic),
            "grant_type=password&username=alice&password=wrong&scope=read",
        ),
        400,
    );

    let at3 = json(&post(Some(&basic), login), "access_token");
    let revoke = format!("token={at3}");
    expect(
        "revocation of a fresh access token",
        &server.revocation_endpoint(&HttpRequest::form_post(Some(&basic), revoke.as_bytes())),
        200,
    );
    expect(
        "   the request after revocation",
        &check(&at3, "GET /invoices/42", None),
        401,
    );
    if !ok {
        println!("some steps did not behave as shown");
        std::process::exit(1);
    }
    println!("every step behaved as the RFCs require");
}
