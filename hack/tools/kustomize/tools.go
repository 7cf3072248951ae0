//go:build tools

// Package tools pins kustomize (its v5 module root is package main) for hack/tools.sh, which
// builds it for the KRM function's end-to-end test.
package tools

import (
	_ "sigs.k8s.io/kustomize/kustomize/v5"
)
