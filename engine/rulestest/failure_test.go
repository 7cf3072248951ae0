package rulestest_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine/rulestest"
)

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	mu    sync.Mutex
	errs  []string
	fatal bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	runtime.Goexit()
}

// run runs fn against a recorder on a goroutine of its own (Fatalf ends it) and returns the
// recorded failures.
func run(t *testing.T, fn func(tb testing.TB)) *recorder {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(rec)
	}()
	<-done
	return rec
}

// sampleCopy copies a sample case to a temporary directory.
func sampleCopy(t *testing.T, name string) string {
	dir := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("../../testdata/rulestest", name))))
	return dir
}

func edit(t *testing.T, path, old, new string) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), old)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

func TestDifferencesNameWECObjectPathAndTrace(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	edit(t, filepath.Join(dir, "expected/edge-1.yaml"), "replicas: 3", "replicas: 4")
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	require.Len(t, rec.errs, 1, "%q", rec.errs)
	assert.Equal(t, `wec edge-1: Deployment.apps shop/web (workload.yaml#0 (line 1)): .spec.replicas: want 4, got 3
    explain:
      .spec.replicas  rule replicas-from-properties: spec.actions[0]  1 → 3
    reads: properties imageTag, replicas`, rec.errs[0])
}

func TestDifferenceOfAFieldNoRuleWrote(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	edit(t, filepath.Join(dir, "expected/core-1.yaml"), "envoy:1.30", "envoy:1.31")
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	require.Len(t, rec.errs, 1, "%q", rec.errs)
	assert.Contains(t, rec.errs[0], `wec core-1: Deployment.apps shop/web (workload.yaml#0 (line 1)): .spec.template.spec.containers[1].image: want "envoy:1.31", got "envoy:1.30"`)
	assert.Contains(t, rec.errs[0], "no change of the render touched this field (it is as in the input)")
}

func TestMissingExtraAndFailedObjects(t *testing.T) {
	dir := sampleCopy(t, "placement")
	// core-1 receives nothing, but the file says it should get a ConfigMap; edge-1's
	// Deployment is not expected.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/core-1.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/edge-1.yaml"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/gone.yaml"), nil, 0o644))
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	all := strings.Join(rec.errs, "\n")
	assert.Contains(t, all, "wec core-1: ConfigMap shop/c: expected in ")
	assert.Contains(t, all, "but the WEC does not receive it")
	assert.Contains(t, all, "wec edge-1: Deployment.apps shop/web (workload.yaml#0 (line 1)): received, but not expected in ")
	assert.Contains(t, all, "gone.yaml names no WEC of the case")

	twice := sampleCopy(t, "edge-replicas")
	data, err := os.ReadFile(filepath.Join(twice, "expected/core-1.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(twice, "expected/core-1.yaml"), append(data, data...), 0o644))
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, twice, rulestest.Options{}) })
	require.Len(t, rec.errs, 1, "%q", rec.errs)
	assert.Contains(t, rec.errs[0], "Deployment.apps shop/web appears twice in the expected objects of wec core-1")

	failing := sampleCopy(t, "pair-failure")
	require.NoError(t, os.WriteFile(filepath.Join(failing, "expected/edge-1.yaml"), []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"), 0o644))
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, failing, rulestest.Options{}) })
	require.Len(t, rec.errs, 1, "%q", rec.errs)
	assert.Contains(t, rec.errs[0], "wec edge-1: Deployment.apps shop/web (workload.yaml#0 (line 1)): expected in ")
	assert.Contains(t, rec.errs[0], "but the pair failed: wec edge-1: Deployment.apps shop/web: rule replicas-from-properties: spec.actions[0].set.value: .spec.replicas: type conversion error")
}

func TestErrorsAndWarningsCompareAsText(t *testing.T) {
	dir := sampleCopy(t, "pair-failure")
	require.NoError(t, os.Remove(filepath.Join(dir, "expected/errors.txt")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/warnings.txt"), []byte("stale\n"), 0o644))
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	all := strings.Join(rec.errs, "\n")
	assert.Contains(t, all, "errors.txt: no such file or directory; run the test with WECFORGE_UPDATE=1 to create it")
	assert.Contains(t, all, "warnings.txt exists but the output is empty")
}

func TestUpdateRewritesExpected(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	want, err := os.ReadFile(filepath.Join(dir, "expected/edge-1.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "expected")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "expected"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/old-wec.yaml"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "expected/errors.txt"), []byte("old\n"), 0o644))

	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{Update: true}) })
	assert.Empty(t, rec.errs)
	got, err := os.ReadFile(filepath.Join(dir, "expected/edge-1.yaml"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	assert.NoFileExists(t, filepath.Join(dir, "expected/old-wec.yaml"), "WEC files of WECs the case no longer has are removed")
	assert.NoFileExists(t, filepath.Join(dir, "expected/errors.txt"), "an empty output removes its file")
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	assert.Empty(t, rec.errs, "the rewritten case passes")
}

func TestUpdateFromEnvironment(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	edit(t, filepath.Join(dir, "expected/edge-1.yaml"), "replicas: 3", "replicas: 4")
	t.Setenv(rulestest.UpdateEnv, "1")
	assert.True(t, rulestest.Options{}.Updating())
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, rulestest.Options{}) })
	assert.Empty(t, rec.errs)
	data, err := os.ReadFile(filepath.Join(dir, "expected/edge-1.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "replicas: 3")
	t.Setenv(rulestest.UpdateEnv, "0")
	assert.False(t, rulestest.Options{}.Updating(), "only 1 turns it on")
}

func TestUpdateFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	update := rulestest.UpdateFlag(fs, "")
	require.NoError(t, fs.Parse([]string{"-update"}))
	assert.True(t, *update)
	fs2 := flag.NewFlagSet("y", flag.ContinueOnError)
	custom := rulestest.UpdateFlag(fs2, "update-rules")
	require.NoError(t, fs2.Parse(nil))
	assert.False(t, *custom)
	assert.Nil(t, flag.CommandLine.Lookup("update-rules"), "nothing is registered globally")
}

func TestBadCases(t *testing.T) {
	empty := t.TempDir()
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, empty, rulestest.Options{}) })
	require.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], "holds no *.yaml, *.yml or *.json input")

	bad := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bad, "in.yaml"), []byte("a: [\n"), 0o644))
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, bad, rulestest.Options{}) })
	require.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], "invalid test case")

	orphan := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(orphan, "in.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: nowhere, namespace: customization-properties}\n"), 0o644))
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, orphan, rulestest.Options{}) })
	require.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], `properties ConfigMap "nowhere": no ManagedCluster of that name`)
}
