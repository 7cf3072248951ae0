package rules

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/rules")

const goldenDir = "../testdata/rules"

// TestGolden runs every case directory of testdata/rules: rules.yaml compiled, input.yaml
// rendered for every WEC of wecs.yaml, compared with expected.yaml (or, when the rules do not
// compile, the errors with errors.txt).
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			runGolden(t, filepath.Join(goldenDir, d.Name()))
		})
	}
	require.NotZero(t, n, "no golden cases found")
}

// wecSpec is one entry of wecs.yaml.
type wecSpec struct {
	Name        string            `json:"name"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	ConfigMap   map[string]string `json:"configMap"`
}

// pairRecord is one rendered pair in expected.yaml.
type pairRecord struct {
	WEC      string                     `json:"wec"`
	Object   string                     `json:"object"`
	Error    string                     `json:"error,omitempty"`
	Warnings []string                   `json:"warnings,omitempty"`
	Deps     customization.Dependencies `json:"deps"`
	Changes  []transform.Change         `json:"changes,omitempty"`
	Result   map[string]any             `json:"result,omitempty"`
}

func runGolden(t *testing.T, dir string) {
	set, err := Compile(readDocs(t, filepath.Join(dir, "rules.yaml")))
	if err != nil {
		var lines []string
		for _, e := range flatten(err) {
			lines = append(lines, e.Error())
		}
		golden(t, filepath.Join(dir, "errors.txt"), strings.Join(lines, "\n")+"\n")
		return
	}
	var out []string
	if w := set.Warnings(); len(w) > 0 {
		b, err := yaml.Marshal(map[string]any{"compileWarnings": w})
		require.NoError(t, err)
		out = append(out, string(b))
	}
	var objs []*unstructured.Unstructured
	for _, d := range readDocs(t, filepath.Join(dir, "input.yaml")) {
		objs = append(objs, &unstructured.Unstructured{Object: d.Object})
	}
	wecs := readWECs(t, filepath.Join(dir, "wecs.yaml"))
	before := make([]map[string]any, len(objs))
	for i, o := range objs {
		before[i] = o.DeepCopy().Object
	}
	p := transform.NewPipeline(nil, []transform.Stage{set.Stage()})
	for _, r := range p.RenderAll(context.Background(), objs, wecs) {
		rec := pairRecord{WEC: r.WEC, Object: r.Ref.String(), Warnings: r.Warnings, Deps: r.Deps, Changes: r.Changes()}
		if r.Err != nil {
			rec.Error = r.Err.Error()
			var re *transform.RenderError
			require.ErrorAs(t, r.Err, &re)
		} else {
			rec.Result = r.Object.Object
		}
		b, err := yaml.Marshal(rec)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	for i, o := range objs {
		assert.Equal(t, before[i], o.Object, "the input object was modified")
	}
	golden(t, filepath.Join(dir, "expected.yaml"), strings.Join(out, "---\n"))
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			var ce *CompileError
			if errors.As(e, &ce) {
				out = append(out, e)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return []error{err}
}

// readDocs reads a multi-document YAML file; numbers become int64 or float64 as in objects
// read from an API server.
func readDocs(t *testing.T, path string) []Document {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var docs []Document
	for i, part := range splitYAML(string(data)) {
		js, err := yaml.YAMLToJSON([]byte(part))
		require.NoError(t, err, "%s document %d", path, i+1)
		u := &unstructured.Unstructured{}
		if string(js) == "null" {
			continue
		}
		require.NoError(t, u.UnmarshalJSON(js), "%s document %d", path, i+1)
		docs = append(docs, Document{Source: filepath.Base(path) + "#" + strconv.Itoa(i+1), Object: u.Object})
	}
	return docs
}

func splitYAML(s string) []string {
	var out []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	out = append(out, strings.Join(cur, "\n"))
	var docs []string
	for _, d := range out {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func readWECs(t *testing.T, path string) []*customization.WEC {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var specs []wecSpec
	require.NoError(t, yaml.UnmarshalStrict(data, &specs))
	out := make([]*customization.WEC, 0, len(specs))
	for _, s := range specs {
		var cm *corev1.ConfigMap
		if s.ConfigMap != nil {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: customization.PropertiesNamespace}, Data: s.ConfigMap}
		}
		w, err := customization.New(s.Name, s.Labels, s.Annotations, cm)
		require.NoError(t, err)
		out = append(out, w)
	}
	return out
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "%s is missing; run go test ./rules -run TestGolden -update and review it", path)
	assert.Equal(t, string(want), got, "%s differs; run go test ./rules -run TestGolden -update and review the diff", path)
}
