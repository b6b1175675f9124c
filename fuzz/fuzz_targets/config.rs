//! Configuration parsing and validation: any JSON document is refused with
//! a `ConfigError` or builds a server; nothing panics, however absurd the
//! numbers (lifetimes, lockouts and argon2 costs at their types' limits).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc_core::{Config, Server};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(config) = Config::from_json(text) {
        if let Ok(server) = Server::builder(config).build() {
            // A bad grant against whatever was configured: answered, not a panic.
            let _ = server.check("x".repeat(43).as_str(), "GET /", None);
        }
    }
});
