# ctpolicy: every build and test entry point. `make test` runs everything.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PREFIX ?= /usr/local
RELEASE_DIR := target/release
LIB_SO := $(RELEASE_DIR)/libctpolicy.so
LIB_A := $(RELEASE_DIR)/libctpolicy.a
CLI := $(RELEASE_DIR)/ctpolicy

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

.PHONY: all build install docs test test-rust test-c test-python test-go test-java fuzz-smoke header tables check-examples bench fuzz asan-rust lint

all: build

build:
	$(CARGO) build --release --locked

## The main job: pre-flight the example requests on the built-in default policy.
check-examples: build
	$(CLI) check examples/requests.jsonl --summary || test $$? -eq 1

## Installs the libraries, the header and ctpolicy.pc under $(PREFIX).
install: build
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(LIB_A) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/ctpolicy.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' ctpolicy.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ctpolicy.pc

## Regenerates the rule tables in README.md and docs/RULES.md from the rule table.
docs: build
	python3 docs/update_rule_tables.py $(CLI)

header:
	CTPOLICY_WRITE_HEADER=1 $(CARGO) build --release --locked

## Regenerates the bindings' constant tables from the Rust rule table
## (a test in `make test` fails when a committed copy differs).
tables:
	CTPOLICY_WRITE_TABLES=1 $(CARGO) test --release --locked --test binding_tables

test: build lint test-rust test-c test-python test-go test-java fuzz-smoke
	@echo "make test: every suite passed"

## The Rust sources as rustfmt.toml lays them out, and no clippy warning.
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

test-rust:
	$(CARGO) test --release --locked

test-c: build
	$(MAKE) -C tests/c test

test-python: build
	bash bindings/python/test.sh

test-go: build
	bash bindings/go/test.sh

test-java: build
	bash bindings/java/test.sh

## A short run of every fuzz target (the long runs are `make fuzz`).
fuzz-smoke:
	bash fuzz/run.sh smoke

## 10,000,000 executions of every fuzz target, recorded in fuzz/RESULTS.md.
fuzz:
	bash fuzz/run.sh long

## The Rust test suite under AddressSanitizer (nightly flags on stable).
asan-rust:
	RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address" CARGO_TARGET_DIR=target/asan \
		$(CARGO) test --locked --target x86_64-unknown-linux-gnu --lib --tests -- \
		--skip memory_stays_flat_on_a_large_stream
# (That one test measures the CLI's peak RSS, which under ASan is the
# sanitizer's shadow memory and quarantine; `make test` runs it unsanitized.)

## Every benchmark; writes docs/BENCHMARKS.md and docs/benchmarks.svg.
bench: build
	python3 benches/report.py
