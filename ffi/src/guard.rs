//! The remote resource server's guard: decides from an introspection response.

use crate::error::ropc_error;
use crate::handles::{into_raw_string, ropc_principal, ropc_response};
use crate::server::{principal_or_refusal, refusal_out_write};
use crate::{ffi_boundary, free_box, ropc_status, try_opt_str, try_ref, try_str, write_out};
use ropc_core::{Config, ResourceGuard};
use std::ffi::c_char;

/// A resource server's guard over the scopes and access rules of a
/// configuration. Safe to use from many threads at once.
pub struct ropc_guard {
    inner: ResourceGuard,
}

/// Builds a guard from a JSON configuration document (users and clients in
/// it are not needed). As `ropc_server_new_from_json`.
#[no_mangle]
pub extern "C" fn ropc_guard_new_from_json(
    json: *const c_char,
    out: *mut *mut ropc_guard,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let json = try_str!(json);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match Config::from_json(json).and_then(|c| ResourceGuard::new(&c)) {
            Ok(guard) => {
                write_out(out, Box::new(ropc_guard { inner: guard }));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// Swaps in the scopes and rules of a new JSON configuration at once, for
/// every thread using the guard. `ROPC_INVALID_CONFIG` (and, if `err` is not
/// NULL, what and where) when it is invalid: then nothing changed.
#[no_mangle]
pub extern "C" fn ropc_guard_reload_json(
    guard: *const ropc_guard,
    json: *const c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let json = try_str!(json);
        match guard.inner.reload_json(json) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(e) => ropc_error::config(&e).report(err),
        }
    }
}

/// The resource name of a request by ropc's one rule (README, "Resource
/// names"): `method` and the raw request `target` as on the request line
/// (`/invoices/42?x=1`), before any decoding. On success writes `*out`
/// (free with `ropc_string_free`); a target a backend could read two ways
/// (an encoded `/`, a dot segment, `//`, a bad escape, ...) is
/// `ROPC_INVALID_REQUEST` (and, if `err` is not NULL, why): answer 400.
#[no_mangle]
pub extern "C" fn ropc_resource_name(
    method: *const c_char,
    target: *const c_char,
    out: *mut *mut c_char,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let method = try_str!(method);
        let target = try_str!(target);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match ropc_core::resource_name(method, target) {
            Ok(name) => {
                crate::set(out, into_raw_string(&name));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::oauth(&e).report(err),
        }
    }
}

/// Frees a guard. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_guard_free(guard: *mut ropc_guard) {
    ffi_boundary! { free_box(guard) }
}

/// Step one: the bearer token in an `Authorization` header (NULL when
/// absent), to post to the introspection endpoint. On success writes
/// `*token_out` (free with `ropc_string_free`); otherwise returns the OAuth
/// status and writes `*refusal_out`, the response to send.
#[no_mangle]
pub extern "C" fn ropc_guard_bearer_token(
    guard: *const ropc_guard,
    authorization: *const c_char,
    token_out: *mut *mut c_char,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let authorization = try_opt_str!(authorization);
        if token_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match guard.inner.bearer_token(authorization) {
            Ok(token) => {
                crate::set(token_out, into_raw_string(token));
                ropc_status::ROPC_OK
            }
            Err(refusal) => refusal_out_write(refusal, refusal_out),
        }
    }
}

/// Step two: decides from the introspection response's JSON body. As
/// `ropc_server_check_request`.
#[no_mangle]
pub extern "C" fn ropc_guard_check_introspection(
    guard: *const ropc_guard,
    introspection_json: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let json = try_str!(introspection_json);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(guard.inner.check_introspection_response(json, resource, scope), principal_out, refusal_out)
    }
}

/// A key set (RFC 7517): the public keys JWT access tokens are verified
/// with. Safe to use from many threads at once.
pub struct ropc_key_set {
    inner: std::sync::Arc<ropc_core::jws::KeySet>,
}

/// Reads a JWKS document (`{"keys": [...]}`, the authorization server's
/// `/jwks.json`) strictly: public Ed25519 and P-256 keys, each with a
/// `kid`, none twice. `ROPC_INVALID_ARGUMENT` (and, if `err` is not NULL,
/// why) for anything else. Free with `ropc_key_set_free`.
#[no_mangle]
pub extern "C" fn ropc_key_set_new_from_json(
    json: *const c_char,
    out: *mut *mut ropc_key_set,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let json = try_str!(json);
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match ropc_core::jws::KeySet::from_json(json) {
            Ok(inner) => {
                write_out(out, Box::new(ropc_key_set { inner: std::sync::Arc::new(inner) }));
                ropc_status::ROPC_OK
            }
            Err(e) => ropc_error::argument(&format!("not a key set: {}", e.reason())).report(err),
        }
    }
}

/// How many keys the set holds (0 for NULL).
#[no_mangle]
pub extern "C" fn ropc_key_set_len(keys: *const ropc_key_set) -> usize {
    ffi_boundary! { crate::handle(keys).map_or(0, |k| k.inner.keys().len()) }
}

/// Frees a key set. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_key_set_free(keys: *mut ropc_key_set) {
    ffi_boundary! { free_box(keys) }
}

/// Stage 5 offline for a JWT access token (RFC 9068) in the request's
/// `Authorization` header (NULL when absent), with `keys`: the signature,
/// `typ`, `iss` (the configuration's `issuer`), `aud` (its `audience`) and
/// `exp`, then the same rules as an introspection response. As
/// `ropc_guard_check_introspection`: exactly one of `*principal_out` and
/// `*refusal_out` (the RFC 6750 response) is written.
#[no_mangle]
pub extern "C" fn ropc_guard_check_jwt_request(
    guard: *const ropc_guard,
    authorization: *const c_char,
    keys: *const ropc_key_set,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let keys = try_ref!(keys);
        let authorization = try_opt_str!(authorization);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(
            guard.inner.check_jwt_request(authorization, &keys.inner, resource, scope),
            principal_out,
            refusal_out,
        )
    }
}

/// A resource server's copy of the authorization server's key set, and
/// when to fetch it (the HTTP is the caller's): fetched when first needed,
/// kept `max_age_seconds` (less when the response's `Cache-Control` says
/// so), fetched again at once for a token naming a key it lacks, but at
/// most once every `min_refetch_seconds`; a failed fetch keeps a stale set
/// at most an hour more. Safe to use from many threads at once.
pub struct ropc_key_cache {
    inner: ropc_core::key_cache::KeySetCache,
}

/// What to do before checking a token (`ropc_key_cache_plan`).
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ropc_key_plan {
    /// Not a JWT (an opaque token): ask introspection.
    ROPC_KEY_PLAN_NOT_JWT = 0,
    /// Check it with the key set written to `keys_out`.
    ROPC_KEY_PLAN_USE = 1,
    /// GET the key set now, pass the answer to `ropc_key_cache_fetched`
    /// (a fetch with no answer needs no report), then plan again with
    /// `may_fetch` false.
    ROPC_KEY_PLAN_FETCH = 2,
    /// No usable key set: answer `ropc_guard_unavailable`'s 503.
    ROPC_KEY_PLAN_UNAVAILABLE = 3,
}

/// A key-set cache (the defaults: 600 and 30). `ROPC_INVALID_ARGUMENT`
/// unless `max_age_seconds` is above 0 and `min_refetch_seconds` at least
/// 0, both finite. Free with `ropc_key_cache_free`.
#[no_mangle]
pub extern "C" fn ropc_key_cache_new(
    max_age_seconds: f64,
    min_refetch_seconds: f64,
    out: *mut *mut ropc_key_cache,
) -> ropc_status {
    ffi_boundary! {
        if out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match ropc_core::key_cache::KeySetCache::new(max_age_seconds, min_refetch_seconds) {
            Ok(inner) => {
                write_out(out, Box::new(ropc_key_cache { inner }));
                ropc_status::ROPC_OK
            }
            Err(_) => ropc_status::ROPC_INVALID_ARGUMENT,
        }
    }
}

/// Frees a key-set cache. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_key_cache_free(cache: *mut ropc_key_cache) {
    ffi_boundary! { free_box(cache) }
}

/// What to do for `token` at `now` (seconds since the epoch). Writes
/// `*plan_out`, and for `ROPC_KEY_PLAN_USE` `*keys_out` (the caller frees
/// it with `ropc_key_set_free`; NULL otherwise). A `ROPC_KEY_PLAN_FETCH`
/// reserves the fetch: callers at the same time get the current set.
#[no_mangle]
pub extern "C" fn ropc_key_cache_plan(
    cache: *const ropc_key_cache,
    token: *const c_char,
    now: f64,
    may_fetch: bool,
    plan_out: *mut ropc_key_plan,
    keys_out: *mut *mut ropc_key_set,
) -> ropc_status {
    ffi_boundary! {
        use ropc_core::key_cache::KeyPlan;
        let cache = try_ref!(cache);
        let token = try_str!(token);
        if plan_out.is_null() || keys_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        let (plan, keys) = match cache.inner.plan(token, now, may_fetch) {
            KeyPlan::NotJwt => (ropc_key_plan::ROPC_KEY_PLAN_NOT_JWT, None),
            KeyPlan::Use(inner) => (ropc_key_plan::ROPC_KEY_PLAN_USE, Some(inner)),
            KeyPlan::Fetch => (ropc_key_plan::ROPC_KEY_PLAN_FETCH, None),
            KeyPlan::Unavailable => (ropc_key_plan::ROPC_KEY_PLAN_UNAVAILABLE, None),
        };
        crate::set(plan_out, plan);
        match keys {
            Some(inner) => write_out(keys_out, Box::new(ropc_key_set { inner })),
            None => {
                crate::set(keys_out, std::ptr::null_mut());
            }
        }
        ropc_status::ROPC_OK
    }
}

/// A fetch's answer: the HTTP `status`, the body (`body_len` bytes; NULL
/// only when 0) and its `Cache-Control` (NULL when absent). `ROPC_OK` when
/// it replaced the set; `ROPC_INVALID_ARGUMENT` (and, if `err` is not
/// NULL, why: never a token) when it was no key set, which replaces nothing.
#[no_mangle]
pub extern "C" fn ropc_key_cache_fetched(
    cache: *const ropc_key_cache,
    status: u16,
    body: *const u8,
    body_len: usize,
    cache_control: *const c_char,
    now: f64,
    err: *mut *mut ropc_error,
) -> ropc_status {
    ffi_boundary! {
        let cache = try_ref!(cache);
        let cache_control = try_opt_str!(cache_control);
        let body = match crate::bytes(body, body_len) {
            Ok(b) => b,
            Err(status) => return status,
        };
        match cache.inner.fetched(status, body, cache_control, now) {
            Ok(()) => ropc_status::ROPC_OK,
            Err(why) => ropc_error::argument(&format!("the key set {why}")).report(err),
        }
    }
}

/// Key sets read so far (0 for NULL).
#[no_mangle]
pub extern "C" fn ropc_key_cache_fetches(cache: *const ropc_key_cache) -> u64 {
    ffi_boundary! { crate::handle(cache).map_or(0, |c| c.inner.fetches()) }
}

/// The token of an `Authorization: DPoP <token>` header (RFC 9449 §7.1),
/// for a resource server that then asks about it: `ROPC_OK` and
/// `*token_out` (free with `ropc_string_free`) for the DPoP scheme,
/// `ROPC_OK` and NULL for any other (a bearer token: check it as always),
/// or the refusal's status and `*refusal_out` for a malformed one.
#[no_mangle]
pub extern "C" fn ropc_guard_dpop_token(
    guard: *const ropc_guard,
    authorization: *const c_char,
    token_out: *mut *mut c_char,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let authorization = try_opt_str!(authorization);
        if token_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        match guard.inner.dpop_token(authorization) {
            Ok(Some(token)) => {
                crate::set(token_out, into_raw_string(token));
                ropc_status::ROPC_OK
            }
            Ok(None) => {
                crate::set(token_out, std::ptr::null_mut());
                ropc_status::ROPC_OK
            }
            Err(refusal) => refusal_out_write(refusal, refusal_out),
        }
    }
}

/// Stage 5 from an introspection answer for a request that used the `DPoP`
/// scheme (RFC 9449 §7): the proof (`dpop`, the request's header, NULL when
/// absent) for `method`, `uri` (the absolute URI the client reached) and
/// `token`, used once by this guard, made with the key the answer's
/// `cnf.jkt` names; then the usual rules. As
/// `ropc_guard_check_introspection`: exactly one of `*principal_out` and
/// `*refusal_out` (with a `DPoP` challenge) is written.
#[no_mangle]
pub extern "C" fn ropc_guard_check_introspection_with_proof(
    guard: *const ropc_guard,
    introspection_json: *const c_char,
    token: *const c_char,
    dpop: *const c_char,
    method: *const c_char,
    uri: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let json = try_str!(introspection_json);
        let token = try_str!(token);
        let dpop = try_opt_str!(dpop);
        let method = try_str!(method);
        let uri = try_str!(uri);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(
            guard.inner.check_introspection_with_proof(json, token, dpop, method, uri, resource, scope),
            principal_out,
            refusal_out,
        )
    }
}

/// `ropc_guard_check_introspection_with_proof` for a JWT access token
/// checked offline with `keys`: its `cnf.jkt` must name the proof's key.
#[no_mangle]
pub extern "C" fn ropc_guard_check_jwt_with_proof(
    guard: *const ropc_guard,
    token: *const c_char,
    keys: *const ropc_key_set,
    dpop: *const c_char,
    method: *const c_char,
    uri: *const c_char,
    resource: *const c_char,
    required_scope: *const c_char,
    principal_out: *mut *mut ropc_principal,
    refusal_out: *mut *mut ropc_response,
) -> ropc_status {
    ffi_boundary! {
        let guard = try_ref!(guard);
        let token = try_str!(token);
        let keys = try_ref!(keys);
        let dpop = try_opt_str!(dpop);
        let method = try_str!(method);
        let uri = try_str!(uri);
        let resource = try_str!(resource);
        let scope = try_opt_str!(required_scope);
        if principal_out.is_null() || refusal_out.is_null() { return ropc_status::ROPC_NULL_PARAMETER; }
        principal_or_refusal(
            guard.inner.check_jwt_with_proof(token, &keys.inner, dpop, method, uri, resource, scope),
            principal_out,
            refusal_out,
        )
    }
}
