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

// TestRun walks the whole lifecycle with a simulated agent against the real API server, once
// as the kubeconfig's admin and once with each step run by the ServiceAccount of its registry
// role, bound as rbac.yaml says.
func TestRun(t *testing.T) {
	kubeconfig := kubeconfigFile(t)
	for _, tc := range []struct {
		name, wec string
		flags     []string
	}{
		{"admin", "example-1", nil},
		{"split roles", "example-2", []string{"--install-rbac", "--split-roles"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var out bytes.Buffer
			args := append([]string{"--kubeconfig", kubeconfig, "--wec", tc.wec,
				"--simulate-agent", "--install-bootstrap", "--timeout", "20s"}, tc.flags...)
			err := run(ctx, args, &out)
			require.NoError(t, err, out.String())
			got := out.String()
			for _, want := range []string{
				"token from serviceaccount/open-cluster-management/agent-registration-bootstrap",
				"join command (on the WEC): clusteradm join --hub-token '<token>' --hub-apiserver https://127.0.0.1:",
				"simulated agent created CSR " + tc.wec + "-",
				"accepted " + tc.wec + ": approved [" + tc.wec + "-",
				"event Added " + tc.wec,
				"property region=eu-west-1 (from configMap.data)",
				"deregistered " + tc.wec,
			} {
				assert.Contains(t, got, want)
			}
			if tc.flags != nil {
				assert.Contains(t, got, "running each step as its role's ServiceAccount in wecforge-system")
			}
		})
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run(context.Background(), nil, &out), "--wec is required")
	assert.Error(t, run(context.Background(), []string{"--bogus"}, &out))
}
