package registry_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wecforge/wecforge/internal/agentsim"
)

// requireEnvVar makes a missing envtest a failure instead of a skip (the README test command
// sets it).
const requireEnvVar = "WECFORGE_REQUIRE_ENVTEST"

var (
	// adminConfig is the shared API server's system:masters config; nil when skipped.
	adminConfig *rest.Config
	skipReason  string
)

// TestMain starts one real kube-apiserver and etcd (envtest) with OCM's ManagedCluster CRD for
// the whole package, and installs the bootstrap identity as clusteradm init would.
func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	assets, err := assetsDir()
	if err != nil {
		if os.Getenv(requireEnvVar) != "" {
			fmt.Fprintf(os.Stderr, "registry: %s is set but envtest is unavailable: %v\n", requireEnvVar, err)
			return 1
		}
		skipReason = err.Error()
		return m.Run()
	}
	crds, err := clusterCRDDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		return 1
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{crds},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry: start envtest:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "registry: stop envtest:", err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kube, err := kubernetes.NewForConfig(cfg)
	if err == nil {
		err = agentsim.InstallBootstrap(ctx, kube)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry: install bootstrap identity:", err)
		return 1
	}
	adminConfig = cfg
	return m.Run()
}

// assetsDir finds kube-apiserver and etcd: KUBEBUILDER_ASSETS, else hack/bin/assets.
func assetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		dir = filepath.Join("..", "hack", "bin", "assets")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s missing in %s (run hack/tools.sh)", b, dir)
		}
	}
	return filepath.Abs(dir)
}

// clusterCRDDir is open-cluster-management.io/api's cluster/v1 folder (the ManagedCluster CRD).
func clusterCRDDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/api").Output()
	if err != nil {
		return "", fmt.Errorf("locate open-cluster-management.io/api: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "cluster", "v1"), nil
}

// clients are typed clients for one identity.
type clients struct {
	cfg  *rest.Config
	kube kubernetes.Interface
	ocm  clusterclient.Interface
}

func newClients(t *testing.T, cfg *rest.Config) clients {
	t.Helper()
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	ocm, err := clusterclient.NewForConfig(cfg)
	require.NoError(t, err)
	return clients{cfg: cfg, kube: kube, ocm: ocm}
}

// admin returns system:masters clients, or skips the test when envtest is unavailable.
func admin(t *testing.T) clients {
	t.Helper()
	if adminConfig == nil {
		t.Skip("envtest binaries unavailable: " + skipReason)
	}
	return newClients(t, rest.CopyConfig(adminConfig))
}

// testContext is a context that ends with the test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
