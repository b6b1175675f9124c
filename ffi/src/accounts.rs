//! Resource owners kept by the host, and the host's say on resources,
//! through C callbacks: a function pointer and a `void *userdata`, as
//! rustls-ffi does. Everything the core guarantees around host accounts
//! (throttle first, equal answers and paced timing, time limit, owner-state
//! cache) applies; this file only converts.
//!
//! Thread safety and lifetimes: callbacks are called from any thread that
//! calls into the server, concurrently, and must be thread-safe; `userdata`
//! must stay valid until `ropc_server_free` has returned. Strings passed to
//! a callback are borrowed for the call only; the password is wiped after.

use crate::handles::ropc_principal;
use crate::{c_str, ffi_boundary, ropc_status};
use ropc_core::{Accounts, HostError, Owner, OwnerAuthorizer, Principal, Verification};
use std::ffi::{c_char, c_void, CString};

/// What a verify or lookup callback answers.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ropc_account_answer {
    /// verify: the password is right. lookup: the user exists. Either way
    /// the callback has described the owner through its `ropc_owner *`.
    ROPC_ACCOUNT_FOUND = 0,
    /// verify: the user exists and the password is wrong.
    ROPC_ACCOUNT_WRONG_PASSWORD = 1,
    /// There is no such user.
    ROPC_ACCOUNT_UNKNOWN_USER = 2,
    /// The callback could not answer (its database is down, ...): the
    /// request gets `500 server_error`, never a grant. Any value not in
    /// this enum is taken as this.
    ROPC_ACCOUNT_ERROR = 3,
}

/// What an authorize callback answers.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ropc_authorize_answer {
    /// The owner may not use the resource (`403 access_denied`).
    ROPC_AUTHORIZE_DENY = 0,
    /// The owner may use the resource.
    ROPC_AUTHORIZE_ALLOW = 1,
    /// The callback could not answer: `500 server_error`. Any value not in
    /// this enum is taken as this.
    ROPC_AUTHORIZE_ERROR = 2,
}

/// A resource owner as a verify or lookup callback describes it: enabled
/// and in no group until told otherwise. Valid only during the callback.
pub struct ropc_owner {
    owner: Owner,
    bad: Option<&'static str>,
}

/// Verifies `password` (`password_len` bytes, which may include NUL bytes;
/// a NUL follows them) for `username` (NUL-terminated UTF-8). Returns a
/// `ropc_account_answer`; on `ROPC_ACCOUNT_FOUND` describes the owner
/// through `owner`. Must not keep or log the password.
pub type ropc_verify_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        username: *const c_char,
        password: *const u8,
        password_len: usize,
        owner: *mut ropc_owner,
    ) -> u32,
>;

/// Looks `username` up: `ROPC_ACCOUNT_FOUND` (describing the owner through
/// `owner`), `ROPC_ACCOUNT_UNKNOWN_USER` or `ROPC_ACCOUNT_ERROR`.
pub type ropc_lookup_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        username: *const c_char,
        owner: *mut ropc_owner,
    ) -> u32,
>;

/// May the owner in `principal` (borrowed for the call) use `resource`
/// (`"METHOD /path"`)? `required_scope` is NULL when the check named none.
/// Returns a `ropc_authorize_answer`.
pub type ropc_authorize_callback = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        principal: *const ropc_principal,
        resource: *const c_char,
        required_scope: *const c_char,
    ) -> u32,
>;

/// Adds a group to the owner a callback describes (UTF-8, 1 to 256 bytes,
/// no control characters: checked when the callback returns, and a bad
/// one makes the answer a server error).
#[no_mangle]
pub extern "C" fn ropc_owner_add_group(
    owner: *mut ropc_owner,
    group: *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let Some(owner) = crate::handle_mut(owner) else { return ropc_status::ROPC_NULL_PARAMETER };
        match c_str(group) {
            Ok(Some(g)) => {
                owner.owner.groups.push(g.to_owned());
                ropc_status::ROPC_OK
            }
            Ok(None) => {
                owner.bad = Some("a NULL group");
                ropc_status::ROPC_NULL_PARAMETER
            }
            Err(status) => {
                owner.bad = Some("a group that is not UTF-8");
                status
            }
        }
    }
}

/// Marks the owner a callback describes as enabled or disabled (a
/// disabled owner is refused like a wrong password; its tokens stop).
#[no_mangle]
pub extern "C" fn ropc_owner_set_enabled(owner: *mut ropc_owner, enabled: bool) -> ropc_status {
    ffi_boundary! {
        let Some(owner) = crate::handle_mut(owner) else { return ropc_status::ROPC_NULL_PARAMETER };
        owner.enabled(enabled);
        ropc_status::ROPC_OK
    }
}

/// Gives the owner a callback describes the host's credential version: a
/// number the host changes whenever the owner's credentials change (a
/// counter, the time of the last password change). When ropc sees a new
/// one, the owner's older tokens end, in every process sharing the store.
#[no_mangle]
pub extern "C" fn ropc_owner_set_credential_version(
    owner: *mut ropc_owner,
    version: u64,
) -> ropc_status {
    ffi_boundary! {
        let Some(owner) = crate::handle_mut(owner) else { return ropc_status::ROPC_NULL_PARAMETER };
        owner.owner.credential = Some(version);
        ropc_status::ROPC_OK
    }
}

/// Gives the owner a verify callback describes the account's own name
/// (UTF-8, 1 to 256 bytes, no control characters; copied): when the host
/// matches names loosely (any case or spacing, as a directory's `uid`, or
/// sign-in by e-mail address), tokens are issued to this name, so every
/// spelling of one account gets tokens for one subject. Ignored from a
/// lookup callback.
#[no_mangle]
pub extern "C" fn ropc_owner_set_name(owner: *mut ropc_owner, name: *const c_char) -> ropc_status {
    ffi_boundary! {
        let Some(owner) = crate::handle_mut(owner) else { return ropc_status::ROPC_NULL_PARAMETER };
        match c_str(name) {
            Ok(Some(n)) => {
                owner.owner.name = Some(n.to_owned());
                ropc_status::ROPC_OK
            }
            Ok(None) => ropc_status::ROPC_NULL_PARAMETER,
            Err(status) => {
                owner.bad = Some("a name that is not UTF-8");
                status
            }
        }
    }
}

impl ropc_owner {
    fn new() -> ropc_owner {
        ropc_owner {
            owner: Owner::new(Vec::<String>::new()),
            bad: None,
        }
    }
    fn enabled(&mut self, enabled: bool) {
        self.owner.enabled = enabled;
    }
    fn finish(self) -> Result<Owner, HostError> {
        match self.bad {
            Some(what) => Err(HostError::new(format!("the callback gave {what}"))),
            None => Ok(self.owner),
        }
    }
}

/// The C callbacks and their userdata.
pub(crate) struct CAccounts {
    verify:
        unsafe extern "C" fn(*mut c_void, *const c_char, *const u8, usize, *mut ropc_owner) -> u32,
    lookup: unsafe extern "C" fn(*mut c_void, *const c_char, *mut ropc_owner) -> u32,
    userdata: *mut c_void,
}

// SAFETY: the C API requires callbacks that are thread-safe and userdata
// that lives until the server is freed (documented on the setters).
unsafe impl Send for CAccounts {}
// SAFETY: as above.
unsafe impl Sync for CAccounts {}

fn c_name(username: &str) -> Result<CString, HostError> {
    // Usernames with control characters never reach here (refused first).
    CString::new(username).map_err(|_| HostError::new("a username with a NUL byte"))
}

impl Accounts for CAccounts {
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError> {
        let name = c_name(username)?;
        // A NUL-terminated copy, wiped when dropped.
        let mut pw = ropc_core::secret::Wiped::new(Vec::with_capacity(password.len() + 1));
        pw.extend_from_slice(password.as_bytes());
        pw.push(0);
        let mut owner = ropc_owner::new();
        // SAFETY: the host registered this callback for this userdata; every
        // pointer is valid for the call.
        let answer = unsafe {
            (self.verify)(
                self.userdata,
                name.as_ptr(),
                pw.as_ptr(),
                password.len(),
                &mut owner,
            )
        };
        match answer {
            0 => Ok(Verification::Verified(owner.finish()?)),
            1 => Ok(Verification::WrongPassword),
            2 => Ok(Verification::UnknownUser),
            3 => Err(HostError::new(
                "the verify callback answered ROPC_ACCOUNT_ERROR",
            )),
            n => Err(HostError::new(format!(
                "the verify callback answered {n}, not a ropc_account_answer"
            ))),
        }
    }

    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError> {
        let name = c_name(username)?;
        let mut owner = ropc_owner::new();
        // SAFETY: as in verify.
        let answer = unsafe { (self.lookup)(self.userdata, name.as_ptr(), &mut owner) };
        match answer {
            0 => Ok(Some(owner.finish()?)),
            2 => Ok(None),
            3 => Err(HostError::new(
                "the lookup callback answered ROPC_ACCOUNT_ERROR",
            )),
            n => Err(HostError::new(format!(
                "the lookup callback answered {n}, not FOUND, UNKNOWN_USER or ERROR"
            ))),
        }
    }
}

pub(crate) struct CAuthorizer {
    authorize: unsafe extern "C" fn(
        *mut c_void,
        *const ropc_principal,
        *const c_char,
        *const c_char,
    ) -> u32,
    userdata: *mut c_void,
}

// SAFETY: as for CAccounts.
unsafe impl Send for CAuthorizer {}
// SAFETY: as for CAccounts.
unsafe impl Sync for CAuthorizer {}

impl OwnerAuthorizer for CAuthorizer {
    fn authorize(
        &self,
        principal: &Principal,
        resource: &str,
        required_scope: Option<&str>,
    ) -> Result<bool, HostError> {
        let handle = ropc_principal::from(principal.clone());
        let resource = CString::new(resource).map_err(|_| HostError::new("a resource with NUL"))?;
        let scope = required_scope
            .map(CString::new)
            .transpose()
            .map_err(|_| HostError::new("a scope with NUL"))?;
        // SAFETY: as in CAccounts::verify.
        let answer = unsafe {
            (self.authorize)(
                self.userdata,
                &handle,
                resource.as_ptr(),
                scope.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            )
        };
        match answer {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(HostError::new(format!(
                "the authorize callback answered {n}"
            ))),
        }
    }
}

/// Makes the adapter, or `None` when a required callback is NULL.
pub(crate) fn c_accounts(
    verify: ropc_verify_callback,
    lookup: ropc_lookup_callback,
    userdata: *mut c_void,
) -> Option<CAccounts> {
    Some(CAccounts {
        verify: verify?,
        lookup: lookup?,
        userdata,
    })
}

pub(crate) fn c_authorizer(
    authorize: ropc_authorize_callback,
    userdata: *mut c_void,
) -> Option<CAuthorizer> {
    Some(CAuthorizer {
        authorize: authorize?,
        userdata,
    })
}

#[cfg(test)]
mod tests {
    //! The accounts conformance suite on the C adapter, with callbacks
    //! written as C would (raw pointers, lengths, a userdata table).
    use super::*;
    use ropc_core::conformance::accounts::{run, Fixture};

    struct Table(Vec<(&'static str, &'static [u8], bool)>);

    unsafe extern "C" fn verify(
        userdata: *mut c_void,
        username: *const c_char,
        password: *const u8,
        password_len: usize,
        owner: *mut ropc_owner,
    ) -> u32 {
        // SAFETY: as the C API promises: userdata is ours, the strings live for the call.
        let (table, name, pw) = unsafe {
            (
                &*(userdata as *const Table),
                std::ffi::CStr::from_ptr(username),
                std::slice::from_raw_parts(password, password_len),
            )
        };
        let Some((_, right, enabled)) = table
            .0
            .iter()
            .find(|(n, _, _)| n.as_bytes() == name.to_bytes())
        else {
            return ropc_account_answer::ROPC_ACCOUNT_UNKNOWN_USER as u32;
        };
        if pw != *right {
            return ropc_account_answer::ROPC_ACCOUNT_WRONG_PASSWORD as u32;
        }
        ropc_owner_add_group(owner, c"staff".as_ptr());
        ropc_owner_set_enabled(owner, *enabled);
        ropc_account_answer::ROPC_ACCOUNT_FOUND as u32
    }

    unsafe extern "C" fn lookup(
        userdata: *mut c_void,
        username: *const c_char,
        owner: *mut ropc_owner,
    ) -> u32 {
        // SAFETY: as above.
        let (table, name) = unsafe {
            (
                &*(userdata as *const Table),
                std::ffi::CStr::from_ptr(username),
            )
        };
        match table
            .0
            .iter()
            .find(|(n, _, _)| n.as_bytes() == name.to_bytes())
        {
            Some((_, _, enabled)) => {
                ropc_owner_add_group(owner, c"staff".as_ptr());
                ropc_owner_set_enabled(owner, *enabled);
                ropc_account_answer::ROPC_ACCOUNT_FOUND as u32
            }
            None => ropc_account_answer::ROPC_ACCOUNT_UNKNOWN_USER as u32,
        }
    }

    #[test]
    fn the_c_adapter_conforms() {
        let table = Table(vec![
            ("alice", b"alice-pw", true),
            ("dave", b"dave-pw", false),
        ]);
        let accounts = c_accounts(
            Some(verify),
            Some(lookup),
            &table as *const Table as *mut c_void,
        )
        .expect("both callbacks");
        run(&accounts, &Fixture::standard()).expect("the C adapter conforms");
    }
}
