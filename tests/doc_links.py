#!/usr/bin/env python3
"""Every link in the book (docs/src) and the top-level documents resolves:
a relative path names a file or directory of the repository (from the
linking file's place), an anchor names a heading of its page (mdbook's and
GitHub's ids: lower-cased, spaces to '-', other punctuation dropped, a
repeat numbered), and every chapter is in SUMMARY.md. External links are
not fetched (the build machines have no internet). `make docs` and `make
lint` run it."""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BOOK = os.path.join(ROOT, "docs", "src")
TOP = ["README.md", "CONTRIBUTING.md", "SECURITY.md", "CHANGELOG.md", "examples/readme/README.md"]


def strip_code(text):
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def ids(path):
    out, seen = set(), {}
    for line in strip_code(open(path, encoding="utf-8").read()).splitlines():
        m = re.match(r"^#{1,6} (.*)$", line)
        if not m:
            continue
        text = re.sub(r"<[^>]+>|`", "", m.group(1))
        base = "".join(c.lower() if c.isascii() else c for c in text
                       if c.isalnum() or c in "_-" or c.isspace())
        base = re.sub(r"\s", "-", base)
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path):
    text = strip_code(open(path, encoding="utf-8").read())
    text = re.sub(r"`[^`\n]*`", "", text)
    return re.findall(r"\]\(([^)\s]+)\)", text)


def main():
    problems = []
    chapters = sorted(f for f in os.listdir(BOOK) if f.endswith(".md"))
    summary = open(os.path.join(BOOK, "SUMMARY.md"), encoding="utf-8").read()
    listed = set(re.findall(r"\]\(([^)]+\.md)\)", summary))
    for f in chapters:
        if f != "SUMMARY.md" and f not in listed:
            problems.append(f"docs/src/{f}: not in SUMMARY.md")
    files = [os.path.join(BOOK, f) for f in chapters] + [os.path.join(ROOT, f) for f in TOP]
    count = 0
    for path in files:
        if not os.path.exists(path):
            continue
        for target in links(path):
            count += 1
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http(s), mailto: not fetched
            file, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
            where = os.path.relpath(path, ROOT)
            if not os.path.exists(dest):
                problems.append(f"{where}: {target}: no such file")
            elif anchor and dest.endswith(".md") and anchor not in ids(dest):
                problems.append(f"{where}: {target}: no such heading")
    # Every chapter with Rust code runs it: core/src/lib.rs includes it.
    lib = open(os.path.join(ROOT, "core", "src", "lib.rs"), encoding="utf-8").read()
    for f in chapters:
        if "```rust" in open(os.path.join(BOOK, f), encoding="utf-8").read() and \
                f'include_str!("../../docs/src/{f}")' not in lib:
            problems.append(f"docs/src/{f}: its Rust blocks are not doc tests (core/src/lib.rs)")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"documentation links: {count} links in {len(files)} files resolve")


if __name__ == "__main__":
    main()
