package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxReviewHTML is the bound on review.html at 1,000 objects × 1,000 WECs.
const maxReviewHTML = 10 << 20

// writeScaleInputs writes a review of objects ConfigMaps on wecs WECs (ten regions) under
// dir and returns the arguments of the run: the shared inventory and workloads, and a rule
// that labels every object with its WEC's region before and, after the change, also with a
// per-region team (ten variants per object) and, with perWEC, a per-WEC shard (every WEC its
// own variant, the worst case for the report's size).
func writeScaleInputs(tb testing.TB, dir string, objects, wecs int, perWEC bool) []string {
	tb.Helper()
	var inv, work bytes.Buffer
	for k := range wecs {
		fmt.Fprintf(&inv, "---\napiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata:\n  name: wec-%04d\n  labels: {region: r%d, shard: s%04d}\n", k, k%10, k)
	}
	for i := range objects {
		fmt.Fprintf(&work, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-%04d\n  namespace: apps\ndata:\n  index: \"%d\"\n  level: info\n", i, i)
	}
	rule := func(extra string) string {
		return "apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: fleet-labels}\nspec:\n  match:\n    namespaces: [apps]\n  actions:\n  - labels:\n      add:\n        example.com/region: \"{{ .region }}\"\n" + extra
	}
	after := "        example.com/team: \"team-{{ .region }}\"\n"
	if perWEC {
		after += "        example.com/shard: \"{{ .shard }}\"\n"
	}
	files := map[string]string{
		"shared/inventory.yaml": inv.String(),
		"shared/workloads.yaml": work.String(),
		"before/rule.yaml":      rule(""),
		"after/rule.yaml":       rule(after),
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(tb, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(tb, os.WriteFile(p, []byte(text), 0o644))
	}
	return []string{"-f", filepath.Join(dir, "shared"), "--before", filepath.Join(dir, "before"), "--after", filepath.Join(dir, "after")}
}

// TestReviewCountsEveryPair: a real run where every pair changes and every WEC is its own
// variant: the summary counts every pair, review.json lists every one, and the page leaves
// none out at this size.
func TestReviewCountsEveryPair(t *testing.T) {
	const objects, wecs = 60, 40
	dir := t.TempDir()
	args := append(writeScaleInputs(t, dir, objects, wecs, true), "-o", filepath.Join(dir, "out"))
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run(args, nil, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), fmt.Sprintf("review: %d object(s) changed on %d of %d WEC(s), %d (object, WEC) pair(s)\n", objects, wecs, wecs, objects*wecs))
	js, err := os.ReadFile(filepath.Join(dir, "out", reviewJSONFile))
	require.NoError(t, err)
	assert.Equal(t, objects*wecs, strings.Count(string(js), `"path": ".metadata.labels[\"example.com/shard\"]"`), "review.json lists every changed pair")
	page, err := os.ReadFile(filepath.Join(dir, "out", reviewHTMLFile))
	require.NoError(t, err)
	d := pageData(t, page)
	require.Len(t, d.Objects, objects)
	for _, o := range d.Objects {
		assert.Len(t, o.Variants, wecs, "%s: every variant is in the page at this size", o.Object)
		assert.Zero(t, o.MoreVariants, o.Object)
	}
}

// BenchmarkReview1000x1000 measures a whole review, as the CLI runs it, of 1,000 objects ×
// 1,000 WECs where every pair changes (ten variants per object): both sides rendered
// (2,000,000 pairs), compared, and review.json and review.html written. It reports the size
// of both files.
func BenchmarkReview1000x1000(b *testing.B) {
	dir := b.TempDir()
	args := writeScaleInputs(b, dir, 1000, 1000, false)
	out := filepath.Join(dir, "out")
	args = append(args, "-o", out)
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr); code != exitOK {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	for _, f := range []string{reviewHTMLFile, reviewJSONFile} {
		if st, err := os.Stat(filepath.Join(out, f)); err == nil {
			b.ReportMetric(float64(st.Size()), strings.TrimPrefix(f, "review.")+"-bytes")
		}
	}
}
