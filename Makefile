# ropc harness. `make test` runs every test in every language present;
# `make demo` runs the main job; `make bench` measures. Each target installs
# what it needs (see README "Set-up").

CARGO ?= cargo
PREFIX ?= /usr/local

.PHONY: all test test-rust demo bench clean

all:
	$(CARGO) build --workspace

test: test-rust

test-rust:
	$(CARGO) test --workspace

demo:
	$(CARGO) run -q -p ropc-core --example flow

bench:
	$(CARGO) bench -p ropc-core

clean:
	$(CARGO) clean
