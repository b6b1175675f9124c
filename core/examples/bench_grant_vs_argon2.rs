//! What a password grant costs beyond its argon2id verification (part of
//! `make bench`). Prints JSON.
//!
//! Two verifications of 20 ms, timed one after the other on this shared
//! machine, differ by 5-10% from one run to the next: more than the 2%
//! being measured. So the overhead is measured where it can be resolved:
//! a grant whose hash has argon2's cheapest parameters, by turns with that
//! same cheap verification made directly, thousands of times; the median
//! difference is everything the grant adds (client authentication, the
//! argon2 thread's hand-off both ways, throttling, two tokens, the store,
//! the response). That is set against one OWASP verification.
//!
//! The OWASP figures are printed too, by turns: the grant, argon2's
//! `verify_password` as a caller makes it (19 MiB allocated each time),
//! and the verification as ropc's argon2 threads make it (the memory kept
//! from one to the next).
//!
//!     bench_grant_vs_argon2 [OWASP_ROUNDS] [CHEAP_ROUNDS]

use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use ropc_core::{
    generate_client_secret, hash_password, ClientConfig, ClientCredentials, Config, HashParams,
    RuleConfig, Server, UserConfig,
};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

/// A server whose one user's password is hashed with `params`, a client
/// to ask with, and that hash.
fn fixture(params: HashParams) -> (Server, ClientCredentials, String) {
    let (secret, hash) = generate_client_secret();
    let phc = hash_password("correct horse", params).expect("hash");
    let mut config = Config::default()
        .scope("read", &["GET /invoices/*"])
        .client(
            ClientConfig::confidential("app", &hash)
                .grant_types(&["password"])
                .scopes(&["read"]),
        )
        .user(UserConfig::new("alice", &phc))
        .rule(RuleConfig::new(&["* /invoices/*"]).users(&["alice"]));
    config.throttle.max_failures = u32::MAX;
    // The user's hash has the server's own parameters, so a login never
    // re-hashes it.
    config.password_hashing = params;
    config.allow_weak_password_hashing = true;
    let server = Server::from_config(config).expect("config");
    (server, ClientCredentials::new("app", &secret), phc)
}

fn grant(server: &Server, client: &ClientCredentials) {
    std::hint::black_box(
        server
            .password_grant(client, "alice", "correct horse", Some("read"))
            .expect("grant"),
    );
}

/// The verification as ropc's argon2 threads make it: memory kept, the
/// output compared in constant time.
struct Kept {
    params: Params,
    salt: Vec<u8>,
    expected: Vec<u8>,
    memory: Vec<Block>,
}

impl Kept {
    fn new(phc: &str) -> Kept {
        let parsed = PasswordHash::new(phc).expect("phc");
        let params = Params::try_from(&parsed).expect("params");
        let salt = parsed.salt.as_ref().expect("salt").to_vec();
        let memory = vec![Block::default(); params.block_count()];
        Kept {
            params,
            salt,
            expected: parsed.hash.as_ref().expect("hash").as_bytes().to_vec(),
            memory,
        }
    }

    fn verify(&mut self) {
        let mut out = vec![0u8; self.expected.len()];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
            .hash_password_into_with_memory(
                b"correct horse",
                &self.salt,
                &mut out,
                &mut self.memory,
            )
            .expect("argon2");
        let ok: bool =
            subtle::ConstantTimeEq::ct_eq(out.as_slice(), self.expected.as_slice()).into();
        assert!(
            std::hint::black_box(ok),
            "the kept-memory verification failed"
        );
    }
}

fn main() {
    let arg = |i: usize, default: usize| {
        std::env::args()
            .nth(i)
            .map_or(default, |n| n.parse().expect("ROUNDS: a number"))
    };
    let (owasp_rounds, cheap_rounds) = (arg(1, 20), arg(2, 4000));

    let (server, client, phc) = fixture(HashParams::OWASP);
    let parsed = PasswordHash::new(&phc).expect("phc");
    let mut kept = Kept::new(&phc);
    let bare = || {
        let ok = Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok();
        assert!(std::hint::black_box(ok), "the bare verification failed");
    };
    // Warm each (the argon2 thread and its memory, the allocator).
    grant(&server, &client);
    bare();
    kept.verify();
    let (mut g, mut b, mut k) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..owasp_rounds {
        // The order turns each round, so none always follows another.
        for j in 0..3 {
            match (i + j) % 3 {
                0 => g.push(seconds(|| grant(&server, &client))),
                1 => b.push(seconds(bare)),
                _ => k.push(seconds(|| kept.verify())),
            }
        }
    }

    let cheap = HashParams {
        m_cost: 8,
        t_cost: 1,
        p_cost: 1,
    };
    let (cheap_server, cheap_client, cheap_phc) = fixture(cheap);
    let mut cheap_kept = Kept::new(&cheap_phc);
    grant(&cheap_server, &cheap_client);
    cheap_kept.verify();
    let mut added = Vec::new();
    for i in 0..cheap_rounds {
        let (tg, tk) = if i % 2 == 0 {
            let tg = seconds(|| grant(&cheap_server, &cheap_client));
            (tg, seconds(|| cheap_kept.verify()))
        } else {
            let tk = seconds(|| cheap_kept.verify());
            (seconds(|| grant(&cheap_server, &cheap_client)), tk)
        };
        added.push(tg - tk);
    }
    let bare_ms = median(b) * 1e3;
    let added_us = median(added) * 1e6;
    println!(
        "{{\"owasp_rounds\": {owasp_rounds}, \"cheap_rounds\": {cheap_rounds}, \"password_grant_ms\": {:.3}, \"bare_argon2id_verify_ms\": {bare_ms:.3}, \"kept_memory_argon2id_verify_ms\": {:.3}, \"grant_added_us\": {added_us:.1}, \"grant_over_bare\": {:.5}}}",
        median(g) * 1e3,
        median(k) * 1e3,
        1.0 + added_us / (bare_ms * 1e3),
    );
}
