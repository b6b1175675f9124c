#!/usr/bin/env python3
"""Gathers `make bench-jwt` (jwt_{rust,c,python,node,nginx}.json in RAW_DIR)
into jwt.json and jwt.md in OUT_DIR, beside the bearer check on PostgreSQL
and the introspection figures of the last `make bench-stores` and `make
bench-http` (their dates are printed with them), with the issue's target
checked: ropc's whole offline check in Rust ≥ 0.8× ring's raw verification.

usage: report_jwt.py RAW_DIR OUT_DIR"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine  # noqa: E402


def per_s(ns):
    return 1e9 / ns


def load(raw, name):
    with open(os.path.join(raw, f"jwt_{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def earlier(out, name):
    try:
        with open(os.path.join(out, name), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def main():
    raw, out = sys.argv[1], sys.argv[2]
    rust, c, py, node, nginx = (load(raw, n) for n in ("rust", "c", "python", "node", "nginx"))
    r = rust["ns"]
    ratio = r["ring_verify"] / r["check_jwt"]
    targets = [{"target": "Rust: the whole offline check ≥ 0.8× ring's raw Ed25519 verification",
                "measured": f"{ratio:.2f}×", "met": ratio >= 0.8}]
    stores, http = earlier(out, "stores.json"), earlier(out, "http.json")
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "rust": rust, "c": c, "python": py, "node": node, "nginx": nginx, "targets": targets}
    with open(os.path.join(out, "jwt.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    m = result["machine"]
    row = lambda name, ns, note="": f"| {name} | {per_s(ns):,.0f} | {ns / 1000:.1f} | {note} |"  # noqa: E731
    md = ["# JWT access tokens: benchmark results\n",
          f"{result['date']} on {m['cpu']}, {m['cores']} cores; {m['rustc']}. One thread, the median of seven rounds "
          f"(calls a second, higher is better). The token: EdDSA (Ed25519), {rust['token_bytes']} bytes, "
          "checked for `GET /invoices/42` with scope `read`.\n",
          "## Checking a JWT offline, one core\n",
          "| what | checks/s | µs each | what it does |", "|---|---:|---:|---|",
          row("ring, raw Ed25519 verification (Rust)", r["ring_verify"], "the signature alone: the floor"),
          row("ropc `jws::verify` (Rust)", r["jws_verify"], "strict parse (base64url, JSON without repeats, typ, alg, kid) + signature"),
          row("ropc `ResourceGuard::check_jwt` (Rust)", r["check_jwt"], "+ iss, aud, exp/nbf, scope, the owner's rules"),
          row("ropc `ropc_guard_check_jwt_request` (C)", c["ns"]["check_jwt"], "the same, through libropc"),
          row("ropc `guard.check_jwt` (Python)", py["ns"]["check_jwt"], "the same, through pyo3"),
          row("PyJWT `jwt.decode` (Python)", py["ns"]["pyjwt_decode"], "signature, iss, aud, exp (no scope or owner rules)"),
          row("ropc `guard.checkJwtRequest` (Node)", node["ns"]["check_jwt"], "the same, through napi"),
          row("jose `jwtVerify` (Node)", node["ns"]["jose_jwt_verify"], "signature, typ, iss, aud, exp (no scope or owner rules)"),
          ""]
    md += ["## Beside the other ways to check a token\n",
           "| way | checks/s | from |", "|---|---:|---|",
           f"| JWT offline (Rust, one core) | {per_s(r['check_jwt']):,.0f} | this run |",
           f"| opaque, the authorization server's own check, memory store (Rust) | {per_s(r['check_opaque']):,.0f} | this run |"]
    if stores:
        md.append(f"| opaque, a bearer check on PostgreSQL (Rust, one thread) | "
                  f"{stores['rust']['postgres']['bearer_check_per_s']:,.0f} | `make bench-stores`, {stores['date']} |")
    if http:
        servers = http.get("servers", {})
        if "introspection" in servers.get("ropc C", {}):
            md.append("| opaque, introspection over HTTP (the C example serving, wrk, 16 connections, both cores) | "
                      f"{servers['ropc C']['introspection']['rps']:,.0f} | `make bench-http`, {http['date']} |")
        if "resource_via_introspection" in servers.get("ropc Node", {}):
            md.append("| opaque, a Node resource server asking the C example's introspection per request | "
                      f"{servers['ropc Node']['resource_via_introspection']['rps']:,.0f} | `make bench-http`, {http['date']} |")
    md += ["", "A JWT check costs one Ed25519 verification, about as much as ring's verification alone: it needs "
           "no store and no round trip, so it scales with the resource servers' cores. A check on the memory store "
           "is faster still but serves only the process that holds the tokens.\n",
           "## Issuing: what a JWT adds (Rust, argon2 at m=64 t=1 to show it)\n",
           "| call | opaque µs | JWT µs | added |", "|---|---:|---:|---:|"]
    for call, label in (("grant", "password grant"), ("refresh", "refresh with rotation")):
        o, j = r[f"{call}_opaque"], r[f"{call}_jwt"]
        md.append(f"| {label} | {o / 1000:.1f} | {j / 1000:.1f} | {(j - o) / 1000:.1f} |")
    md += ["", "The JWT adds one Ed25519 signature (and its claims' JSON); at OWASP's argon2 parameters a password "
           "grant takes tens of milliseconds, so the signature is lost in it; a refresh, which needs no argon2, "
           "pays it in full.\n"]
    if "dpop_proof_check" in r:
        ratio_dpop = r["check_dpop"] / r["ring_verify"]
        targets.append({"target": "DPoP resource check ≈ one signature verification plus one replay insert "
                                  "(≤ 1.5× ring's raw verification)",
                        "measured": f"{ratio_dpop:.2f}×", "met": ratio_dpop <= 1.5})
        md += ["## DPoP (RFC 9449): what a proof costs (Rust, the memory store)\n",
               "| call | bearer µs | DPoP µs | added |", "|---|---:|---:|---:|",
               f"| password grant at the token endpoint (argon2 at m=64 t=1) | "
               f"{r['password_bearer_http'] / 1000:.1f} | {r['password_dpop_http'] / 1000:.1f} | "
               f"{(r['password_dpop_http'] - r['password_bearer_http']) / 1000:.1f} |",
               f"| refresh at the token endpoint (form parsed) | {r['refresh_bearer_http'] / 1000:.1f} | "
               f"{r['refresh_dpop_http'] / 1000:.1f} | {(r['refresh_dpop_http'] - r['refresh_bearer_http']) / 1000:.1f} |",
               f"| resource check (`check_with_proof`) | {r['check_bearer_http'] / 1000:.1f} | "
               f"{r['check_dpop'] / 1000:.1f} | {(r['check_dpop'] - r['check_bearer_http']) / 1000:.1f} |",
               "",
               f"A proof's check alone (`dpop::check`: parse, key, signature, claims) takes "
               f"{r['dpop_proof_check'] / 1000:.1f} µs beside {r['ring_verify'] / 1000:.1f} µs for ring's raw "
               "verification; the resource check adds the replay record and the token's own check. A bound grant or "
               "refresh verifies the proof and signs nothing more; at OWASP's argon2 parameters the proof is a "
               "fraction of a password grant.\n"]
    md += [
           "## Through NGINX (wrk, one thread, 16 connections, 10 s, median of 3)\n",
           "| path | requests/s |", "|---|---:|"]
    n = nginx["rps"]
    md += [f"| NGINX → upstream, no check | {n['nginx_alone']:,.0f} |",
           f"| NGINX `auth_request` → ropc C `/auth` (opaque token) → upstream | {n['forward_auth_opaque']:,.0f} |",
           f"| the same with a JWT | {n['forward_auth_jwt']:,.0f} |", "",
           "All of it on two shared cores: wrk, NGINX's worker and ropc's server compete for them, so the "
           "forward-auth figure is bounded by the subrequest's extra HTTP hop as much as by ropc's check.\n",
           "## Targets\n", "| target | measured | met |", "|---|---:|---|"]
    md += [f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |" for t in targets]
    with open(os.path.join(out, "jwt.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)  # with every target, the DPoP one included
    with open(os.path.join(out, "jwt.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


main()
