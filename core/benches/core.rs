//! Rust-level figures (divan): `make bench`. The cross-language comparison
//! with the peers is a separate harness.

use ropc_core::*;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

struct Fixture {
    server: Server,
    client: ClientCredentials,
    tokens: Vec<String>,
    phc: String,
}

/// One confidential client, grants password and refresh_token, scopes
/// `read write`, one user, OWASP argon2id, 1000 live access tokens.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (secret, hash) = generate_client_secret();
        let phc = hash_password("correct horse", HashParams::OWASP).expect("hash");
        let mut config = Config::default()
            .scope("read", &["GET /invoices/*"])
            .scope("write", &["POST /invoices/*"])
            .client(
                ClientConfig::confidential("app", &hash)
                    .grant_types(&["password", "refresh_token"])
                    .scopes(&["read", "write"]),
            )
            .user(UserConfig::new("alice", &phc))
            .rule(RuleConfig::new(&["* /invoices/*"]).users(&["alice"]));
        config.throttle.max_failures = u32::MAX;
        // The benchmark's fixture, not a recommendation: no lockouts.
        let server = Server::from_config(config).expect("config");
        let client = ClientCredentials::new("app", &secret);
        let mut first = server
            .password_grant(&client, "alice", "correct horse", Some("read write"))
            .expect("login");
        let mut tokens = vec![std::mem::take(&mut first.access_token)];
        let mut rt = first.refresh_token.take().expect("refresh token");
        while tokens.len() < 1000 {
            let mut t = server.refresh_grant(&client, &rt, None).expect("refresh");
            tokens.push(std::mem::take(&mut t.access_token));
            rt = t.refresh_token.take().expect("refresh token");
        }
        Fixture {
            server,
            client,
            tokens,
            phc,
        }
    })
}

#[divan::bench(threads = [1, 2], sample_count = 20, sample_size = 1)]
fn password_grant_owasp() {
    let f = fixture();
    divan::black_box(
        f.server
            .password_grant(&f.client, "alice", "correct horse", Some("read write"))
            .expect("grant"),
    );
}

#[divan::bench(sample_count = 20, sample_size = 1)]
fn bare_argon2id_verify_owasp(bencher: divan::Bencher) {
    use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
    let f = fixture();
    let parsed = PasswordHash::new(&f.phc).expect("phc");
    bencher.bench(|| {
        argon2::Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok()
    });
}

#[divan::bench(sample_size = 200)]
fn refresh_grant_with_rotation(bencher: divan::Bencher) {
    let f = fixture();
    let mut current = f
        .server
        .password_grant(&f.client, "alice", "correct horse", Some("read write"))
        .expect("grant")
        .refresh_token
        .take()
        .expect("rt");
    bencher.bench_local(|| {
        let mut t = f
            .server
            .refresh_grant(&f.client, &current, None)
            .expect("refresh");
        current = t.refresh_token.take().expect("rt");
    });
}

#[divan::bench(sample_size = 2000)]
fn bearer_check(bencher: divan::Bencher) {
    let f = fixture();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % f.tokens.len();
        divan::black_box(
            f.server
                // The arguments opaque too, as a request's are: constants
                // would let LTO fold the resource's parsing into the loop.
                .check(
                    &f.tokens[i],
                    divan::black_box("GET /invoices/42"),
                    divan::black_box(Some("read")),
                )
                .expect("check"),
        );
    });
}
