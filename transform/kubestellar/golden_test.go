package kubestellar_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/transform")

// goldenDir holds one directory per case: input.yaml (workloads, CRDs among them),
// customtransforms.yaml (optional), and the golden outputs expected.yaml (every object that
// prepared, in input order), trace.txt, warnings.txt and errors.txt (each present only when
// not empty). README (optional) says why the output is right.
const goldenDir = "../../testdata/transform"

// readDocs decodes a multi-document YAML file; a missing file yields no documents.
func readDocs(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	return decodeDocs(t, data)
}

// decodeDocs decodes multi-document YAML; empty documents are skipped.
func decodeDocs(t testing.TB, data []byte) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		js, err := yaml.YAMLToJSON(doc)
		require.NoError(t, err)
		if string(bytes.TrimSpace(js)) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if u.UnmarshalJSON(js) != nil { // integers become int64, as from an API server
			// Documents without apiVersion or kind are legal inputs for the pipeline.
			u = &unstructured.Unstructured{}
			require.NoError(t, json.Unmarshal(js, &u.Object), "%s", js)
		}
		out = append(out, u)
	}
}

// golden compares got with the file, or rewrites it with -update. An empty got means the file
// must not exist.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if got == "" {
			if err := os.Remove(path); !errors.Is(err, os.ErrNotExist) {
				require.NoError(t, err, "%s", path)
			}
			return
		}
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		assert.Empty(t, got, "%s does not exist; run go test -update", path)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "%s differs; run go test ./transform/kubestellar -update and review the diff", path)
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
