//! The calls bench/c/bench_calls.c makes through libropc, made directly in
//! Rust and timed the same way (part of `make bench`). Prints JSON.

use ropc_core::{ClientCredentials, Server};
use std::time::Instant;

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: bench_calls CONFIG_JSON_FILE");
    let server = Server::from_file(path).expect("config");
    let client = ClientCredentials::new("app", "app-secret");
    let mut t = server
        .password_grant(&client, "alice", "pw", Some("read write"))
        .expect("grant");
    let access = std::mem::take(&mut t.access_token);
    let mut refresh = t.refresh_token.take().expect("refresh token");
    const ROUNDS: usize = 7;
    const CHECKS: u32 = 200_000;
    const REFRESHES: u32 = 50_000;
    let (mut check, mut refr) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..CHECKS {
            std::hint::black_box(
                server
                    .check(&access, "GET /invoices/42", Some("read"))
                    .expect("check"),
            );
        }
        check.push(start.elapsed().as_nanos() as f64 / f64::from(CHECKS));
        let start = Instant::now();
        for _ in 0..REFRESHES {
            refresh = server
                .refresh_grant(&client, &refresh, None)
                .expect("refresh")
                .refresh_token
                .take()
                .expect("rt");
        }
        refr.push(start.elapsed().as_nanos() as f64 / f64::from(REFRESHES));
    }
    check.sort_by(f64::total_cmp);
    refr.sort_by(f64::total_cmp);
    println!(
        "{{\"check_ns\": {:.1}, \"refresh_ns\": {:.1}}}",
        check[ROUNDS / 2],
        refr[ROUNDS / 2]
    );
}
