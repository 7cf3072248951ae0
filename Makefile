# wecforge make targets. `make test` is the README's test command and what .ci/run runs.
SHELL := /usr/bin/env bash
GO ?= go
STATICCHECK_VERSION ?= v0.8.2
BIN := $(CURDIR)/hack/bin
export GOFLAGS := -buildvcs=false

.PHONY: all test tools lint vet staticcheck unit preview fuzz bench

all: test

## tools: build (once, cached by version) the real kube-apiserver, etcd, kube-controller-manager and OCM agents.
tools:
	hack/tools.sh

## test: everything CI checks — vet, staticcheck, and every test with -race against real binaries.
test: tools lint
	WECFORGE_REQUIRE_ENVTEST=1 WECFORGE_REQUIRE_E2E=1 KUBEBUILDER_ASSETS=$$(hack/tools.sh --assets-dir) \
	  WECFORGE_BIN_DIR=$$(hack/tools.sh --bin-dir) \
	  $(GO) test -race -count=1 -timeout 40m -skip '^TestE2E' ./...
	WECFORGE_REQUIRE_E2E=1 WECFORGE_BIN_DIR=$$(hack/tools.sh --bin-dir) \
	  $(GO) test -v -race -count=1 -timeout 20m -run '^TestE2E' ./internal/e2e/

lint: vet staticcheck

vet:
	$(GO) vet ./...

staticcheck:
	@test -x $(BIN)/staticcheck-$(STATICCHECK_VERSION) || GOBIN=$(BIN)/tmp-staticcheck $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x $(BIN)/staticcheck-$(STATICCHECK_VERSION) || mv $(BIN)/tmp-staticcheck/staticcheck $(BIN)/staticcheck-$(STATICCHECK_VERSION)
	$(BIN)/staticcheck-$(STATICCHECK_VERSION) ./...

## unit: the fast tests only (no real apiserver).
unit:
	$(GO) test -race -count=1 ./...

## preview: run the preview tool on the bundled demo data.
preview:
	$(GO) run ./examples/preview -f testdata/demo

## fuzz: every fuzz test for FUZZTIME (default 30s) each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## bench: every benchmark once (see benchmarks/README.md for the commands behind its tables).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./benchmarks/
