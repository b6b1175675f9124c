//! Refresh with rotation and a bearer check on SQLite and PostgreSQL, from
//! Rust, one thread (part of `make bench`). Prints one JSON object.
//!
//! usage: bench_stores CONFIG_JSON_FILE SQLITE_PATH POSTGRES_URL

use ropc_core::{ClientCredentials, Config, Server, StoreConfig};
use std::time::{Duration, Instant};

/// Median operations a second of `f` over five runs of a second each.
fn rate(mut f: impl FnMut()) -> f64 {
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_millis(300) {
        f();
    }
    let mut runs: Vec<f64> = (0..5)
        .map(|_| {
            let (start, mut n) = (Instant::now(), 0u64);
            while start.elapsed() < Duration::from_secs(1) {
                f();
                n += 1;
            }
            n as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[2]
}

fn measure(config: &Config, store: StoreConfig) -> String {
    let mut config = config.clone();
    config.store = store;
    let server = Server::from_config(config).expect("server");
    let client = ClientCredentials::new("app", "app-secret");
    let t = server
        .password_grant(&client, "alice", "pw", Some("read write"))
        .expect("grant");
    let mut refresh = t.refresh_token.clone().expect("refresh token");
    let refresh_per_s = rate(|| {
        refresh = server
            .refresh_grant(&client, &refresh, None)
            .expect("refresh")
            .refresh_token
            .clone()
            .expect("rt");
    });
    let live: Vec<String> = (0..1000)
        .map(|_| {
            let t = server
                .refresh_grant(&client, &refresh, None)
                .expect("refresh");
            refresh = t.refresh_token.clone().expect("rt");
            t.access_token.clone()
        })
        .collect();
    let mut i = 0;
    let check_per_s = rate(|| {
        i = (i + 1) % live.len();
        std::hint::black_box(
            server
                .check(&live[i], "GET /invoices/42", Some("read"))
                .expect("check"),
        );
    });
    format!(
        "{{\"refresh_grant_per_s\": {refresh_per_s:.1}, \"bearer_check_per_s\": {check_per_s:.1}}}"
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, sqlite, postgres] = args.as_slice() else {
        panic!("usage: bench_stores CONFIG_JSON_FILE SQLITE_PATH POSTGRES_URL");
    };
    let config =
        Config::from_json(&std::fs::read_to_string(config).expect("config file")).expect("config");
    let _ = std::fs::remove_file(sqlite);
    let sqlite = measure(
        &config,
        StoreConfig::Sqlite {
            path: sqlite.clone(),
            pool_size: None,
            busy_timeout_ms: None,
            durable: None,
        },
    );
    let postgres = measure(&config, StoreConfig::postgres(postgres.clone()));
    println!("{{\"sqlite\": {sqlite}, \"postgres\": {postgres}}}");
}
