//! The C ABI's own copies of passwords, secrets and tokens are zeroed
//! before they are freed: responses, token responses and strings handed to
//! C (see core/tests/secrets_in_freed_memory.rs for the graveyard). One
//! test in this binary: nothing else allocates while the graveyard is armed.

#[path = "../../core/tests/support/graveyard.rs"]
mod graveyard;

use ropc::*;
use ropc_core::secret::Wiped;
use std::ffi::{c_char, CStr, CString};
use std::ptr::null_mut;

#[global_allocator]
static ALLOC: graveyard::Graveyard = graveyard::Graveyard;

const PASSWORD: &str = "correct-horse-battery-staple-9d41";
const SECRET: &str = "app-secret-13b7c0e2";

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A field of a JSON body, copied out without a JSON parser.
fn field(body: &str, name: &str) -> Wiped<String> {
    let key = format!("\"{name}\":\"");
    let at = body.find(&key).expect(name) + key.len();
    let len = body[at..].find('"').unwrap();
    let mut s = String::with_capacity(len);
    s.push_str(&body[at..at + len]);
    Wiped::new(s)
}

fn body_of(resp: *mut ropc_response) -> &'static str {
    let mut len = 0;
    let ptr = ropc_response_body(resp, &mut len);
    // SAFETY: the body lives until ropc_response_free; read before that.
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(ptr.cast::<u8>(), len)).unwrap() }
}

#[test]
fn no_freed_memory_ever_held_a_password_secret_or_token() {
    let cheap = ropc_core::HashParams {
        m_cost: 64,
        t_cost: 1,
        p_cost: 1,
    };
    let config = c(&format!(
        r#"{{"password_hashing": {{"m_cost": 64, "t_cost": 1, "p_cost": 1}}, "allow_weak_password_hashing": true,
            "scopes": [{{"name": "read", "resources": ["GET /docs/*"]}}],
            "clients": [{{"id": "app", "secret_hash": "{}", "grant_types": ["password", "refresh_token"],
                          "scopes": ["read"], "default_scopes": ["read"]}}],
            "users": [{{"username": "alice", "password_hash": "{}", "groups": ["staff"]}}],
            "rules": [{{"resources": ["* /docs/*"], "groups": ["staff"]}}]}}"#,
        ropc_core::hash_client_secret(SECRET),
        ropc_core::hash_password(PASSWORD, cheap).unwrap()
    ));
    let (mut server, mut guard, mut err) = (null_mut(), null_mut(), null_mut());
    assert_eq!(
        ropc_server_new_from_json(config.as_ptr(), &mut server, &mut err),
        ropc_status::ROPC_OK
    );
    assert_eq!(
        ropc_guard_new_from_json(config.as_ptr(), &mut guard, &mut err),
        ropc_status::ROPC_OK
    );
    let basic = c(&ropc_core::ClientCredentials::new("app", SECRET).basic_authorization());
    let form = c("application/x-www-form-urlencoded");
    let post = c("POST");
    let (app, secret, alice, password) = (c("app"), c(SECRET), c("alice"), c(PASSWORD));
    let mut tokens: Vec<Wiped<String>> = Vec::with_capacity(16);

    graveyard::arm();
    // The HTTP endpoint: a login, then an introspection.
    let body = format!("grant_type=password&username=alice&password={PASSWORD}");
    let mut resp = null_mut();
    let status = ropc_server_token_endpoint(
        server,
        post.as_ptr(),
        form.as_ptr(),
        basic.as_ptr(),
        body.as_ptr(),
        body.len(),
        &mut resp,
    );
    assert_eq!(status, ropc_status::ROPC_OK);
    assert_eq!(ropc_response_status(resp), 200, "{}", body_of(resp));
    let access = field(body_of(resp), "access_token");
    tokens.push(field(body_of(resp), "access_token"));
    tokens.push(field(body_of(resp), "refresh_token"));
    ropc_response_free(resp);
    // The typed grant.
    let mut typed = null_mut();
    let status = ropc_server_password_grant(
        server,
        app.as_ptr(),
        secret.as_ptr(),
        alice.as_ptr(),
        password.as_ptr(),
        std::ptr::null(),
        &mut typed,
        &mut err,
    );
    assert_eq!(status, ropc_status::ROPC_OK);
    // SAFETY: NUL-terminated strings owned by `typed` until its free.
    let typed_access = unsafe { CStr::from_ptr(ropc_token_response_access_token(typed)) };
    tokens.push(Wiped::new(typed_access.to_str().unwrap().to_owned()));
    ropc_token_response_free(typed);
    // A resource server: the bearer token out of the header, as a C string.
    let mut header = String::with_capacity(7 + access.len() + 1);
    header.push_str("Bearer ");
    header.push_str(&access);
    let header = Wiped::new(CString::new(header).unwrap().into_bytes_with_nul());
    let (mut token, mut refusal): (*mut c_char, _) = (null_mut(), null_mut());
    let status = ropc_guard_bearer_token(guard, header.as_ptr().cast(), &mut token, &mut refusal);
    assert_eq!(status, ropc_status::ROPC_OK);
    ropc_string_free(token);
    drop(header);
    let freed = graveyard::disarm();

    let secrets: &[(&str, &[u8])] = &[
        ("the password", PASSWORD.as_bytes()),
        ("the client secret", SECRET.as_bytes()),
    ];
    let left = graveyard::leftovers(&freed, secrets, &tokens);
    assert!(!freed.is_empty(), "the graveyard kept the freed blocks");
    assert!(left.is_empty(), "left in freed memory: {left:?}");
    drop(body);
    ropc_guard_free(guard);
    ropc_server_free(server);
}
