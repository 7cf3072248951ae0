package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestParseConfigErrors checks that functionConfig problems are typed: every one wraps
// errFunctionConfig and is a *configError naming the field; those naming no WEC wrap errNoWEC.
func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name, config string
		noWEC        bool
		field        string
	}{
		{name: "absent", config: "", noWEC: true},
		{name: "null", config: "null", noWEC: true},
		{name: "a list", config: "[a]"},
		{name: "wrong kind", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariants, spec: {wec: a}}"},
		{name: "no spec", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant}", noWEC: true, field: "spec"},
		{name: "spec a string", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant, spec: x}", field: "spec"},
		{name: "no wec", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant, spec: {labels: {a: b}}}", noWEC: true, field: "spec.wec"},
		{name: "wec a list", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant, spec: {wec: [a]}}", noWEC: true, field: "spec.wec"},
		{name: "bad annotation key", config: "{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant, spec: {wec: a, annotations: {'a b': c}}}", field: "spec.annotations.a b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var fc *yaml.RNode
			if tc.config != "" {
				fc = yaml.MustParse(tc.config)
			}
			v, err := parseConfig(fc)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.ErrorIs(t, err, errFunctionConfig)
			assert.Equal(t, tc.noWEC, errors.Is(err, errNoWEC), "wraps errNoWEC: %v", err)
			var ce *configError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
		})
	}
}

// TestParseConfig checks a valid WECVariant: empty maps count as absent.
func TestParseConfig(t *testing.T) {
	v, err := parseConfig(yaml.MustParse(`{apiVersion: fn.wecforge.io/v1alpha1, kind: WECVariant, metadata: {annotations: {config.kubernetes.io/function: "exec: {path: ./fn}"}},
spec: {wec: edge-1, labels: {}, annotations: null, properties: {replicas: "3"}}}`))
	require.NoError(t, err)
	assert.Equal(t, &variant{wec: "edge-1", properties: map[string]string{"replicas": "3"}}, v)
	assert.True(t, v.inline())
}

// TestItemErrorsAreTyped checks that routing and fleet problems are *itemError values wrapping
// errItem, and that readItems rejects a non-object with errResourceList.
func TestItemErrorsAreTyped(t *testing.T) {
	_, err := readItems([]*yaml.RNode{yaml.NewScalarRNode("x")})
	assert.ErrorIs(t, err, errResourceList)

	items, err := readItems([]*yaml.RNode{
		yaml.MustParse(`{apiVersion: cluster.open-cluster-management.io/v1, kind: ManagedCluster, metadata: {annotations: {internal.config.kubernetes.io/path: fleet.yaml, internal.config.kubernetes.io/index: "2"}}}`),
	})
	require.NoError(t, err)
	_, errs := route(items)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], errItem)
	var ie *itemError
	require.ErrorAs(t, errs[0], &ie)
	assert.Equal(t, "fleet.yaml#2", ie.Item.source, "the source is the file and index kustomize or kpt recorded")
	assert.Equal(t, "fleet.yaml#2: ManagedCluster (without metadata.name): a ManagedCluster needs metadata.name (the name is the WEC's name)", errs[0].Error())
}

// TestFunctionLeavesInputAlone checks that rendering never modifies the items or the
// functionConfig it reads, and that it can run again on them with the same result.
func TestFunctionLeavesInputAlone(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "golden", "from-kustomize", "input.yaml"))
	require.NoError(t, err)
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(in)}
	nodes, err := rw.Read()
	require.NoError(t, err)
	before := snapshot(t, nodes, rw.FunctionConfig)
	out1, rs1 := function(context.Background(), nodes, rw.FunctionConfig)
	require.False(t, failed(rs1), "%v", rs1)
	require.NotEmpty(t, out1)
	// Edit the output: the input must not change with it.
	for _, n := range out1 {
		require.NoError(t, n.PipeE(yaml.SetLabel("edited", "yes")))
	}
	assert.Equal(t, before, snapshot(t, nodes, rw.FunctionConfig))
	out2, _ := function(context.Background(), nodes, rw.FunctionConfig)
	assert.Len(t, out2, len(out1))
	for _, n := range out2 {
		assert.Empty(t, n.GetLabels()["edited"])
	}
}

func snapshot(t *testing.T, nodes []*yaml.RNode, fc *yaml.RNode) []string {
	t.Helper()
	var out []string
	for _, n := range append(nodes, fc) {
		s, err := n.String()
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

// TestFailedCountsErrorsOnly checks the exit rule: warnings and infos do not fail a run.
func TestFailedCountsErrorsOnly(t *testing.T) {
	assert.False(t, failed(framework.Results{{Severity: framework.Warning}, {Severity: framework.Info}}))
	assert.True(t, failed(framework.Results{{Severity: framework.Info}, {Severity: framework.Error}}))
}
