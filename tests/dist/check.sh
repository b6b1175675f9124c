#!/usr/bin/env bash
# `make test-dist`: every artifact of `make dist` installed and used where
# there is no Rust toolchain, each in a fresh place outside the checkout:
# - the checksums;
# - the wheel, in a fresh venv: a grant, and no test-only function;
# - the npm tarballs, in a fresh project (install scripts off): a grant in
#   strict TypeScript, compiled by tsc and run;
# - the C tarball, unpacked: a C and a C++ program, each built with
#   pkg-config and with CMake (find_package(ropc); C++ also statically),
#   each running a grant under valgrind.
#   tests/dist/check.sh <dist dir> <version> <target triple> <python3>
set -euo pipefail
dist=$1 version=$2 triple=$3 python=$4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
valgrind=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
  --errors-for-leak-kinds=definite,indirect)
if command -v cargo >/dev/null || command -v rustc >/dev/null; then
  echo "test-dist: cargo or rustc is on the PATH ($PATH): run it without" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== checksums"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS)

echo "== the wheel"
wheel=$(ls "$dist"/ropc-"$version"-cp*-abi3-manylinux_*.whl)
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-index "$wheel"
(cd "$work" && "$work/venv/bin/python" "$here/grant.py")

echo "== the npm tarballs"
mkdir "$work/npm"
(
  cd "$work/npm"
  npm init -y >/dev/null
  npm install --ignore-scripts --no-audit --no-fund --silent "$dist"/ropc-"$version".tgz "$dist"/ropc-linux-*-"$version".tgz
  mkdir -p node_modules/@types
  ln -s "$top/bindings/node/node_modules/typescript" node_modules/typescript
  ln -s "$top/bindings/node/node_modules/@types/node" node_modules/@types/node
  cp "$here/grant.ts" "$here/tsconfig.json" .
  node node_modules/typescript/bin/tsc -p tsconfig.json
  node out/grant.js
)

echo "== the C tarball"
tar -C "$work" -xzf "$dist/ropc-$version-$triple.tar.gz"
prefix="$work/ropc-$version-$triple"
test "$(readelf -d "$prefix/lib/libropc.so.$version" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" = "libropc.so.${version%%.*}"
pc=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs ropc)
cc -std=c11 -Wall -Wextra -Werror -DROPC_DIST_HOW='"C (pkg-config)"' "$here/grant.c" -o "$work/grant_c" \
  $pc -Wl,-rpath,"$prefix/lib"
"${valgrind[@]}" "$work/grant_c"
c++ -std=c++17 -Wall -Wextra -Werror -DROPC_DIST_HOW='"C++ (pkg-config)"' "$here/grant.cpp" -o "$work/grant_cpp" \
  $pc -Wl,-rpath,"$prefix/lib"
"${valgrind[@]}" "$work/grant_cpp"
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DROPC_EXPECT="$version" >/dev/null
cmake --build "$work/cmake" >/dev/null
"${valgrind[@]}" "$work/cmake/grant_shared"
"${valgrind[@]}" "$work/cmake/grant_static"
"${valgrind[@]}" "$work/cmake/grant_c"
# The version check: a later minor (0.x) or major is not offered.
if cmake -S "$here" -B "$work/cmake-too-new" -DCMAKE_PREFIX_PATH="$prefix" -DROPC_EXPECT=99.0 >/dev/null 2>&1; then
  echo "find_package(ropc 99.0) found ropc $version" >&2
  exit 1
fi
echo "== every artifact installs and runs without Rust"
