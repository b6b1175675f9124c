//! The server handle: construction, HTTP-level endpoints, typed calls,
//! resource checks, password hashing and account events.

use crate::error::ropc_error;
use crate::handles::{
    into_raw_string, ropc_introspection, ropc_principal, ropc_response, ropc_token_response,
};
use crate::{ffi_boundary, free_box, ropc_status, try_opt_str, try_ref, try_str, write_out};
use ropc_core::{
    hash_password, Blocking, Call, ClientCredentials, HashParams, HttpRequest, HttpResponse,
    OAuthError, Principal, Refusal, Server,
};
use std::ffi::c_char;

/// An authorization server. Safe to use from many threads at once.
pub struct ropc_server {
    inner: Server,
}

fn new_server(
    result: Result<Server, ropc_core::ConfigError>,
    out: *mut *mut ropc_server,
    err: *mut *mut ropc_error,
) -> ropc_status {
    match result {
        Ok(server) => {
            write_out(out, Box::new(ropc_server { inner: server }));
            ropc_status::ROPC_OK
        }
        Err(e) => ropc_error::config(&e).report(err),
    }
}

/// Builds a server from a JSON configuration document. On success writes
/// the handle to `*out` (free with `ropc_server_free`); on failure returns
/// `ROPC_INVALID_CONFIG` and, if `err` is not NULL, an error saying what is
/// wrong and where (free with `ropc_error_free`).
#[no_mangle]
pub extern "C" fn ropc_server_new_from_json(
    json: *const c_char,
    out: *mut *mut ropc_server,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let json = try_str!(json);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        new_server(Server::from_json(json), out, err)
    }
}

/// Builds a server from a JSON configuration file; as `ropc_server_new_from_json`.
#[no_mangle]
pub extern "C" fn ropc_server_new_from_file(
    path: *const c_char,
    out: *mut *mut ropc_server,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let path = try_str!(path);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        new_server(Server::from_file(path), out, err)
    }
}

pub(crate) fn server_from_builder(server: Server) -> Box<ropc_server> {
    Box::new(ropc_server { inner: server })
}

/// Frees a server. NULL is a no-op. No other thread may be using it.
#[no_mangle]
pub extern "C" fn ropc_server_free(server: *mut ropc_server) {
    ffi_boundary! { free_box(server) }
}

type Endpoint = fn(&Server, &HttpRequest<'_>) -> HttpResponse;

/// An HTTP request from C arguments: the method is required, absent (or
/// empty) headers are NULL, and `body` may be NULL only when `body_len` is 0.
fn http_request<'a>(
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    body: *const u8,
    body_len: usize,
) -> Result<HttpRequest<'a>, ropc_status> {
    let method = crate::c_str(method)?.ok_or(ropc_status::ROPC_NULL_PARAMETER)?;
    let content_type = crate::c_str(content_type)?.filter(|s| !s.is_empty());
    let authorization = crate::c_str(authorization)?.filter(|s| !s.is_empty());
    let body = crate::bytes(body, body_len)?;
    Ok(HttpRequest {
        method,
        content_type,
        authorization,
        body,
        dpop: None,
    })
}

fn endpoint(
    server: *const ropc_server,
    req: Result<HttpRequest<'_>, ropc_status>,
    out: *mut *mut ropc_response,
    f: Endpoint,
) -> ropc_status {
    let server = try_ref!(server);
    let req = match req {
        Ok(req) => req,
        Err(status) => return status,
    };
    if out.is_null() {
        return ropc_status::ROPC_NULL_PARAMETER;
    }
    write_out(out, Box::new(ropc_response::from(f(&server.inner, &req))));
    ropc_status::ROPC_OK
}

/// The token endpoint (RFC 6749 §3.2). `content_type` and `authorization`
/// are the request's headers, or NULL when absent; `body` may be NULL when
/// `body_len` is 0. Always answers `ROPC_OK` with a response to send (which
/// may be an OAuth error response) unless an argument is bad.
#[no_mangle]
pub extern "C" fn ropc_server_token_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! { endpoint(server, http_request(method, content_type, authorization, body, body_len), out, Server::token_endpoint) }
}

/// The token endpoint with the request's `DPoP` header (`dpop`, NULL when
/// absent; RFC 9449 §5): for a client whose `dpop` is `"allowed"` or
/// `"required"`, a proof binds the access token to its key (`token_type`
/// `DPoP`). Otherwise as `ropc_server_token_endpoint`.
#[no_mangle]
pub extern "C" fn ropc_server_token_endpoint_dpop(
    server: *const ropc_server,
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    dpop: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let dpop = try_opt_str!(dpop);
        let req = http_request(method, content_type, authorization, body, body_len)
            .map(|r| HttpRequest { dpop, ..r });
        endpoint(server, req, out, Server::token_endpoint)
    }
}

/// The introspection endpoint (RFC 7662); as `ropc_server_token_endpoint`.
#[no_mangle]
pub extern "C" fn ropc_server_introspection_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! { endpoint(server, http_request(method, content_type, authorization, body, body_len), out, Server::introspection_endpoint) }
}

/// The revocation endpoint (RFC 7009); as `ropc_server_token_endpoint`.
#[no_mangle]
pub extern "C" fn ropc_server_revocation_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    body: *const u8,
    body_len: usize,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! { endpoint(server, http_request(method, content_type, authorization, body, body_len), out, Server::revocation_endpoint) }
}

/// `GET /jwks.json`: the key set resource servers verify JWT access tokens
/// with (404 when the server signs nothing, 405 for a method but GET or
/// HEAD). It reads the store (`ROPC_CALL_STORE` says where it may run).
/// Writes `*out`, the response to send (free with `ropc_response_free`).
#[no_mangle]
pub extern "C" fn ropc_server_key_set_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! { get_endpoint(server, method, out, Server::key_set_endpoint) }
}

/// `GET /.well-known/oauth-authorization-server`: the RFC 8414 metadata
/// (404 without an issuer); as `ropc_server_key_set_endpoint`.
#[no_mangle]
pub extern "C" fn ropc_server_metadata_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! { get_endpoint(server, method, out, Server::metadata_endpoint) }
}

/// Forward-auth: the answer for the request a gateway holds, from the
/// gateway's request: its `method` and `target` (NULL when unknown) and its
/// headers, `count` names and values (NUL-terminated UTF-8; other headers
/// may be among them and are ignored). The core reads `Authorization` and
/// the held request's method and target (`X-Forwarded-Method`/
/// `X-Forwarded-Uri` from Traefik, `X-Original-Method`/`X-Original-URI` as
/// NGINX is set up to send, or, without those, a target under `/auth`, as
/// Envoy's `ext_authz` sends the held request whole). Writes
/// `*out`: 200 with `X-Auth-User`, `X-Auth-Client` and `X-Auth-Scope`, or
/// the RFC 6750 refusal to pass back. It reads the store
/// (`ROPC_CALL_STORE` says where it may run).
#[no_mangle]
pub extern "C" fn ropc_server_forward_auth(
    server: *const ropc_server,
    method: *const c_char,
    target: *const c_char,
    names: *const *const c_char,
    values: *const *const c_char,
    count: usize,
    out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        if out.is_null() {
            return ropc_status::ROPC_NULL_PARAMETER;
        }
        if count > 1024 {
            return ropc_status::ROPC_INVALID_ARGUMENT;
        }
        let (names, values) = match (crate::c_str_array(names, count), crate::c_str_array(values, count)) {
            (Ok(n), Ok(v)) => (n, v),
            (Err(st), _) | (_, Err(st)) => return st,
        };
        let (method, target) = (try_opt_str!(method).unwrap_or(""), try_opt_str!(target).unwrap_or(""));
        let forwarded = ropc_core::Forwarded::from_request(method, target, |want| {
            names.iter().position(|n| n.eq_ignore_ascii_case(want)).map(|i| values[i])
        });
        write_out(out, Box::new(ropc_response::from(server.inner.forward_auth(&forwarded))));
        ropc_status::ROPC_OK
    }
}

/// A GET endpoint's answer to a bodiless request with `method`.
fn get_endpoint(
    server: *const ropc_server,
    method: *const c_char,
    out: *mut *mut ropc_response,
    f: Endpoint,
) -> ropc_status {
    let method = try_str!(method);
    let req = HttpRequest {
        method,
        content_type: None,
        authorization: None,
        body: b"",
        dpop: None,
    };
    endpoint(server, Ok(req), out, f)
}

/// Where a call may run, as the core classifies it for every binding
/// (`ropc_server_request_blocking`, `ropc_server_call_blocking`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ropc_blocking {
    /// Microseconds, waiting on nothing: answer in place (on an event loop).
    ROPC_BLOCKING_INLINE = 0,
    /// Milliseconds of CPU (argon2): on a worker thread.
    ROPC_BLOCKING_CPU = 1,
    /// May wait on a disk, a network or a host callback: on a worker
    /// thread that may wait (not a pool sized to the cores).
    ROPC_BLOCKING_WAITS = 2,
}

impl crate::OnPanic for ropc_blocking {
    /// A classification that panicked: never in place.
    fn on_panic() -> Self {
        ropc_blocking::ROPC_BLOCKING_WAITS
    }
}

impl From<Blocking> for ropc_blocking {
    fn from(b: Blocking) -> Self {
        match b {
            Blocking::Inline => ropc_blocking::ROPC_BLOCKING_INLINE,
            Blocking::Cpu => ropc_blocking::ROPC_BLOCKING_CPU,
            Blocking::Waits => ropc_blocking::ROPC_BLOCKING_WAITS,
        }
    }
}

/// A typed call to classify with `ropc_server_call_blocking` (passed as a
/// `uint32_t`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ropc_call {
    /// `ropc_server_password_grant`.
    ROPC_CALL_PASSWORD_GRANT = 0,
    /// A call authenticating a client without a password
    /// (`ropc_server_refresh_grant`, `_introspect`, `_revoke`).
    ROPC_CALL_AS_CLIENT = 1,
    /// Any other call on the server: the checks, metrics, changes to
    /// owners, purging.
    ROPC_CALL_STORE = 2,
    /// `ropc_server_hash_password`.
    ROPC_CALL_HASH_PASSWORD = 3,
}

/// Where answering this request at any of the endpoints may run
/// (`ropc_blocking`): the one test a server on an event loop needs.
/// `ROPC_BLOCKING_INLINE` for a NULL server or any bad argument (the
/// endpoint refuses those at once).
#[no_mangle]
pub extern "C" fn ropc_server_request_blocking(
    server: *const ropc_server,
    method: *const c_char,
    content_type: *const c_char,
    authorization: *const c_char,
    body: *const u8,
    body_len: usize,
) -> ropc_blocking {
    ffi_boundary! {
        match (crate::handle(server), http_request(method, content_type, authorization, body, body_len)) {
            (Some(server), Ok(req)) => server.inner.blocking(Call::Request(&req)).into(),
            _ => ropc_blocking::ROPC_BLOCKING_INLINE,
        }
    }
}

/// Where the typed call `call` (a `ropc_call`) may run. `client_id` is read
/// for `ROPC_CALL_AS_CLIENT` only: the client the call authenticates (NULL
/// or invalid UTF-8 there, like a NULL server: `ROPC_BLOCKING_INLINE`, as
/// the call refuses it at once). A value of `call` that is not a
/// `ropc_call`: `ROPC_BLOCKING_WAITS`, never in place.
#[no_mangle]
pub extern "C" fn ropc_server_call_blocking(
    server: *const ropc_server,
    call: u32,
    client_id: *const c_char,
) -> ropc_blocking {
    ffi_boundary! {
        let Some(server) = crate::handle(server) else {
            return ropc_blocking::ROPC_BLOCKING_INLINE;
        };
        let call = match call {
            0 => Call::PasswordGrant,
            1 => match crate::c_str(client_id) {
                Ok(Some(id)) => Call::AsClient(id),
                _ => return ropc_blocking::ROPC_BLOCKING_INLINE,
            },
            2 => Call::Store,
            3 => Call::HashPassword,
            _ => return ropc_blocking::ROPC_BLOCKING_WAITS,
        };
        server.inner.blocking(call).into()
    }
}

/// Client credentials from C: the secret may be NULL (a public client).
macro_rules! try_client {
    ($id:expr, $secret:expr) => {{
        let id = try_str!($id);
        ClientCredentials::presented(id, try_opt_str!($secret))
    }};
}

fn tokens_out(
    result: Result<ropc_core::TokenResponse, OAuthError>,
    out: *mut *mut ropc_token_response,
    err: *mut *mut ropc_error,
) -> ropc_status {
    match result {
        Ok(t) => {
            write_out(out, Box::new(ropc_token_response::from(t)));
            ropc_status::ROPC_OK
        }
        Err(e) => ropc_error::oauth(&e).report(err),
    }
}

/// The password grant, typed. `client_secret` and `scope` may be NULL. On
/// success writes `*out` (free with `ropc_token_response_free`); on refusal
/// returns the OAuth status (`ROPC_INVALID_GRANT`, ...) and, if `err` is not
/// NULL, the error with its description. Slow by design (one argon2id
/// verification): call it off any event loop.
#[no_mangle]
pub extern "C" fn ropc_server_password_grant(
    server: *const ropc_server,
    client_id: *const c_char,
    client_secret: *const c_char,
    username: *const c_char,
    password: *const c_char,
    scope: *const c_char,
    out: *mut *mut ropc_token_response,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let client = try_client!(client_id, client_secret);
        let username = try_str!(username);
        let password = try_str!(password);
        let scope = try_opt_str!(scope);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        tokens_out(server.inner.password_grant(&client, username, password, scope), out, err)
    }
}

/// The refresh_token grant, typed; as `ropc_server_password_grant`.
#[no_mangle]
pub extern "C" fn ropc_server_refresh_grant(
    server: *const ropc_server,
    client_id: *const c_char,
    client_secret: *const c_char,
    refresh_token: *const c_char,
    scope: *const c_char,
    out: *mut *mut ropc_token_response,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let client = try_client!(client_id, client_secret);
        let refresh_token = try_str!(refresh_token);
        let scope = try_opt_str!(scope);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        tokens_out(server.inner.refresh_grant(&client, refresh_token, scope), out, err)
    }
}

/// Introspection, typed (RFC 7662). `token_type_hint` may be NULL. On
/// success writes `*out` (free with `ropc_introspection_free`).
#[no_mangle]
pub extern "C" fn ropc_server_introspect(
    server: *const ropc_server,
    client_id: *const c_char,
    client_secret: *const c_char,
    token: *const c_char,
    token_type_hint: *const c_char,
    out: *mut *mut ropc_introspection,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let client = try_client!(client_id, client_secret);
        let token = try_str!(token);
        let hint = try_opt_str!(token_type_hint);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match server.inner.introspect(&client, token, hint) {
            Ok(info) => {
                write_out(out, Box::new(ropc_introspection::from(info)));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::oauth(&e).report(err),
        }
    }
}

/// Revocation, typed (RFC 7009). `ROPC_OK` also for an unknown token.
#[no_mangle]
pub extern "C" fn ropc_server_revoke(
    server: *const ropc_server,
    client_id: *const c_char,
    client_secret: *const c_char,
    token: *const c_char,
    token_type_hint: *const c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let client = try_client!(client_id, client_secret);
        let token = try_str!(token);
        let hint = try_opt_str!(token_type_hint);
        match server.inner.revoke(&client, token, hint) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(e) => ropc_error::oauth(&e).report(err),
        }
    }
}

pub(crate) fn principal_or_refusal(
    result: Result<Principal, Refusal>,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    match result {
        Ok(p) => {
            write_out(principal_out, Box::new(ropc_principal::from(p)));
            ropc_status::ROPC_OK
        }
        Err(refusal) => refusal_out_write(refusal, refusal_out),
    }
}

/// Writes a refusal's response; returns its OAuth status (`ROPC_INVALID_TOKEN`
/// for a request without credentials).
pub(crate) fn refusal_out_write(
    refusal: Refusal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    let status = refusal
        .error
        .map_or(ropc_status::ROPC_INVALID_TOKEN, |e| e.code().into());
    write_out(refusal_out, Box::new(ropc_response::from(refusal.response)));
    status
}

/// Stage 5 from a request's `Authorization` header (NULL when absent): on
/// success returns `ROPC_OK` and writes `*principal_out` (free with
/// `ropc_principal_free`); on refusal returns the OAuth status
/// (`ROPC_INVALID_TOKEN` also when credentials are missing) and writes
/// `*refusal_out`, the RFC 6750 response to send (free with
/// `ropc_response_free`). `required_scope` may be NULL.
#[no_mangle]
pub extern "C" fn ropc_server_check_request(
    server: *const ropc_server,
    authorization: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let authorization = try_opt_str!(authorization);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(server.inner.check_request(authorization, resource, scope), principal_out, refusal_out)
    }
}

/// Stage 5 for a request that may carry a DPoP-bound token (RFC 9449 §7):
/// `Authorization: DPoP <token>` with the request's `DPoP` proof (`dpop`,
/// NULL when absent) for `method` and `uri` (the absolute URI the client
/// reached: scheme, host, path), or a bearer token as
/// `ropc_server_check_request` takes it. As that function, exactly one of
/// `*principal_out` and `*refusal_out` is written; a refusal of a DPoP
/// request carries a `DPoP` challenge.
#[no_mangle]
pub extern "C" fn ropc_server_check_with_proof(
    server: *const ropc_server,
    authorization: *const c_char,
    dpop: *const c_char,
    method: *const c_char,
    uri: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let authorization = try_opt_str!(authorization);
        let dpop = try_opt_str!(dpop);
        let method = try_str!(method);
        let uri = try_str!(uri);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(
            server.inner.check_with_proof(authorization, dpop, method, uri, resource, scope),
            principal_out,
            refusal_out,
        )
    }
}

/// Stage 5, typed: the token itself rather than the header.
#[no_mangle]
pub extern "C" fn ropc_server_check(
    server: *const ropc_server,
    access_token: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    out: *mut *mut ropc_principal,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let token = try_str!(access_token);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match server.inner.check(token, resource, scope) {
            Ok(p) => {
                write_out(out, Box::new(ropc_principal::from(p)));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::oauth(&e).report(err),
        }
    }
}

fn string_out(
    result: Result<String, ropc_core::HashError>,
    out: *mut *mut c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    match result {
        Ok(s) => {
            crate::set(out, into_raw_string(&s));
            ropc_status::ROPC_OK
        }
        Err(e) => ropc_error::hash(&e).report(err),
    }
}

/// The server's metrics as Prometheus text (exposition format 0.0.4),
/// written to `*out` (free with `ropc_string_free`). Reads the store's
/// counts: it may wait on a database store.
#[no_mangle]
pub extern "C" fn ropc_server_metrics(
    server: *const ropc_server,
    out: *mut *mut c_char,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        crate::set(out, into_raw_string(&server.inner.metrics_text()));
        ropc_status::ROPC_OK
    }
}

/// Hashes a password with the server's argon2id parameters into a PHC
/// string, written to `*out` (free with `ropc_string_free`). Slow by design.
#[no_mangle]
pub extern "C" fn ropc_server_hash_password(
    server: *const ropc_server,
    password: *const c_char,
    out: *mut *mut c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let password = try_str!(password);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        string_out(server.inner.hash_password(password), out, err)
    }
}

/// Hashes a password with argon2id at the given parameters (0, 0, 0 for
/// OWASP's m=19456 KiB, t=2, p=1) into a PHC string written to `*out`
/// (free with `ropc_string_free`). Slow by design.
#[no_mangle]
pub extern "C" fn ropc_hash_password(
    password: *const c_char,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    out: *mut *mut c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let password = try_str!(password);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        let params = if (m_cost, t_cost, p_cost) == (0, 0, 0) {
            HashParams::OWASP
        } else {
            HashParams { m_cost, t_cost, p_cost }
        };
        string_out(hash_password(password, params), out, err)
    }
}

/// Sets a user's password hash (a PHC string) and ends all its tokens.
/// `ROPC_INVALID_ARGUMENT` for an unknown user or a bad hash,
/// `ROPC_TEMPORARILY_UNAVAILABLE` when the store failed (nothing changed).
#[no_mangle]
pub extern "C" fn ropc_server_set_user_password_hash(
    server: *const ropc_server,
    username: *const c_char,
    password_hash: *const c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let username = try_str!(username);
        let hash = try_str!(password_hash);
        match server.inner.set_user_password_hash(username, hash) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(e) => ropc_error::account(e).report(err),
        }
    }
}

/// Enables or disables a user; disabling ends all its tokens. Errors as
/// `ropc_server_set_user_password_hash`.
#[no_mangle]
pub extern "C" fn ropc_server_set_user_enabled(
    server: *const ropc_server,
    username: *const c_char,
    enabled: bool,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let username = try_str!(username);
        match server.inner.set_user_enabled(username, enabled) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(e) => ropc_error::account(e).report(err),
        }
    }
}

/// Ends every token of a user, in every process sharing the store.
/// `ROPC_INVALID_ARGUMENT` for an unknown user, `ROPC_TEMPORARILY_UNAVAILABLE`
/// when the store failed (nothing changed: try again).
#[no_mangle]
pub extern "C" fn ropc_server_revoke_user_tokens(
    server: *const ropc_server,
    username: *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let username = try_str!(username);
        match server.inner.revoke_user_tokens(username) {
            Ok(true) => ropc_status::ROPC_OK,
            Ok(false) => ropc_status::ROPC_INVALID_ARGUMENT,
            Err(e) => ropc_error::store(e).status(),
        }
    }
}

/// Drops expired tokens, revoked grants and stale counters now, in bounded
/// batches. On success writes how many went to `*count_out` (which may be
/// NULL); `ROPC_TEMPORARILY_UNAVAILABLE` when the store failed.
#[no_mangle]
pub extern "C" fn ropc_server_purge_expired(
    server: *const ropc_server,
    count_out: *mut usize,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        match server.inner.purge_expired() {
            Ok(n) => {
                crate::set(count_out, n);
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::store(e).status(),
        }
    }
}

/// Swaps in a new JSON configuration on a running server without dropping
/// a token (see the book's "Reload", docs/src/accounts.md): tokens of removed clients and
/// users stop working; users whose password hash the document changes, or
/// who it disables, lose their tokens. Callbacks set on the builder stay.
/// `ROPC_INVALID_CONFIG` (and, if `err` is not NULL, what and where) when
/// the document is invalid or moves the store: then nothing changed.
#[no_mangle]
pub extern "C" fn ropc_server_reload_json(
    server: *const ropc_server,
    json: *const c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let json = try_str!(json);
        match server.inner.reload_json(json) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// Drops this process's cached state of an owner (host accounts), so that
/// the next check asks the lookup callback: for a change that need not end
/// tokens, such as new groups. To end tokens use
/// `ropc_server_revoke_user_tokens`.
#[no_mangle]
pub extern "C" fn ropc_server_forget_owner(
    server: *const ropc_server,
    username: *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        let username = try_str!(username);
        server.inner.forget_owner(username);
        ropc_status::ROPC_OK
    }
}

/// What the account layer did (all zero on configured users).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ropc_accounts_stats {
    /// Calls to the verify callback.
    pub verify_calls: u64,
    /// Calls to the lookup callback (owner-cache misses).
    pub lookup_calls: u64,
    /// Password-grant answers that were paced.
    pub paced: u64,
    /// Callbacks that failed or timed out.
    pub failures: u64,
    /// The pacing target now, in microseconds.
    pub pace_target_us: u64,
}

/// Writes the account layer's counts to `*out`.
#[no_mangle]
pub extern "C" fn ropc_server_accounts_stats(
    server: *const ropc_server,
    out: *mut ropc_accounts_stats,
) -> ropc_status {
    ffi_boundary! {
        let server = try_ref!(server);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        let s = server.inner.accounts_stats();
        crate::set(out, ropc_accounts_stats {
            verify_calls: s.verify_calls,
            lookup_calls: s.lookup_calls,
            paced: s.paced,
            failures: s.failures,
            pace_target_us: s.pace_target_us,
        });
        ropc_status::ROPC_OK
    }
}
