package statusback

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/internal/kubeplane"
	"github.com/wecforge/wecforge/internal/testenv"
)

// server is the API server shared by this package's tests, with the KubeStellar CRDs of
// examples/transport/crds and gadgetCRD installed.
var server testenv.Server

// gadgetCRD is a resource without a status subresource (status is written by merge patch).
const gadgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.test.wecforge.io}
spec:
  group: test.wecforge.io
  names: {kind: Gadget, listKind: GadgetList, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

// TestMain starts one API server for the package. Without the binaries the tests skip, unless
// WECFORGE_REQUIRE_ENVTEST is set: then they fail.
func TestMain(m *testing.M) {
	os.Exit(server.Run(m, "statusback", testenv.Options{Setup: func(cfg *rest.Config, _ []byte) error {
		dir, err := os.MkdirTemp("", "statusback-crds-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		gadget := filepath.Join(dir, "gadgets.yaml")
		if err := os.WriteFile(gadget, []byte(gadgetCRD), 0o600); err != nil {
			return err
		}
		kube, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		plane := &kubeplane.Plane{Name: "statusback", Config: cfg, Kube: kube}
		return plane.InstallCRDs(context.Background(),
			[]string{filepath.Join("..", "crds", "statuscollectors.yaml"), filepath.Join("..", "crds", "combinedstatuses.yaml"), gadget},
			2*time.Minute)
	}}))
}

// requireEnv returns the shared API server's config or skips the test.
func requireEnv(t *testing.T) *rest.Config { return server.Config(t) }
