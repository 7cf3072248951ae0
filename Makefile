# wecforge make targets. `make test` is the README's test command and what .ci/run runs.
SHELL := /usr/bin/env bash
GO ?= go
STATICCHECK_VERSION ?= v0.8.2
BIN := $(CURDIR)/hack/bin
export GOFLAGS := -buildvcs=false

# MODULES: every Go module of the repository (root first), except the hack/tools/* wrappers that
# only build the test binaries. vet, staticcheck and the tests run in each.
MODULES := . $(patsubst ./%/go.mod,%,$(shell find . -name go.mod -not -path './go.mod' -not -path './hack/*' -not -path './.git/*' | sort))
# in_modules runs $(1) in every module's folder, stopping at the first failure.
in_modules = set -e; for m in $(MODULES); do echo "== module $$m: $(1)"; (cd $$m && $(1)); done

# K8S_LATEST: the Kubernetes module version test-k8s-latest tests; "latest" is the newest release
# the Go module proxy serves (pre-releases excluded).
K8S_LATEST ?= latest

.PHONY: all test tools lint vet staticcheck unit preview fuzz bench bench-delivery test-k8s-latest

all: test

## tools: build (once, cached by version) the real kube-apiserver, etcd, kube-controller-manager and OCM agents.
tools:
	hack/tools.sh

## test: everything CI checks — vet, staticcheck, and every test with -race against real binaries.
test: tools lint
	export WECFORGE_REQUIRE_ENVTEST=1 WECFORGE_REQUIRE_E2E=1 KUBEBUILDER_ASSETS=$$(hack/tools.sh --assets-dir) \
	  WECFORGE_BIN_DIR=$$(hack/tools.sh --bin-dir); \
	  $(call in_modules,$(GO) test -race -count=1 -timeout 40m -skip '^TestE2E' ./...)
	WECFORGE_REQUIRE_E2E=1 WECFORGE_BIN_DIR=$$(hack/tools.sh --bin-dir) \
	  $(GO) test -v -race -count=1 -timeout 20m -run '^TestE2E' ./internal/e2e/

lint: vet staticcheck

vet:
	@$(call in_modules,$(GO) vet ./...)

staticcheck:
	@test -x $(BIN)/staticcheck-$(STATICCHECK_VERSION) || GOBIN=$(BIN)/tmp-staticcheck $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@test -x $(BIN)/staticcheck-$(STATICCHECK_VERSION) || mv $(BIN)/tmp-staticcheck/staticcheck $(BIN)/staticcheck-$(STATICCHECK_VERSION)
	@$(call in_modules,$(BIN)/staticcheck-$(STATICCHECK_VERSION) ./...)

## unit: the fast tests only (no real apiserver).
unit:
	@$(call in_modules,$(GO) test -race -count=1 ./...)

## test-k8s-latest: the engine packages (customization, transform, rules) against the newest
## Kubernetes modules the proxy serves (K8S_LATEST), through a temporary copy of go.mod; the
## repository's go.mod and go.sum are not touched. Not part of `make test`.
test-k8s-latest:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  cp go.mod "$$tmp/go.mod"; cp go.sum "$$tmp/go.sum"; \
	  $(GO) get -modfile="$$tmp/go.mod" k8s.io/api@$(K8S_LATEST) k8s.io/apimachinery@$(K8S_LATEST) \
	    k8s.io/client-go@$(K8S_LATEST) k8s.io/apiserver@$(K8S_LATEST); \
	  $(GO) list -modfile="$$tmp/go.mod" -m k8s.io/api k8s.io/apimachinery k8s.io/client-go k8s.io/apiserver; \
	  $(GO) test -modfile="$$tmp/go.mod" -race -count=1 ./customization/... ./transform/... ./rules/...

## preview: run the preview tool on the bundled demo data.
preview:
	$(GO) run ./examples/preview -f testdata/demo

## fuzz: every fuzz test for FUZZTIME (default 30s) each.
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1x $$pkg || exit 1; \
	  done; \
	done

## bench: every benchmark once (see benchmarks/README.md for the commands behind its tables).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./benchmarks/

## bench-delivery: ManifestWork writes of a fleet-wide change at BENCH_DELIVERY_SIZES WECs
## (default 1,000 and 5,000) against the hub's raw write limit, on a real etcd and
## kube-apiserver; one MEASURE line per size (see benchmarks/README.md). Not part of `make test`.
BENCH_DELIVERY_SIZES ?= 1000,5000
bench-delivery: tools
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  $(GO) build -o "$$tmp/bench-delivery" ./benchmarks/delivery; \
	  "$$tmp/bench-delivery" -sizes $(BENCH_DELIVERY_SIZES) -bin-dir "$$(hack/tools.sh --assets-dir)" \
	    -ocm-api-dir "$$($(GO) list -m -f '{{.Dir}}' open-cluster-management.io/api)" $(BENCH_DELIVERY_FLAGS)
