//! How long answers about host accounts take, measured on the wall clock:
//! a host whose password check takes 25-35 ms (like bcrypt at cost 10-11)
//! and whose "unknown user" takes 1 ms. Without pacing an attacker tells
//! them apart at a glance; with ropc's pacing the unknown user, the wrong
//! password, the disabled owner and the locked account take the same time.
//!
//!     cargo run --release -p ropc-core --example bench_accounts [SAMPLES]
//!
//! Prints one JSON document (medians and 90th percentiles in ms per
//! outcome, with and without pacing). `make bench-accounts` writes it and a
//! table to bench/results/accounts.{json,md}.

use ropc_core::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct SlowHost {
    seed: AtomicU64,
}

impl SlowHost {
    fn jitter_ms(&self) -> u64 {
        // xorshift: no dependency for a little noise.
        let mut x = self.seed.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::Relaxed);
        x % 11
    }
}

impl Accounts for SlowHost {
    fn verify(&self, username: &str, password: &str) -> Result<Verification, HostError> {
        let known = matches!(username, "alice" | "dave" | "mallory");
        if !known {
            std::thread::sleep(Duration::from_millis(1));
            return Ok(Verification::UnknownUser);
        }
        std::thread::sleep(Duration::from_millis(25 + self.jitter_ms()));
        if password != format!("{username}-pw") {
            return Ok(Verification::WrongPassword);
        }
        let mut owner = Owner::new(["staff"]);
        owner.enabled = username != "dave";
        Ok(Verification::Verified(owner))
    }
    fn lookup(&self, username: &str) -> Result<Option<Owner>, HostError> {
        Ok(matches!(username, "alice" | "dave" | "mallory").then(|| Owner::new(["staff"])))
    }
}

fn config(pacing: bool) -> Config {
    let mut c = Config::default().scope("read", &["GET /docs/*"]).client(
        ClientConfig::confidential("app", &hash_client_secret("app-secret"))
            .grant_types(&["password"])
            .scopes(&["read"])
            .default_scopes(&["read"]),
    );
    c.throttle = ThrottleConfig {
        max_failures: 1_000_000,
        lockout_seconds: 3600,
        forget_after_seconds: 7200,
    };
    // With a floor above the host's slowest check, or none (the target is
    // then the 9-in-10 time of the host's recent checks).
    c.accounts.min_verify_ms = if pacing { 40 } else { 0 };
    c
}

fn stats(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    serde_json::json!({"median_ms": (at(0.5) * 10.0).round() / 10.0, "p90_ms": (at(0.9) * 10.0).round() / 10.0,
                       "min_ms": (at(0.0) * 10.0).round() / 10.0, "max_ms": (at(1.0) * 10.0).round() / 10.0})
}

/// The four outcomes a host answers, each timed `samples` times through `f`.
fn measure(samples: usize, f: impl Fn(&str, &str)) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    for (name, user, pw) in [
        ("right password", "alice", "alice-pw"),
        ("wrong password", "alice", "nope"),
        ("unknown user", "nobody", "nope"),
        ("disabled", "dave", "dave-pw"),
    ] {
        let ms = (0..samples).map(|_| time(|| f(user, pw))).collect();
        out.insert(name.into(), stats(ms));
    }
    out
}

fn time(f: impl Fn()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let samples: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let app = ClientCredentials::new("app", "app-secret");
    let host = Arc::new(SlowHost {
        seed: AtomicU64::new(0x9E37_79B9_7F4A_7C15),
    });

    // The host alone: what an attacker sees without ropc's pacing.
    let raw = measure(samples, |user, pw| drop(host.verify(user, pw)));

    let server = Server::builder(config(true))
        .accounts(host.clone())
        .build()
        .expect("config");
    let mut paced = measure(samples, |user, pw| {
        drop(server.password_grant(&app, user, pw, None))
    });
    // A locked account: a server whose throttle locks after one failure.
    let mut locking = config(true);
    locking.throttle.max_failures = 1;
    let locked = Server::builder(locking)
        .accounts(host)
        .build()
        .expect("config");
    // Warm its pacing target with the host's real checks, then lock mallory.
    for _ in 0..20 {
        drop(locked.password_grant(&app, "alice", "alice-pw", None));
    }
    drop(locked.password_grant(&app, "mallory", "nope", None));
    let ms = (0..samples)
        .map(|_| time(|| drop(locked.password_grant(&app, "mallory", "mallory-pw", None))))
        .collect();
    paced.insert("locked".into(), stats(ms));

    // No floor: the target is the 9-in-10 time of the host's own checks.
    let adaptive_server = Server::builder(config(false))
        .accounts(Arc::new(SlowHost {
            seed: AtomicU64::new(0x2545_F491_4F6C_DD1D),
        }))
        .build()
        .expect("config");
    for _ in 0..20 {
        drop(adaptive_server.password_grant(&app, "alice", "alice-pw", None));
    }
    let adaptive = measure(samples, |user, pw| {
        drop(adaptive_server.password_grant(&app, user, pw, None))
    });

    let out = serde_json::json!({
        "samples": samples,
        "host": "password check 25-35 ms, unknown user 1 ms",
        "min_verify_ms": 40,
        "without_pacing": raw,
        "with_ropc": paced,
        "with_ropc_no_floor": adaptive,
        "pace_target_us": server.accounts_stats().pace_target_us,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
