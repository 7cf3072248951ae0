package delivery

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

// testEnv is the API server shared by the integration tests; nil when they are skipped.
var (
	testEnv     *rest.Config
	skipEnvtest string
)

// TestMain starts one envtest API server with OCM's work CRDs for the whole package. Without the
// binaries the integration tests skip, unless WECFORGE_REQUIRE_ENVTEST is set: then they fail.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if fuzzing() {
		// Fuzz targets need no API server, and every fuzz worker process runs TestMain.
		skipEnvtest = "fuzzing"
		return m.Run()
	}
	assets, err := assetsDir()
	if err != nil {
		if os.Getenv("WECFORGE_REQUIRE_ENVTEST") != "" {
			fmt.Fprintln(os.Stderr, "delivery: envtest required:", err)
			return 1
		}
		skipEnvtest = err.Error()
		return m.Run()
	}
	crds, err := workCRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "delivery:", err)
		return 1
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crds},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "delivery: start envtest:", err)
		return 1
	}
	testEnv = cfg
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "delivery: stop envtest:", err)
	}
	return code
}

// fuzzing reports whether the binary runs as a fuzz coordinator or worker.
func fuzzing() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzz=") || strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}

// assetsDir finds kube-apiserver and etcd: KUBEBUILDER_ASSETS, else hack/bin/assets.
func assetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join("..", "..", "hack", "bin", "assets")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s missing in %s (run hack/tools.sh)", b, dir)
		}
	}
	return filepath.Abs(dir)
}

// workCRDDir is open-cluster-management.io/api's work/v1 folder (ManifestWork and
// AppliedManifestWork CRDs) in the module cache.
func workCRDDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/api").Output()
	if err != nil {
		return "", fmt.Errorf("locate open-cluster-management.io/api: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "work", "v1"), nil
}

// requireEnv returns the shared API server's config or skips the test.
func requireEnv(t *testing.T) *rest.Config {
	t.Helper()
	if testEnv == nil {
		t.Skip("envtest binaries unavailable: " + skipEnvtest)
	}
	return rest.CopyConfig(testEnv)
}
