package app

import (
	"os"
	"testing"

	"github.com/wecforge/wecforge/internal/testenv"
)

// hub is the envtest API server standing in for the OCM hub (no agents: the tests read the
// ManifestWorks back).
var hub testenv.Server

// TestMain starts one envtest API server with OCM's ManagedCluster and ManifestWork CRDs.
// Without the binaries the tests that need it skip, unless WECFORGE_REQUIRE_ENVTEST is set.
func TestMain(m *testing.M) {
	os.Exit(hub.Run(m, "app", testenv.Options{OCMCRDs: []string{"cluster/v1", "work/v1"}}))
}
