package rulestest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/transform/manifests"
)

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct{ name, want, got, diff string }{
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", "  a\n- b\n+ B\n  c\n  \n"},
		{"far context elided", "1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\n4\n5\n6\nX\n", "  …\n  5\n  6\n- 7\n+ X\n  \n"},
		{"added at end", "a\n", "a\nb\n", "  a\n+ b\n  \n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.diff, rulestest.LineDiff(tc.want, tc.got))
		})
	}
	// Common leading and trailing lines cost nothing: a change in a long file is diffed.
	big := strings.Repeat("x\n", 5000)
	assert.Equal(t, "  …\n  x\n  x\n- a\n+ b\n  x\n  x\n  …\n", rulestest.LineDiff(big+"a\n"+big, big+"b\n"+big))
	// Beyond the bound, only the first difference is shown: the work stays bounded.
	var w, g strings.Builder
	for i := range 1100 {
		fmt.Fprintf(&w, "w%d\n", i)
		fmt.Fprintf(&g, "g%d\n", i)
	}
	assert.Equal(t, "first difference at line 1:\n- w0\n+ g0\n", rulestest.LineDiff(w.String(), g.String()))
}

func TestGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "out.txt")
	rec := run(t, func(tb testing.TB) { rulestest.Golden(tb, path, []byte("x\n"), rulestest.Options{}) })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "no such file or directory; run the test with WECFORGE_UPDATE=1 to create it")

	rec = run(t, func(tb testing.TB) { rulestest.Golden(tb, path, []byte("x\n"), rulestest.Options{Update: true}) })
	assert.Empty(t, rec.errs)
	rec = run(t, func(tb testing.TB) { rulestest.Golden(tb, path, []byte("x\n"), rulestest.Options{}) })
	assert.Empty(t, rec.errs)
	rec = run(t, func(tb testing.TB) { rulestest.Golden(tb, path, []byte("y\n"), rulestest.Options{}) })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "- x\n+ y\n")

	rec = run(t, func(tb testing.TB) { rulestest.GoldenOrAbsent(tb, path, nil, rulestest.Options{}) })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "exists but the output is empty")
	rec = run(t, func(tb testing.TB) { rulestest.GoldenOrAbsent(tb, path, nil, rulestest.Options{Update: true}) })
	assert.Empty(t, rec.errs)
	assert.NoFileExists(t, path)
	rec = run(t, func(tb testing.TB) { rulestest.GoldenOrAbsent(tb, path, nil, rulestest.Options{}) })
	assert.Empty(t, rec.errs)
}

// statusExt is an extension that claims documents of kind Status and writes their names.
type statusExt struct{}

func (statusExt) Claim(d manifests.Document) bool { return d.Object["kind"] == "ReturnedStatus" }

func (statusExt) Outputs(c *rulestest.Case, i int) (map[string][]byte, error) {
	var names []string
	for _, d := range c.Claimed(i) {
		names = append(names, d.Object["metadata"].(map[string]any)["name"].(string))
	}
	return map[string][]byte{"statuses.txt": []byte(strings.Join(names, ",") + "\n")}, nil
}

func TestExtension(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "status.yaml"), []byte("apiVersion: test.example/v1\nkind: ReturnedStatus\nmetadata: {name: s1}\n"), 0o644))
	opts := rulestest.Options{Extensions: []rulestest.Extension{statusExt{}}}
	rec := run(t, func(tb testing.TB) { rulestest.Run(tb, dir, opts) })
	require.Len(t, rec.errs, 1, "the claimed document is not a workload: only statuses.txt is missing")
	assert.Contains(t, rec.errs[0], "statuses.txt")
	opts.Update = true
	rec = run(t, func(tb testing.TB) { rulestest.Run(tb, dir, opts) })
	assert.Empty(t, rec.errs)
	data, err := os.ReadFile(filepath.Join(dir, "expected/statuses.txt"))
	require.NoError(t, err)
	assert.Equal(t, "s1\n", string(data))
}
