package rulestest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/manifests"
)

// The files of a case's expected directory besides the per-WEC files.
const (
	// ErrorsFile lists the problems: documents left out, then failed pairs.
	ErrorsFile = "errors.txt"
	// WarningsFile lists the warnings of compilers, placement and renders.
	WarningsFile = "warnings.txt"
)

// Run loads the case in dir ([Load]), renders it and compares the result with
// dir/expected/: for every WEC, NAME.yaml holds the objects it receives as rendered
// (multi-document YAML; compared as objects, so order, formatting and comments do not
// matter); errors.txt the problems and failed pairs, warnings.txt the warnings, each line for
// line (absent when there are none); and each [Extension]'s files. A difference fails t with a
// message naming the WEC, the object, its input document and the field path, the expected and
// the rendered value, and the explain trace of that field (every change at, above or below it,
// and what the render read of the WEC).
//
// When updating ([Options.Updating]), Run rewrites dir/expected/ instead (removing WEC files
// of WECs the case no longer has). Inputs are never modified: Run fails t if the render
// changed one.
func Run(t testing.TB, dir string, opts Options) {
	t.Helper()
	c, err := Load(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("rulestest: %v", err)
		return
	}
	checkInputsUnchanged(t, c, dir)
	exp := filepath.Join(dir, ExpectedDir)
	text := map[string][]byte{
		ErrorsFile:   joinLines(c.Problems),
		WarningsFile: joinLines(c.Warnings),
	}
	for i, x := range opts.Extensions {
		outs, err := x.Outputs(c, i)
		if err != nil {
			t.Errorf("rulestest: %s: extension %d: %v", dir, i, err)
			continue
		}
		for name, data := range outs {
			text[name] = data
		}
	}
	wecFiles := map[string][]byte{}
	for _, w := range c.WECs {
		data, err := wecFile(c, w.Name())
		if err != nil {
			t.Fatalf("rulestest: %s: wec %s: %v", dir, w.Name(), err)
			return
		}
		wecFiles[w.Name()+".yaml"] = data
	}
	if opts.Updating() {
		if err := removeStale(exp, wecFiles); err != nil {
			t.Fatalf("rulestest: %v", err)
		}
		for name, data := range wecFiles {
			Golden(t, filepath.Join(exp, name), data, opts)
		}
	} else {
		compareWECs(t, c, exp)
	}
	for name, data := range text {
		GoldenOrAbsent(t, filepath.Join(exp, name), data, opts)
	}
}

// RunAll runs [Run] on every subdirectory of dir that holds an input file, each as a subtest
// named after it, in parallel. It fails t when there is none.
func RunAll(t *testing.T, dir string, opts Options) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("rulestest: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !hasInput(filepath.Join(dir, e.Name())) {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			Run(t, filepath.Join(dir, e.Name()), opts)
		})
	}
	if n == 0 {
		t.Fatalf("rulestest: no case directory (with a *.yaml, *.yml or *.json input) under %s", dir)
	}
}

func hasInput(dir string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				return true
			}
		}
	}
	return false
}

// wecFile is what WEC wec receives: its rendered objects as multi-document YAML, in the order
// of the case's pairs (group, kind, namespace, name).
func wecFile(c *Case, wec string) ([]byte, error) {
	var buf bytes.Buffer
	for _, p := range c.Pairs {
		if p.WEC.Name() != wec || p.Result.Object == nil {
			continue
		}
		y, err := yaml.Marshal(p.Result.Object.Object)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(y)
	}
	return buf.Bytes(), nil
}

// compareWECs compares every WEC's rendered objects with its expected file, object by object
// and field by field, and reports expected files of WECs the case does not have.
func compareWECs(t testing.TB, c *Case, exp string) {
	t.Helper()
	known := map[string]bool{}
	for _, w := range c.WECs {
		name := w.Name() + ".yaml"
		known[name] = true
		path := filepath.Join(exp, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("rulestest: wec %s: %v; run the test with %s=1 to create it, then review it", w.Name(), err, UpdateEnv)
			continue
		}
		docs, _, err := manifests.Parse(path, data)
		if err != nil {
			t.Errorf("rulestest: wec %s: %v", w.Name(), err)
			continue
		}
		want := map[transform.ObjectRef]map[string]any{}
		var order []transform.ObjectRef
		for _, d := range docs {
			ref := key(transform.RefOf(d.Object))
			if _, dup := want[ref]; dup {
				t.Errorf("rulestest: %s#%d (line %d): %s appears twice in the expected objects of wec %s", path, d.Index, d.Line, ref, w.Name())
				continue
			}
			want[ref] = d.Object
			order = append(order, ref)
		}
		for _, p := range c.Pairs {
			if p.WEC.Name() != w.Name() {
				continue
			}
			ref := key(p.Result.Ref)
			w, expected := want[ref]
			delete(want, ref)
			switch {
			case p.Result.Err != nil && expected:
				t.Errorf("wec %s: %s (%s): expected in %s, but the pair failed: %v", p.WEC.Name(), p.Result.Ref, p.Source, path, p.Result.Err)
			case p.Result.Err != nil:
				// A failure is expected in errors.txt, which is compared as text.
			case !expected:
				t.Errorf("wec %s: %s (%s): received, but not expected in %s", p.WEC.Name(), p.Result.Ref, p.Source, path)
			default:
				for _, d := range differences(w, p.Result.Object.Object) {
					t.Errorf("%s", describeDifference(p, d))
				}
			}
		}
		for _, ref := range order {
			if _, left := want[ref]; left {
				t.Errorf("wec %s: %s: expected in %s, but the WEC does not receive it", w.Name(), ref, path)
			}
		}
	}
	entries, _ := os.ReadDir(exp)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") && !known[e.Name()] {
			t.Errorf("rulestest: %s names no WEC of the case; run the test with %s=1 to remove it", filepath.Join(exp, e.Name()), UpdateEnv)
		}
	}
}

// key is ref without the version, which an expected file may spell differently.
func key(ref transform.ObjectRef) transform.ObjectRef {
	ref.Version = ""
	return ref
}

// removeStale removes the WEC files of exp that keep does not hold.
func removeStale(exp string, keep map[string][]byte) error {
	entries, err := os.ReadDir(exp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, ok := keep[e.Name()]; !ok && !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			if err := os.Remove(filepath.Join(exp, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkInputsUnchanged reads the inputs again and fails t when the case's documents differ
// from them: the render modified an input.
func checkInputsUnchanged(t testing.TB, c *Case, dir string) {
	t.Helper()
	var files []string
	seen := map[string]bool{}
	for _, d := range c.Documents {
		if !seen[d.File] {
			seen[d.File] = true
			files = append(files, d.File)
		}
	}
	again, _, err := manifests.Load(files, manifests.Options{})
	if err != nil || len(again) != len(c.Documents) {
		t.Errorf("rulestest: %s: the inputs changed while the case ran: %v", dir, err)
		return
	}
	for i, d := range again {
		if !transform.Equal(d.Object, c.Documents[i].Object) {
			t.Errorf("rulestest: %s#%d: the render modified this input", d.File, d.Index)
		}
	}
}

func joinLines(ls []string) []byte {
	if len(ls) == 0 {
		return nil
	}
	return []byte(strings.Join(ls, "\n") + "\n")
}
