package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden from the current output")

// TestGolden runs the function on each ResourceList under testdata/golden/<case>/input.yaml and
// compares the ResourceList it writes (output.yaml), what it says on stderr (stderr.txt) and
// its exit status with the recorded ones.
func TestGolden(t *testing.T) {
	cases := []struct {
		name   string
		exit   int
		reason string
	}{
		{"from-kustomize", 0, "what kustomize sends for the sample's edge-1 overlay: configuration consumed, only what the BindingPolicies bind to edge-1, rendered, kustomize's annotations kept"},
		{"from-kustomize-failing", 1, "the sample's broken overlay: the Deployment fails for edge-2 (an error result naming object, field and cause); the other bound objects are still output"},
		{"inline-wec", 0, "the functionConfig describes the WEC; no inventory, no policies: every workload rendered, a CRD teaches its kind to a CustomTransform"},
		{"bad-rule", 1, "an invalid CustomizationRule stops the run: one error result naming document and field, no items"},
		{"no-wec", 1, "a functionConfig without spec.wec"},
		{"malformed", 1, "YAML that does not parse"},
		{"not-a-resourcelist", 1, "a plain manifest stream is not a ResourceList"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "golden", tc.name)
			in, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			require.NoError(t, err)
			var stdout, stderr bytes.Buffer
			exit := run(context.Background(), bytes.NewReader(in), &stdout, &stderr, maxInput)
			assert.Equal(t, tc.exit, exit, tc.reason)
			golden(t, filepath.Join(dir, "output.yaml"), stdout.Bytes())
			golden(t, filepath.Join(dir, "stderr.txt"), stderr.Bytes())
		})
	}
}

// golden compares got with the file at path, or rewrites the file under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./examples/krm-function -run TestGolden -update to create it")
	assert.Equal(t, string(want), string(got), "%s differs", path)
}

// TestREADMEsShowTheRealMessage checks that the message both READMEs quote for the sample's
// failing overlay is the one the function writes.
func TestREADMEsShowTheRealMessage(t *testing.T) {
	stderr, err := os.ReadFile(filepath.Join("testdata", "golden", "from-kustomize-failing", "stderr.txt"))
	require.NoError(t, err)
	for _, readme := range []string{"README.md", filepath.Join("..", "..", "README.md")} {
		b, err := os.ReadFile(readme)
		require.NoError(t, err)
		assert.Contains(t, string(b), "```\n"+string(stderr)+"Error: couldn't execute function: exit status 1\n```\n", readme)
	}
}
