#!/usr/bin/env python3
"""One version: the workspace manifest's. Every place that states a version
states it: the Node package (and its platform packages' pins), the C
header's ROPC_VERSION_* macros (which ffi's unit test ties to the crate),
and the version a built library reports is the crate's (CARGO_PKG_VERSION
in the core, pyo3's module and napi's addon). The Python package takes it
from Cargo (maturin's dynamic version) and the soname from the Makefile's
read of the manifest. Run by `make lint`."""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def main():
    workspace = re.search(r'^\[workspace\.package\]\s*\nversion = "([^"]+)"', read("Cargo.toml"), re.M)
    assert workspace, "Cargo.toml has no [workspace.package] version"
    version = workspace.group(1)
    problems = []
    node = json.loads(read("bindings/node/package.json"))
    if node["version"] != version:
        problems.append(f"bindings/node/package.json says {node['version']}")
    for name, pin in node.get("optionalDependencies", {}).items():
        if name.startswith("@ropc/") and pin != version:
            problems.append(f"bindings/node/package.json pins {name} at {pin}")
    header = dict(re.findall(r"#define ROPC_VERSION_(MAJOR|MINOR|PATCH) (\d+)", read("include/ropc.h")))
    if ".".join(header.get(k, "?") for k in ("MAJOR", "MINOR", "PATCH")) != version:
        problems.append(f"include/ropc.h says {header}")
    for manifest in ("core", "ffi", "cli", "bindings/python", "bindings/node"):
        if "version.workspace = true" not in read(f"{manifest}/Cargo.toml"):
            problems.append(f"{manifest}/Cargo.toml does not take the workspace's version")
    pyproject = read("bindings/python/pyproject.toml")
    if 'dynamic = ["version"]' not in pyproject:
        problems.append("bindings/python/pyproject.toml does not take its version from Cargo")
    if problems:
        sys.exit(f"the version is {version} in Cargo.toml, but:\n  " + "\n  ".join(problems))


main()
