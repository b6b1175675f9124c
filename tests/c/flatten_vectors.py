#!/usr/bin/env python3
"""Turns tests/vectors/flows.json into a line format a C test reads with
fgets: one `KEY value` per line, tab between fields, a missing line for a
null. Usage: flatten_vectors.py flows.json out_dir (writes config.json,
jwks.json and vectors.txt there)."""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
doc = json.load(open(src, encoding="utf-8"))
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
    json.dump(doc["config"], f)
with open(os.path.join(out, "jwks.json"), "w", encoding="utf-8") as f:
    f.write(doc["jwks"])
# The template language's kinds (see generate.py): name, chars, min, max (-1: none).
lines = [f"KIND {k}\t{v['chars']}\t{v['min']}\t{-1 if v['max'] is None else v['max']}"
         for k, v in doc["templates"]["kinds"].items()]
for i, case in enumerate(doc["cases"]):
    if "clock" in case:
        # Before its CASE: the case's server is made on the test clock at this time.
        lines.append(f"CLOCK {case['clock']}")
    if "store" in case:
        # A case on another store gets a configuration file of its own.
        name = f"config-{i}.json"
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump({**doc["config"], "store": case["store"]}, f)
        lines.append(f"CASE {case['name']}\t{name}")
    else:
        lines.append("CASE " + case["name"])
    for step in case["steps"]:
        lines.append("STEP " + step["endpoint"])
        for key, value in step["request"].items():
            if value is not None:
                lines.append(f"REQ {key}\t{value}")
        e = step["expect"]
        if "principal" in e:
            p = e["principal"]
            lines.append("PRINCIPAL " + "\t".join([p["username"], p["client_id"], " ".join(p["scopes"]), " ".join(p["groups"])]))
        else:
            lines.append(f"STATUS {e['status']}")
            for name, value in e["headers"]:
                lines.append(f"HEADER {name}\t{value}")
            lines.append("BODY " + e["body"])
        lines.append("END")
# The resource-name rule: method, target, name ("!" for a refusal), tab-separated.
with open(os.path.join(out, "resource_names.txt"), "w", encoding="utf-8") as f:
    for r in doc["resource_names"]:
        f.write(f"{r['method']}\t{r['target']}\t{r['name'] if r['name'] is not None else '!'}\n")
for line in lines:
    assert "\n" not in line and "\r" not in line, line
with open(os.path.join(out, "vectors.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
