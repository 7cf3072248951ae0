package rulestest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine/rulestest"
	"github.com/wecforge/wecforge/transform/validate"
)

func TestSchemaCheck(t *testing.T) {
	dir := "../../testdata/rulestest/schema-violation"
	c, err := rulestest.Load(context.Background(), dir, rulestest.Options{})
	require.NoError(t, err)
	byWEC := map[string]rulestest.Pair{}
	for _, p := range c.Pairs {
		byWEC[p.WEC.Name()] = p
	}
	require.ErrorIs(t, byWEC["edge-1"].Result.Err, validate.ErrInvalid, "the rule's string in spec.replicas fails the pair")
	assert.Nil(t, byWEC["edge-1"].Result.Object, "the failed pair's object is left out")
	require.NoError(t, byWEC["core-1"].Result.Err)

	c, err = rulestest.Load(context.Background(), dir, rulestest.Options{SkipValidation: true})
	require.NoError(t, err)
	for _, p := range c.Pairs {
		require.NoError(t, p.Result.Err, "SkipValidation: %s renders", p.WEC.Name())
		if p.WEC.Name() == "edge-1" {
			assert.Equal(t, "3", p.Result.Object.Object["spec"].(map[string]any)["replicas"])
		}
	}
	assert.Empty(t, c.Problems)
}

func TestSchemaViolationFromTheInputIsAWarning(t *testing.T) {
	dir := sampleCopy(t, "edge-replicas")
	edit(t, filepath.Join(dir, "workload.yaml"), `{name: proxy, image: "envoy:1.30"}`, `{name: proxy, image: "envoy:1.30", env: [{name: X, value: 7}]}`)
	// The CRD's kind is validated from its schema; the object of an unknown kind is not.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crd.yaml"), []byte(`
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: caches.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Cache, plural: caches}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {sizeMB: {type: integer}}}}}}
---
apiVersion: example.com/v1
kind: Cache
metadata: {name: c, namespace: shop}
spec: {sizeMB: big}
---
apiVersion: example.com/v1
kind: Unknown
metadata: {name: u, namespace: shop}
spec: {anything: [1]}
`), 0o644))
	c, err := rulestest.Load(context.Background(), dir, rulestest.Options{})
	require.NoError(t, err)
	assert.Empty(t, c.Problems, "violations that came with the inputs fail no pair")
	all := strings.Join(c.Warnings, "\n")
	assert.Equal(t, 1, strings.Count(all, "Deployment.apps shop/web (workload.yaml#0 (line 1)): the input does not match the schema of Deployment.apps/v1: .spec.template.spec.containers[1].env[0].value: expected string, got a number: 7 (from the input)"), "one warning per object, not per WEC:\n%s", all)
	assert.Contains(t, all, "Cache.example.com shop/c (crd.yaml#1 (line 15)): the input does not match the schema of Cache.example.com/v1: .spec.sizeMB")
	assert.NotContains(t, all, "Unknown")
}
