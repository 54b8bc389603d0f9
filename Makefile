# goconvex: one Makefile for every lane. `make test` runs them all on a fresh
# machine and installs what it needs (npm packages via `npm ci`; Debian's
# chromium when a browser lane needs it).

GO        ?= go
GOTEST    ?= $(GO) test -race -count=1
NODE      ?= node
# Go packages of the unit lane: everything but the cross-language suites
# (tests/values needs node and convex/values; test-conformance runs it).
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v '/tests/values')

.PHONY: all test test-go test-conformance test-wasm test-e2e demo bench wasm fuzz vet deps-npm soak

all: test

## test: every lane that exists (what CI runs).
test: vet test-go test-conformance test-wasm test-example test-e2e

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

## test-go: Go unit tests, with the race detector.
test-go:
	$(GOTEST) $(UNIT_PKGS)
	$(GOTEST) -tags convex_omitreflect -run '^TestOmitReflect$$' ./client/values

## deps-npm: install the npm workspace from the lockfile when it changed.
deps-npm: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json package.json tests/package.json
	npm ci --no-audit --no-fund
	@touch $@

## test-conformance: the official convex client and convex/values against our Go code.
test-conformance: deps-npm
	$(GOTEST) ./tests/values/...
	$(NODE) --test tests/conformance/
	$(NODE) --test tests/workos/
	$(NODE) --test tests/iron/

## test-wasm: the wasm lane. The shipped wasm's gzip size against its 1.0 MB
## budget; GOOS=js GOARCH=wasm tests of the js transport,
## the bridge and the client under node 20 (--experimental-websocket) and in
## Chromium (wasmbrowsertest), the React bindings under vitest, and the
## browser e2e (playwright-core: AuthKit sign-in, subscribe, mutate), all
## against native convextest/authkittest servers that testenv starts.
test-wasm: wasm ensure-chromium wasm-tools
	@echo "== wasm: size budget"
	$(NODE) js/scripts/wasm-size.mjs --check js/dist/goconvex.wasm
	@echo "== wasm: Go tests under node"
	PATH="$(WASM_EXEC_DIR):$$PATH" NODE_OPTIONS=--experimental-websocket $(WASM_ENV) $(TESTENV) -- $(WASM_GOTEST) -tags $(WASM_TAGS) $(WASM_PKGS)
	PATH="$(WASM_EXEC_DIR):$$PATH" NODE_OPTIONS=--experimental-websocket $(WASM_ENV) $(TESTENV) -- $(WASM_GOTEST) -run '^TestJS' ./client
	@echo "== wasm: Go tests in Chromium"
	PATH="$(CURDIR)/bin/chromebin:$$PATH" $(WASM_ENV) $(TESTENV) -- $(WASM_GOTEST) -tags $(WASM_TAGS) -exec $(CURDIR)/bin/wasmbrowsertest $(WASM_PKGS)
	PATH="$(CURDIR)/bin/chromebin:$$PATH" $(WASM_ENV) $(TESTENV) -- $(WASM_GOTEST) -exec $(CURDIR)/bin/wasmbrowsertest -run '^TestJS' ./client
	@echo "== wasm: React bindings (tsc strict, then vitest over the real wasm client)"
	cd js && npx tsc -p tsconfig.json --noEmit
	NODE_OPTIONS=--experimental-websocket $(TESTENV) -- npm -w js exec -- vitest run
	@echo "== wasm: browser e2e (Chromium, AuthKit sign-in)"
	cd js && npx vite build -c e2e/vite.config.ts
	$(TESTENV) -static js/e2e/dist -- $(NODE) js/e2e/run.mjs

# The wasm lane's helpers: GOOS=js packages with tests, the native peer
# runner, wasmbrowsertest (from the Go module proxy, outside go.mod) and a
# headless_shell wrapper that runs Debian's chromium without the sandbox
# (root cannot use it) on this closed network. The shipped wasm's packages
# are tested with its build tags (WASM_TAGS: values without its struct
# codec); the client's TestJS tests use the Go client as a library on js,
# with the full values package.
WASM_PKGS     = ./client/internal/transport ./wasm/...
WASM_ENV      = GOOS=js GOARCH=wasm
WASM_TAGS     = convex_omitreflect
# Packages built without inlining for the shipped wasm, where their speed
# does not matter: fmt and reflect only format error and log messages, time
# mostly formats dates, binding is glue around JS calls. Saves 23 KB of gzip.
# (Not the runtime: without inlining it would save 45 KB more but decode
# 2.2x slower.)
WASM_GCFLAGS  = -gcflags=fmt=-l -gcflags=reflect=-l -gcflags=time=-l \
                -gcflags=github.com/goconvex/convex/wasm/internal/binding=-l
WASM_GOTEST   = $(GO) test -count=1
WASM_EXEC_DIR = $(shell $(GO) env GOROOT)/lib/wasm
TESTENV       = bin/testenv -q

.PHONY: wasm-tools ensure-chromium
wasm-tools:
	$(GO) build -o bin/testenv ./wasm/internal/testenv
	@test -x bin/wasmbrowsertest || GOBIN="$(CURDIR)/bin" $(GO) install github.com/agnivade/wasmbrowsertest@v0.11.0
	@mkdir -p bin/chromebin
	@printf '#!/bin/sh\nexec /usr/bin/chromium --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync "$$@"\n' > bin/chromebin/headless_shell
	@chmod +x bin/chromebin/headless_shell

## ensure-chromium: install Debian's chromium unless /usr/bin/chromium exists.
ensure-chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

## test-e2e: browser e2e of the Vite example against the dev stack (Debian's
## chromium + playwright-core, tests/e2e/): sign-in through the hosted login
## page, two users chatting live, sign-out, 10 s tokens watched for 45 s, and
## every connection cut while a send is pending. Screenshots and dev stack
## logs go to tests/artifacts/e2e/.
test-e2e: ensure-chromium example
	$(GO) build -o bin/devstack ./cmd/devstack
	$(GO) build -o bin/example-server ./examples/server
	DEVSTACK=bin/devstack EXAMPLE_SERVER=bin/example-server $(NODE) --test --test-concurrency=1 tests/e2e/

.PHONY: example test-example chatapi

## example: build the Vite example into examples/vite/dist (git-ignored), on
## the wasm client and the js package that `make wasm` builds.
example: deps-npm wasm
	npm -w examples/vite run build

## test-example: type-check the example app and its convex/ functions with
## tsc --noEmit against the convex package, check that the committed
## convex/_generated/ is what the convex code generator emits, and that
## internal/chat/chatapi (the Go package of the same functions) is what
## goconvex gen writes from their TypeScript's function spec.
test-example: deps-npm wasm
	npm -w examples/vite run codegen:check
	npm -w examples/vite run typecheck
	@mkdir -p bin
	npm -w examples/vite run --silent function-spec > bin/example-function-spec.json
	$(GO) run ./cmd/goconvex gen --spec bin/example-function-spec.json -o internal/chat/chatapi --check

## chatapi: rewrite internal/chat/chatapi with goconvex gen against the dev
## stack's deployment (go generate ./internal/chat/chatapi does the same;
## make test checks it is fresh).
chatapi:
	$(GO) generate ./internal/chat/chatapi

## demo: build the wasm client, the js package and the example, then run the
## local dev stack serving it on loopback until Ctrl-C; it prints what to
## open. Flags for cmd/devstack go in DEMO_FLAGS (e.g. -token-lifetime 30s).
DEMO_FLAGS ?=
demo: example
	$(GO) build -o bin/devstack ./cmd/devstack
	bin/devstack $(DEMO_FLAGS)

## bench: the Go client side by side with the official convex JS client
## (node) against one convextest deployment; writes bench/RESULTS.md.
## Builds the wasm client first (`make wasm`), so that row B5 measures what
## ships. BENCH_FLAGS go to bench/cmd/bench, e.g. `-rows B1,B3 -out
## /tmp/partial.md` for some rows (-out defaults to bench/RESULTS.md).
BENCH_FLAGS ?=
bench: deps-npm ensure-chromium wasm
	$(GO) run ./bench/cmd/bench -out bench/RESULTS.md $(BENCH_FLAGS)

## wasm: build the wasm client and the JS package into js/dist (git-ignored):
## goconvex.wasm (-trimpath -s -w, values without its struct codec, fmt and
## reflect without inlining, its data segments joined and its custom sections
## dropped by wasmpack),
## Go's wasm_exec.js, the tsc output;
## then print its raw, gzip -9 and brotli sizes against the 1.0 MB gzip target.
wasm: deps-npm
	@mkdir -p js/dist bin
	GOOS=js GOARCH=wasm $(GO) build -trimpath -tags $(WASM_TAGS) $(WASM_GCFLAGS) -ldflags='-s -w' -o bin/goconvex.linked.wasm ./wasm
	$(GO) run ./wasm/internal/wasmpack -strip-custom bin/goconvex.linked.wasm js/dist/goconvex.wasm
	cp "$(WASM_EXEC_DIR)/wasm_exec.js" js/dist/wasm_exec.js
	cd js && npx tsc -p tsconfig.build.json
	@$(NODE) js/scripts/wasm-size.mjs js/dist/goconvex.wasm

## wasm-size-table: rewrite docs/wasm-size.md, what goconvex.wasm links per Go
## package (code, data, share of the gzip size) and why, from a rebuild with
## the same flags plus the name section and the linker's -dumpdep
## (wasm/internal/sizetable); the hand-written part below its marker is kept.
.PHONY: wasm-size-table
wasm-size-table: wasm
	$(GO) run ./wasm/internal/sizetable -out docs/wasm-size.md -shipped js/dist/goconvex.wasm -- \
	  -trimpath -tags $(WASM_TAGS) $(WASM_GCFLAGS) -ldflags='-s -w'

## soak: the soak lane, not part of `make test`: the native client and the
## auth stack under faults for a few minutes on loopback (R1 connection cuts
## under 5,000 mutations, R2 5 s tokens with failing refreshes, R3 the fuzz
## targets for SOAK_FUZZTIME each, R4/R5 JWT and OAuth attacks, R6 tokens in
## logs and store modes); writes bench/SOAK.md, fails when a check fails.
SOAK_FUZZTIME ?= 10s
soak:
	$(GO) run ./tests/soak -out bench/SOAK.md -fuzztime $(SOAK_FUZZTIME)

## fuzz: run each fuzz target for FUZZTIME.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; \
	  done; \
	done
