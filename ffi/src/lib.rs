//! libropc: the C ABI of ropc.
//!
//! Conventions (also in the book's C chapter, docs/src/c.md):
//! - every export runs inside [`ffi_boundary!`]: a panic becomes
//!   `ROPC_PANIC` (or NULL / 0 / false), never an unwind into C;
//! - every pointer is checked: NULL where a value is required gives
//!   `ROPC_NULL_PARAMETER`; strings must be NUL-terminated UTF-8, else
//!   `ROPC_INVALID_UTF8`;
//! - out-params are written only on success (an `ropc_error **` out-param,
//!   always optional, only on failure; a refusal response only on refusal);
//! - strings handed out are borrowed from their handle until its `_free`,
//!   except those documented as "free with `ropc_string_free`";
//! - `_free(NULL)` is a no-op; a server or guard handle may be used from many
//!   threads at once; other handles belong to one thread at a time.

#![allow(non_camel_case_types)]
#![deny(clippy::unwrap_used)]

mod accounts;
mod builder;
mod error;
mod events;
mod guard;
mod handles;
mod server;

pub use accounts::*;
pub use builder::*;
pub use error::*;
pub use events::*;
pub use guard::*;
pub use handles::*;
pub use server::*;

use std::ffi::{c_char, CStr};

/// The library's major version (`ropc_version()` gives the whole string).
pub const ROPC_VERSION_MAJOR: u32 = 0;
/// The library's minor version.
pub const ROPC_VERSION_MINOR: u32 = 1;
/// The library's patch version.
pub const ROPC_VERSION_PATCH: u32 = 0;

/// Runs an export's body, turning a panic into the return type's failure
/// value. Every `extern "C"` function's body is exactly one of these: a unit
/// test (`every_export_has_a_panic_boundary`) fails the build otherwise.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_boundary {
    ($($body:tt)*) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| { $($body)* })) {
            Ok(value) => value,
            Err(_) => $crate::OnPanic::on_panic(),
        }
    };
}

/// What an export returns when its body panicked.
#[doc(hidden)]
pub trait OnPanic {
    /// The failure value.
    fn on_panic() -> Self;
}

impl OnPanic for ropc_status {
    fn on_panic() -> Self {
        ropc_status::ROPC_PANIC
    }
}
impl<T> OnPanic for *const T {
    fn on_panic() -> Self {
        std::ptr::null()
    }
}
impl<T> OnPanic for *mut T {
    fn on_panic() -> Self {
        std::ptr::null_mut()
    }
}
impl OnPanic for () {
    fn on_panic() -> Self {}
}
impl OnPanic for bool {
    fn on_panic() -> Self {
        false
    }
}
macro_rules! zero_on_panic {
    ($($t:ty),*) => {$(impl OnPanic for $t { fn on_panic() -> Self { 0 } })*};
}
zero_on_panic!(u16, u64, usize);

/// Returns `ROPC_NULL_PARAMETER` from the export when `$p` is NULL;
/// otherwise a reference to what it points at.
macro_rules! try_ref {
    ($p:expr) => {{
        let p = $p;
        if p.is_null() {
            return $crate::ropc_status::ROPC_NULL_PARAMETER.into();
        }
        // SAFETY: checked non-NULL; the caller promises it came from us.
        unsafe { &*p }
    }};
}
pub(crate) use try_ref;

/// A required C string: NULL gives `ROPC_NULL_PARAMETER`, bad UTF-8
/// `ROPC_INVALID_UTF8`.
macro_rules! try_str {
    ($p:expr) => {
        match $crate::c_str($p) {
            Ok(Some(s)) => s,
            Ok(None) => return $crate::ropc_status::ROPC_NULL_PARAMETER.into(),
            Err(status) => return status.into(),
        }
    };
}
pub(crate) use try_str;

/// An optional C string: NULL (or "") is `None`.
macro_rules! try_opt_str {
    ($p:expr) => {
        match $crate::c_str($p) {
            Ok(s) => s.filter(|s| !s.is_empty()),
            Err(status) => return status.into(),
        }
    };
}
pub(crate) use try_opt_str;

/// `len` bytes at `p` from C: NULL only when `len` is 0.
pub(crate) fn bytes<'a>(p: *const u8, len: usize) -> Result<&'a [u8], ropc_status> {
    match (p.is_null(), len) {
        (_, 0) => Ok(&[]),
        (true, _) => Err(ropc_status::ROPC_NULL_PARAMETER),
        // No C object is that large: a length past isize::MAX is a bug, and
        // a slice of it would be undefined behaviour.
        (false, len) if isize::try_from(len).is_err() => Err(ropc_status::ROPC_INVALID_ARGUMENT),
        // SAFETY: non-NULL; the caller promises `len` readable bytes that
        // live for the duration of the call.
        (false, len) => Ok(unsafe { std::slice::from_raw_parts(p, len) }),
    }
}

/// Reads a NUL-terminated string from C.
pub(crate) fn c_str<'a>(p: *const c_char) -> Result<Option<&'a str>, ropc_status> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL; the caller promises a NUL-terminated string that
    // lives for the duration of the call.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    // Tokens, names and resources are nearly always ASCII, which `is_ascii`
    // confirms a word at a time; `from_utf8` walks short strings byte by
    // byte (a fifth of what a check adds in C to the same call in Rust).
    if bytes.is_ascii() {
        // SAFETY: ASCII is valid UTF-8.
        return Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) }));
    }
    std::str::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ropc_status::ROPC_INVALID_UTF8)
}

/// Reads an array of `n` C strings.
pub(crate) fn c_str_array<'a>(
    items: *const *const c_char,
    n: usize,
) -> Result<Vec<&'a str>, ropc_status> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if items.is_null() {
        return Err(ropc_status::ROPC_NULL_PARAMETER);
    }
    if isize::try_from(n).is_err() {
        return Err(ropc_status::ROPC_INVALID_ARGUMENT);
    }
    // SAFETY: non-NULL; the caller promises `n` readable pointers.
    let ptrs = unsafe { std::slice::from_raw_parts(items, n) };
    ptrs.iter()
        .map(|p| c_str(*p)?.ok_or(ropc_status::ROPC_NULL_PARAMETER))
        .collect()
}

/// A handle from C, or `None` for NULL.
pub(crate) fn handle<'a, T>(p: *const T) -> Option<&'a T> {
    // SAFETY: the caller promises a non-NULL `p` came from us and is live.
    unsafe { p.as_ref() }
}

/// A handle from C to change, or `None` for NULL.
pub(crate) fn handle_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    // SAFETY: the caller promises a non-NULL `p` came from us, is live and
    // is used by one thread at a time.
    unsafe { p.as_mut() }
}

/// Writes `value` to `out` unless `out` is NULL; returns whether it did.
pub(crate) fn set<T>(out: *mut T, value: T) -> bool {
    if out.is_null() {
        return false;
    }
    // SAFETY: non-NULL; the caller of the export promises writable storage.
    unsafe { *out = value };
    true
}

/// Takes back a handle made by `Box::into_raw` (consuming it), or `None` for NULL.
pub(crate) fn take_box<T>(p: *mut T) -> Option<Box<T>> {
    // SAFETY: non-NULL; the caller promises `p` came from us and is not used again.
    (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
}

/// Frees a string made by `CString::into_raw`; NULL is a no-op.
pub(crate) fn free_cstring(s: *mut std::ffi::c_char) {
    if !s.is_null() {
        // SAFETY: the caller promises `s` came from CString::into_raw here.
        // Zeroed before it is freed: it may be a token.
        error::zeroize_cstring(unsafe { std::ffi::CString::from_raw(s) });
    }
}

/// Writes an out-param (callers check it for NULL first).
pub(crate) fn write_out<T>(out: *mut *mut T, value: Box<T>) {
    // SAFETY: checked non-NULL by the caller; points at writable storage.
    unsafe { *out = Box::into_raw(value) };
}

/// Frees a handle made by `Box::into_raw`; NULL is a no-op.
pub(crate) fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller promises `p` came from us and is freed once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// The test clock (the `test-hooks` feature, for the C tests; not in
/// `ropc.h`): servers built from now on use a manual clock at `now`
/// (seconds since the epoch).
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn ropc_test_clock_set(now: u64) {
    ffi_boundary! { ropc_core::test_clock::set(Some(now)) }
}

/// Servers built from now on use the system clock again.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn ropc_test_clock_unset() {
    ffi_boundary! { ropc_core::test_clock::set(None) }
}

/// Moves the test clock on by `seconds`; false when it is not set.
#[cfg(feature = "test-hooks")]
#[no_mangle]
pub extern "C" fn ropc_test_clock_advance(seconds: u64) -> bool {
    ffi_boundary! { ropc_core::test_clock::advance(seconds) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_version_macros_are_the_crate_version() {
        let cargo = [
            env!("CARGO_PKG_VERSION_MAJOR"),
            env!("CARGO_PKG_VERSION_MINOR"),
            env!("CARGO_PKG_VERSION_PATCH"),
        ];
        let ours = [
            super::ROPC_VERSION_MAJOR,
            super::ROPC_VERSION_MINOR,
            super::ROPC_VERSION_PATCH,
        ]
        .map(|v| v.to_string());
        assert_eq!(
            cargo.map(String::from),
            ours,
            "update ROPC_VERSION_* in ffi/src/lib.rs"
        );
    }

    /// Every `extern "C"` function's body must start with `ffi_boundary!`,
    /// so that a panic can never cross into C (rustls-ffi's issue #286).
    #[test]
    fn every_export_has_a_panic_boundary() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut exports = 0;
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let mut rest = text.as_str();
            while let Some(at) = rest.find("pub extern \"C\" fn ") {
                rest = &rest[at..];
                let open = rest.find('{').expect("a body");
                let body = rest[open + 1..].trim_start();
                let name: String = rest["pub extern \"C\" fn ".len()..]
                    .chars()
                    .take_while(|c| *c != '(')
                    .collect();
                assert!(
                    body.starts_with("ffi_boundary! {"),
                    "{} in {} has no ffi_boundary!",
                    name,
                    path.display()
                );
                exports += 1;
                rest = &rest[open..];
            }
            assert!(
                // Every other C-ABI function is an exported one; the
                // `unsafe extern "C" fn`s are test callbacks that C would write.
                text.matches("extern \"C\" fn ").count()
                    - text.matches("unsafe extern \"C\" fn ").count()
                    == text.matches("pub extern \"C\" fn ").count()
            );
        }
        assert!(exports > 40, "found only {exports} exports");
    }
}
