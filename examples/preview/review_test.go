package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform"
)

// TestReviewBadUsage: flag combinations a review cannot honour are exit 2 with a message
// saying what to do, before anything is read; the error is typed.
func TestReviewBadUsage(t *testing.T) {
	t.Chdir("../..")
	demo := "testdata/demo"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"before without after", []string{"-f", demo, "--before", demo}, "--before needs --after"},
		{"after without before", []string{"-f", demo, "--after", demo}, "--after needs --before"},
		{"stdin as a side", []string{"-f", demo, "--before", "-", "--after", demo}, "standard input (-) is only for -f"},
		{"explain", []string{"-f", demo, "--before", demo, "--after", demo, "--explain"}, "--explain and --diff do not apply"},
		{"diff", []string{"-f", demo, "--before", demo, "--after", demo, "--diff"}, "--explain and --diff do not apply"},
		{"wec", []string{"-f", demo, "--before", demo, "--after", demo, "--wec", "core-eu-1"}, "--wec does not apply"},
		{"missing side", []string{"--before", "testdata/nope", "--after", demo}, "before: testdata/nope"},
		{"out inside an input", []string{"-f", demo, "--before", demo, "--after", "testdata/review", "-o", "testdata/review/out"}, "lies inside the input testdata/review"},
		{"out is a file", []string{"-f", demo, "--before", demo, "--after", demo, "-o", "README.md"}, "exists and is not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, strings.NewReader(""), &stdout, &stderr)
			assert.Equal(t, exitBadInput, code, "stderr: %s", stderr.String())
			assert.Contains(t, stderr.String(), c.want)
			assert.Empty(t, stdout.String(), "nothing on stdout for bad input")
		})
	}
	err := checkReviewUsage(&reviewFlags{before: listFlag{"a"}}, options{}, nil)
	assert.ErrorIs(t, err, ErrReviewUsage)
}

func doc(kind, ns, name string, extra map[string]any) document {
	obj := map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	for k, v := range extra {
		obj[k] = v
	}
	return document{Source: kind + "/" + name, Line: 1, Object: obj}
}

// TestOverlay: a side's document replaces the shared one with the same group, kind, namespace
// and name in place (whatever its apiVersion's version), others are appended; a side naming
// one object twice keeps both (so the router reports it); inputs are not modified.
func TestOverlay(t *testing.T) {
	shared := []document{doc("ConfigMap", "a", "x", nil), doc("Secret", "a", "x", nil), doc("ConfigMap", "a", "y", nil)}
	repl := doc("ConfigMap", "a", "x", map[string]any{"data": map[string]any{"k": "v"}})
	repl.Object["apiVersion"] = "v2"
	side := []document{repl, doc("ConfigMap", "b", "x", nil), doc("ConfigMap", "a", "x", nil)}
	sharedCopy, sideCopy := cloneDocs(shared), cloneDocs(side)
	got := overlay(shared, side)
	require.Len(t, got, 5)
	assert.Equal(t, repl.Object, got[0].Object, "replaced in place")
	assert.Equal(t, "Secret", got[1].Object["kind"], "another kind of the same name is not replaced")
	assert.Equal(t, "y", got[2].Object["metadata"].(map[string]any)["name"])
	assert.Equal(t, "b", got[3].Object["metadata"].(map[string]any)["namespace"], "new objects follow")
	assert.Equal(t, side[2].Object, got[4].Object, "a duplicate within a side is kept for the router to report")
	assert.Equal(t, sharedCopy, shared)
	assert.Equal(t, sideCopy, side)
}

func cloneDocs(ds []document) []document {
	out := make([]document, len(ds))
	for i, d := range ds {
		out[i] = document{Source: d.Source, Line: d.Line, Object: deepCopy(d.Object).(map[string]any)}
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

type diffLine struct {
	path          string
	before, after any
}

// TestDiffValues: every differing leaf once, in path order, with paths formatted like trace
// paths; members and items present on one side only whole; numbers of different types differ.
func TestDiffValues(t *testing.T) {
	shared := map[string]any{"deep": []any{int64(1)}}
	a := map[string]any{
		"spec":     map[string]any{"replicas": int64(1), "ports": []any{int64(80), int64(443)}, "same": shared},
		"metadata": map[string]any{"labels": map[string]any{"example.com/x": "a", "gone": "g"}},
		"ratio":    int64(2),
		"list":     []any{"a"},
		"kind":     map[string]any{"nested": true},
	}
	b := map[string]any{
		"spec":     map[string]any{"replicas": int64(3), "ports": []any{int64(80)}, "same": shared},
		"metadata": map[string]any{"labels": map[string]any{"example.com/x": "b", "new": "n"}},
		"ratio":    float64(2),
		"list":     []any{"a", map[string]any{"b": int64(1)}},
		"kind":     "scalar now",
	}
	aCopy, bCopy := deepCopy(a), deepCopy(b)
	var got []diffLine
	diffValues(a, b, func(path string, before, after any) { got = append(got, diffLine{path, before, after}) })
	want := []diffLine{
		{".kind", map[string]any{"nested": true}, "scalar now"},
		{".list[1]", nil, map[string]any{"b": int64(1)}},
		{`.metadata.labels["example.com/x"]`, "a", "b"},
		{".metadata.labels.gone", "g", nil},
		{".metadata.labels.new", nil, "n"},
		{".ratio", int64(2), float64(2)},
		{".spec.ports[1]", int64(443), nil},
		{".spec.replicas", int64(1), int64(3)},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, aCopy, any(a), "inputs are not modified")
	assert.Equal(t, bCopy, any(b))

	got = nil
	diffValues(a, deepCopy(a), func(path string, before, after any) { got = append(got, diffLine{path, before, after}) })
	assert.Empty(t, got, "equal trees have no difference")
	diffValues(nil, map[string]any{}, func(path string, before, after any) { got = append(got, diffLine{path, before, after}) })
	assert.Equal(t, []diffLine{{".", nil, map[string]any{}}}, got, "the root itself can differ")
}

// TestAttribute: the after trace names who wrote a path (at it, above it or below it); else
// the before trace, marked `before:`; else the input changed.
func TestAttribute(t *testing.T) {
	after := transform.Trace{
		{Path: ".metadata.labels", By: "rule a", Kind: transform.ChangeAdd},
		{Path: ".spec.replicas", By: "rule r1", Kind: transform.ChangeSet},
		{Path: ".spec.replicas", By: "rule r2", Kind: transform.ChangeSet},
		{Path: ".spec.template", By: "rule noop", Kind: transform.ChangeNoop},
		{Path: ".data.x", By: "rule deep", Kind: transform.ChangeAdd},
	}
	before := transform.Trace{{Path: ".spec.paused", By: "rule p", Kind: transform.ChangeSet}}
	cases := map[string]string{
		".spec.replicas":                    "rule r2",
		`.metadata.labels["example.com/x"]`: "rule a",
		".data":                             "rule deep",
		".spec.paused":                      "before: rule p",
		".spec.template.spec":               "input",
		".spec.replicasX":                   "input",
	}
	for path, want := range cases {
		assert.Equal(t, want, attribute(path, before, after), path)
	}
}

// TestReviewSecretValuesNeverWritten: no Secret value, before or after, reaches the summary,
// review.json or review.html, though the Secret's change is reported.
func TestReviewSecretValuesNeverWritten(t *testing.T) {
	t.Chdir("../..")
	out := filepath.Join(t.TempDir(), "out")
	// The after side also adds a WEC, so whole rendered Secrets are in the report as well.
	newWEC := filepath.Join(t.TempDir(), "wec.yaml")
	require.NoError(t, os.WriteFile(newWEC, []byte("apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\nmetadata: {name: extra}\n"), 0o600))
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "testdata/demo/inventory.yaml", "-f", "testdata/review/secret/shared.yaml",
		"--before", "testdata/review/secret/before", "--after", "testdata/review/secret/after", "--after", newWEC, "-o", out},
		strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	js, err := os.ReadFile(filepath.Join(out, reviewJSONFile))
	require.NoError(t, err)
	page, err := os.ReadFile(filepath.Join(out, reviewHTMLFile))
	require.NoError(t, err)
	for name, text := range map[string]string{"summary": stdout.String(), "stderr": stderr.String(), "review.json": string(js), "review.html": string(page)} {
		for _, secret := range []string{"hunter2", "pw-", "pw2-", `"app"`} {
			assert.False(t, strings.Contains(text, secret), "%s shows the Secret value %s", name, secret)
		}
	}
	assert.Contains(t, string(js), `"by": "fleet: the WEC is only after"`)
	assert.True(t, strings.Contains(string(page), `\u003cmasked, changed\u003e`), "the page says the value changed")
}

// TestReviewProgress: progress lines go to stderr with --progress (stderr here is no
// terminal), never to stdout, and not at all without the flag.
func TestReviewProgress(t *testing.T) {
	t.Chdir("../..")
	args := []string{"-f", "testdata/demo", "--before", "testdata/review/demo-change/before", "--after", "testdata/review/demo-change/after"}
	var quietOut, quietErr, out, errOut bytes.Buffer
	require.Equal(t, exitOK, run(args, nil, &quietOut, &quietErr))
	require.Equal(t, exitOK, run(append(args, "--progress"), nil, &out, &errOut))
	assert.NotContains(t, quietErr.String(), "review: rendering")
	assert.Contains(t, errOut.String(), "review: rendering the before side…\n")
	assert.Contains(t, errOut.String(), "review: comparing the two sides…\n")
	assert.Equal(t, quietOut.String(), out.String(), "stdout is the same summary either way")
}

// TestReviewReplacesPreviousOutput: a second review replaces the first one's directory as a
// whole; a directory holding anything else is refused and left alone.
func TestReviewReplacesPreviousOutput(t *testing.T) {
	t.Chdir("../..")
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"-f", "testdata/demo", "--before", "testdata/review/demo-change/before", "--after", "testdata/review/demo-change/after", "-o", out}
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run(args, nil, &stdout, &stderr), stderr.String())
	require.Equal(t, exitOK, run(args, nil, &stdout, &stderr), "a previous review output is replaced: %s", stderr.String())
	require.NoError(t, os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o600))
	stderr.Reset()
	assert.Equal(t, exitBadInput, run(args, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "holds notes.txt: not a previous preview output")
	data, err := os.ReadFile(filepath.Join(out, "notes.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(data))
}

// TestReviewDeterministic: two runs of one review produce identical bytes, whatever the
// scheduling of the parallel comparison.
func TestReviewDeterministic(t *testing.T) {
	t.Chdir("../..")
	var first []byte
	for range 3 {
		out := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		require.Equal(t, exitOK, run([]string{"-f", "testdata/demo", "--before", "testdata/review/demo-change/before",
			"--after", "testdata/review/demo-change/after", "-o", out}, nil, &stdout, &stderr), stderr.String())
		page, err := os.ReadFile(filepath.Join(out, reviewHTMLFile))
		require.NoError(t, err)
		if first == nil {
			first = page
		}
		assert.True(t, bytes.Equal(first, page), "review.html differs between runs")
	}
}
