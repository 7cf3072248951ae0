package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestE2EKRMFunction builds the KRM function (examples/krm-function) and runs it the way a
// kustomize user does, with the kustomize that hack/tools.sh builds: `kustomize build
// --enable-alpha-plugins --enable-exec` on the function's sample, one overlay per WEC. Each
// WEC's output must be exactly the recorded one (configuration consumed, only what the
// BindingPolicies bind there, rendered for that WEC), and the overlay whose Deployment fails
// for its WEC must fail the build with the function's message.
//
// Without kustomize the test is skipped, or fails when WECFORGE_REQUIRE_E2E is set (as `make
// test` sets it).
func TestE2EKRMFunction(t *testing.T) {
	kustomize := kustomizeBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	root := moduleRoot(t)
	sample := filepath.Join(root, "examples", "krm-function", "testdata", "kustomize")
	dir := filepath.Join(t.TempDir(), "sample")
	require.NoError(t, copyTree(sample, dir))

	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "fn"), "./examples/krm-function")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	version, err := exec.CommandContext(ctx, kustomize, "version").Output()
	require.NoError(t, err)
	t.Logf("kustomize %s", bytes.TrimSpace(version))

	for _, wec := range []string{"edge-1", "core-1"} {
		t.Run(wec, func(t *testing.T) {
			stdout, stderr, err := runKustomize(ctx, kustomize, filepath.Join(dir, wec))
			require.NoError(t, err, "kustomize build %s: %s", wec, stderr)
			want, err := os.ReadFile(filepath.Join(sample, "want", wec+".yaml"))
			require.NoError(t, err)
			assert.Equal(t, string(want), stdout, "what kustomize builds for %s", wec)
			assert.Empty(t, stderr, "no warnings for the sample")
		})
	}
	t.Run("failing pair", func(t *testing.T) {
		stdout, stderr, err := runKustomize(ctx, kustomize, filepath.Join(dir, "broken"))
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "kustomize must fail; stdout:\n%s", stdout)
		assert.NotZero(t, exit.ExitCode())
		assert.Empty(t, stdout, "a failed build writes nothing")
		assert.Contains(t, stderr, "wecforge: error: wec edge-2: Deployment.apps shop/web: rule per-wec-replicas: spec.actions[0].set.value: .spec.replicas: no such key: replicas")
		assert.Contains(t, stderr, "couldn't execute function")
	})
}

// kustomizeBinary returns the path of the kustomize hack/tools.sh builds (WECFORGE_BIN_DIR,
// else hack/bin). When it is missing the test is skipped, or fails under WECFORGE_REQUIRE_E2E.
func kustomizeBinary(t *testing.T) string {
	t.Helper()
	bins := os.Getenv("WECFORGE_BIN_DIR")
	if bins == "" {
		bins = filepath.Join(moduleRoot(t), "hack", "bin")
	}
	path := filepath.Join(bins, "kustomize")
	if st, err := os.Stat(path); err != nil || st.IsDir() {
		msg := "e2e: kustomize missing in " + bins + " (run hack/tools.sh kustomize)"
		if os.Getenv("WECFORGE_REQUIRE_E2E") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// runKustomize runs `kustomize build --enable-alpha-plugins --enable-exec dir`.
func runKustomize(ctx context.Context, kustomize, dir string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// copyTree copies the regular files under src to dst, keeping the layout.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return errors.New(path + ": not a regular file")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}
