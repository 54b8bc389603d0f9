# goconvex: one Makefile for every lane. `make test` runs them all on a fresh
# machine and installs what it needs (npm packages via `npm ci`; Debian's
# chromium when a browser lane needs it).

GO        ?= go
GOTEST    ?= $(GO) test -race -count=1
NODE      ?= node
# Go packages of the unit lane: everything but the cross-language suites.
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v '/tests/')

.PHONY: all test test-go test-conformance test-wasm test-e2e demo bench wasm fuzz vet deps-npm

all: test

## test: every lane that exists (what CI runs).
test: vet test-go test-conformance test-wasm test-e2e

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

## test-go: Go unit tests, with the race detector.
test-go:
	$(GOTEST) $(UNIT_PKGS)

## deps-npm: install the npm workspace from the lockfile when it changed.
deps-npm: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json package.json tests/package.json
	npm ci --no-audit --no-fund
	@touch $@

## test-conformance: the official convex client and convex/values against our Go code.
test-conformance: deps-npm
	$(GOTEST) ./tests/...
	$(NODE) --test tests/conformance/
	$(NODE) --test tests/workos/

## test-wasm: GOOS=js GOARCH=wasm tests (not built yet).
test-wasm:
	@echo "test-wasm: no wasm lane yet (issue 5); nothing to run"

## test-e2e: browser end-to-end tests (not built yet).
test-e2e:
	@echo "test-e2e: no browser e2e lane yet (issue 6); nothing to run"

## demo: the local dev stack (deployment + issuer + example app) on loopback.
demo:
	$(GO) run ./cmd/devstack

## bench: side-by-side benchmarks (not built yet).
bench:
	@echo "bench: no benchmarks yet (issue 9)"

## wasm: build the wasm client (not built yet).
wasm:
	@echo "wasm: no wasm build yet (issue 5)"

## fuzz: run each fuzz target for FUZZTIME.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; \
	  done; \
	done
