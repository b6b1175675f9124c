//! The calls bench/c/bench_calls.c makes through libropc, made directly in
//! Rust and timed the same way (part of `make bench`). Prints JSON.
//!
//! The arguments go through `black_box` as the result does: with constant
//! arguments, LTO specializes the check for them (the resource and scope
//! parsed at compile time), which no server's requests allow and the C
//! calls cannot get. A refresh makes its client credentials each call, as
//! libropc does from the strings each C call passes.

use ropc_core::{ClientCredentials, Server};
use std::hint::black_box;
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
            black_box(
                server
                    .check(
                        black_box(&access),
                        black_box("GET /invoices/42"),
                        black_box(Some("read")),
                    )
                    .expect("check"),
            );
        }
        check.push(start.elapsed().as_nanos() as f64 / f64::from(CHECKS));
        let start = Instant::now();
        for _ in 0..REFRESHES {
            // The credentials made for each call, as libropc makes them from
            // the C strings each call passes (and a server from each request).
            let client =
                ClientCredentials::presented(black_box("app"), black_box(Some("app-secret")));
            refresh = server
                .refresh_grant(&client, black_box(&refresh), black_box(None))
                .expect("refresh")
                .refresh_token
                .take()
                .expect("rt");
        }
        refr.push(start.elapsed().as_nanos() as f64 / f64::from(REFRESHES));
    }
    // The same check on every core at once: what shared state (the store's
    // shard locks, the metrics' counters) costs when threads meet on it.
    // Each thread checks a token of its own, as requests of different
    // grants would.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let tokens: Vec<String> = (0..threads)
        .map(|_| {
            let mut t = server
                .password_grant(&client, "alice", "pw", Some("read write"))
                .expect("grant");
            std::mem::take(&mut t.access_token)
        })
        .collect();
    let mut parallel = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        std::thread::scope(|s| {
            for token in &tokens {
                let server = &server;
                s.spawn(move || {
                    for _ in 0..CHECKS {
                        black_box(
                            server
                                .check(
                                    black_box(token),
                                    black_box("GET /invoices/42"),
                                    black_box(Some("read")),
                                )
                                .expect("check"),
                        );
                    }
                });
            }
        });
        parallel.push((threads as f64 * f64::from(CHECKS)) / start.elapsed().as_secs_f64());
    }
    check.sort_by(f64::total_cmp);
    refr.sort_by(f64::total_cmp);
    parallel.sort_by(f64::total_cmp);
    println!(
        "{{\"check_ns\": {:.1}, \"refresh_ns\": {:.1}, \"threads\": {threads}, \"parallel_checks_per_s\": {:.0}}}",
        check[ROUNDS / 2],
        refr[ROUNDS / 2],
        parallel[ROUNDS / 2]
    );
}
