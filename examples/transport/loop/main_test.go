package loop

import (
	"os"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/internal/testenv"
)

// hub is the envtest API server standing in for the hub (no OCM agents: the loop's
// ManifestWorks are read back directly).
var hub testenv.Server

// TestMain starts one envtest API server with OCM's ManagedCluster and ManifestWork CRDs.
// Without the binaries the integration tests skip, unless WECFORGE_REQUIRE_ENVTEST is set.
func TestMain(m *testing.M) {
	os.Exit(hub.Run(m, "loop", testenv.Options{OCMCRDs: []string{"cluster/v1", "work/v1"}}))
}

func requireHub(t *testing.T) *rest.Config { return hub.Config(t) }
