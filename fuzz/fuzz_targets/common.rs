//! The server every target drives: the shared vectors' configuration (its
//! argon2 parameters are cheap: a fuzzer runs millions of requests).

use once_cell::sync::Lazy;
use ropc_core::{Config, Server};

const VECTORS: &str = include_str!("../../tests/vectors/flows.json");

/// The vectors' configuration, as JSON.
pub static CONFIG: Lazy<String> = Lazy::new(|| {
    let doc: serde_json::Value = serde_json::from_str(VECTORS).expect("the vectors parse");
    doc["config"].to_string()
});

pub static SERVER: Lazy<Server> = Lazy::new(|| {
    let config = Config::from_json(&CONFIG).expect("the vectors' configuration loads");
    Server::builder(config).build().expect("the vectors' server builds")
});

/// Splits `data` at the first `n - 1` newlines (missing parts are empty).
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == b'\n').collect();
    out.resize(n, b"");
    out
}

/// Text from fuzzer bytes, or nothing (the bindings refuse invalid UTF-8
/// before the core sees it).
pub fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}
