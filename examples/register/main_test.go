package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// kubeconfigFile is the admin kubeconfig of the package's API server; empty when skipped.
var (
	kubeconfigFile string
	skipReason     string
)

// TestMain starts one envtest API server with OCM's ManagedCluster CRD. Without the binaries
// the test skips, unless WECFORGE_REQUIRE_ENVTEST is set: then it fails.
func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", "..", "hack", "bin", "assets")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		if os.Getenv("WECFORGE_REQUIRE_ENVTEST") != "" {
			fmt.Fprintln(os.Stderr, "register: WECFORGE_REQUIRE_ENVTEST is set but envtest is unavailable:", err)
			return 1
		}
		skipReason = err.Error()
		return m.Run()
	}
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/api").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "register: locate open-cluster-management.io/api:", err)
		return 1
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join(strings.TrimSpace(string(dir)), "cluster", "v1")},
		ErrorIfCRDPathMissing: true,
	}
	if _, err := env.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "register: start envtest:", err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	tmp, err := os.MkdirTemp("", "register-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	kubeconfigFile = filepath.Join(tmp, "kubeconfig")
	if err := os.WriteFile(kubeconfigFile, env.KubeConfig, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		return 1
	}
	return m.Run()
}

// TestRun walks the whole lifecycle with a simulated agent against the real API server.
func TestRun(t *testing.T) {
	if kubeconfigFile == "" {
		t.Skip("envtest binaries unavailable: " + skipReason)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"--kubeconfig", kubeconfigFile, "--wec", "example-1",
		"--simulate-agent", "--install-bootstrap", "--timeout", "20s"}, &out)
	require.NoError(t, err, out.String())
	got := out.String()
	for _, want := range []string{
		"token from serviceaccount/open-cluster-management/agent-registration-bootstrap",
		"join command (on the WEC): clusteradm join --hub-token '<token>' --hub-apiserver https://127.0.0.1:",
		"simulated agent created CSR example-1-",
		"accepted example-1: approved [example-1-",
		"event Added example-1",
		"property region=eu-west-1 (from configMap.data)",
		"deregistered example-1",
	} {
		assert.Contains(t, got, want)
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run(context.Background(), nil, &out), "--wec is required")
	assert.Error(t, run(context.Background(), []string{"--bogus"}, &out))
}
