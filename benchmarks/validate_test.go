package benchmarks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform/validate"
)

// BenchmarkValidatePair checks one rendered (Deployment, WEC) pair against the Deployment
// schema, as the preview does after each render: compare with BenchmarkRenderPair, which
// renders the same pair. The "invalid" case attributes a violation to the trace.
func BenchmarkValidatePair(b *testing.B) {
	v, err := validate.New(validate.Options{})
	require.NoError(b, err)
	p, prep := preparedDeployment(b, 3)
	res := p.Render(context.Background(), prep, WEC(1))
	require.NoError(b, res.Err)
	b.Run("valid", func(b *testing.B) {
		require.NoError(b, v.Result(&res))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Result(&res); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		bad := res
		obj := res.Object.DeepCopy()
		require.NoError(b, unstructured.SetNestedField(obj.Object, "3", "spec", "replicas"))
		bad.Object = obj
		require.Error(b, v.Result(&bad))
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Result(&bad); err == nil {
				b.Fatal("no violation")
			}
		}
	})
}
