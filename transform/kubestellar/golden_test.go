package kubestellar_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/manifests"
	"github.com/wecforge/wecforge/transform/resources"
)

// update rewrites the golden files (so does WECFORGE_UPDATE=1).
var update = rulestest.UpdateFlag(flag.CommandLine, "update")

// goldenDir holds one directory per case: input.yaml (workloads, CRDs among them),
// customtransforms.yaml (optional), and the golden outputs expected.yaml (every object that
// prepared, in input order), trace.txt, warnings.txt and errors.txt (each present only when
// not empty). README (optional) says why the output is right.
const goldenDir = "../../testdata/transform"

// readDocs reads a multi-document YAML file with the project's loader (integers become int64,
// as from an API server); a missing file yields no documents.
func readDocs(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	docs, _, err := manifests.Load([]string{path}, manifests.Options{})
	require.NoError(t, err)
	out := make([]*unstructured.Unstructured, len(docs))
	for i, d := range docs {
		out[i] = &unstructured.Unstructured{Object: d.Object}
	}
	return out
}

// decodeDocs decodes multi-document YAML in memory with the project's loader.
func decodeDocs(t testing.TB, data []byte) []*unstructured.Unstructured {
	t.Helper()
	docs, _, err := manifests.Parse("inline", data)
	require.NoError(t, err)
	out := make([]*unstructured.Unstructured, len(docs))
	for i, d := range docs {
		out[i] = &unstructured.Unstructured{Object: d.Object}
	}
	return out
}

// golden compares got with the file (rulestest.GoldenOrAbsent: an empty got means the file
// must not exist), or rewrites it with -update or WECFORGE_UPDATE=1.
func golden(t *testing.T, path, got string) {
	t.Helper()
	rulestest.GoldenOrAbsent(t, path, []byte(got), rulestest.Options{Update: *update})
}

func TestGolden(t *testing.T) {
	entries, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			dir := filepath.Join(goldenDir, e.Name())
			inputs := readDocs(t, filepath.Join(dir, "input.yaml"))
			require.NotEmpty(t, inputs, "input.yaml")
			cts := readDocs(t, filepath.Join(dir, "customtransforms.yaml"))
			before, ctsBefore := deepCopies(inputs), deepCopies(cts)

			var errs, warnings, trace []string
			var objects bytes.Buffer
			mapper, err := resources.New(resources.Options{Objects: inputs})
			require.NoError(t, err)
			p, rep, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts, Mapper: mapper})
			require.NotNil(t, p)
			if err != nil {
				errs = append(errs, strings.Split(err.Error(), "\n")...)
			}
			warnings = append(warnings, rep.Warnings...)
			for _, in := range inputs {
				prep := p.Prepare(context.Background(), in)
				for _, w := range prep.Warnings {
					warnings = append(warnings, prep.Ref.String()+": "+w)
				}
				if prep.Err != nil {
					errs = append(errs, prep.Err.Error())
					continue
				}
				for _, c := range prep.Trace() {
					trace = append(trace, formatChange(prep.Ref, c))
				}
				out, err := yaml.Marshal(prep.Object().Object)
				require.NoError(t, err)
				objects.WriteString("---\n")
				objects.Write(out)
			}
			golden(t, filepath.Join(dir, "expected.yaml"), objects.String())
			golden(t, filepath.Join(dir, "trace.txt"), lines(trace))
			golden(t, filepath.Join(dir, "warnings.txt"), lines(warnings))
			golden(t, filepath.Join(dir, "errors.txt"), lines(errs))
			assert.Equal(t, before, inputs, "inputs must never be modified")
			assert.Equal(t, ctsBefore, cts, "CustomTransforms must never be modified")
		})
	}
	assert.GreaterOrEqual(t, n, 10, "golden cases")
}

func deepCopies(us []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range us {
		out = append(out, u.DeepCopy())
	}
	return out
}

func formatChange(ref transform.ObjectRef, c transform.Change) string {
	s := fmt.Sprintf("%s: %s: %s %s", ref, c.By, c.Kind, c.Path)
	if c.Kind == transform.ChangeRemove {
		old, _ := json.Marshal(c.Old)
		s += " (was " + string(old) + ")"
	}
	return s
}

func lines(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}
