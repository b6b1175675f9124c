//! The form, HTTP Basic and Bearer parsers. Input: Authorization header,
//! then the form body. They answer or refuse; and what Basic credentials
//! the client would send (`basic_authorization`) parse back to themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_core::fuzzing;
use ropc_core::ClientCredentials;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let _ = fuzzing::parse_form(body);
    let Ok(header) = std::str::from_utf8(header) else { return };
    let authorization = (!header.is_empty()).then_some(header);
    let _ = fuzzing::parse_bearer(authorization);
    if let Ok(creds) = fuzzing::client_credentials(authorization, body) {
        assert!(!creds.client_id.is_empty());
        if let Some(secret) = &creds.client_secret {
            // Round trip: the header a client would send for these credentials.
            let again = ClientCredentials::new(&creds.client_id, secret);
            let sent = again.basic_authorization();
            let back = fuzzing::client_credentials(Some(&sent), b"").expect("our own header parses");
            assert_eq!(back, again);
        }
    }
});
