package statusloop

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

// server is the API server shared by this package's tests: it is both the hub (OCM's work
// CRDs) and the WDS (the KubeStellar CRDs of examples/transport/crds).
var server testenv.Server

// TestMain starts one API server for the package. Without the binaries the tests skip, unless
// WECFORGE_REQUIRE_ENVTEST is set: then they fail.
func TestMain(m *testing.M) {
	os.Exit(server.Run(m, "statusloop", testenv.Options{OCMCRDs: []string{"work/v1"}, Setup: func(cfg *rest.Config, _ []byte) error {
		kube, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		plane := &kubeplane.Plane{Name: "statusloop", Config: cfg, Kube: kube}
		return plane.InstallCRDs(context.Background(),
			[]string{filepath.Join("..", "crds", "statuscollectors.yaml"), filepath.Join("..", "crds", "combinedstatuses.yaml")},
			2*time.Minute)
	}}))
}
