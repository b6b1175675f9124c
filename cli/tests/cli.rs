//! The `ropc` binary as an operator runs it.

use ropc_core::{
    ClientConfig, ClientCredentials, Config, HashParams, RuleConfig, Server, UserConfig,
};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn ropc(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ropc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads its input closes the pipe early.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const CHEAP: HashParams = HashParams {
    m_cost: 64,
    t_cost: 1,
    p_cost: 1,
};

fn config_with(user_hash: &str, secret_hash: &str) -> Config {
    let mut c = Config::default()
        .scope("read", &["GET /docs/*"])
        .client(
            ClientConfig::confidential("app", secret_hash)
                .grant_types(&["password"])
                .scopes(&["read"]),
        )
        .user(UserConfig::new("alice", user_hash))
        .rule(RuleConfig::new(&["GET /docs/*"]).users(&["alice"]));
    c.password_hashing = CHEAP;
    c.allow_weak_password_hashing = true;
    c
}

#[test]
fn hash_password_and_generate_secret_make_what_a_server_accepts() {
    let out = ropc(
        &["hash-password", "--m-cost", "64", "--t-cost", "1"],
        "pässword 1\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let phc = text(&out.stdout).trim_end().to_string();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
    assert!(
        text(&out.stderr).contains("below OWASP's minimums"),
        "warned"
    );
    assert!(!text(&out.stdout).contains("pässword") && !text(&out.stderr).contains("pässword"));

    let out = ropc(&["generate-secret"], "");
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (secret, hash) = (
        v["secret"].as_str().unwrap(),
        v["secret_hash"].as_str().unwrap(),
    );
    assert_eq!(secret.len(), 43, "256 bits, base64url");

    let server = Server::from_config(config_with(&phc, hash)).unwrap();
    let app = ClientCredentials::new("app", secret);
    let granted = server.password_grant(&app, "alice", "pässword 1", Some("read"));
    assert!(
        granted.is_ok(),
        "one line ending is dropped, the rest kept: {:?}",
        granted.err()
    );
    assert!(server
        .password_grant(&app, "alice", "pässword 1\n", Some("read"))
        .is_err());

    // The default parameters are OWASP's, and say nothing.
    let out = ropc(&["hash-password"], "pw\r\n");
    assert!(text(&out.stdout).starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn hash_password_refuses_an_empty_password_and_bad_parameters() {
    let out = ropc(&["hash-password"], "\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("empty"), "{}", text(&out.stderr));
    let out = ropc(&["hash-password", "--m-cost", "1"], "pw");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("m=1"), "{}", text(&out.stderr));
    let out = ropc(&["hash-password", "--m-cost", "lots"], "pw");
    assert_eq!(out.status.code(), Some(2));
    let out = ropc(&["hash-password", "hunter2"], "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "a password on the command line is refused"
    );
}

#[test]
fn check_config_says_ok_or_what_is_wrong_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ropc.json");
    let path = file.to_str().unwrap();
    let hash = ropc_core::hash_password("pw", CHEAP).unwrap();
    let (_, secret_hash) = ropc_core::generate_client_secret();
    std::fs::write(&file, config_with(&hash, &secret_hash).to_json()).unwrap();
    let out = ropc(&["check-config", path], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("{path}: ok: 1 scopes, 1 clients (1 with the password grant), 1 users, 1 rules, store: memory\n")
    );
    // With a host's accounts the users must go.
    let out = ropc(&["check-config", "--host-accounts", path], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("at users:"),
        "{}",
        text(&out.stderr)
    );

    let mut c = config_with(&hash, &secret_hash);
    c.rules[0].users = vec!["alcie".into()];
    std::fs::write(&file, c.to_json()).unwrap();
    let out = ropc(&["check-config", path], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("ropc: invalid configuration in {path} at rules[0].users[0]: no configured user is named \"alcie\"\n")
    );
    std::fs::write(&file, "{\n  \"scopes\": 7\n}").unwrap();
    let out = ropc(&["check-config", path], "");
    assert!(
        text(&out.stderr).contains("at scopes (line 2, column"),
        "{}",
        text(&out.stderr)
    );
    let out = ropc(&["check-config", "/no/such/ropc.json"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/no/such/ropc.json"));
    assert_eq!(ropc(&["check-config"], "").status.code(), Some(2));
    assert_eq!(ropc(&["frobnicate"], "").status.code(), Some(2));
    assert!(ropc(&["--help"], "").status.success());
}

#[test]
fn the_version_and_the_checks_a_newcomer_trips_on() {
    let out = ropc(&["--version"], "");
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("ropc {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(text(&ropc(&["--help"], "").stdout).contains("ropc --version"));

    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        path.display().to_string()
    };
    // A file cut short: where it ends and why, no "?" for a path.
    let cut = write("cut.json", "{\n");
    let out = ropc(&["check-config", &cut], "");
    assert_eq!(out.status.code(), Some(1));
    let why = text(&out.stderr);
    assert!(
        why.contains("(line 2, column 1)") && why.contains("ends before the document does"),
        "{why}"
    );
    assert!(!why.contains(" at ?"), "{why}");

    // A PostgreSQL store whose url_env is unset: known without connecting.
    let pg = write(
        "pg.json",
        r#"{"store": {"type": "postgres", "url_env": "ROPC_SURELY_UNSET_URL"}}"#,
    );
    let out = ropc(&["check-config", &pg], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("store.url_env")
            && text(&out.stderr).contains("ROPC_SURELY_UNSET_URL"),
        "{}",
        text(&out.stderr)
    );

    // Rules naming groups only a host's accounts have: the hint names the flag.
    let groups = write(
        "groups.json",
        r#"{"rules": [{"resources": ["GET /*"], "groups": ["staff"]}]}"#,
    );
    let out = ropc(&["check-config", &groups], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--host-accounts"),
        "{}",
        text(&out.stderr)
    );
    assert!(ropc(&["check-config", &groups, "--host-accounts"], "")
        .status
        .success());
}
