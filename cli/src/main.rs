//! `ropc`: hash a password, generate a client secret, check a configuration
//! file. The commands live in the core (`ropc_core::cli`), shared with
//! `python -m ropc` and `npx ropc`.

fn main() -> std::process::ExitCode {
    let status = ropc_core::cli::run(std::env::args_os().skip(1));
    std::process::ExitCode::from(u8::try_from(status).unwrap_or(1))
}
