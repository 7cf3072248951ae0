package kubestellar_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform/kubestellar"
)

// fuzzCustomTransforms target the groups fuzzed objects most often claim, with every selector
// kind of the path language.
const fuzzCustomTransforms = `apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: deployments}
spec:
  apiGroup: apps
  resource: deployments
  remove:
  - $.spec.replicas
  - $.spec.template.spec.containers[?@.name=='app'].env[-1]
  - $.spec.template.spec.containers[*].resources
  - $.metadata.annotations['example.com/x']
  - $.spec.*.a
---
apiVersion: control.kubestellar.io/v1alpha1
kind: CustomTransform
metadata: {name: services}
spec:
  resource: services
  remove: ['$.spec.ports[0]', '$.spec.ports[*].name', '$["spec"]["selector"]', '$.spec.ports[?@.protocol==null]']
`

// FuzzPipeline feeds arbitrary JSON objects through the WEC-independent stages: no panic, the
// input is unchanged, and the prepared object marshals back to JSON.
func FuzzPipeline(f *testing.F) {
	objs, _ := allGoldenInputs(f)
	for _, o := range objs {
		js, err := json.Marshal(o.Object)
		require.NoError(f, err)
		f.Add(js)
	}
	for _, s := range []string{
		`{}`,
		`{"apiVersion":"v1","kind":"Service","spec":{"clusterIPs":"x","ports":{"a":1}}}`,
		`{"apiVersion":"v1","kind":"Service","spec":{"clusterIP":null,"clusterIPs":[null,"None",1],"ports":[1,null,{"nodePort":2}]}}`,
		`{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{"control.kubestellar.io/preserve":7}}}`,
		`{"apiVersion":"batch/v1","kind":"Job","metadata":{"labels":"x","annotations":[]},"spec":{"template":[]}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":"x","status":null}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[1,null,{"name":"app","env":[]},{"name":"app","env":[{},{}]}]}}}}`,
		`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"x":{"a":1},"y":[{"a":2}],"z":"a"}}`,
		`{"apiVersion":"apps/v1","kind":"Unknown"}`,
		`{"apiVersion":"/","kind":""}`,
		`{"apiVersion":7,"kind":["Service"]}`,
		`{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},"managedFields":null}}`,
	} {
		f.Add([]byte(s))
	}
	cts := decodeDocs(f, []byte(fuzzCustomTransforms))
	require.Len(f, cts, 2)
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		var root map[string]any
		if json.Unmarshal(data, &root) != nil || root == nil {
			return
		}
		in := &unstructured.Unstructured{Object: root}
		if u := (&unstructured.Unstructured{}); u.UnmarshalJSON(data) == nil {
			in = u // integers as int64, as from an API server
		}
		before := in.DeepCopy()
		prep := p.Prepare(context.Background(), in)
		require.Equal(t, before, in, "the input changed")
		if prep.Err != nil {
			require.NotEmpty(t, prep.Err.Error())
			return
		}
		out, err := json.Marshal(prep.Object().Object)
		require.NoError(t, err)
		var back map[string]any
		require.NoError(t, json.Unmarshal(out, &back))
	})
}
