package kubeplane_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wecforge/wecforge/internal/kubeplane"
	"github.com/wecforge/wecforge/internal/testenv"
)

// TestPlaneLifecycle starts a plane from the real binaries, checks that the admin identity and
// its kubeconfig work, installs a CRD and uses it, then stops the plane and checks that no
// process survives. Without the binaries it skips, unless WECFORGE_REQUIRE_ENVTEST is set.
func TestPlaneLifecycle(t *testing.T) {
	assets, err := testenv.AssetsDir()
	if err != nil {
		require.Empty(t, testenvRequired(), "binaries required: %v", err)
		t.Skip(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cp, err := kubeplane.Start(ctx, kubeplane.Options{
		Name: "lifecycle", Dir: t.TempDir(),
		Etcd: filepath.Join(assets, "etcd"), APIServer: filepath.Join(assets, "kube-apiserver"),
	})
	require.NoError(t, err)
	t.Cleanup(func() { cp.Stop(10 * time.Second) })

	// The kubeconfig is usable on its own and authenticates as system:masters.
	cfg, err := clientcmd.RESTConfigFromKubeConfig(cp.AdminKubeconfigData)
	require.NoError(t, err)
	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	_, err = cp.Kube.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
	require.NoError(t, err)

	crd := writeFile(t, "widget.yaml", widgetCRD)
	require.NoError(t, cp.InstallCRDs(ctx, []string{crd}, time.Minute))
	require.NoError(t, cp.InstallCRDs(ctx, []string{crd}, time.Minute), "installing again is harmless")
	widgets := dyn.Resource(schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}).Namespace("default")
	w := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "w1"}, "size": int64(3),
	}}
	_, err = widgets.Create(ctx, w, metav1.CreateOptions{})
	require.NoError(t, err)

	pids := []int{cp.Etcd.Pid(), cp.APIServer.Pid()}
	cp.Stop(10 * time.Second)
	for _, p := range []*kubeplane.Process{cp.Etcd, cp.APIServer} {
		assert.True(t, p.Exited(), p.Name)
		assert.Error(t, p.ExitError(), p.Name)
	}
	for _, pid := range pids {
		assert.True(t, errors.Is(syscall.Kill(pid, 0), syscall.ESRCH), "pid %d still exists", pid)
	}
	cp.Stop(time.Second) // idempotent
}

// TestStartFailsFast checks that a plane whose binary cannot run fails with an error instead of
// waiting for /readyz, and leaves no process behind.
func TestStartFailsFast(t *testing.T) {
	dir := t.TempDir()
	_, err := kubeplane.Start(context.Background(), kubeplane.Options{
		Name: "broken", Dir: dir,
		Etcd: filepath.Join(dir, "no-such-etcd"), APIServer: filepath.Join(dir, "no-such-apiserver"),
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.ENOENT)

	_, err = kubeplane.Start(context.Background(), kubeplane.Options{Name: "incomplete"})
	assert.Error(t, err)
}

// TestPollExitedStopsEarly checks that Poll gives up at once on an *ExitedError and wraps
// ErrTimeout with the last error otherwise.
func TestPollExitedStopsEarly(t *testing.T) {
	calls := 0
	err := kubeplane.Poll(context.Background(), "x", time.Minute, time.Millisecond, func(context.Context) (bool, error) {
		calls++
		return false, &kubeplane.ExitedError{Plane: "p"}
	})
	var exited *kubeplane.ExitedError
	require.ErrorAs(t, err, &exited)
	assert.Equal(t, 1, calls)

	cause := errors.New("not yet")
	err = kubeplane.Poll(context.Background(), "y", 20*time.Millisecond, time.Millisecond, func(context.Context) (bool, error) {
		return false, cause
	})
	assert.ErrorIs(t, err, kubeplane.ErrTimeout)
	assert.ErrorIs(t, err, cause)
}

// testenvRequired returns the value of the variable that turns missing binaries into failures.
func testenvRequired() string { return os.Getenv(testenv.RequireEnvVar) }
