//! The three HTTP endpoints. Input: a selector byte, then the method, the
//! Content-Type, the Authorization header, the DPoP header and the body,
//! separated by newlines. Every answer is a well-formed response: a known status, JSON
//! (or empty) body, no panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ropc_core::HttpRequest;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let f = common::fields(rest, 5);
    let (Some(method), Some(content_type), Some(authorization), Some(dpop)) = (
        common::text(f[0]),
        common::text(f[1]),
        common::text(f[2]),
        common::text(f[3]),
    ) else {
        return;
    };
    let req = HttpRequest {
        method,
        content_type: (!content_type.is_empty()).then_some(content_type),
        authorization: (!authorization.is_empty()).then_some(authorization),
        dpop: (!dpop.is_empty()).then_some(dpop),
        body: f[4],
    };
    let server = &*common::SERVER;
    let resp = match which % 3 {
        0 => server.token_endpoint(&req),
        1 => server.introspection_endpoint(&req),
        _ => server.revocation_endpoint(&req),
    };
    assert!(
        [200, 400, 401, 405, 500, 503].contains(&resp.status),
        "unexpected status {}",
        resp.status
    );
    if !resp.body.is_empty() {
        let _: serde_json::Value = serde_json::from_str(&resp.body).expect("the body is JSON");
    }
    for (name, value) in &resp.headers {
        assert!(
            !value.contains(['\r', '\n']) && !name.contains(['\r', '\n']),
            "a header carries a line break: {name}"
        );
    }
});
