#!/usr/bin/env python3
"""The HTTP figures (bench/http/run.py's JSON) as bench/results/http.json,
http.md and http_chart.png, with the speed issue's HTTP targets checked.

    report_http.py RAW/http.json OUT_DIR
"""
import json
import os
import sys
from datetime import datetime, timezone

from report import machine

FIGURES = [("introspection", "introspection"), ("resource", "protected resource, checked in process"),
           ("resource_via_introspection", "protected resource via the example RS → C introspection"),
           ("resource_via_cached_introspection", "the same, the RS caching answers 5 s (opt-in)"),
           ("refresh", "refresh with rotation"), ("password_2", "password grant, 2 connections"),
           ("password_8", "password grant, 8 connections")]
PEERS = ("Authlib (gunicorn)", "node-oauth2-server (Express)")
EMPTY = "empty app: "  # a server's ceiling, not an OAuth server


def rate(servers, server, figure):
    return servers.get(server, {}).get(figure, {}).get("rps")


def best_peer(servers, figure):
    rates = [r for r in (rate(servers, p, figure) for p in PEERS) if r]
    return max(rates) if rates else None


def targets(servers):
    """(target, measured ratio, the floor) rows."""
    rows = []
    ropc = [s for s in servers if s not in PEERS and not s.startswith(EMPTY)]

    def ratio(server, figure, against):
        mine = rate(servers, server, figure)
        return mine / against if mine and against else None

    for figure, label in FIGURES:
        peer = best_peer(servers, "resource" if figure.startswith("resource_via") else figure)
        if not peer:
            continue
        floor = 1.25 if figure.startswith("password") else 1.0
        for s in ropc:
            r = ratio(s, figure, peer)
            if r is not None:
                what = "≥ the peers' in-process check" if figure.startswith("resource_via") else f"≥ {floor:g}× the best peer"
                rows.append((f"{s}, {label}: {what}", r, floor))
    for figure in ("introspection", "refresh", "resource"):
        peer = best_peer(servers, figure)
        rows.append((f"ropc C ≥ 20× the best peer, {figure}", ratio("ropc C", figure, peer), 20))
        authlib = rate(servers, PEERS[0], figure)
        for s in ("ropc WSGI (gunicorn)", "ropc ASGI (uvicorn)"):
            rows.append((f"{s} ≥ 3× Authlib, {figure}", ratio(s, figure, authlib), 3))
        node_peer = rate(servers, PEERS[1], figure)
        if node_peer:
            rows.append((f"ropc Node ≥ 5× node-oauth2-server, {figure}", ratio("ropc Node", figure, node_peer), 5))
    return rows


def chart(servers, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(servers)
    fig, axes = plt.subplots(2, 4, figsize=(19, 8.5))
    for i, (ax, (figure, label)) in enumerate(zip(axes.flat, FIGURES)):
        values = [rate(servers, n, figure) or 0 for n in names]
        colors = ["#888888" if n in PEERS else "#dddddd" if n.startswith(EMPTY) else "#1f6fb2" for n in names]
        ax.barh(range(len(names)), values, color=colors)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names if i % 4 == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()
        ax.set_title(label, fontsize=9)
        shown = [v for v in values if v > 0]
        if max(shown, default=0) / max(min(shown, default=1), 1) > 20:
            ax.set_xscale("log")
            ax.set_xlim(min(shown) / 2, max(shown) * 4)
            ax.set_xlabel("requests/s (log scale)", fontsize=8)
        else:
            ax.set_xlim(0, max(shown, default=1) * 1.3)
            ax.set_xlabel("requests/s", fontsize=8)
        for y, v in enumerate(values):
            if v:
                ax.text(v, y, f" {v:,.0f}", va="center", fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
    for ax in list(axes.flat)[len(FIGURES):]:
        ax.axis("off")
    fig.suptitle("ropc over HTTP (wrk on loopback): blue ropc, grey the peers, light grey empty apps "
                 "(each server's ceiling)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main():
    raw, out = sys.argv[1], sys.argv[2]
    with open(raw, encoding="utf-8") as f:
        data = json.load(f)
    servers = data["servers"]
    rows = targets(servers)
    result = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "wrk": {k: data[k] for k in ("seconds", "runs", "connections")}, "servers": servers,
              "targets": [{"target": t, "ratio": r, "floor": f, "met": r is not None and r >= f} for t, r, f in rows]}
    with open(os.path.join(out, "http.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    m = result["machine"]
    lines = ["# ropc over HTTP", "",
             f"{result['date']} on {m['cpu']}, {m['cores']} cores. `wrk` on loopback, one thread, "
             f"{data['connections']} connections unless said, {data['seconds']} s a run, best of {data['runs']}; "
             "the servers and wrk share the machine. argon2id at OWASP's parameters everywhere. "
             "Requests a second (p50 / p99 latency in ms; non-2xx answers and socket errors over all runs, "
             "shown when not 0).", ""]
    lines.append("| server | " + " | ".join(label for _, label in FIGURES) + " |")
    lines.append("|---|" + "---:|" * len(FIGURES))
    for s, figs in servers.items():
        cells = []
        for figure, _ in FIGURES:
            r = figs.get(figure)
            if not r:
                cells.append("n/a")
                continue
            bad = r["non2xx"] + r["socket_errors"]
            cells.append(f"{r['rps']:,.0f} ({r['p50_ms']:.2f} / {r['p99_ms']:.2f})" + (f" **{bad} failed**" if bad else ""))
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets", "", "| target | measured | met |", "|---|---:|:---:|"]
    for t in result["targets"]:
        measured = f"{t['ratio']:.2f}×" if t["ratio"] is not None else "n/a"
        lines.append(f"| {t['target']} | {measured} | {'yes' if t['met'] else '**no**'} |")
    with open(os.path.join(out, "http.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    chart(servers, os.path.join(out, "http_chart.png"))


if __name__ == "__main__":
    main()
