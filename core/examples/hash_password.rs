//! Prints the argon2id PHC string for a password read from standard input
//! (never from the command line, where other users could see it).
//!
//! ```sh
//! printf '%s' 'the password' | cargo run -p ropc-core --example hash_password
//! printf '%s' 'the password' | cargo run -p ropc-core --example hash_password -- --m 64 --t 1 --p 1
//! cargo run -p ropc-core --example hash_password -- --client-secret   # new client secret + hash
//! ```

use ropc_core::{generate_client_secret, hash_password, HashParams};
use std::io::Read;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--client-secret") {
        let (secret, hash) = generate_client_secret();
        println!("secret: {secret}\nsecret_hash: {hash}");
        return;
    }
    let mut params = HashParams::OWASP;
    for pair in args.chunks(2) {
        let value = pair
            .get(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage());
        match pair[0].as_str() {
            "--m" => params.m_cost = value,
            "--t" => params.t_cost = value,
            "--p" => params.p_cost = value,
            _ => usage(),
        }
    }
    let mut password = String::new();
    if std::io::stdin().read_to_string(&mut password).is_err() {
        usage();
    }
    let password = password.strip_suffix('\n').unwrap_or(&password);
    match hash_password(password, params) {
        Ok(phc) => println!("{phc}"),
        Err(e) => {
            eprintln!("hash_password: {e}");
            std::process::exit(1);
        }
    }
}

fn usage() -> ! {
    eprintln!("usage: hash_password [--m KiB --t passes --p lanes] < password\n       hash_password --client-secret");
    std::process::exit(2);
}
