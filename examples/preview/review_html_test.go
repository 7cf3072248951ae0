package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
)

// maxReviewHTML is the bound on review.html at 1,000 changed objects × 1,000 WECs: 10 MB.
const maxReviewHTML = 10_000_000

// pageData decodes the data a review.html embeds for its script.
func pageData(t *testing.T, page []byte) htmlData {
	t.Helper()
	const open = `<script type="application/json" id="review-data">`
	i := bytes.Index(page, []byte(open))
	require.GreaterOrEqual(t, i, 0, "the page embeds its data")
	rest := page[i+len(open):]
	j := bytes.Index(rest, []byte("</script>"))
	require.GreaterOrEqual(t, j, 0)
	var d htmlData
	require.NoError(t, json.Unmarshal(rest[:j], &d))
	return d
}

// syntheticReview builds, without rendering, a review of objects × wecs where each object has
// one variant per group of groupSize consecutive WECs, each variant changing three fields
// (one of them a value of longValue bytes), with real rendered objects behind its drill-down.
func syntheticReview(objects, wecs, groupSize, longValue int) *review {
	names := make([]string, wecs)
	for k := range names {
		names[k] = fmt.Sprintf("wec-%04d", k)
	}
	rev := &review{wecs: names, Objects: make([]reviewObject, objects)}
	long := strings.Repeat("x", longValue)
	for i := range objects {
		ref := transform.ObjectRef{Kind: "ConfigMap", Namespace: "apps", Name: fmt.Sprintf("app-%04d", i)}
		obj := func(v string) *pair {
			u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": ref.Name, "namespace": "apps"}, "data": map[string]any{"v": v, "long": long}}}
			return &pair{res: transform.Result{Object: u}}
		}
		b, a := obj("before"), obj("after")
		changes := []reviewChange{
			{Path: ".data.v", Before: "before", After: "after", By: "rule r: spec.actions[0]"},
			{Path: ".data.long", Before: nil, After: long, By: "rule r: spec.actions[1]"},
			{Path: `.metadata.labels["example.com/team"]`, Before: nil, After: "team", By: "rule r: spec.actions[2]"},
		}
		o := reviewObject{Object: ref.String(), ref: ref}
		for k := 0; k < wecs; k += groupSize {
			o.Variants = append(o.Variants, reviewVariant{WECs: names[k:min(wecs, k+groupSize)], Changes: changes, before: b, after: a})
		}
		rev.Objects[i] = o
		rev.Summary.PairsChanged += wecs
	}
	rev.Summary.ObjectsChanged, rev.Summary.WECsChanged = objects, wecs
	return rev
}

// TestReviewHTMLSizeAtScale: at 1,000 changed objects × 1,000 WECs the page stays within
// 10 MB both when every WEC is its own variant (a million variants: the page keeps what its
// budget allows per object, largest first, and counts the rest) and when each object has ten
// variants of 100 WECs (everything fits).
func TestReviewHTMLSizeAtScale(t *testing.T) {
	for _, c := range []struct {
		name      string
		groupSize int
		longValue int
		allShown  bool
	}{
		{"every WEC its own variant", 1, 300, false},
		{"ten variants per object", 100, 40, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rev := syntheticReview(1000, 1000, c.groupSize, c.longValue)
			start := time.Now()
			page, err := reviewHTML(rev)
			t.Logf("reviewHTML took %s", time.Since(start))
			require.NoError(t, err)
			t.Logf("review.html: %d bytes for 1,000 objects × 1,000 WECs, %d variants per object", len(page), 1000/c.groupSize)
			assert.LessOrEqual(t, len(page), maxReviewHTML)
			d := pageData(t, page)
			require.Len(t, d.Objects, 1000)
			for _, o := range d.Objects {
				require.NotEmpty(t, o.Variants, "%s: at least one variant is always shown", o.Object)
				assert.Equal(t, 1000/c.groupSize, len(o.Variants)+o.MoreVariants, "%s: shown and counted variants add up", o.Object)
				assert.Equal(t, 1000, len(o.Variants)*c.groupSize+o.MoreWECs, "%s: shown and counted WECs add up", o.Object)
				if c.allShown {
					assert.Zero(t, o.MoreVariants, o.Object)
				}
			}
		})
	}
}

// TestReviewHTMLSelfContainedAndEscaped: the page loads nothing (no src or href, a CSP that
// forbids it), and no value, however hostile, can close the data's script element.
func TestReviewHTMLSelfContainedAndEscaped(t *testing.T) {
	rev := syntheticReview(2, 3, 1, 10)
	hostile := `</script><script>alert(1)</script><!--`
	rev.Objects[0].Object = hostile
	rev.Objects[0].Variants[0].Changes = []reviewChange{{Path: hostile, Before: hostile, After: hostile, By: hostile}}
	page, err := reviewHTML(rev)
	require.NoError(t, err)
	text := string(page)
	assert.Equal(t, 2, strings.Count(text, "</script>"), "only the page's own two script elements end")
	assert.NotContains(t, text, "alert(1)</script>")
	for _, attr := range []string{" src=", " href=", "http://", "https://", "@import", "url("} {
		assert.NotContains(t, text, attr, "the page must not load anything")
	}
	assert.Contains(t, text, `content="default-src 'none';`)
	d := pageData(t, page)
	assert.Equal(t, hostile, d.Objects[0].Object, "the value survives intact as data")
	assert.Equal(t, hostile, d.Objects[0].Variants[0].Changes[0][0])
}

// TestIndexRanges: WEC groups are stored as inclusive index ranges.
func TestIndexRanges(t *testing.T) {
	index := map[string]int{"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
	assert.Equal(t, []int{0, 4}, indexRanges([]string{"a", "b", "c", "d", "e"}, index))
	assert.Equal(t, []int{0, 0, 2, 3}, indexRanges([]string{"d", "a", "c"}, index))
	assert.Empty(t, indexRanges(nil, index))
}

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
