//! The conformance suite for [`Accounts`]: what every implementation, and
//! every binding's callback adapter, must answer. `make test` runs it on the
//! configured users, a Rust host, the C adapter, the Python adapter and the
//! Node adapter (each binding exposes it to its tests).

use crate::accounts::{Accounts, Owner, Verification};
use std::collections::BTreeSet;

/// What the implementation under test holds: one enabled owner with a
/// password and groups, one disabled owner with a password, and a name it
/// does not know.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// An enabled owner.
    pub username: String,
    /// Its password.
    pub password: String,
    /// Its groups.
    pub groups: Vec<String>,
    /// A disabled owner and its password.
    pub disabled: (String, String),
    /// A name with no account.
    pub unknown: String,
}

impl Fixture {
    /// The fixture every suite in this repository uses: `alice` /
    /// `alice-pw` in `staff`, `dave` / `dave-pw` disabled, `nobody` unknown.
    pub fn standard() -> Fixture {
        Fixture {
            username: "alice".into(),
            password: "alice-pw".into(),
            groups: vec!["staff".into()],
            disabled: ("dave".into(), "dave-pw".into()),
            unknown: "nobody".into(),
        }
    }
}

fn groups(o: &Owner) -> BTreeSet<&str> {
    o.groups.iter().map(String::as_str).collect()
}

fn expect(what: &str, ok: bool, got: impl std::fmt::Debug) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}"))
    }
}

/// Runs every check; the first that fails says what and what came back.
pub fn run(accounts: &(dyn Accounts + '_), f: &Fixture) -> Result<(), String> {
    let want: BTreeSet<&str> = f.groups.iter().map(String::as_str).collect();
    let verified = |v: &Result<Verification, _>| matches!(v, Ok(Verification::Verified(o)) if o.enabled && groups(o) == want);

    let v = accounts.verify(&f.username, &f.password);
    expect(
        "the right password verifies, with the owner's groups",
        verified(&v),
        &v,
    )?;
    let v = accounts.verify(&f.username, &format!("{}x", f.password));
    expect(
        "a wrong password is WrongPassword",
        matches!(v, Ok(Verification::WrongPassword)),
        &v,
    )?;
    let v = accounts.verify(&f.unknown, &f.password);
    expect(
        "an unknown name is UnknownUser",
        matches!(v, Ok(Verification::UnknownUser)),
        &v,
    )?;
    // Truncation at a NUL byte (C strings) must never verify a password.
    let v = accounts.verify(&f.username, &format!("{}\0tail", f.password));
    expect(
        "the password followed by a NUL byte and more is not the password",
        matches!(v, Ok(Verification::WrongPassword)),
        &v,
    )?;
    let prefix: String = f
        .password
        .chars()
        .take(f.password.chars().count().saturating_sub(1))
        .collect();
    if !prefix.is_empty() {
        let v = accounts.verify(&f.username, &prefix);
        expect(
            "a prefix of the password is wrong",
            matches!(v, Ok(Verification::WrongPassword)),
            &v,
        )?;
    }
    for odd in ["ünïcödé-名前", &"n".repeat(crate::MAX_NAME_BYTES)] {
        let v = accounts.verify(odd, "x");
        expect(
            "an odd unknown name is UnknownUser",
            matches!(v, Ok(Verification::UnknownUser)),
            &v,
        )?;
    }
    let (disabled, disabled_pw) = &f.disabled;
    let v = accounts.verify(disabled, disabled_pw);
    expect(
        "a disabled owner's right password verifies as disabled",
        matches!(&v, Ok(Verification::Verified(o)) if !o.enabled),
        &v,
    )?;

    let l = accounts.lookup(&f.username);
    expect(
        "lookup finds the owner with its groups",
        matches!(&l, Ok(Some(o)) if o.enabled && groups(o) == want),
        &l,
    )?;
    let l = accounts.lookup(disabled);
    expect(
        "lookup says a disabled owner is disabled",
        matches!(&l, Ok(Some(o)) if !o.enabled),
        &l,
    )?;
    let l = accounts.lookup(&f.unknown);
    expect(
        "lookup of an unknown name is None",
        matches!(l, Ok(None)),
        &l,
    )?;

    // Many threads at once, each with the right answer.
    let failures = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                s.spawn(move || {
                    let mut bad = Vec::new();
                    for j in 0..4 {
                        let right = (i + j) % 2 == 0;
                        let pw = if right {
                            f.password.clone()
                        } else {
                            format!("{}x", f.password)
                        };
                        let v = accounts.verify(&f.username, &pw);
                        let ok = if right {
                            verified(&v)
                        } else {
                            matches!(v, Ok(Verification::WrongPassword))
                        };
                        if !ok {
                            bad.push(format!("{v:?}"));
                        }
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec!["a thread panicked".into()])
            })
            .collect::<Vec<_>>()
    });
    expect(
        "concurrent verifications each get their own answer",
        failures.is_empty(),
        failures,
    )
}
