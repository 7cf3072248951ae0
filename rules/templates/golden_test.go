package templates_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/manifests"
)

// update rewrites the golden files (so does WECFORGE_UPDATE=1).
var update = rulestest.UpdateFlag(flag.CommandLine, "update")

// goldenLimits are the limits of the cases that test them; other cases use the defaults.
var goldenLimits = map[string]templates.Limits{
	"limits": {MaxStringBytes: 64, MaxObjectBytes: 100, MaxSteps: 1000},
}

// TestGolden renders testdata/<case>/input.yaml (workloads, ManagedClusters and properties
// ConfigMaps, like the preview tool's input) for every WEC through a pipeline whose only
// per-WEC stage is the Expander, and compares the rendered objects, errors, warnings and
// dependencies with testdata/<case>/golden.yaml (package rulestest compares; -update or
// WECFORGE_UPDATE=1 rewrites them).
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/input.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, in := range dirs {
		dir := filepath.Dir(in)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			objs, wecs := loadInput(t, in)
			before := make([]*unstructured.Unstructured, len(objs))
			for i, o := range objs {
				before[i] = o.DeepCopy()
			}
			p := transform.NewPipeline(nil, []transform.Stage{templates.NewExpander(goldenLimits[name]).Stage()})
			results := p.RenderAll(context.Background(), objs, wecs)
			got := formatResults(t, results)
			assert.Equal(t, before, objs, "inputs must never be modified")

			rulestest.Golden(t, filepath.Join(dir, "golden.yaml"), []byte(got), rulestest.Options{Update: *update})
		})
	}
}

// loadInput sorts the documents of a multi-document YAML file the way the preview tool does.
func loadInput(t *testing.T, path string) ([]*unstructured.Unstructured, []*customization.WEC) {
	t.Helper()
	docs, _, err := manifests.Load([]string{path}, manifests.Options{})
	require.NoError(t, err)
	var objs []*unstructured.Unstructured
	var clusters []*unstructured.Unstructured
	cms := map[string]*corev1.ConfigMap{}
	for _, doc := range docs {
		u := &unstructured.Unstructured{Object: doc.Object}
		switch {
		case u.GetKind() == "ManagedCluster":
			clusters = append(clusters, u)
		case u.GetKind() == "ConfigMap" && u.GetNamespace() == customization.PropertiesNamespace:
			cm := &corev1.ConfigMap{}
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, cm))
			cms[cm.Name] = cm
		default:
			objs = append(objs, u)
		}
	}
	wecs := make([]*customization.WEC, 0, len(clusters))
	for _, mc := range clusters {
		w, err := customization.FromManagedCluster(mc, cms[mc.GetName()])
		require.NoError(t, err)
		wecs = append(wecs, w)
	}
	return objs, wecs
}

func formatResults(t *testing.T, results []transform.Result) string {
	t.Helper()
	var b strings.Builder
	wec := ""
	for _, r := range results {
		if r.WEC != wec {
			wec = r.WEC
			fmt.Fprintf(&b, "# wec: %s\n", wec)
		}
		fmt.Fprintf(&b, "## object: %s\n", r.Ref)
		if r.Err != nil {
			var re *transform.RenderError
			require.ErrorAs(t, r.Err, &re, "every failure is a RenderError")
			assert.Equal(t, r.WEC, re.WEC)
			assert.Equal(t, "templates", re.By)
			fmt.Fprintf(&b, "## error: %s\n", r.Err)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "## warning: %s\n", w)
		}
		if !r.Deps.Empty() {
			js, err := json.Marshal(r.Deps)
			require.NoError(t, err)
			fmt.Fprintf(&b, "## deps: %s\n", js)
		}
		if paths := r.Changes().Paths(); len(paths) > 0 {
			fmt.Fprintf(&b, "## changed: %s\n", strings.Join(paths, " "))
		}
		if r.Object != nil {
			out, err := yaml.Marshal(r.Object.Object)
			require.NoError(t, err)
			b.Write(out)
		}
	}
	return b.String()
}
