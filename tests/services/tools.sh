#!/usr/bin/env bash
# What `make test` needs beyond what it installs itself, checked before it
# starts: Debian's valgrind, g++, pkg-config and cmake are installed when missing (as root with
# apt-get); the rest (a Rust toolchain with clippy and rustfmt, a nightly
# toolchain for the sanitizers and fuzzing, Python 3 with venv, Node 20 with
# npm, a C compiler, pkg-config) is listed in one message if missing.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=common.sh
. "$top/tests/services/common.sh"

ensure_packages 'command -v valgrind' "valgrind (the C tests run under it)" valgrind
ensure_packages 'command -v g++' "g++ (a C++ program includes ropc.h)" g++
ensure_packages 'command -v pkg-config' "pkg-config (a C program builds against the installed library)" pkg-config
ensure_packages 'command -v cmake' "cmake (a C++ program finds the C tarball with find_package)" cmake

missing=()
need() { # need "what" command...
  local what=$1
  shift
  "$@" >/dev/null 2>&1 || missing+=("$what")
}
need "cargo and rustc (rustup.rs)" cargo --version
need "clippy (rustup component add clippy)" cargo clippy --version
need "rustfmt (rustup component add rustfmt)" cargo fmt --version
need "a nightly toolchain, for the sanitizers and fuzzing (rustup toolchain install nightly)" cargo +nightly --version
need "a C compiler (cc)" cc --version
need "Python 3 with venv (apt-get install python3-venv)" python3 -c 'import venv, ensurepip'
need "Node 20 or later" node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'
need "npm" npm --version
if [ ${#missing[@]} -gt 0 ]; then
  echo "make test needs, and could not install:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi
echo "== tools: all present" >&2
