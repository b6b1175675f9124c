#!/usr/bin/env python3
"""The clause table (docs/src/conformance.md) is checked, not trusted: every
row names at least one test, and every test it names exists:
- `path.rs::name`: a `#[test]` function `name` in that file;
- `path.py::name`: a function `name` (starting `test_`) in that file;
- `path.js::"title"`: a `test('title', ...)` in that file;
- `path.c::name`: a function `name` that the file's `main` calls;
- `vectors::"name"`: a case of tests/vectors/flows.json.
Run by `make lint`."""
import json
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TABLE = os.path.join(ROOT, "docs", "src", "conformance.md")
LEVELS = {"MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"}


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def exists(ref, vectors):
    path, _, name = ref.partition("::")
    if path == "vectors":
        return name.strip('"') in vectors
    if not os.path.isfile(os.path.join(ROOT, path)):
        return False
    text = read(path)
    if path.endswith(".rs"):
        return re.search(r"#\[test\]\s*(?:#\[[^\]]*\]\s*|#\[cfg_attr\([^)]*\)\]\s*)*fn " + re.escape(name) + r"\(",
                         text, re.S) is not None
    if path.endswith(".py"):
        return name.startswith("test_") and re.search(r"^def " + re.escape(name) + r"\(", text, re.M) is not None
    if path.endswith(".js"):
        title = name.strip('"')
        return f"test('{title}'" in text or f'test("{title}"' in text
    if path.endswith(".c"):
        main = text[text.find("int main("):]
        return re.search(r"^static void " + re.escape(name) + r"\(void\)", text, re.M) is not None \
            and f"{name}();" in main
    return False


def main():
    vectors = {c["name"] for c in json.loads(read("tests/vectors/flows.json"))["cases"]}
    # The resolver can say no, for every kind of reference.
    for ref in ("core/tests/dpop.rs::no_such_test", "core/tests/dpop.rs::proof",
                "bindings/python/tests/test_jwt.py::test_no_such_test", "bindings/node/test/dpop.test.js::\"no such\"",
                "tests/c/test_ropc.c::test_no_such", 'vectors::"no such case"', "no/such/file.rs::x"):
        assert not exists(ref, vectors), f"the checker takes {ref} for a test"
    problems, rows = [], 0
    for n, line in enumerate(read(TABLE).splitlines(), 1):
        if not line.startswith("| ") or line.startswith("| §") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5:
            problems.append(f"line {n}: {len(cells)} cells, not 5")
            continue
        rows += 1
        level, tests = cells[1], cells[4]
        if level not in LEVELS:
            problems.append(f"line {n}: level {level!r} is not one of {sorted(LEVELS)}")
        refs = re.findall(r"`([^`]+)`", tests)
        if not refs:
            problems.append(f"line {n}: no test shows §{cells[0]} ({cells[2]})")
        for ref in refs:
            if not exists(ref, vectors):
                problems.append(f"line {n}: no such test: {ref}")
    if rows == 0:
        problems.append("no rows found")
    for p in problems:
        print(f"docs/src/conformance.md: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"conformance table: {rows} clauses, each shown by tests that exist")


if __name__ == "__main__":
    main()
