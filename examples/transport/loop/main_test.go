package loop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// hubEnv is the envtest API server standing in for the hub (no OCM agents: the loop's
// ManifestWorks are read back directly); nil when the integration tests are skipped.
var (
	hubEnv  *rest.Config
	skipWhy string
)

// TestMain starts one envtest API server with OCM's ManagedCluster and ManifestWork CRDs. Without
// the binaries the integration tests skip, unless WECFORGE_REQUIRE_ENVTEST is set.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "hack", "bin", "assets")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			if os.Getenv("WECFORGE_REQUIRE_ENVTEST") != "" {
				fmt.Fprintf(os.Stderr, "loop: envtest required: %s missing in %s\n", b, dir)
				return 1
			}
			skipWhy = b + " missing in " + dir
			return m.Run()
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/api").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loop: locate open-cluster-management.io/api:", err)
		return 1
	}
	api := strings.TrimSpace(string(out))
	env := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDDirectoryPaths:     []string{filepath.Join(api, "cluster", "v1"), filepath.Join(api, "work", "v1")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loop: start envtest:", err)
		return 1
	}
	hubEnv = cfg
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "loop: stop envtest:", err)
	}
	return code
}

func requireHub(t *testing.T) *rest.Config {
	t.Helper()
	if hubEnv == nil {
		t.Skip("envtest binaries unavailable: " + skipWhy)
	}
	return rest.CopyConfig(hubEnv)
}
