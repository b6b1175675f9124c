#!/usr/bin/env python3
"""The core's modules form layers: no module depends, through any chain of
others, on itself. A module of `core/src` (a file or a folder) depends on
another when its code (comments and unit tests aside) names it as
`crate::<module>`. Run by `make lint`; prints the graph with `--print`."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "core", "src")


def sources(path):
    if path.endswith(".rs"):
        return [path]
    return [os.path.join(d, f) for d, _, fs in os.walk(path) for f in fs if f.endswith(".rs")]


def graph():
    modules = {}
    for entry in os.listdir(ROOT):
        name = entry[:-3] if entry.endswith(".rs") else entry
        if name != "lib":
            modules[name] = sources(os.path.join(ROOT, entry))
    edges = {m: set() for m in modules}
    for module, files in modules.items():
        for path in files:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            text = re.sub(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", "", text, flags=re.S)
            text = re.sub(r"//[^\n]*", "", text)
            named = set(re.findall(r"crate::(\w+)", text))
            for group in re.findall(r"use crate::\{([^;]*)\}", text, flags=re.S):
                named |= set(re.findall(r"(?:^|[,{\s])(\w+)(?=::|\s*[,}]|$)", group))
            edges[module] |= {n for n in named if n in modules and n != module}
    return edges


def cycles(edges):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def main():
    edges = graph()
    if "--print" in sys.argv:
        for module in sorted(edges):
            print(f"{module} -> {', '.join(sorted(edges[module])) or '-'}")
    found = cycles(edges)
    if found:
        sys.exit("core modules that depend on each other: " + "; ".join(" <-> ".join(c) for c in found))
    # The check must see the modules it claims to check.
    assert {"server", "store", "error", "accounts"} <= set(edges), sorted(edges)


if __name__ == "__main__":
    main()
