package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/internal/testenv"
)

// server is the package's API server with OCM's ManagedCluster CRD.
var server testenv.Server

// TestMain starts one envtest API server. Without the binaries the test skips, unless
// WECFORGE_REQUIRE_ENVTEST is set: then it fails.
func TestMain(m *testing.M) {
	os.Exit(server.Run(m, "register", testenv.Options{OCMCRDs: []string{"cluster/v1"}}))
}

// kubeconfigFile writes the admin kubeconfig where the program can read it.
func kubeconfigFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, server.Kubeconfig(t), 0o600))
	return path
}

// TestRun walks the whole lifecycle with a simulated agent against the real API server.
func TestRun(t *testing.T) {
	kubeconfig := kubeconfigFile(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"--kubeconfig", kubeconfig, "--wec", "example-1",
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
