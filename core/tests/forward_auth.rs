//! Forward-auth: the answers a gateway passes on, case by case.

#[path = "support/docs.rs"]
mod docs;
use docs::CHEAP;
use ropc_core::*;

fn server() -> Server {
    let config = docs::base()
        .client(docs::app().default_scopes(&["read"]))
        .user(UserConfig::new(
            "alice",
            &hash_password("alice-pw", CHEAP).unwrap(),
        ))
        .user(UserConfig::new(
            "bob",
            &hash_password("bob-pw", CHEAP).unwrap(),
        ))
        .rule(RuleConfig::new(&["* /docs/{username}/*"]).users(&["*"]));
    Server::from_config(config).unwrap()
}

fn ask(s: &Server, authorization: Option<&str>, method: &str, uri: &str) -> HttpResponse {
    s.forward_auth(&Forwarded {
        authorization,
        method: Some(method),
        uri: Some(uri),
        ..Forwarded::default()
    })
}

#[test]
fn a_gateway_gets_who_is_calling_or_the_refusal_to_pass_back() {
    let s = server();
    let app = ClientCredentials::new("app", "app-secret");
    let t = s
        .password_grant(&app, "alice", "alice-pw", Some("read"))
        .unwrap();
    let bearer = format!("Bearer {}", t.access_token);
    let ok = ask(&s, Some(&bearer), "GET", "/docs/alice/report?page=2");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header(FORWARDED_USER), Some("alice"));
    assert_eq!(ok.header(FORWARDED_CLIENT), Some("app"));
    assert_eq!(ok.header(FORWARDED_SCOPE), Some("read"));
    let cases = [
        (
            "PUT",
            "/docs/alice/report",
            Some(bearer.as_str()),
            403,
            "insufficient_scope",
        ),
        (
            "GET",
            "/docs/bob/report",
            Some(bearer.as_str()),
            403,
            "access_denied",
        ),
        (
            "GET",
            "/docs/alice/report",
            Some("Bearer nope"),
            401,
            "invalid_token",
        ),
        (
            "GET",
            "/docs/alice/%2e%2e/bob/x",
            Some(bearer.as_str()),
            400,
            "invalid_request",
        ),
    ];
    for (method, uri, authorization, status, code) in cases {
        let r = ask(&s, authorization, method, uri);
        assert_eq!(r.status, status, "{method} {uri}");
        // RFC 6750's codes in the challenge; access_denied (RFC 6749's) in the body.
        let said = format!(
            "{} {}",
            r.header("WWW-Authenticate").unwrap_or_default(),
            r.body
        );
        assert!(said.contains(code), "{method} {uri}: {said}");
    }
    // No credentials: 401 with a bare challenge.
    let none = ask(&s, None, "GET", "/docs/alice/x");
    assert_eq!(
        (none.status, none.header("WWW-Authenticate")),
        (401, Some("Bearer realm=\"ropc\""))
    );
    // Revoked.
    s.revoke(&app, &t.access_token, None).unwrap();
    assert_eq!(
        ask(&s, Some(&bearer), "GET", "/docs/alice/report").status,
        401
    );
    // A gateway that does not say which request it holds.
    let blind = s.forward_auth(&Forwarded {
        authorization: Some(&bearer),
        ..Forwarded::default()
    });
    assert_eq!(blind.status, 400);
}

#[test]
fn the_held_request_is_read_from_traefik_s_or_nginx_s_headers() {
    let headers = [
        ("X-Original-Method", "GET"),
        ("X-Original-URI", "/a?b"),
        ("authorization", "Bearer x"),
    ];
    let f = Forwarded::from_headers(|name| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    });
    assert_eq!(
        (f.method, f.uri, f.authorization),
        (Some("GET"), Some("/a?b"), Some("Bearer x"))
    );
    let both = [
        ("X-Forwarded-Method", "PUT"),
        ("X-Original-Method", "GET"),
        ("X-Forwarded-Uri", "/t"),
    ];
    let f = Forwarded::from_headers(|name| {
        both.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    });
    assert_eq!(
        (f.method, f.uri, f.authorization),
        (Some("PUT"), Some("/t"), None)
    );
}

/// Envoy's ext_authz HTTP service forwards the held request whole under a
/// prefix: its method, and its target behind `/auth`.
#[test]
fn a_request_under_the_forward_auth_path_is_the_held_request() {
    let f = Forwarded::from_request("PUT", "/auth/docs/alice/x?y=1", |name| {
        (name == "authorization").then_some("Bearer t")
    });
    assert_eq!(
        (f.method, f.uri, f.authorization),
        (Some("PUT"), Some("/docs/alice/x?y=1"), Some("Bearer t"))
    );
    // Headers win; the bare path names nothing; a look-alike prefix is not it.
    let f = Forwarded::from_request("GET", "/auth/x", |name| {
        (name == "x-forwarded-uri").then_some("/y")
    });
    assert_eq!((f.method, f.uri), (None, Some("/y")));
    for target in ["/auth", "/authx/docs/1"] {
        let f = Forwarded::from_request("GET", target, |_| None);
        assert_eq!((f.method, f.uri), (None, None), "{target}");
    }
    let s = server();
    let app = ClientCredentials::new("app", "app-secret");
    let t = s
        .password_grant(&app, "alice", "alice-pw", Some("read"))
        .unwrap();
    let bearer = format!("Bearer {}", t.access_token);
    let envoy = |method, target| {
        s.forward_auth(&Forwarded::from_request(method, target, |name| {
            (name == "authorization").then_some(bearer.as_str())
        }))
    };
    assert_eq!(envoy("GET", "/auth/docs/alice/report").status, 200);
    assert_eq!(envoy("PUT", "/auth/docs/alice/report").status, 403);
    assert_eq!(envoy("GET", "/auth").status, 400);
}

/// The identity headers are the configuration's to name (a reload renames
/// them at once); names that are no header, the response's own or named
/// twice are refused, naming the field.
#[test]
fn the_identity_headers_are_configurable() {
    let s = server();
    let mut c = s.config();
    c.forward_auth = ForwardAuthConfig {
        user_header: "X-User".into(),
        client_header: "X-Client-Id".into(),
        scope_header: "X-Scopes".into(),
    };
    s.reload(c.clone()).unwrap();
    let app = ClientCredentials::new("app", "app-secret");
    let t = s
        .password_grant(&app, "alice", "alice-pw", Some("read"))
        .unwrap();
    let ok = ask(
        &s,
        Some(&format!("Bearer {}", t.access_token)),
        "GET",
        "/docs/alice/x",
    );
    assert_eq!(ok.status, 200);
    assert_eq!(
        (
            ok.header("X-User"),
            ok.header("X-Client-Id"),
            ok.header("X-Scopes")
        ),
        (Some("alice"), Some("app"), Some("read"))
    );
    assert_eq!(
        ok.header(FORWARDED_USER),
        None,
        "the default names are gone"
    );
    for (user, client, why) in [
        ("X User", "X-Client", "an HTTP header name"),
        ("", "X-Client", "an HTTP header name"),
        ("X-A", "x-a", "named twice"),
        ("Content-Type", "X-Client", "the response itself needs"),
    ] {
        let mut bad = c.clone();
        bad.forward_auth.user_header = user.into();
        bad.forward_auth.client_header = client.into();
        let e = s.reload(bad).unwrap_err();
        assert!(e.path().starts_with("forward_auth."), "{e}");
        assert!(e.message().contains(why), "{e}");
    }
    // The document as JSON, with the defaults left out.
    let json = Config::from_json(r#"{"forward_auth": {"user_header": "X-U"}}"#).unwrap();
    assert_eq!(json.forward_auth.user_header, "X-U");
    assert_eq!(json.forward_auth.scope_header, FORWARDED_SCOPE);
    assert!(Config::from_json(r#"{"forward_auth": {"user": "X-U"}}"#).is_err());
}
