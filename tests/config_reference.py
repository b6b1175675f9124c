#!/usr/bin/env python3
"""The configuration reference (docs/src/configuration.md, "Reference") is
checked against the configuration types: every field of every struct in
core/src/config.rs (and the argon2 parameters, password.rs's HashParams),
under the path a document spells it (serde's names: `type` for a client's
kind), is a row of the reference, and every row names a field that exists.
Run by `make lint`."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# Where each struct sits in the document. Config's own fields of these
# types are sections, not leaves.
PREFIX = {
    "Config": "", "HashParams": "password_hashing.", "ThrottleConfig": "throttle.",
    "ForwardAuthConfig": "forward_auth.", "SigningConfig": "signing.", "DpopNonceConfig": "dpop_nonce.",
    "AccountsConfig": "accounts.", "StoreConfig": "store.", "ScopeConfig": "scopes[].",
    "ClientConfig": "clients[].", "UserConfig": "users[].", "RuleConfig": "rules[].",
}
SECTIONS = {"password_hashing", "throttle", "forward_auth", "signing", "dpop_nonce", "accounts", "store",
            "scopes", "clients", "users", "rules"}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def fields(source, name, kind="struct"):
    """The serde names of a struct's fields (or of every variant's, for the
    store's tagged enum, plus its tag)."""
    m = re.search(rf"^pub {kind} {name} \{{\n(.*?)^\}}", source, re.M | re.S)
    assert m, f"no {kind} {name}"
    body, out = m.group(1), []
    rename = None
    for line in body.splitlines():
        r = re.search(r'rename = "([^"]+)"', line)
        if r:
            rename = r.group(1)
        f = re.match(r"\s*(?:pub )?([a-z_][a-z0-9_]*): ", line)
        if f:
            out.append(rename or f.group(1))
            rename = None
    if kind == "enum":
        out.append("type")  # #[serde(tag = "type")]
    return out


def main():
    config, password = read("core/src/config.rs"), read("core/src/password.rs")
    expected = set()
    for struct, prefix in PREFIX.items():
        if struct == "HashParams":
            names = fields(password, struct)
        elif struct == "StoreConfig":
            names = fields(config, struct, "enum")
        else:
            names = fields(config, struct)
        expected |= {prefix + n for n in names if not (struct == "Config" and n in SECTIONS)}
    doc = read("docs/src/configuration.md")
    reference = doc[doc.index("## Reference"):doc.index("## Resource names")]
    documented = set()
    for line in reference.splitlines():
        if line.startswith("| `"):
            documented |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    problems = [f"not in the reference: {p}" for p in sorted(expected - documented)]
    problems += [f"in the reference, not in the types: {p}" for p in sorted(documented - expected)]
    for p in problems:
        print(f"docs/src/configuration.md: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"configuration reference: {len(expected)} fields, each documented")


if __name__ == "__main__":
    main()
