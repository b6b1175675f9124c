//! The command line: what operators do by hand, one implementation behind
//! the Rust binary `ropc` (crate `ropc-cli`), `python -m ropc` and `npx ropc`:
//!
//! - `ropc hash-password [--m-cost KIB] [--t-cost N] [--p-cost N]`: an
//!   argon2id hash for a user's `password_hash`. The password is read from
//!   standard input (asked twice without echo on a terminal), never from the
//!   command line, where `ps` and the shell's history would keep it.
//! - `ropc generate-secret`: a new client secret and its `secret_hash`, as
//!   one JSON object.
//! - `ropc check-config FILE [--host-accounts]`: validates a configuration
//!   file as a server would (without opening its store).
//!
//! Exit status: 0 done, 1 refused (with the reason on standard error),
//! 2 wrong usage.

use crate::secret::Wiped;
use crate::{Config, HashParams};
use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};

const USAGE: &str = "usage:
  ropc hash-password [--m-cost KIB] [--t-cost N] [--p-cost N]   (password on stdin)
  ropc generate-secret
  ropc check-config FILE [--host-accounts]
  ropc --version";

/// A command's failure: what to print, and whether it was the usage.
enum Failure {
    Usage(String),
    Refused(String),
}

impl From<lexopt::Error> for Failure {
    fn from(e: lexopt::Error) -> Self {
        Failure::Usage(e.to_string())
    }
}

/// Runs one command with its arguments (without the program's name),
/// reading standard input and writing standard output and error; returns
/// the exit status.
pub fn run<I>(args: I) -> i32
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    match command(lexopt::Parser::from_args(args)) {
        Ok(()) => 0,
        Err(Failure::Usage(why)) => {
            eprintln!("ropc: {why}\n{USAGE}");
            2
        }
        Err(Failure::Refused(why)) => {
            eprintln!("ropc: {why}");
            1
        }
    }
}

fn command(mut args: lexopt::Parser) -> Result<(), Failure> {
    use lexopt::prelude::*;
    let command = match args.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help")) | Some(Short('h')) => {
            return say(format_args!("{USAGE}"));
        }
        Some(Long("version")) | Some(Short('V')) => {
            return say(format_args!("ropc {}", env!("CARGO_PKG_VERSION")));
        }
        Some(other) => return Err(Failure::Usage(other.unexpected().to_string())),
        None => return Err(Failure::Usage("which command?".into())),
    };
    match command.as_str() {
        "hash-password" => {
            let (mut m, mut t, mut p) = (None, None, None);
            while let Some(arg) = args.next()? {
                match arg {
                    Long("m-cost") => m = Some(args.value()?.parse()?),
                    Long("t-cost") => t = Some(args.value()?.parse()?),
                    Long("p-cost") => p = Some(args.value()?.parse()?),
                    other => return Err(other.unexpected().into()),
                }
            }
            hash_password(HashParams::OWASP.with(m, t, p))
        }
        "generate-secret" => {
            if let Some(arg) = args.next()? {
                return Err(arg.unexpected().into());
            }
            let (secret, secret_hash) = crate::generate_client_secret();
            let secret = Wiped::new(secret);
            say(format_args!(
                "{}",
                serde_json::json!({"secret": &*secret, "secret_hash": secret_hash})
            ))
        }
        "check-config" => {
            let mut file = None;
            let mut host_accounts = false;
            while let Some(arg) = args.next()? {
                match arg {
                    Long("host-accounts") => host_accounts = true,
                    Value(v) if file.is_none() => file = Some(v.string()?),
                    other => return Err(other.unexpected().into()),
                }
            }
            let file = file.ok_or_else(|| Failure::Usage("check-config needs a FILE".into()))?;
            let config = Config::from_file(&file).map_err(|e| Failure::Refused(e.to_string()))?;
            let summary = config
                .check(host_accounts)
                .map_err(|e| e.in_file(file.clone()))
                .map_err(|e| {
                    // Rules naming owners when the file lists none: they are
                    // likely a host's (LDAP, SQL), which the flag says.
                    let hint = if !host_accounts
                        && config.users.is_empty()
                        && e.path().starts_with("rules[")
                    {
                        "\n(if the resource owners are a host's accounts, an LDAP directory or a SQL table, check with --host-accounts)"
                    } else {
                        ""
                    };
                    Failure::Refused(format!("{e}{hint}"))
                })?;
            say(format_args!("{file}: ok: {summary}"))
        }
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
}

/// The password from standard input: asked twice without echo on a
/// terminal, else everything read up to the end, less one line ending.
fn read_password() -> Result<Wiped<String>, Failure> {
    let refused = |e: std::io::Error| Failure::Refused(format!("cannot read the password: {e}"));
    if std::io::stdin().is_terminal() {
        let first = Wiped::new(rpassword::prompt_password("Password: ").map_err(refused)?);
        let again = Wiped::new(rpassword::prompt_password("Again: ").map_err(refused)?);
        if *first != *again {
            return Err(Failure::Refused("the two passwords differ".into()));
        }
        return Ok(first);
    }
    let mut raw = Wiped::new(Vec::new());
    std::io::stdin().read_to_end(&mut raw).map_err(refused)?;
    let mut text = Wiped::new(
        String::from_utf8(std::mem::take(&mut *raw))
            .map_err(|_| Failure::Refused("the password is not UTF-8".into()))?,
    );
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

fn hash_password(params: HashParams) -> Result<(), Failure> {
    params
        .validate()
        .map_err(|e| Failure::Refused(e.to_string()))?;
    if let Err(weak) = params.check_strong() {
        eprintln!(
            "ropc: warning: {weak}; a server refuses it unless allow_weak_password_hashing is set (tests only)"
        );
    }
    let password = read_password()?;
    let phc = crate::hash_password(&password, params)
        .map_err(|e| Failure::Refused(format!("cannot hash the password: {e}")))?;
    say(format_args!("{phc}"))
}

/// One line on standard output (the command's answer).
fn say(line: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{line}")
        .map_err(|e| Failure::Refused(format!("cannot write the answer: {e}")))
}
