package e2e_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/internal/e2e"
)

// TestE2EHarnessStopsEverything starts a plane, stops it the way t.Cleanup does, and checks
// that no process survives and that stopping twice is harmless.
func TestE2EHarnessStopsEverything(t *testing.T) {
	env := e2e.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	start := time.Now()
	cp, err := env.StartControlPlane(ctx, "solo")
	require.NoError(t, err)
	t.Logf("control plane ready in %s", time.Since(start).Round(100*time.Millisecond))
	ns, err := cp.Kube.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "default", ns.Name)

	procs := env.Processes()
	require.Len(t, procs, 2)
	pids := map[string]int{}
	for _, p := range procs {
		require.False(t, p.Exited(), p.Name)
		pids[p.Name] = p.Pid()
	}
	env.StopAll()
	for _, p := range procs {
		assert.True(t, p.Exited(), "%s still running", p.Name)
		err := syscall.Kill(pids[p.Name], 0)
		assert.True(t, errors.Is(err, syscall.ESRCH), "process %s (pid %d) still exists: %v", p.Name, pids[p.Name], err)
	}
	env.StopAll() // idempotent; t.Cleanup calls it again
}

// TestE2ECertificates checks the Go-made certificates chain to their CA.
func TestE2ECertificates(t *testing.T) {
	ca, err := e2e.NewCA("test-ca")
	require.NoError(t, err)
	client, err := ca.Client("system:open-cluster-management:cluster1:a", "system:open-cluster-management:cluster1")
	require.NoError(t, err)
	serving, err := ca.Serving("apiserver")
	require.NoError(t, err)
	for _, kp := range []e2e.KeyPair{client, serving} {
		cert := parseCert(t, kp.CertPEM)
		_, err := cert.Verify(verifyOpts(ca, cert))
		assert.NoError(t, err, cert.Subject.CommonName)
	}
}
