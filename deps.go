//go:build tools

package tools

import (
	_ "github.com/evanphx/json-patch/v5"
	_ "github.com/go-logr/logr"
	_ "github.com/google/cel-go/cel"
	_ "github.com/stretchr/testify/require"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	_ "k8s.io/apiserver/pkg/cel/library"
	_ "k8s.io/client-go/kubernetes"
	_ "open-cluster-management.io/api/client/cluster/clientset/versioned"
	_ "open-cluster-management.io/api/client/work/clientset/versioned"
	_ "sigs.k8s.io/controller-runtime/pkg/envtest"
	_ "sigs.k8s.io/kustomize/kyaml/kio"
)
