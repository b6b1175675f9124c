//! Result handles: HTTP responses, token responses, principals and
//! introspection results, with their getters. Strings are borrowed from the
//! handle until its `_free`.

use crate::error::{cstring, cstring_owned, zeroize_cstring};
use crate::{ffi_boundary, free_box, handle, ropc_status, try_ref};
use ropc_core::{HttpResponse, Introspection, Principal, TokenResponse};
use std::cell::OnceCell;
use std::ffi::{c_char, CString};

/// An HTTP response: status, headers and body, to send as they are.
pub struct ropc_response {
    status: u16,
    headers: Vec<(CString, CString)>,
    body: CString,
    body_len: usize,
}

impl From<HttpResponse> for ropc_response {
    fn from(mut r: HttpResponse) -> Self {
        ropc_response {
            status: r.status,
            headers: std::mem::take(&mut r.headers)
                .into_iter()
                .map(|(n, v)| (cstring(n), cstring_owned(v)))
                .collect(),
            body_len: r.body.len(),
            body: cstring_owned(std::mem::take(&mut r.body)),
        }
    }
}

impl Drop for ropc_response {
    /// The body may hold tokens: zeroed before it is freed.
    fn drop(&mut self) {
        zeroize_cstring(std::mem::take(&mut self.body));
    }
}

/// The response's HTTP status (0 if `response` is NULL).
#[no_mangle]
pub extern "C" fn ropc_response_status(response: *const ropc_response) -> u16 {
    ffi_boundary! { handle(response).map_or(0, |r| r.status) }
}

/// How many headers the response has.
#[no_mangle]
pub extern "C" fn ropc_response_header_count(response: *const ropc_response) -> usize {
    ffi_boundary! { handle(response).map_or(0, |r| r.headers.len()) }
}

/// Header `index`: its name and value, borrowed from `response`.
/// `ROPC_INVALID_ARGUMENT` when `index` is out of range.
#[no_mangle]
pub extern "C" fn ropc_response_header(
    response: *const ropc_response,
    index: usize,
    name_out: *mut *const c_char,
    value_out: *mut *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let r = try_ref!(response);
        if name_out.is_null() || value_out.is_null() {
            return ropc_status::ROPC_NULL_PARAMETER;
        }
        let Some((name, value)) = r.headers.get(index) else {
            return ropc_status::ROPC_INVALID_ARGUMENT;
        };
        crate::set(name_out, name.as_ptr());
        crate::set(value_out, value.as_ptr());
        ropc_status::ROPC_OK
    }
}

/// The body (NUL-terminated, possibly empty), borrowed from `response`; its
/// length in bytes goes to `len_out` when that is not NULL.
#[no_mangle]
pub extern "C" fn ropc_response_body(
    response: *const ropc_response,
    len_out: *mut usize,
) -> *const c_char {
    ffi_boundary! {
        let Some(r) = handle(response) else { return std::ptr::null() };
        crate::set(len_out, r.body_len);
        r.body.as_ptr()
    }
}

/// Frees a response. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_response_free(response: *mut ropc_response) {
    ffi_boundary! { free_box(response) }
}

/// A successful token response (typed calls).
pub struct ropc_token_response {
    access_token: CString,
    refresh_token: Option<CString>,
    scope: CString,
    expires_in: u64,
}

impl From<TokenResponse> for ropc_token_response {
    fn from(mut t: TokenResponse) -> Self {
        ropc_token_response {
            access_token: cstring_owned(std::mem::take(&mut t.access_token)),
            refresh_token: t.refresh_token.take().map(cstring_owned),
            scope: cstring_owned(std::mem::take(&mut t.scope)),
            expires_in: t.expires_in,
        }
    }
}

impl Drop for ropc_token_response {
    /// The tokens are zeroed before they are freed.
    fn drop(&mut self) {
        zeroize_cstring(std::mem::take(&mut self.access_token));
        if let Some(t) = self.refresh_token.take() {
            zeroize_cstring(t);
        }
    }
}

/// The access token. Borrowed from `tokens`.
#[no_mangle]
pub extern "C" fn ropc_token_response_access_token(
    tokens: *const ropc_token_response,
) -> *const c_char {
    ffi_boundary! { handle(tokens).map_or(std::ptr::null(), |t| t.access_token.as_ptr()) }
}

/// The refresh token, or NULL when none was issued. Borrowed from `tokens`.
#[no_mangle]
pub extern "C" fn ropc_token_response_refresh_token(
    tokens: *const ropc_token_response,
) -> *const c_char {
    ffi_boundary! {
        handle(tokens).and_then(|t| t.refresh_token.as_ref()).map_or(std::ptr::null(), |s| s.as_ptr())
    }
}

/// The granted scope, space-separated. Borrowed from `tokens`.
#[no_mangle]
pub extern "C" fn ropc_token_response_scope(tokens: *const ropc_token_response) -> *const c_char {
    ffi_boundary! { handle(tokens).map_or(std::ptr::null(), |t| t.scope.as_ptr()) }
}

/// Seconds until the access token expires.
#[no_mangle]
pub extern "C" fn ropc_token_response_expires_in(tokens: *const ropc_token_response) -> u64 {
    ffi_boundary! { handle(tokens).map_or(0, |t| t.expires_in) }
}

/// Frees a token response. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_token_response_free(tokens: *mut ropc_token_response) {
    ffi_boundary! { free_box(tokens) }
}

/// Who is calling a resource: the outcome of a successful check. Its C
/// strings are made on first use, so a check that only asks "allowed?"
/// pays for none of them.
pub struct ropc_principal {
    inner: Principal,
    username: OnceCell<CString>,
    client_id: OnceCell<CString>,
    scope: OnceCell<CString>,
    groups: OnceCell<Vec<CString>>,
}

impl From<Principal> for ropc_principal {
    fn from(p: Principal) -> Self {
        ropc_principal {
            inner: p,
            username: OnceCell::new(),
            client_id: OnceCell::new(),
            scope: OnceCell::new(),
            groups: OnceCell::new(),
        }
    }
}

impl ropc_principal {
    fn groups(&self) -> &[CString] {
        self.groups
            .get_or_init(|| self.inner.groups.iter().map(|g| cstring(g)).collect())
    }
}

/// The resource owner. Borrowed from `principal`.
#[no_mangle]
pub extern "C" fn ropc_principal_username(principal: *const ropc_principal) -> *const c_char {
    ffi_boundary! { handle(principal).map_or(std::ptr::null(), |p| p.username.get_or_init(|| cstring(&p.inner.username)).as_ptr()) }
}

/// The client the token was issued to. Borrowed from `principal`.
#[no_mangle]
pub extern "C" fn ropc_principal_client_id(principal: *const ropc_principal) -> *const c_char {
    ffi_boundary! { handle(principal).map_or(std::ptr::null(), |p| p.client_id.get_or_init(|| cstring(&p.inner.client_id)).as_ptr()) }
}

/// The token's scopes, space-separated. Borrowed from `principal`.
#[no_mangle]
pub extern "C" fn ropc_principal_scope(principal: *const ropc_principal) -> *const c_char {
    ffi_boundary! { handle(principal).map_or(std::ptr::null(), |p| p.scope.get_or_init(|| cstring_owned(p.inner.scopes.join(" "))).as_ptr()) }
}

/// How many groups the resource owner is in.
#[no_mangle]
pub extern "C" fn ropc_principal_group_count(principal: *const ropc_principal) -> usize {
    ffi_boundary! { handle(principal).map_or(0, |p| p.inner.groups.len()) }
}

/// Group `index`, or NULL when out of range. Borrowed from `principal`.
#[no_mangle]
pub extern "C" fn ropc_principal_group(
    principal: *const ropc_principal,
    index: usize,
) -> *const c_char {
    ffi_boundary! {
        handle(principal).and_then(|p| p.groups().get(index)).map_or(std::ptr::null(), |g| g.as_ptr())
    }
}

/// When the token expires, seconds since the epoch.
#[no_mangle]
pub extern "C" fn ropc_principal_expires_at(principal: *const ropc_principal) -> u64 {
    ffi_boundary! { handle(principal).map_or(0, |p| p.inner.expires_at) }
}

/// Frees a principal. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_principal_free(principal: *mut ropc_principal) {
    ffi_boundary! { free_box(principal) }
}

/// An introspection result (RFC 7662).
pub struct ropc_introspection {
    active: bool,
    json: CString,
}

impl From<Introspection> for ropc_introspection {
    fn from(i: Introspection) -> Self {
        ropc_introspection {
            active: i.active,
            json: cstring_owned(i.to_json()),
        }
    }
}

/// Whether the token is active.
#[no_mangle]
pub extern "C" fn ropc_introspection_active(info: *const ropc_introspection) -> bool {
    ffi_boundary! { handle(info).is_some_and(|i| i.active) }
}

/// The RFC 7662 JSON document. Borrowed from `info`.
#[no_mangle]
pub extern "C" fn ropc_introspection_json(info: *const ropc_introspection) -> *const c_char {
    ffi_boundary! { handle(info).map_or(std::ptr::null(), |i| i.json.as_ptr()) }
}

/// Frees an introspection result. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_introspection_free(info: *mut ropc_introspection) {
    ffi_boundary! { free_box(info) }
}

/// Frees a string that a call documented as "free with `ropc_string_free`".
/// NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_string_free(s: *mut c_char) {
    ffi_boundary! {
        crate::free_cstring(s)
    }
}

/// The library version, like `"0.1.0"`. Static.
#[no_mangle]
pub extern "C" fn ropc_version() -> *const c_char {
    ffi_boundary! { concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() }
}

pub(crate) fn into_raw_string(s: &str) -> *mut c_char {
    cstring(s).into_raw()
}
