#!/usr/bin/env python3
"""The declared MSRV holds for everything we build: no crate this workspace
compiles for the host (dependencies of every kind, resolved) declares a
`rust-version` newer than the workspace's. A check of the declarations, run
by `make lint`; the machine has no older toolchain to build with."""
import json
import platform
import subprocess
import sys


def version(s):
    parts = [int(x) for x in s.split(".")[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    host = f"{platform.machine()}-unknown-linux-gnu"
    meta = json.loads(subprocess.run(["cargo", "metadata", "--format-version", "1", "--filter-platform", host],
                                     check=True, capture_output=True, text=True).stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    members = meta["workspace_members"]
    declared = {packages[m]["rust_version"] for m in members}
    if len(declared) != 1 or None in declared:
        sys.exit(f"every workspace member must declare the same rust-version: {declared}")
    msrv = declared.pop()
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    seen, todo = set(), list(members)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        todo.extend(d["pkg"] for d in nodes[node]["deps"])
    newer = sorted(f"{packages[p]['name']} {packages[p]['version']} needs Rust {packages[p]['rust_version']}"
                   for p in seen if packages[p].get("rust_version") and version(packages[p]["rust_version"]) > version(msrv))
    if newer:
        sys.exit(f"the workspace declares rust-version {msrv}, but:\n  " + "\n  ".join(newer))
    print(f"rust-version {msrv}: the {len(seen)} crates built for {host} all accept it")


if __name__ == "__main__":
    main()
