//! Memory per live token and check latency against stores of growing size
//! (part of `make bench`). Prints one JSON object a line.
//!
//! `cargo run --release -p ropc-core --example bench_live_tokens -- 1000 100000 1000000 10000000`

use ropc_core::store::{GrantId, TokenRecord, TokenStore};
use ropc_core::*;
use std::sync::Arc;
use std::time::Instant;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// A token string from a counter: the bench needs many distinct tokens
/// fast; their randomness is not what is measured here.
fn token(i: u64) -> String {
    use base64::Engine;
    let mut raw = [0u8; 32];
    raw[..8].copy_from_slice(&i.to_le_bytes());
    raw[8..16].copy_from_slice(&(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_le_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn record(now: u64) -> TokenRecord {
    TokenRecord {
        grant: GrantId::random(),
        client_id: Arc::from("app"),
        username: Arc::from("alice"),
        scope: Arc::from("read write"),
        issued_at: now,
        expires_at: now + 3600,
        user_version: 0,
        auth_time: now,
        jkt: None,
    }
}

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let now = SystemClock.now();
    for n in sizes {
        let store = Arc::new(MemoryStore::new());
        // Interned names, as the server shares them between tokens.
        let (client, user, scope) = (
            Arc::<str>::from("app"),
            Arc::<str>::from("alice"),
            Arc::<str>::from("read write"),
        );
        let before = rss_bytes();
        for i in 0..n {
            let mut r = record(now);
            r.client_id = Arc::clone(&client);
            r.username = Arc::clone(&user);
            r.scope = Arc::clone(&scope);
            store
                .insert_grant((TokenHash::of(&token(i)), r), None)
                .expect("memory never fails");
        }
        let after = rss_bytes();
        let mut config = Config::default()
            .scope("read", &["GET /invoices/*"])
            .scope("write", &["POST /invoices/*"])
            .client(
                ClientConfig::confidential("app", &hash_client_secret("s"))
                    .grant_types(&["password"])
                    .scopes(&["read", "write"]),
            )
            .user(UserConfig::new(
                "alice",
                &hash_password(
                    "pw",
                    HashParams {
                        m_cost: 64,
                        t_cost: 1,
                        p_cost: 1,
                    },
                )
                .expect("hash"),
            ))
            .rule(RuleConfig::new(&["* /invoices/*"]).users(&["alice"]));
        config.password_hashing = HashParams {
            m_cost: 64,
            t_cost: 1,
            p_cost: 1,
        };
        config.allow_weak_password_hashing = true;
        let server = Server::builder(config)
            .store(store.clone())
            .build()
            .expect("server");
        // Check a spread of the live tokens, so that the lookups miss the cache as a real load would.
        let sample: Vec<String> = (0..4096u64)
            .map(|i| token(i.wrapping_mul(2_654_435_761) % n))
            .collect();
        let mut medians = Vec::new();
        for _round in 0..7 {
            let iters = 200_000;
            let start = Instant::now();
            for i in 0..iters {
                let t = &sample[i % sample.len()];
                std::hint::black_box(
                    server
                        .check(t, "GET /invoices/42", Some("read"))
                        .expect("check"),
                );
            }
            medians.push(start.elapsed().as_nanos() as f64 / iters as f64);
        }
        medians.sort_by(|a, b| a.total_cmp(b));
        println!(
            "{{\"live_tokens\": {n}, \"bytes_per_token\": {:.1}, \"check_ns\": {:.1}}}",
            after.saturating_sub(before) as f64 / n as f64,
            medians[medians.len() / 2]
        );
    }
}
