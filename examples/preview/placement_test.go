package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	useScript = "../../engine/testdata/use-kubestellar.yaml"
	useWECs   = "../../testdata/preview/kubestellar-use-script/inventory.yaml"
	useJob    = "../../testdata/preview/kubestellar-use-script/job.yaml"
)

// TestPlacementJudgedOnWholeInventory: --wec restricts what is rendered, not what placement
// sees. job-cluster1 selects only cluster1; rendering cluster2 alone must neither warn that the
// policy selects no WEC nor show the Job.
func TestPlacementJudgedOnWholeInventory(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", useScript, "-f", useWECs, "-f", useJob, "--wec", "cluster2"}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Empty(t, stderr.String())
	assert.Contains(t, stdout.String(), "name: nginx-deployment\n")
	assert.NotContains(t, stdout.String(), "kind: Job")
	assert.NotContains(t, stdout.String(), "kind: BindingPolicy", "placement documents are configuration, not workloads")
}

// TestPlacementOfUnknownKindWarns: with placement, an object whose kind maps to no resource
// cannot be matched; it is named in a warning and goes nowhere, and the rest is rendered.
func TestPlacementOfUnknownKindWarns(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "widget.yaml")
	require.NoError(t, os.WriteFile(in, []byte(`apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: nginx, labels: {app.kubernetes.io/name: nginx}}
`), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", useScript, "-f", useWECs, "-f", in}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Equal(t, "warning: "+in+`#0 (line 1): Widget.example.com nginx/w: unknown resource: cannot place it: unknown kind "Widget" in API group "example.com": no built-in mapping, CustomResourceDefinition or explicit mapping names its resource`+"\n", stderr.String())
	assert.NotContains(t, stdout.String(), "kind: Widget")
	assert.Equal(t, 2, strings.Count(stdout.String(), "name: nginx-deployment\n"), "cluster1 and cluster2 still receive the Deployment")
}

// TestBindingShadowedByPolicyIsANotice: a Binding named like a BindingPolicy is ignored in
// favour of the policy (KubeStellar writes one Binding per policy, of the policy's name), and
// stderr says so as a notice, not a warning.
func TestBindingShadowedByPolicyIsANotice(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "binding.yaml")
	require.NoError(t, os.WriteFile(in, []byte(`apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: nginx-bindingpolicy}
spec:
  workload:
    clusterScope: [{group: "", version: v1, resource: namespaces, name: nginx}]
  destinations: [{clusterId: cluster3}]
`), 0o644))
	var stdout, stderr bytes.Buffer
	code := run([]string{"-f", useScript, "-f", useWECs, "-f", in}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	require.NotEmpty(t, stderr.String())
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		assert.True(t, strings.HasPrefix(line, "notice: "), "only notices: %q", line)
	}
	assert.Contains(t, stderr.String(), "nginx-bindingpolicy")
	_, cluster3, ok := strings.Cut(stdout.String(), "# wec: cluster3\n")
	require.True(t, ok)
	assert.Empty(t, cluster3, "the shadowed Binding delivers nothing to cluster3")
}

// TestReportPlacementFields: without placement documents report.json has exactly the keys it had
// before placement existed; with them, every placement list is present and never null, even
// for a WEC that receives nothing.
func TestReportPlacementFields(t *testing.T) {
	keys := func(wec string, args ...string) (map[string]json.RawMessage, map[string]json.RawMessage) {
		out := filepath.Join(t.TempDir(), "out")
		var stdout, stderr bytes.Buffer
		require.Equal(t, exitOK, run(append(args, "-o", out), nil, &stdout, &stderr), stderr.String())
		data, err := os.ReadFile(filepath.Join(out, reportFile))
		require.NoError(t, err)
		var top map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &top))
		var wecs map[string]map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(top["wecs"], &wecs))
		require.Contains(t, wecs, wec)
		return top, wecs[wec]
	}
	top, wec := keys("cluster3", "-f", useScript, "-f", useWECs)
	for _, k := range []string{"policies", "unbound", "excluded", "warnings"} {
		assert.Contains(t, top, k)
	}
	assert.Equal(t, "[]", string(wec["placement"]), "cluster3 receives nothing: an empty list, not null")
	assert.Equal(t, "[]", string(top["unbound"]))

	top, wec = keys("core-eu-1", "-f", "../../testdata/demo")
	assert.ElementsMatch(t, []string{"wecs", "warnings"}, slices.Collect(maps.Keys(top)))
	assert.NotContains(t, wec, "placement")
}
