//! The resource-name rule and the resource check. Input: method, raw
//! request target, Authorization header, required scope. A name the rule
//! accepts is one the check accepts as a name (whatever it says of the
//! token), and holds no control character and no dot segment.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = common::fields(data, 4);
    let (Some(method), Some(target), Some(authorization), Some(scope)) = (
        common::text(f[0]),
        common::text(f[1]),
        common::text(f[2]),
        common::text(f[3]),
    ) else {
        return;
    };
    let scope = (!scope.is_empty()).then_some(scope);
    let server = &*common::SERVER;
    match ropc_core::resource_name(method, target) {
        Ok(name) => {
            let path = &name[name.find(' ').expect("METHOD /path") + 1..];
            assert!(path.starts_with('/'), "{name:?}");
            assert!(!name.chars().any(char::is_control), "{name:?}");
            assert!(
                !path.split('/').any(|s| s == "." || s == ".."),
                "a dot segment survived: {name:?}"
            );
            let _ = server.check_request(Some(authorization), &name, scope);
        }
        Err(_) => {
            let _ = server.check_request(Some(authorization), target, scope);
        }
    }
    let _ = server.check(authorization, target, scope);
});
