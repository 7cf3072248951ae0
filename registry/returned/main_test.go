package returned

import (
	"os"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/internal/testenv"
)

// server is the API server with OCM's work CRDs shared by the integration tests.
var server testenv.Server

// TestMain starts one API server for the package (none when fuzzing). Without the binaries the
// integration tests skip, unless WECFORGE_REQUIRE_ENVTEST is set: then they fail.
func TestMain(m *testing.M) {
	os.Exit(server.Run(m, "returned", testenv.Options{OCMCRDs: []string{"work/v1"}}))
}

// requireEnv returns the shared API server's config or skips the test.
func requireEnv(t *testing.T) *rest.Config { return server.Config(t) }
