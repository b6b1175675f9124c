#!/usr/bin/env python3
"""Gathers what `make bench` measured (in RAW_DIR) into results.json,
results.md and chart.png in OUT_DIR, with the targets of issue 7 checked.

usage: report.py RAW_DIR OUT_DIR"""
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_divan(text):
    """Divan's tree -> {"bench/arg": median seconds}."""
    out, path = {}, []
    for line in text.splitlines():
        if "│" not in line and "├" not in line and "╰" not in line:
            continue
        m = re.match(r"^((?:│  |   )*)(?:├─|╰─) (\S+)(.*)$", line)
        if not m:
            continue
        depth = len(m.group(1)) // 3
        path = path[:depth] + [m.group(2)]
        cols = [c.strip() for c in m.group(3).split("│")]
        if len(cols) >= 3 and cols[2]:
            value, unit = cols[2].split()
            out["/".join(path)] = float(value) * UNITS[unit]
    return out


def load(raw, name):
    with open(os.path.join(raw, name), encoding="utf-8") as f:
        return f.read()


def calls(text):
    """The median of each figure over the runs, one JSON line a run. The
    Makefile alternates the Rust and the C runs, so that a slow spell of
    the machine falls on both."""
    runs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {k: statistics.median_low(r[k] for r in runs) for k in runs[0]} | {"runs": len(runs)}


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1), "os": platform.platform(), "rustc": rustc}


def main():
    raw, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    divan = parse_divan(load(raw, "divan.txt"))
    live = [json.loads(line) for line in load(raw, "live.jsonl").splitlines() if line.strip()]
    rust_calls, c_calls = calls(load(raw, "rust_calls.json")), calls(load(raw, "c_calls.json"))
    py, node = json.loads(load(raw, "python.json")), json.loads(load(raw, "node.json"))
    # The grant's own work beyond argon2, measured with argon2's cheapest
    # parameters (core/examples/bench_grant_vs_argon2.rs): two 20 ms
    # figures timed apart on this machine differ by more than 2%.
    overhead = json.loads(load(raw, "grant_vs_argon2.json"))

    rust = {
        "password_grant_ms": divan["password_grant_owasp/t=1"] * 1e3,
        "password_grant_2_threads_per_s": 2 / divan["password_grant_owasp/t=2"],
        "bare_argon2id_verify_ms": divan["bare_argon2id_verify_owasp"] * 1e3,
        "refresh_grant_us": divan["refresh_grant_with_rotation"] * 1e6,
        "bearer_check_ns": divan["bearer_check"] * 1e9,
        "password_grant_added_us": overhead["grant_added_us"],
        "kept_memory_argon2id_verify_ms": overhead["kept_memory_argon2id_verify_ms"],
    }
    pl, nl = py["libraries"], node["libraries"]
    fastest_py_refresh = max(pl["oauthlib"]["refresh_grant_per_s"], pl["authlib"]["refresh_grant_per_s"])
    ratios = {
        "python_refresh_vs_fastest_peer": pl["ropc"]["refresh_grant_per_s"] / fastest_py_refresh,
        "node_refresh_vs_peer": nl["ropc"]["refresh_grant_per_s"] / nl["node-oauth2-server"]["refresh_grant_per_s"],
        "python_bearer_vs_authlib": pl["ropc"]["bearer_check_per_s"] / pl["authlib"]["bearer_check_per_s"],
        "node_bearer_vs_peer": nl["ropc"]["bearer_check_per_s"] / nl["node-oauth2-server"]["bearer_check_per_s"],
        "rust_bearer_checks_per_s_per_core": 1e9 / rust["bearer_check_ns"],
        "password_grant_vs_bare_argon2id": overhead["grant_over_bare"],
        # Python threads and Node Promises: divan's own threads=2 figure is
        # reported beside it but includes its per-sample barrier.
        "password_grant_2_threads_speedup": min(pl["ropc"]["password_grant_2_threads_per_s"] / pl["ropc"]["password_grant_per_s"],
                                                nl["ropc"]["password_grant_2_concurrent_per_s"] / nl["ropc"]["password_grant_per_s"]),
        "c_check_vs_rust": c_calls["check_ns"] / rust_calls["check_ns"],
        "c_refresh_vs_rust": c_calls["refresh_ns"] / rust_calls["refresh_ns"],
        "max_bytes_per_live_token": max(row["bytes_per_token"] for row in live if row["live_tokens"] >= 100_000),
        "check_latency_10m_vs_1k": live[-1]["check_ns"] / live[0]["check_ns"],
    }
    targets = [
        ("refresh grant ≥ 20× the fastest peer (Python)", ratios["python_refresh_vs_fastest_peer"] >= 20, f"{ratios['python_refresh_vs_fastest_peer']:.1f}×"),
        ("refresh grant ≥ 20× the peer (Node)", ratios["node_refresh_vs_peer"] >= 20, f"{ratios['node_refresh_vs_peer']:.1f}×"),
        ("bearer check ≥ 3× Authlib (Python)", ratios["python_bearer_vs_authlib"] >= 3, f"{ratios['python_bearer_vs_authlib']:.1f}×"),
        ("bearer check ≥ 5× node-oauth2-server (Node)", ratios["node_bearer_vs_peer"] >= 5, f"{ratios['node_bearer_vs_peer']:.1f}×"),
        ("≥ 3 million bearer checks a second a core (Rust)", ratios["rust_bearer_checks_per_s_per_core"] >= 3e6, f"{ratios['rust_bearer_checks_per_s_per_core'] / 1e6:.2f} M/s"),
        ("password grant within 2% of bare argon2id", ratios["password_grant_vs_bare_argon2id"] <= 1.02, f"{(ratios['password_grant_vs_bare_argon2id'] - 1) * 100:+.1f}% ({rust['password_grant_added_us']:.0f} µs)"),
        ("password grant close to 2× on 2 threads (Python, Node)", ratios["password_grant_2_threads_speedup"] >= 1.8, f"{ratios['password_grant_2_threads_speedup']:.2f}×"),
        ("C within 10% of Rust (check)", ratios["c_check_vs_rust"] <= 1.10, f"{(ratios['c_check_vs_rust'] - 1) * 100:+.0f}%"),
        ("C within 10% of Rust (refresh)", ratios["c_refresh_vs_rust"] <= 1.10, f"{(ratios['c_refresh_vs_rust'] - 1) * 100:+.0f}%"),
        ("≤ 256 bytes a live token", ratios["max_bytes_per_live_token"] <= 256, f"{ratios['max_bytes_per_live_token']:.0f} B"),
        ("check latency flat from 1k to 10M live tokens", ratios["check_latency_10m_vs_1k"] <= 1.5, f"{ratios['check_latency_10m_vs_1k']:.2f}× at {live[-1]['live_tokens']:,}"),
    ]
    result = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": {"python": py["versions"], "node": node["versions"]},
        "rust": rust, "rust_calls": rust_calls, "c_calls": c_calls, "live_tokens": live,
        "python": py, "node": node, "ratios": ratios,
        "targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in targets],
    }
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)

    m = result["machine"]
    md = ["# ropc benchmark results\n", f"{result['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {m['rustc']}; "
          f"Python {py['versions']['python']}, Node {node['versions']['node']}. Medians of repeated runs; ops/s, higher is better.\n",
          "## From Python\n", "| figure | ropc | oauthlib | Authlib |", "|---|---:|---:|---:|"]
    for key, label in (("password_grant_per_s", "password grant (argon2id, OWASP)"), ("password_grant_2_threads_per_s", "password grant, 2 threads"),
                       ("refresh_grant_per_s", "refresh grant with rotation"), ("bearer_check_per_s", "bearer check (scope + resource)")):
        md.append(f"| {label} | {pl['ropc'][key]:,.0f} | {pl['oauthlib'][key]:,.0f} | {pl['authlib'][key]:,.0f} |")
    md.append(f"\nargon2-cffi bare verification: {py['argon2_cffi_verify_per_s']:,.1f}/s.\n")
    md += ["## From Node\n", "| figure | ropc | @node-oauth/oauth2-server |", "|---|---:|---:|"]
    for key, label in (("password_grant_per_s", "password grant (argon2id, OWASP)"), ("password_grant_2_concurrent_per_s", "password grant, 2 in flight"),
                       ("refresh_grant_per_s", "refresh grant with rotation"), ("bearer_check_per_s", "bearer check (scope + resource)")):
        md.append(f"| {label} | {nl['ropc'][key]:,.0f} | {nl['node-oauth2-server'][key]:,.0f} |")
    md.append(f"\nargon2 (npm) bare verification: {node['argon2_verify_per_s']:,.1f}/s.\n")
    md += ["## Rust and C\n", "| figure | value |", "|---|---:|",
           f"| password grant | {rust['password_grant_ms']:.2f} ms |", f"| bare argon2id verification | {rust['bare_argon2id_verify_ms']:.2f} ms |",
           f"| what a password grant adds to its argon2id verification (median of {overhead['cheap_rounds']:,} by turns, argon2 at its cheapest) | {rust['password_grant_added_us']:.0f} µs |",
           f"| password grant, 2 threads (divan, with its per-sample barrier) | {rust['password_grant_2_threads_per_s']:,.0f}/s |",
           f"| refresh grant with rotation | {rust['refresh_grant_us']:.2f} µs |", f"| bearer check | {rust['bearer_check_ns']:.0f} ns |",
           f"| check / refresh in a Rust loop | {rust_calls['check_ns']:.0f} ns / {rust_calls['refresh_ns']:.0f} ns |",
           f"| check / refresh through libropc from C | {c_calls['check_ns']:.0f} ns / {c_calls['refresh_ns']:.0f} ns |",
           f"| checks a second on {rust_calls.get('threads', '?')} threads at once, a token each (Rust) | "
           f"{rust_calls.get('parallel_checks_per_s', 0):,.0f} |", "",
           "| live tokens | bytes a token | check latency |", "|---:|---:|---:|"]
    for row in live:
        md.append(f"| {row['live_tokens']:,} | {row['bytes_per_token']:.0f} | {row['check_ns']:.0f} ns |")
    md += ["\n## Targets\n", "| target | measured | met |", "|---|---:|:---:|"]
    for t in result["targets"]:
        md.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    for ax, title, libs, keys in (
        (axes[0], "From Python", [("ropc", pl["ropc"]), ("oauthlib", pl["oauthlib"]), ("Authlib", pl["authlib"])],
         ["password_grant_per_s", "password_grant_2_threads_per_s", "refresh_grant_per_s", "bearer_check_per_s"]),
        (axes[1], "From Node", [("ropc", nl["ropc"]), ("node-oauth2-server", nl["node-oauth2-server"])],
         ["password_grant_per_s", "password_grant_2_concurrent_per_s", "refresh_grant_per_s", "bearer_check_per_s"]),
    ):
        labels = ["password grant", "password grant\n×2 parallel", "refresh grant", "bearer check"]
        width = 0.8 / len(libs)
        for i, (name, values) in enumerate(libs):
            xs = [k + i * width for k in range(len(keys))]
            bars = ax.bar(xs, [values[k] for k in keys], width, label=name)
            for x, b in zip(xs, bars):
                ax.text(x, b.get_height() * 1.1, f"{b.get_height():,.0f}", ha="center", fontsize=7, rotation=90)
        ax.set_yscale("log")
        ax.set_xticks([k + width * (len(libs) - 1) / 2 for k in range(len(keys))], labels)
        ax.set_ylabel("operations per second (log)")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.suptitle(f"ropc beside its peers ({m['cpu']}, {m['cores']} cores)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "chart.png"), dpi=110)
    print(open(os.path.join(out, "results.md"), encoding="utf-8").read())


if __name__ == "__main__":
    main()
