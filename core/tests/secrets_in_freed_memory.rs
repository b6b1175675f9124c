//! Passwords, client secrets and tokens are zeroed before the memory that
//! held them is freed: after a login and twenty other requests through the
//! HTTP endpoints and the resource check, no freed block ever held the
//! password, the client secret or any token (the graveyard allocator keeps
//! every freed block to search afterwards). One test in this binary: nothing
//! else allocates while the graveyard is armed.

#[path = "support/graveyard.rs"]
mod graveyard;

use ropc_core::*;
use zeroize::Zeroizing;

#[global_allocator]
static ALLOC: graveyard::Graveyard = graveyard::Graveyard;

const CHEAP: HashParams = HashParams {
    m_cost: 64,
    t_cost: 1,
    p_cost: 1,
};
const PASSWORD: &str = "correct horse battery staple 81e3c9";
const PASSWORD_FORM: &str = "correct+horse+battery+staple+81e3c9";
const SECRET: &str = "app-secret-5f0d2a7b";

/// Joins parts into a string allocated once at its final size, so that the
/// test itself leaves no partial copy behind, and zeroed when dropped.
fn join(parts: &[&str]) -> Zeroizing<String> {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    Zeroizing::new(s)
}

/// A field of a JSON response, copied out without a JSON parser.
fn field(body: &str, name: &str) -> Zeroizing<String> {
    let key = join(&["\"", name, "\":\""]);
    let at = body.find(key.as_str()).expect(name) + key.len();
    let len = body[at..].find('"').unwrap();
    join(&[&body[at..at + len]])
}

fn post(server: &Server, endpoint: &str, body: &str) -> HttpResponse {
    let basic = Zeroizing::new(ClientCredentials::new("app", SECRET).basic_authorization());
    let req = HttpRequest::form_post(Some(&basic), body.as_bytes());
    match endpoint {
        "token" => server.token_endpoint(&req),
        "introspect" => server.introspection_endpoint(&req),
        _ => server.revocation_endpoint(&req),
    }
}

#[test]
fn no_freed_memory_ever_held_a_password_secret_or_token() {
    let mut config = Config::default()
        .scope("read", &["GET /docs/*"])
        .client(
            ClientConfig::confidential("app", &hash_client_secret(SECRET))
                .grant_types(&["password", "refresh_token"])
                .scopes(&["read"])
                .default_scopes(&["read"]),
        )
        .user(UserConfig::new("alice", &hash_password(PASSWORD, CHEAP).unwrap()).groups(&["staff"]))
        .rule(RuleConfig::new(&["* /docs/*"]).groups(&["staff"]));
    config.password_hashing = CHEAP;
    config.allow_weak_password_hashing = true;
    let guard = ResourceGuard::new(&config).unwrap();
    let server = Server::builder(config).build().unwrap();
    // Warm up (the pool's threads, lazily built tables), then watch.
    drop(post(
        &server,
        "token",
        "grant_type=password&username=bob&password=x",
    ));

    graveyard::arm();
    let mut tokens: Vec<Zeroizing<String>> = Vec::with_capacity(64);
    let encoded = join(&[
        "grant_type=password&username=alice&password=",
        PASSWORD_FORM,
    ]);
    let login = post(&server, "token", &encoded);
    assert_eq!(login.status, 200, "{}", login.body);
    let access = field(&login.body, "access_token");
    let mut refresh = field(&login.body, "refresh_token");
    drop(login);
    tokens.push(join(&[&access]));
    tokens.push(join(&[&refresh]));
    let mut requests = 1;
    for _ in 0..3 {
        let introspect = join(&["token=", &access]);
        let r = post(&server, "introspect", &introspect);
        assert!(r.body.contains("\"active\":true"), "{}", r.body);
        let bearer = join(&["Bearer ", &access]);
        let check = server.check_request(Some(&bearer), "GET /docs/a", None);
        assert!(check.is_ok());
        // A remote resource server's side: the token out of the header,
        // into an introspection request signed with its own secret.
        let token = guard.bearer_token(Some(&bearer)).unwrap();
        let call = guard.introspection_request(token, &ClientCredentials::new("app", SECRET));
        assert!(call.body.contains(token));
        drop(call);
        let body = join(&["grant_type=refresh_token&refresh_token=", &refresh]);
        let r = post(&server, "token", &body);
        assert_eq!(r.status, 200, "{}", r.body);
        refresh = field(&r.body, "refresh_token");
        tokens.push(field(&r.body, "access_token"));
        tokens.push(join(&[&refresh]));
        let wrong = post(
            &server,
            "token",
            "grant_type=password&username=alice&password=wrong",
        );
        assert_eq!(wrong.status, 400);
        let unknown = post(&server, "introspect", "token=unknown-token");
        assert!(unknown.body.contains("false"));
        let hint = join(&["token=", &refresh, "&token_type_hint=refresh_token"]);
        assert_eq!(post(&server, "introspect", &hint).status, 200);
        requests += 7; // the check is a request to a resource server
    }
    let revoke = join(&["token=", &refresh]);
    assert_eq!(post(&server, "revoke", &revoke).status, 200);
    requests += 1;
    assert!(requests >= 21, "a login and twenty other requests");
    // Controls: a block freed, and one outgrown, without zeroing.
    drop(String::from("graveyard-control-freed"));
    let mut grown = String::from("graveyard-control-grown");
    grown.reserve(1 << 20);
    let freed = graveyard::disarm();
    drop(grown);

    assert!(!freed.is_empty(), "the graveyard kept the freed blocks");
    for control in [&b"graveyard-control-freed"[..], b"graveyard-control-grown"] {
        assert_eq!(
            graveyard::count(&freed, control),
            1,
            "the graveyard keeps freed blocks"
        );
    }
    let secrets: &[(&str, &[u8])] = &[
        ("the password", PASSWORD.as_bytes()),
        ("the password, form-encoded", PASSWORD_FORM.as_bytes()),
        ("the client secret", SECRET.as_bytes()),
    ];
    let left = graveyard::leftovers(&freed, secrets, &tokens);
    assert!(left.is_empty(), "left in freed memory: {left:?}");
}
