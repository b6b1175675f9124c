//! Resource owners: who they are (stage 3: the password grant verifies
//! them) and whether they may use a resource (stage 5).
//!
//! By default the owners are the `users` of the configuration
//! ([`ConfigAccounts`]: argon2id hashes, re-hashed on login). A host that
//! already keeps its users elsewhere (a SQL table with bcrypt hashes, an LDAP
//! directory, a framework's user model) implements [`Accounts`] instead and
//! passes it to [`crate::ServerBuilder::accounts`]; the C, Python and Node
//! bindings adapt a callback to it. A host may also decide, resource by
//! resource, whether an owner may use it ([`crate::OwnerAuthorizer`]).
//!
//! # What ropc guarantees around a host's accounts
//! - The throttle runs before the host is asked: a locked account never
//!   reaches it, and concurrent guesses get no more checks than allowed.
//! - An unknown user, a wrong password, a disabled owner and a locked
//!   account get the same answer (`invalid_grant`), and take the same time:
//!   every answer is padded to at least `accounts.min_verify_ms` and to the
//!   9-in-10 time of the host's recent password checks (the host's own
//!   "unknown user" is usually much faster than its hash).
//! - A callback that fails, panics, answers nonsense or takes longer than
//!   `accounts.callback_timeout_ms` gives `500 server_error` and is never a
//!   grant; the failed attempt counts against the throttle. What failed is
//!   logged (target `ropc::accounts`), never sent to the client.
//! - Owner state (exists, enabled, groups) is cached for at most
//!   `accounts.owner_cache_seconds`; [`crate::Server::revoke_user_tokens`]
//!   ends a user's tokens at once in every process sharing the store, and
//!   [`crate::Server::forget_owner`] drops this process's cached state.

pub(crate) mod config;
mod deadline;
mod host;
mod name;

pub use config::ConfigAccounts;
#[doc(hidden)]
pub use deadline::{WaitPool, WAITING};
pub(crate) use host::{run_callback, Checked, HostAccounts};
pub use name::fold_name;

use std::fmt;
use std::sync::Arc;

/// What the host knows of a resource owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The owner's groups, for the access rules (each 1 to 256 bytes, no
    /// control characters; at most [`MAX_GROUPS`]).
    pub groups: Vec<String>,
    /// A disabled owner is refused like a wrong password and its tokens stop
    /// working.
    pub enabled: bool,
    /// An opaque number the host changes whenever the owner's credentials
    /// change (a counter column, the time of the last password change, a
    /// hash of the password hash), or `None`. When ropc sees a different
    /// one than it saw before (at a sign-in, or when it looks the owner up
    /// after `owner_cache_seconds`), the owner's older tokens end, in every
    /// process sharing the store, without the host calling
    /// [`crate::Server::revoke_user_tokens`].
    pub credential: Option<u64>,
    /// The account's own name, when the host matches names more loosely
    /// than byte for byte (a directory ignoring case and spaces, a SQL
    /// collation, sign-in by e-mail address): the name the token is issued
    /// to, so that `BOB`, `bob ` and `Bob` get tokens for one subject, which
    /// owner rules, [`crate::Server::revoke_user_tokens`] and credential
    /// versions then find. `None`: the name as typed. Read from the answer
    /// to [`Accounts::verify`]; 1 to 256 bytes, no control characters.
    pub name: Option<String>,
}

/// The most groups an owner may have.
pub const MAX_GROUPS: usize = 1024;

impl Owner {
    /// An enabled owner in `groups`.
    pub fn new<S: Into<String>>(groups: impl IntoIterator<Item = S>) -> Owner {
        Owner {
            groups: groups.into_iter().map(Into::into).collect(),
            enabled: true,
            credential: None,
            name: None,
        }
    }

    /// The same owner, under the account's own name (see [`Owner::name`]).
    pub fn with_name(mut self, name: impl Into<String>) -> Owner {
        self.name = Some(name.into());
        self
    }

    /// The same owner, with a credential version (see [`Owner::credential`]).
    pub fn with_credential(mut self, credential: u64) -> Owner {
        self.credential = Some(credential);
        self
    }

    /// A disabled owner.
    pub fn disabled() -> Owner {
        Owner {
            groups: Vec::new(),
            enabled: false,
            credential: None,
            name: None,
        }
    }
}

/// The answer to "is this the password of this user?".
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// The password is right; here is the owner (who may be disabled).
    Verified(Owner),
    /// The user exists and the password is wrong.
    WrongPassword,
    /// There is no such user.
    UnknownUser,
}

/// A host callback failed. The message is for the operator's log; the
/// client only ever sees `500 server_error`.
#[derive(Clone, PartialEq, Eq)]
pub struct HostError {
    message: String,
}

impl HostError {
    /// A failure, described for the log (never include the password).
    pub fn new(message: impl Into<String>) -> HostError {
        HostError {
            message: message.into(),
        }
    }

    /// What failed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostError({:?})", self.message)
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account callback failed: {}", self.message)
    }
}

impl std::error::Error for HostError {}

/// Resource owners kept by the host. Called from any thread, concurrently;
/// may block (ropc's bindings call it off event loops and outside Python's
/// GIL). The password is never stored or logged by ropc; an implementation
/// must not log it either.
pub trait Accounts: Send + Sync {
    /// Verifies `password` for `username`. To keep an unknown user from
    /// being told apart by time, an implementation should do the work of a
    /// check either way; ropc pads the answers as well (see the module docs).
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError>;

    /// The owner's current state, or `None` when there is no such user any
    /// more. Asked when a token is checked, introspected or refreshed, at
    /// most once per `accounts.owner_cache_seconds` per owner and process.
    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError>;
}

impl<A: Accounts + ?Sized> Accounts for Arc<A> {
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError> {
        (**self).verify(username, password)
    }
    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError> {
        (**self).lookup(username)
    }
}

/// An owner as the server keeps it: groups shared, not copied per check.
#[derive(Clone, Debug)]
pub(crate) struct OwnerState {
    pub(crate) groups: Arc<[Box<str>]>,
    pub(crate) enabled: bool,
    pub(crate) credential: Option<u64>,
}

impl OwnerState {
    /// Checks what a host handed over: group names like configured ones.
    pub(crate) fn from_host(owner: Owner) -> Result<OwnerState, HostError> {
        if owner.groups.len() > MAX_GROUPS {
            return Err(HostError::new(format!(
                "an owner has {} groups, more than {MAX_GROUPS}",
                owner.groups.len()
            )));
        }
        for g in &owner.groups {
            if g.is_empty() || g.len() > crate::MAX_NAME_BYTES || crate::names::has_control(g) {
                return Err(HostError::new(
                    "a group name must be 1 to 256 bytes without control characters",
                ));
            }
        }
        Ok(OwnerState {
            groups: owner
                .groups
                .into_iter()
                .map(String::into_boxed_str)
                .collect(),
            enabled: owner.enabled,
            credential: owner.credential,
        })
    }
}

/// Counts of what the account layer did, for tests and metrics: equal
/// timing is shown by what ran, not by a clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccountsStats {
    /// Calls to the host's `verify`.
    pub verify_calls: u64,
    /// Calls to the host's `lookup` (cache misses).
    pub lookup_calls: u64,
    /// Password-grant answers that went through the pacer (each waited
    /// until the pacing target).
    pub paced: u64,
    /// Host callbacks that failed, panicked or timed out.
    pub failures: u64,
    /// The pacing target now, in microseconds.
    pub pace_target_us: u64,
}

/// A runtime change to a resource owner that could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountError {
    /// No such user.
    UnknownUser,
    /// The password hash is not one ropc can verify; says why.
    InvalidHash(crate::password::PhcError),
    /// The store could not record the change; nothing was changed.
    Store(crate::error::StoreError),
    /// The server's resource owners are the host's (callback accounts):
    /// change them there, then call `revoke_user_tokens`.
    NotConfigured,
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccountError::UnknownUser => f.write_str("no such user"),
            AccountError::InvalidHash(why) => write!(f, "the password hash is not valid: {why}"),
            AccountError::Store(e) => e.fmt(f),
            AccountError::NotConfigured => f.write_str(
                "this server's resource owners are the host's: change them there, then revoke their tokens",
            ),
        }
    }
}

impl std::error::Error for AccountError {}

impl From<crate::error::StoreError> for AccountError {
    fn from(e: crate::error::StoreError) -> Self {
        AccountError::Store(e)
    }
}

impl From<HostError> for crate::error::OAuthError {
    /// A host callback's failure as the client sees it: `500 server_error`.
    /// What failed goes to the operator's log, not to the client.
    fn from(e: HostError) -> Self {
        log::error!(target: "ropc::accounts", "{e}");
        crate::error::OAuthError::server_error("the account service failed")
    }
}
