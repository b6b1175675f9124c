//! Strings and bytes that hold secrets (passwords, client secrets, tokens,
//! Authorization headers, request bodies): this addon's own copies of them
//! are zeroed before their memory is freed. (JavaScript's copies belong to
//! V8, which offers no way to zero them.)

use napi::bindgen_prelude::*;
use napi::sys;

/// A JS string copied in for one call, or a Rust string on its way out to
/// JS, zeroed when dropped.
#[derive(Default)]
pub struct Secret(pub String);

impl Secret {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        ropc_core::secret::Wipe::wipe(&mut self.0);
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl TypeName for Secret {
    fn type_name() -> &'static str {
        "String"
    }

    fn value_type() -> ValueType {
        ValueType::String
    }
}

impl ValidateNapiValue for Secret {}

impl FromNapiValue for Secret {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> Result<Self> {
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { String::from_napi_value(env, value) }.map(Secret)
    }
}

impl ToNapiValue for Secret {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        // JS gets a copy; ours is zeroed as `value` drops.
        // SAFETY: the caller's contract, passed on unchanged.
        unsafe { <&String as ToNapiValue>::to_napi_value(env, &value.0) }
    }
}

/// An optional secret as `Option<&str>`.
pub fn opt(s: &Option<Secret>) -> Option<&str> {
    s.as_ref().map(Secret::as_str)
}

/// A Buffer's bytes, copied off the JS heap for a job on another thread,
/// zeroed when the job is done.
pub fn bytes(b: &[u8]) -> ropc_core::secret::Wiped<Vec<u8>> {
    ropc_core::secret::Wiped::new(b.to_vec())
}

/// `value` as JSON in a string allocated once at its exact size (the core's
/// `json_exact`), zeroed when dropped.
pub fn json(value: &impl serde::Serialize) -> Secret {
    Secret(ropc_core::json_exact(value))
}
