package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
)

// FuzzRun feeds arbitrary standard input to the function: it must never panic, must exit 0 or
// 1, and must always write a ResourceList, with an error result whenever it exits 1.
func FuzzRun(f *testing.F) {
	// The small golden inputs only: the fuzzer minimizes every new input it finds, which takes
	// long on the 7 KB ones kustomize sends.
	for _, name := range []string{"inline-wec", "bad-rule", "no-wec", "malformed", "not-a-resourcelist"} {
		s := filepath.Join("testdata", "golden", name, "input.yaml")
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(resourceList("{wec: edge-1, labels: {a: b}, properties: {x: y}}", edge1+deployment)))
	f.Add([]byte("kind: ResourceList\nitems: [&a {x: *a}]\n"))
	f.Add([]byte("kind: ResourceList\nfunctionConfig: {spec: {wec: [[[]]]}}\nitems: [{}]\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var stdout, stderr bytes.Buffer
		exit := run(context.Background(), bytes.NewReader(in), &stdout, &stderr, 1<<20)
		if exit != 0 && exit != 1 {
			t.Fatalf("exit status %d", exit)
		}
		rw := &kio.ByteReadWriter{Reader: bytes.NewReader(stdout.Bytes())}
		if _, err := rw.Read(); err != nil {
			t.Fatalf("stdout is not YAML: %v\n%s", err, stdout.Bytes())
		}
		if rw.WrappingKind != kio.ResourceListKind {
			t.Fatalf("stdout is not a ResourceList:\n%s", stdout.Bytes())
		}
		if exit == 1 && !bytes.Contains(stdout.Bytes(), []byte("severity: error")) {
			t.Fatalf("exit 1 without an error result:\n%s", stdout.Bytes())
		}
	})
}
