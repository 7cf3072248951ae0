package testobj

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform/manifests"
)

// FromYAML decodes exactly one YAML document into an object with the project's loader (values
// read as kubectl reads them, integers as int64), failing t on an error, a warning or any
// number of objects but one.
func FromYAML(t testing.TB, doc string) *unstructured.Unstructured {
	t.Helper()
	docs, warnings, err := manifests.Parse(t.Name(), []byte(doc))
	require.NoError(t, err)
	require.Empty(t, warnings, "a test object should not depend on YAML 1.1 readings")
	require.Len(t, docs, 1, "FromYAML takes exactly one object")
	return &unstructured.Unstructured{Object: docs[0].Object}
}
