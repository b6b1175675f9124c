//! The one error type of the protocol: RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.

use std::borrow::Cow;
use std::fmt;

/// An OAuth 2.0 error code. Every refusal ropc makes carries exactly one.
/// New codes may be added: match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest = 1,
    /// Client authentication failed (unknown client, bad secret, no authentication).
    InvalidClient = 2,
    /// Bad resource owner credentials, or a bad, expired, revoked or foreign refresh token.
    InvalidGrant = 3,
    /// The client may not use this grant type (including every public client).
    UnauthorizedClient = 4,
    /// The grant type is not one this server implements.
    UnsupportedGrantType = 5,
    /// The requested scope is unknown, malformed, or beyond what is allowed.
    InvalidScope = 6,
    /// The bearer token is unknown, expired or revoked (RFC 6750).
    InvalidToken = 7,
    /// The token's scope does not cover the request (RFC 6750).
    InsufficientScope = 8,
    /// The server cannot revoke this type of token (RFC 7009).
    UnsupportedTokenType = 9,
    /// The resource owner may not use this resource under the access rules
    /// (RFC 6749's `access_denied`: "the resource owner or authorization server denied the request").
    AccessDenied = 10,
    /// The server cannot answer now (its token store failed); the client
    /// should retry after `Retry-After` seconds with the same credentials
    /// and tokens, which are not in question (HTTP 503; RFC 6749 §4.1.2.1's
    /// code, used here beyond the authorization endpoint).
    TemporarilyUnavailable = 11,
    /// The server failed in a way the client cannot fix: a host callback
    /// (accounts, owner authorization) raised, panicked, timed out or gave
    /// an answer ropc cannot use (HTTP 500; RFC 6749 §4.1.2.1's code, used
    /// here beyond the authorization endpoint). Never a grant.
    ServerError = 12,
    /// A requested `resource` (RFC 8707 §2) is not an absolute URI, or not
    /// one the client may ask for.
    InvalidTarget = 13,
    /// A DPoP proof (RFC 9449 §4.3) is missing where it is required, or
    /// malformed, or does not match the request (HTTP 400 at the token
    /// endpoint, 401 with a `DPoP` challenge at a resource).
    InvalidDpopProof = 14,
    /// The server requires a nonce of its own in DPoP proofs (RFC 9449 §8):
    /// the proof carries none, or a stale one. The response's `DPoP-Nonce`
    /// header holds a fresh one to retry with (HTTP 400 at the token
    /// endpoint).
    UseDpopNonce = 15,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidClient,
        ErrorCode::InvalidGrant,
        ErrorCode::UnauthorizedClient,
        ErrorCode::UnsupportedGrantType,
        ErrorCode::InvalidScope,
        ErrorCode::InvalidToken,
        ErrorCode::InsufficientScope,
        ErrorCode::UnsupportedTokenType,
        ErrorCode::AccessDenied,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::ServerError,
        ErrorCode::InvalidTarget,
        ErrorCode::InvalidDpopProof,
        ErrorCode::UseDpopNonce,
    ];

    /// The code as it appears on the wire (`"invalid_grant"`, ...).
    pub const fn as_str(self) -> &'static str {
        match self.as_c_str().to_str() {
            Ok(s) => s,
            Err(_) => "", // unreachable: the names are ASCII
        }
    }

    /// The code named `name` on the wire (`"invalid_grant"`), if it is one.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// [`ErrorCode::as_str`], NUL-terminated (for the C ABI): the one table
    /// of the codes' names.
    pub const fn as_c_str(self) -> &'static std::ffi::CStr {
        match self {
            ErrorCode::InvalidRequest => c"invalid_request",
            ErrorCode::InvalidClient => c"invalid_client",
            ErrorCode::InvalidGrant => c"invalid_grant",
            ErrorCode::UnauthorizedClient => c"unauthorized_client",
            ErrorCode::UnsupportedGrantType => c"unsupported_grant_type",
            ErrorCode::InvalidScope => c"invalid_scope",
            ErrorCode::InvalidToken => c"invalid_token",
            ErrorCode::InsufficientScope => c"insufficient_scope",
            ErrorCode::UnsupportedTokenType => c"unsupported_token_type",
            ErrorCode::AccessDenied => c"access_denied",
            ErrorCode::TemporarilyUnavailable => c"temporarily_unavailable",
            ErrorCode::ServerError => c"server_error",
            ErrorCode::InvalidTarget => c"invalid_target",
            ErrorCode::InvalidDpopProof => c"invalid_dpop_proof",
            ErrorCode::UseDpopNonce => c"use_dpop_nonce",
        }
    }

    /// The HTTP status this error is answered with.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope | ErrorCode::AccessDenied => 403,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
    }

    /// The code for a numeric value, as the C ABI receives it.
    pub fn from_u32(v: u32) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| *c as u32 == v)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: the RFC error code, a human-readable description, and, for
/// `insufficient_scope`, the scope that would have been needed.
///
/// Descriptions never contain a secret (no password, token or client secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    code: ErrorCode,
    description: Cow<'static, str>,
    scope: Option<String>,
}

impl OAuthError {
    /// A new error with a description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            scope: None,
        }
    }

    /// Names the scope the request needed (RFC 6750 §3 `scope` attribute).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The error code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The description, restricted to the characters RFC 6749 §5.2 allows.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The scope the request needed, for `insufficient_scope`.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

impl std::error::Error for OAuthError {}

/// Shorthand constructors, one per code, so call sites read like the RFC.
macro_rules! ctor {
    ($($name:ident => $code:ident),* $(,)?) => {
        impl OAuthError {$(
            #[doc = concat!("An `", stringify!($name), "` error.")]
            pub fn $name(description: impl Into<Cow<'static, str>>) -> Self {
                OAuthError::new(ErrorCode::$code, description)
            }
        )*}
    };
}
ctor! {
    invalid_request => InvalidRequest,
    invalid_client => InvalidClient,
    invalid_grant => InvalidGrant,
    unauthorized_client => UnauthorizedClient,
    unsupported_grant_type => UnsupportedGrantType,
    invalid_scope => InvalidScope,
    invalid_token => InvalidToken,
    insufficient_scope => InsufficientScope,
    access_denied => AccessDenied,
    temporarily_unavailable => TemporarilyUnavailable,
    server_error => ServerError,
    invalid_target => InvalidTarget,
    invalid_dpop_proof => InvalidDpopProof,
    use_dpop_nonce => UseDpopNonce,
}

/// Seconds a client is asked to wait (`Retry-After`) when the store failed.
pub const RETRY_AFTER_SECS: u64 = 2;

/// A store could not do what was asked: its storage is unreachable, full,
/// locked or failing. Never a statement about a token: the caller answers
/// `503` and the client retries.
///
/// The message says what failed for the operator's logs; it never holds a
/// token, a password or a connection secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
        }
    }

    /// What failed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the token store failed: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

impl From<StoreError> for OAuthError {
    /// A store failure as the client sees it: `503 temporarily_unavailable`.
    /// What failed goes to the operator's log, not to the client.
    fn from(e: StoreError) -> Self {
        log::error!(target: "ropc::store", "{e}");
        OAuthError::temporarily_unavailable("the token store is unavailable; retry shortly")
    }
}

/// A configuration that cannot be loaded: says what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    path: String,
    message: String,
    position: Option<(usize, usize)>,
    file: Option<String>,
    io: Option<std::io::ErrorKind>,
}

impl ConfigError {
    /// An error at `path` (like `clients[0].scopes[1]`; empty for the whole document).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            message: message.into(),
            position: None,
            file: None,
            io: None,
        }
    }

    /// A configuration file that cannot be read (its `kind` says why: a
    /// binding raises the language's own error for a missing file).
    pub fn unreadable(file: impl Into<String>, kind: std::io::ErrorKind) -> Self {
        let why = match kind {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::InvalidData => "the file is not UTF-8 text".to_string(),
            other => other.to_string(),
        };
        ConfigError {
            io: Some(kind),
            ..ConfigError::new("", format!("cannot read the file: {why}")).in_file(file)
        }
    }

    /// The same error, at `line` and `column` of the JSON text (1-based).
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.position = Some((line, column));
        self
    }

    /// The same error, in the configuration file `file`.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// The same error without a position: for a binding that wrote the JSON
    /// itself from a dict or an object, whose lines the user never saw.
    pub fn without_position(mut self) -> Self {
        self.position = None;
        self
    }

    /// Where in the configuration the problem is: a path like
    /// `clients[0].scopes[1]`, empty for the whole document.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The line and column (1-based) in the JSON text, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }

    /// The configuration file, when the configuration came from one.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// Why the file could not be read, when that was the problem.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        self.io
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration")?;
        if let Some(file) = &self.file {
            write!(f, " in {file}")?;
        }
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        if let Some((line, column)) = self.position {
            write!(f, " (line {line}, column {column})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}
