"""bench/results/accounts.md from the JSON `bench_accounts` prints."""
import json
import sys

data = json.load(open(sys.argv[1]))
out = [
    "# Timing of answers about host accounts",
    "",
    f"Host: {data['host']}; {data['samples']} samples per row; wall clock, release build.",
    "Median / 90th percentile / max, in ms. Without pacing an unknown user answers",
    "thirty times faster than a wrong password; with ropc every refusal takes the same.",
    "",
    "| outcome | host alone | ropc, min_verify_ms 40 | ropc, no floor (p90 of the host) |",
    "|---|---|---|---|",
]


def fmt(s):
    return f"{s['median_ms']} / {s['p90_ms']} / {s['max_ms']}" if s else "-"


for k in ["right password", "wrong password", "unknown user", "disabled", "locked"]:
    out.append(f"| {k} | {fmt(data['without_pacing'].get(k))} | {fmt(data['with_ropc'].get(k))} | "
               f"{fmt(data['with_ropc_no_floor'].get(k))} |")
out += ["", "With no floor, a refusal takes at least the 9-in-10 time of the host's recent checks; a",
        "check slower than that is not padded, so set `accounts.min_verify_ms` at or above the",
        "host's slowest usual check (the default, 100 ms, covers bcrypt up to cost 11 or so)."]
open(sys.argv[2], "w").write("\n".join(out) + "\n")
