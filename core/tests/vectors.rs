//! Runs the shared wire-level vectors (tests/vectors/flows.json), which the
//! C, Python and Node tests run too.

use ropc_core::{Config, ErrorCode, HttpRequest, HttpResponse, Principal, ResourceGuard, Server};
use serde_json::Value;
use std::collections::HashMap;

type Vars = HashMap<String, String>;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/flows.json");

/// A kind of the template language, as the vectors define it.
struct Kind {
    chars: String,
    min: usize,
    max: Option<usize>,
}

/// The vectors' `templates.kinds`: the one definition every runner uses.
fn kinds() -> &'static HashMap<String, Kind> {
    static KINDS: std::sync::OnceLock<HashMap<String, Kind>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors"))
            .expect("json");
        doc["templates"]["kinds"]
            .as_object()
            .expect("the vectors define templates.kinds")
            .iter()
            .map(|(name, k)| {
                let kind = Kind {
                    chars: k["chars"].as_str().expect("chars").to_string(),
                    min: k["min"].as_u64().expect("min") as usize,
                    max: k["max"].as_u64().map(|m| m as usize),
                };
                (name.clone(), kind)
            })
            .collect()
    })
}

/// Matches `actual` against a template with {{KIND:N}} (the vectors'
/// kinds) and {{N}}.
fn matches(template: &str, actual: &str, vars: &mut Vars) -> Result<(), String> {
    let (mut t, mut a) = (template, actual);
    while let Some(open) = t.find("{{") {
        let literal = &t[..open];
        if !a.starts_with(literal) {
            return Err(format!("expected {literal:?} at {a:?}"));
        }
        a = &a[literal.len()..];
        let close = t[open..].find("}}").ok_or("unclosed placeholder")? + open;
        let placeholder = &t[open + 2..close];
        t = &t[close + 2..];
        let taken = match placeholder.split_once(':') {
            Some((kind, _)) => {
                let k = kinds()
                    .get(kind)
                    .ok_or(format!("the vectors define no kind {kind:?}"))?;
                let taken = a.chars().take_while(|c| k.chars.contains(*c)).count();
                if taken < k.min || k.max.is_some_and(|max| taken > max) {
                    return Err(format!("expected a {kind} at {a:?}"));
                }
                taken // the kinds' characters are ASCII: chars are bytes
            }
            None => {
                let v = vars
                    .get(placeholder)
                    .ok_or(format!("unknown variable {placeholder}"))?;
                if !a.starts_with(v.as_str()) {
                    return Err(format!("expected {{{{{placeholder}}}}} at {a:?}"));
                }
                v.len()
            }
        };
        let name = placeholder.split_once(':').map_or(placeholder, |(_, n)| n);
        let value = &a[..taken];
        if let Some(prev) = vars.get(name) {
            if prev != value {
                return Err(format!("{name} was {prev:?}, now {value:?}"));
            }
        }
        vars.insert(name.to_string(), value.to_string());
        a = &a[taken..];
    }
    if t == a {
        Ok(())
    } else {
        Err(format!("expected {t:?}, got {a:?}"))
    }
}

fn substitute(s: &str, vars: &Vars) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(!out.contains("{{"), "unbound variable in {s}");
    out
}

fn opt(v: &Value, key: &str, vars: &Vars) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(|s| substitute(s, vars))
}

fn check_response(expect: &Value, resp: &HttpResponse, vars: &mut Vars) -> Result<(), String> {
    if expect.get("principal").is_some() {
        return Err(format!(
            "expected a principal, got {} {}",
            resp.status, resp.body
        ));
    }
    if expect["status"].as_u64() != Some(u64::from(resp.status)) {
        return Err(format!("status {} (body {})", resp.status, resp.body));
    }
    let headers: Vec<Value> = resp
        .headers
        .iter()
        .map(|(n, v)| serde_json::json!([n, v]))
        .collect();
    if expect["headers"].as_array() != Some(&headers) {
        return Err(format!("headers {headers:?}"));
    }
    let template = substitute_keep_captures(expect["body"].as_str().unwrap_or_default(), vars);
    matches(&template, &resp.body, vars)
}

/// Substitutes {{N}} but leaves {{token:N}} and {{int:N}} for matching.
fn substitute_keep_captures(s: &str, vars: &Vars) -> String {
    let mut out = s.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

fn check_principal(expect: &Value, p: &Principal) -> Result<(), String> {
    let want = expect
        .get("principal")
        .ok_or(format!("expected an error, got principal {p:?}"))?;
    let got = serde_json::json!({
        "username": p.username, "client_id": p.client_id, "scopes": p.scopes, "groups": p.groups,
    });
    if *want != got {
        return Err(format!("principal {got} != {want}"));
    }
    Ok(())
}

fn run_step(
    server: &Server,
    guard: &ResourceGuard,
    keys: &ropc_core::jws::KeySet,
    step: &Value,
    vars: &mut Vars,
) -> Result<(), String> {
    let req = &step["request"];
    let expect = &step["expect"];
    match step["endpoint"].as_str().unwrap_or_default() {
        endpoint @ ("token" | "introspect" | "revoke") => {
            let method = opt(req, "method", vars).unwrap_or_default();
            let content_type = opt(req, "content_type", vars);
            let authorization = opt(req, "authorization", vars);
            let body = opt(req, "body", vars).unwrap_or_default();
            let dpop = opt(req, "dpop", vars);
            let http = HttpRequest {
                method: &method,
                content_type: content_type.as_deref(),
                authorization: authorization.as_deref(),
                body: body.as_bytes(),
                dpop: dpop.as_deref(),
            };
            let resp = match endpoint {
                "token" => server.token_endpoint(&http),
                "introspect" => server.introspection_endpoint(&http),
                _ => server.revocation_endpoint(&http),
            };
            check_response(expect, &resp, vars)
        }
        "resource" => {
            let authorization = opt(req, "authorization", vars);
            let resource = opt(req, "resource", vars).unwrap_or_default();
            let scope = opt(req, "scope", vars);
            match server.check_request(authorization.as_deref(), &resource, scope.as_deref()) {
                Ok(p) => check_principal(expect, &p),
                Err(refusal) => check_response(expect, &refusal.response, vars),
            }
        }
        "guard" => {
            let json = req["introspection"].as_str().unwrap_or_default();
            let resource = opt(req, "resource", vars).unwrap_or_default();
            let scope = opt(req, "scope", vars);
            match guard.check_introspection_response(json, &resource, scope.as_deref()) {
                Ok(p) => check_principal(expect, &p),
                Err(refusal) => check_response(expect, &refusal.response, vars),
            }
        }
        "guard_jwt" => {
            let authorization = opt(req, "authorization", vars);
            let resource = opt(req, "resource", vars).unwrap_or_default();
            let scope = opt(req, "scope", vars);
            match guard.check_jwt_request(
                authorization.as_deref(),
                keys,
                &resource,
                scope.as_deref(),
            ) {
                Ok(p) => check_principal(expect, &p),
                Err(refusal) => check_response(expect, &refusal.response, vars),
            }
        }
        other => Err(format!("unknown endpoint {other}")),
    }
}

#[test]
fn shared_vectors() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors")).expect("json");
    let config = Config::from_json(&doc["config"].to_string()).expect("config");
    let cases = doc["cases"].as_array().expect("cases");
    let keys =
        ropc_core::jws::KeySet::from_json(doc["jwks"].as_str().expect("jwks")).expect("keys");
    let mut failures = Vec::new();
    let mut steps = 0;
    for case in cases {
        let mut config = config.clone();
        if let Some(store) = case.get("store") {
            config.store = serde_json::from_value(store.clone()).expect("a case's store");
        }
        let mut builder = Server::builder(config.clone());
        if let Some(now) = case.get("clock").and_then(Value::as_u64) {
            builder = builder.clock(std::sync::Arc::new(ropc_core::ManualClock::new(now)));
        }
        let server = builder.build().expect("server");
        let guard = ResourceGuard::new(&config).expect("guard");
        let mut vars = Vars::new();
        for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            steps += 1;
            if let Err(e) = run_step(&server, &guard, &keys, step, &mut vars) {
                failures.push(format!("{} / step {i}: {e}", case["name"]));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= 20 && steps >= 90,
        "the vectors were not all read"
    );
}

#[test]
fn template_matcher_can_fail() {
    let mut vars = Vars::new();
    assert!(matches("a{{int:n}}b", "a12b", &mut vars).is_ok());
    assert_eq!(vars["n"], "12");
    assert!(matches("a{{int:n}}b", "a13b", &mut vars).is_err());
    assert!(matches("x{{token:t}}", "xshort", &mut vars).is_err());
    assert!(
        matches("x{{nokind:t}}", "x1", &mut vars).is_err(),
        "kinds come from the vectors"
    );
    assert!(matches("{\"a\":1}", "{\"a\":2}", &mut vars).is_err());
}

#[test]
fn shared_resource_names() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(VECTORS).expect("vectors")).expect("json");
    let cases = doc["resource_names"].as_array().expect("resource_names");
    assert!(
        cases.len() >= 20,
        "the resource-name vectors were not all read"
    );
    for case in cases {
        let (method, target) = (
            case["method"].as_str().unwrap(),
            case["target"].as_str().unwrap(),
        );
        let got = ropc_core::resource_name(method, target);
        match case["name"].as_str() {
            Some(want) => assert_eq!(got.as_deref(), Ok(want), "{method} {target}"),
            None => assert_eq!(
                got.map_err(|e| e.code()),
                Err(ErrorCode::InvalidRequest),
                "{method} {target}"
            ),
        }
    }
}
