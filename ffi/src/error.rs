//! Status codes and the error handle.

use crate::{ffi_boundary, free_box};
use ropc_core::secret::Wipe;
use ropc_core::{AccountError, ConfigError, ErrorCode, HashError, OAuthError, StoreError};
use std::ffi::{c_char, CString};

/// The outcome of a call. Values 1 to 99 are the ABI's own; 100 plus the
/// core's error code are the OAuth errors (`ROPC_INVALID_GRANT`, ...).
/// A fixed-width `uint32_t` in the header (like rustls-ffi's `rustls_result`):
/// the same size whatever the C compiler makes of an enum.
// The enum is the one list: the numbers, the docs cbindgen writes into the
// header, and the messages (strum's derives make the lookup and the
// iteration from it).
#[repr(u32)]
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::FromRepr, strum::EnumIter, strum::EnumMessage,
)]
pub enum ropc_status {
    /// Success.
    #[strum(message = "success\0")]
    ROPC_OK = 0,
    /// A required pointer was NULL.
    #[strum(message = "a required pointer was NULL\0")]
    ROPC_NULL_PARAMETER = 1,
    /// A string was not valid UTF-8.
    #[strum(message = "a string was not valid UTF-8\0")]
    ROPC_INVALID_UTF8 = 2,
    /// The configuration is invalid (see the error's message and path).
    #[strum(message = "the configuration is invalid\0")]
    ROPC_INVALID_CONFIG = 3,
    /// An argument is out of range (a password too long, unknown user, ...).
    #[strum(message = "an argument is out of range\0")]
    ROPC_INVALID_ARGUMENT = 4,
    /// ropc panicked; the call had no effect that can be relied on.
    #[strum(message = "ropc panicked (a bug: please report it)\0")]
    ROPC_PANIC = 5,
    /// OAuth `invalid_request`.
    #[strum(message = "invalid_request: the request is malformed\0")]
    ROPC_INVALID_REQUEST = 101,
    /// OAuth `invalid_client`.
    #[strum(message = "invalid_client: client authentication failed\0")]
    ROPC_INVALID_CLIENT = 102,
    /// OAuth `invalid_grant`.
    #[strum(message = "invalid_grant: bad credentials or refresh token\0")]
    ROPC_INVALID_GRANT = 103,
    /// OAuth `unauthorized_client`.
    #[strum(message = "unauthorized_client: the client may not use this grant\0")]
    ROPC_UNAUTHORIZED_CLIENT = 104,
    /// OAuth `unsupported_grant_type`.
    #[strum(message = "unsupported_grant_type\0")]
    ROPC_UNSUPPORTED_GRANT_TYPE = 105,
    /// OAuth `invalid_scope`.
    #[strum(message = "invalid_scope: the scope is unknown, malformed or not allowed\0")]
    ROPC_INVALID_SCOPE = 106,
    /// OAuth `invalid_token`.
    #[strum(message = "invalid_token: the token is invalid, expired or revoked\0")]
    ROPC_INVALID_TOKEN = 107,
    /// OAuth `insufficient_scope`.
    #[strum(message = "insufficient_scope: the token's scope does not cover the request\0")]
    ROPC_INSUFFICIENT_SCOPE = 108,
    /// OAuth `unsupported_token_type`.
    #[strum(message = "unsupported_token_type\0")]
    ROPC_UNSUPPORTED_TOKEN_TYPE = 109,
    /// OAuth `access_denied`: the access rules refuse the resource owner.
    #[strum(message = "access_denied: the resource owner may not use this resource\0")]
    ROPC_ACCESS_DENIED = 110,
    /// `temporarily_unavailable` (HTTP 503): the token store failed; nothing
    /// was changed and the caller should retry. Never a verdict on a token.
    #[strum(message = "temporarily_unavailable: the token store failed; retry\0")]
    ROPC_TEMPORARILY_UNAVAILABLE = 111,
    /// `server_error` (HTTP 500): a host callback (accounts, owner
    /// authorization) failed, timed out or answered nonsense. Never a grant.
    #[strum(message = "server_error: a host callback failed\0")]
    ROPC_SERVER_ERROR = 112,
    /// OAuth `invalid_target` (RFC 8707): a requested resource is not an
    /// absolute URI or not one the client may ask for.
    #[strum(message = "invalid_target: the requested resource is not allowed\0")]
    ROPC_INVALID_TARGET = 113,
    /// OAuth `invalid_dpop_proof` (RFC 9449): a DPoP proof is missing where
    /// required, malformed, or not for this request.
    #[strum(message = "invalid_dpop_proof: the DPoP proof is missing or invalid\0")]
    ROPC_INVALID_DPOP_PROOF = 114,
    /// OAuth `use_dpop_nonce` (RFC 9449 §8): the server requires its nonce
    /// in DPoP proofs; retry with the response's `DPoP-Nonce`.
    #[strum(message = "use_dpop_nonce: the DPoP proof must carry the server's nonce\0")]
    ROPC_USE_DPOP_NONCE = 115,
}

const OAUTH_BASE: u32 = 100;

impl ropc_status {
    /// The status for a value received from C, if it is one.
    pub(crate) fn from_u32(v: u32) -> Option<ropc_status> {
        ropc_status::from_repr(v)
    }

    fn oauth(self) -> Option<ErrorCode> {
        (self as u32)
            .checked_sub(OAUTH_BASE)
            .and_then(ErrorCode::from_u32)
    }

    /// Its message, NUL-terminated (each variant's `strum(message)`).
    fn message(self) -> &'static str {
        strum::EnumMessage::get_message(&self).unwrap_or("\0")
    }
}

impl From<ErrorCode> for ropc_status {
    fn from(code: ErrorCode) -> Self {
        ropc_status::from_u32(OAUTH_BASE + code as u32).unwrap_or(ropc_status::ROPC_PANIC)
    }
}

/// What went wrong, in detail. Free with `ropc_error_free`.
pub struct ropc_error {
    status: ropc_status,
    message: CString,
    path: Option<CString>,
    scope: Option<CString>,
}

pub(crate) fn cstring(s: &str) -> CString {
    exact_cstring(s.as_bytes())
}

/// Takes the string's text into a C string, and zeroes the string: it may
/// be a token or a body holding tokens. Strings from the core never hold
/// NUL; if one did, it is dropped rather than failing. A string with room
/// for exactly the NUL (the core's tokens) keeps its buffer: nothing is
/// copied, and no buffer is freed still holding the text.
pub(crate) fn cstring_owned(mut s: String) -> CString {
    if s.capacity() == s.len() + 1 && !s.as_bytes().contains(&0) {
        // SAFETY: no NUL in the text (checked above). The terminator goes
        // into the one spare byte: the buffer is neither grown nor copied.
        return unsafe { CString::from_vec_unchecked(s.into_bytes()) };
    }
    let c = exact_cstring(s.as_bytes());
    s.wipe();
    c
}

/// A C string allocated once at its final size (the NUL included), so that
/// no outgrown buffer is left holding a copy of a secret.
fn exact_cstring(bytes: &[u8]) -> CString {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    // One search for a NUL (there never is one), then a plain copy: a
    // byte-by-byte filter was most of a refresh's cost in this crate.
    if bytes.contains(&0) {
        v.extend(bytes.iter().copied().filter(|b| *b != 0));
    } else {
        v.extend_from_slice(bytes);
    }
    // SAFETY: no NUL left (searched or filtered above), and room for the
    // terminator: `CString::new` would search the whole text again.
    unsafe { CString::from_vec_unchecked(v) }
}

/// Zeroes a C string's bytes and frees it.
pub(crate) fn zeroize_cstring(s: CString) {
    s.into_bytes_with_nul().wipe();
}

impl ropc_error {
    pub(crate) fn oauth(e: &OAuthError) -> Self {
        ropc_error {
            status: e.code().into(),
            message: cstring(e.description()),
            path: None,
            scope: e.scope().map(cstring),
        }
    }

    pub(crate) fn config(e: &ConfigError) -> Self {
        ropc_error {
            status: ropc_status::ROPC_INVALID_CONFIG,
            message: cstring(&e.to_string()),
            path: Some(cstring(e.path())),
            scope: None,
        }
    }

    pub(crate) fn argument(message: &str) -> Self {
        ropc_error {
            status: ropc_status::ROPC_INVALID_ARGUMENT,
            message: cstring(message),
            path: None,
            scope: None,
        }
    }

    pub(crate) fn hash(e: &HashError) -> Self {
        Self::argument(&e.to_string())
    }

    /// A store failure: `ROPC_TEMPORARILY_UNAVAILABLE` with the client-safe description.
    pub(crate) fn store(e: StoreError) -> Self {
        Self::oauth(&OAuthError::from(e))
    }

    pub(crate) fn account(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => Self::store(e),
            other => Self::argument(&other.to_string()),
        }
    }

    pub(crate) fn status(&self) -> ropc_status {
        self.status
    }

    /// Writes the error to `err` if the caller asked for it; returns its status.
    pub(crate) fn report(self, err: *mut *mut ropc_error) -> ropc_status {
        let status = self.status;
        if !err.is_null() {
            crate::write_out(err, Box::new(self));
        }
        status
    }
}

/// A static description of a status (any value, known or not).
#[no_mangle]
pub extern "C" fn ropc_status_message(status: u32) -> *const c_char {
    ffi_boundary! {
        ropc_status::from_u32(status).map_or("unknown status\0", ropc_status::message).as_ptr().cast()
    }
}

/// The OAuth error code of a status (`"invalid_grant"`), or NULL when the
/// status is not an OAuth error. Static.
#[no_mangle]
pub extern "C" fn ropc_status_oauth_error(status: u32) -> *const c_char {
    ffi_boundary! {
        match ropc_status::from_u32(status).and_then(ropc_status::oauth) {
            Some(code) => oauth_code_cstr(code).as_ptr(),
            None => std::ptr::null(),
        }
    }
}

/// The HTTP status an OAuth error is answered with (400, 401, 403, 503), or 0.
#[no_mangle]
pub extern "C" fn ropc_status_http_status(status: u32) -> u16 {
    ffi_boundary! {
        ropc_status::from_u32(status).and_then(ropc_status::oauth).map_or(0, ErrorCode::status)
    }
}

fn oauth_code_cstr(code: ErrorCode) -> &'static std::ffi::CStr {
    code.as_c_str()
}

/// The error's status.
#[no_mangle]
pub extern "C" fn ropc_error_status(err: *const ropc_error) -> ropc_status {
    ffi_boundary! {
        let err = crate::try_ref!(err);
        err.status
    }
}

/// The error's message (an OAuth error's description, or what is wrong with
/// the configuration). Borrowed from `err`. NULL if `err` is NULL.
#[no_mangle]
pub extern "C" fn ropc_error_message(err: *const ropc_error) -> *const c_char {
    ffi_boundary! {
        crate::handle(err).map_or(std::ptr::null(), |e| e.message.as_ptr())
    }
}

/// Where in the configuration the problem is, or NULL. Borrowed from `err`.
#[no_mangle]
pub extern "C" fn ropc_error_path(err: *const ropc_error) -> *const c_char {
    ffi_boundary! {
        crate::handle(err).and_then(|e| e.path.as_ref()).map_or(std::ptr::null(), |p| p.as_ptr())
    }
}

/// For `insufficient_scope`, the scope that would be needed, or NULL.
#[no_mangle]
pub extern "C" fn ropc_error_scope(err: *const ropc_error) -> *const c_char {
    ffi_boundary! {
        crate::handle(err).and_then(|e| e.scope.as_ref()).map_or(std::ptr::null(), |p| p.as_ptr())
    }
}

/// Frees an error. NULL is a no-op.
#[no_mangle]
pub extern "C" fn ropc_error_free(err: *mut ropc_error) {
    ffi_boundary! { free_box(err) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_strings_are_exact_and_never_fail() {
        assert_eq!(cstring("token").as_bytes(), b"token");
        assert_eq!(cstring("a\0b\0").as_bytes(), b"ab", "a NUL is dropped");
        for spare in [0, 1, 5] {
            let mut s = String::with_capacity(43 + spare);
            s.push_str(&"x".repeat(43));
            let kept = s.as_ptr();
            let bytes = cstring_owned(s).into_bytes_with_nul();
            assert_eq!(&bytes[..], format!("{}\0", "x".repeat(43)).as_bytes());
            assert_eq!(bytes.capacity(), 44, "allocated once at its final size");
            // Room for exactly the NUL: the same buffer, nothing copied.
            assert_eq!(bytes.as_ptr() == kept, spare == 1, "spare {spare}");
        }
    }

    /// The enum is the one list; this checks what is made from it: the
    /// header declares exactly its statuses, every OAuth code has its
    /// status (100 + the code) and back, and every status has a message.
    #[test]
    fn the_statuses_are_one_list_that_follows_the_error_codes() {
        use strum::IntoEnumIterator;
        let header = include_str!("../../include/ropc.h");
        let start = header
            .find("enum ropc_status")
            .expect("the header declares ropc_status");
        let block = &header[start..];
        let block = &block[..block.find("};").expect("the enum ends")];
        let declared: Vec<u32> = block
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("ROPC_") && l.contains(" = "))
            .filter_map(|l| l.split(" = ").nth(1))
            .filter_map(|v| v.trim_end_matches(',').parse().ok())
            .collect();
        let mut all: Vec<u32> = ropc_status::iter().map(|s| s as u32).collect();
        all.sort_unstable();
        let mut declared_sorted = declared.clone();
        declared_sorted.sort_unstable();
        assert_eq!(
            all, declared_sorted,
            "the enum and the header's ropc_status differ"
        );
        for code in ErrorCode::ALL {
            let status = ropc_status::from(code);
            assert_ne!(status, ropc_status::ROPC_PANIC, "{code:?} has no status");
            assert_eq!(status.oauth(), Some(code));
            assert!(
                status.message().starts_with(code.as_str()),
                "{code:?}: {}",
                status.message()
            );
        }
        for status in ropc_status::iter() {
            assert!(status.message().ends_with('\0') && status.message().len() > 1);
        }
    }
}
