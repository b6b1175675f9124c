#!/usr/bin/env python3
"""Gathers `make bench-stores` (rust_stores.json, python_stores.json in
RAW_DIR) into stores.json and stores.md in OUT_DIR, with the targets of the
durable-store issue checked: ropc ≥ 5× Authlib (SQLAlchemy) on refresh and
bearer check, on SQLite and on PostgreSQL, in one run.

usage: report_stores.py RAW_DIR OUT_DIR"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import machine  # noqa: E402

FIGURES = (("refresh_grant_per_s", "refresh grant with rotation"), ("bearer_check_per_s", "bearer check (scope + resource)"))


def main():
    raw, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(raw, "rust_stores.json"), encoding="utf-8") as f:
        rust = json.load(f)
    with open(os.path.join(raw, "python_stores.json"), encoding="utf-8") as f:
        py = json.load(f)
    targets = []
    for db in ("sqlite", "postgres"):
        for key, label in FIGURES:
            ratio = py[db]["ropc"][key] / py[db]["authlib_sqlalchemy"][key]
            targets.append({"target": f"{label} on {db}: ropc ≥ 5× Authlib (Python)", "measured": f"{ratio:.1f}×", "met": ratio >= 5})
    result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "rust": rust, "python": py, "targets": targets}
    with open(os.path.join(out, "stores.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    m = result["machine"]
    md = ["# ropc on a database: benchmark results\n",
          f"{result['date']} on {m['cpu']}, {m['cores']} cores; {m['rustc']}. One thread, medians of repeated runs, "
          "operations a second (higher is better). SQLite: a file, WAL, synchronous=FULL for ropc (Authlib: SQLAlchemy's "
          "default, rollback journal); PostgreSQL 15 on loopback with fsync on, a database each.\n",
          "| figure | database | ropc (Rust) | ropc (Python) | Authlib + SQLAlchemy (Python) | ropc / Authlib (Python) |",
          "|---|---|---:|---:|---:|---:|"]
    for db in ("sqlite", "postgres"):
        for key, label in FIGURES:
            r, p, a = rust[db][key], py[db]["ropc"][key], py[db]["authlib_sqlalchemy"][key]
            md.append(f"| {label} | {db} | {r:,.0f} | {p:,.0f} | {a:,.0f} | {p / a:.1f}× |")
    md += ["\n## Targets\n", "| target | measured | met |", "|---|---:|:---:|"]
    for t in targets:
        md.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    with open(os.path.join(out, "stores.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
