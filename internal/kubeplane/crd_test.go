package kubeplane_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/internal/kubeplane"
)

const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// TestReadCRDs checks that CRDs are picked out of multi-document files and that a file without
// one, or with broken YAML, is an error naming the file.
func TestReadCRDs(t *testing.T) {
	mixed := writeFile(t, "mixed.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n"+widgetCRD+"---\n")
	crds, err := kubeplane.ReadCRDs([]string{mixed})
	require.NoError(t, err)
	require.Len(t, crds, 1)
	assert.Equal(t, "widgets.example.com", crds[0].GetName())

	none := writeFile(t, "none.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	_, err = kubeplane.ReadCRDs([]string{mixed, none})
	require.Error(t, err)
	assert.Contains(t, err.Error(), none)

	broken := writeFile(t, "broken.yaml", "apiVersion: [\n")
	_, err = kubeplane.ReadCRDs([]string{broken})
	require.Error(t, err)
	assert.Contains(t, err.Error(), broken)

	_, err = kubeplane.ReadCRDs([]string{filepath.Join(t.TempDir(), "missing.yaml")})
	assert.ErrorIs(t, err, os.ErrNotExist)
}
