package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "help", args: []string{"-h"}, wantCode: exitOK, wantStderr: "usage: preview -f PATH"},
		{name: "unknown flag", args: []string{"-f", "x", "--nope"}, wantCode: exitBadInput, wantStderr: "flag provided but not defined: -nope"},
		{name: "positional argument", args: []string{"-f", "x", "extra"}, wantCode: exitBadInput, wantStderr: `error: unexpected argument "extra" (input files are given with -f)`},
		{name: "empty -f", args: []string{"-f", ""}, wantCode: exitBadInput, wantStderr: `invalid value "" for flag -f: must not be empty`},
		{name: "missing file", args: []string{"-f", "does/not/exist.yaml"}, wantCode: exitBadInput, wantStderr: "error: does/not/exist.yaml: no such file or directory\npreview: bad input; nothing written\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.wantCode, run(tt.args, nil, &stdout, &stderr))
			assert.Empty(t, stdout.String())
			assert.Contains(t, stderr.String(), tt.wantStderr)
		})
	}
}

func TestRunWithoutInventoryWarns(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "../../testdata/demo/workload.yaml"}, nil, &stdout, &stderr)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, stdout.String())
	assert.Equal(t, "notice: "+engine.NoPlacementNotice+"\n"+"warning: no ManagedCluster among the inputs: there is no WEC to render for\n", stderr.String())
}

func TestRunSelectsWECs(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "../../testdata/demo", "--wec", "edge-west-1", "--wec", "core-eu-1"}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	out := stdout.String()
	assert.Contains(t, out, "# wec: core-eu-1\n")
	assert.Contains(t, out, "# wec: edge-west-1\n")
	assert.NotContains(t, out, "# wec: edge-east-1")
	assert.Less(t, bytes.Index(stdout.Bytes(), []byte("core-eu-1")), bytes.Index(stdout.Bytes(), []byte("edge-west-1")), "WECs in name order, whatever the flag order")
}

func TestRunNeverModifiesItsInputs(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../testdata/demo/workload.yaml")
	require.NoError(t, err)
	in := filepath.Join(dir, "workload.yaml")
	require.NoError(t, os.WriteFile(in, src, 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "../../testdata/demo/inventory.yaml", "-f", in, "-o", filepath.Join(dir, "out")}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	after, err := os.ReadFile(in)
	require.NoError(t, err)
	assert.Equal(t, string(src), string(after))
}

// FuzzRun runs the whole tool on an arbitrary input file next to the demo inventory: it never
// panics, exits 0, 1 or 2, and exit 2 writes nothing.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: demo, annotations: {control.kubestellar.io/expand-templates: \"true\"}}\ndata: {x: \"{{ .region }}\"}\n",
		"apiVersion: control.kubestellar.io/v1alpha1\nkind: CustomTransform\nmetadata: {name: c}\nspec: {apiGroup: apps, resource: deployments, remove: [\"$.spec[0]\"]}\n",
		"apiVersion: wecforge.io/v1alpha1\nkind: CustomizationRule\nmetadata: {name: r}\nspec: {actions: [{set: {path: $.x, value: \"1\"}}]}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: edge-east-1, namespace: customization-properties}\ndata: {region: x}\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\nspec: {replicas: 1}\n---\n- x\n",
		"kind: [\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		in := filepath.Join(dir, "in.yaml")
		require.NoError(t, os.WriteFile(in, data, 0o644))
		out := filepath.Join(dir, "out")
		var stdout, stderr bytes.Buffer
		code := run([]string{"-f", "../../testdata/demo/inventory.yaml", "-f", in, "-o", out, "--explain", "--diff"}, nil, &stdout, &stderr)
		require.Contains(t, []int{exitOK, exitPairs, exitBadInput}, code)
		if code == exitBadInput {
			_, err := os.Stat(out)
			require.ErrorIs(t, err, fs.ErrNotExist, "exit 2 writes nothing")
			require.NotEmpty(t, stderr.String())
		}
	})
}

func TestRunWarnsAboutObjectsLeftWithoutAName(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "job.yaml")
	require.NoError(t, os.WriteFile(in, []byte("apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: run-, namespace: demo}\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", "../../testdata/demo/inventory.yaml", "-f", in}, nil, &stdout, &stderr)
	assert.Equal(t, exitOK, code)
	assert.Equal(t, "notice: "+engine.NoPlacementNotice+"\n"+"warning: Job.batch demo/run- ("+in+"#0 (line 1)): has metadata.generateName but no metadata.name; generateName is removed for delivery, so WECs receive an object without a name\n", stderr.String())
}
