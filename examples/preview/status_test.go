package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatusFileNameClash: a WEC named "status" would be written to status.yaml, which holds
// the status return: the run stops (exit 2) and writes nothing.
func TestStatusFileNameClash(t *testing.T) {
	in, err := os.ReadFile("../../testdata/preview/status-out/input.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	input := filepath.Join(dir, "in.yaml")
	require.NoError(t, os.WriteFile(input, []byte(strings.Replace(string(in), "name: west,", "name: status,", 1)), 0o644))
	require.NoError(t, os.WriteFile(input, bytes.ReplaceAll(mustRead(t, input), []byte("wec: west"), []byte("wec: status")), 0o644))
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", input, "-o", out}, nil, &stdout, &stderr)
	assert.Equal(t, exitBadInput, code, stderr.String())
	assert.Contains(t, stderr.String(), `WEC "status" would be written to status.yaml`)
	assert.NoDirExists(t, out)
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return b
}
