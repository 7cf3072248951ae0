package rules_test

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
	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/manifests"
)

// update rewrites the golden files (so does WECFORGE_UPDATE=1).
var update = rulestest.UpdateFlag(flag.CommandLine, "update")

// TestGolden runs every case directory of testdata/rules: rules.yaml compiled alone (no
// other stage, so that each case shows exactly what the rules do), input.yaml rendered for
// every WEC of wecs.yaml, compared with expected.yaml (or, when the rules do not compile, the
// errors with errors.txt). The comparison and regeneration are package rulestest's.
func TestGolden(t *testing.T) {
	dirs, err := os.ReadDir("../testdata/rules")
	require.NoError(t, err)
	n := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		n++
		t.Run(d.Name(), func(t *testing.T) {
			t.Parallel()
			runGolden(t, filepath.Join("../testdata/rules", d.Name()))
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
	opts := rulestest.Options{Update: *update}
	set, err := rules.Compile(readDocs(t, filepath.Join(dir, "rules.yaml")))
	if err != nil {
		var lines []string
		for _, e := range compileErrors(err) {
			lines = append(lines, e.Error())
		}
		rulestest.Golden(t, filepath.Join(dir, "errors.txt"), []byte(strings.Join(lines, "\n")+"\n"), opts)
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
	rulestest.Golden(t, filepath.Join(dir, "expected.yaml"), []byte(strings.Join(out, "---\n")), opts)
}

// compileErrors returns the *rules.CompileErrors an error joins (err itself when it joins
// none).
func compileErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			var ce *rules.CompileError
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

// readDocs reads a multi-document YAML file with the project's loader; documents are named
// `file#N`, N counting the non-empty documents from 1.
func readDocs(t *testing.T, path string) []rules.Document {
	t.Helper()
	docs, _, err := manifests.Load([]string{path}, manifests.Options{})
	require.NoError(t, err)
	out := make([]rules.Document, len(docs))
	for i, d := range docs {
		out[i] = rules.Document{Source: filepath.Base(path) + "#" + strconv.Itoa(i+1), Object: d.Object}
	}
	return out
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
