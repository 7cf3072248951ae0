//go:build tools

// Package tools pins the Kubernetes commands that hack/tools.sh builds; it is never compiled
// into wecforge itself.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
