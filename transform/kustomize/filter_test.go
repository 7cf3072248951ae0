package kustomize_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/kustomize"
)

const input = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  uid: 1234
  resourceVersion: "7"
  annotations:
    control.kubestellar.io/expand-templates: "true"
data:
  region: "{{ .region }}"
  retries: "3"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  clusterIP: 10.0.0.1
  ports:
  - port: 80
    nodePort: 30080
`

func pipeline(t testing.TB) *transform.Pipeline {
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{
		PerWEC: []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()},
	})
	require.NoError(t, err)
	return p
}

func run(t *testing.T, f kio.Filter, in string) (string, error) {
	var out bytes.Buffer
	err := kio.Pipeline{
		Inputs:  []kio.Reader{&kio.ByteReader{Reader: strings.NewReader(in), OmitReaderAnnotations: true}},
		Filters: []kio.Filter{f},
		Outputs: []kio.Writer{&kio.ByteWriter{Writer: &out}},
	}.Execute()
	return out.String(), err
}

func TestFilterRendersForOneWEC(t *testing.T) {
	wec, err := customization.New("edge-1", map[string]string{"region": "us-east"}, nil, nil)
	require.NoError(t, err)
	got, err := run(t, kustomize.Filter{Pipeline: pipeline(t), WEC: wec}, input)
	require.NoError(t, err)
	assert.Equal(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  annotations:
    control.kubestellar.io/expand-templates: "true"
data:
  region: us-east
  retries: "3"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  type: NodePort
  ports:
  - port: 80
`, got)
}

func TestFilterFailsOrKeeps(t *testing.T) {
	wec, err := customization.New("bare", nil, nil, nil) // no region property
	require.NoError(t, err)
	_, err = run(t, kustomize.Filter{Pipeline: pipeline(t), WEC: wec}, input)
	require.ErrorIs(t, err, kustomize.ErrFilter)
	assert.Contains(t, err.Error(), `wec bare: ConfigMap shop/settings: templates: .data.region`)

	var seen []string
	got, err := run(t, kustomize.Filter{Pipeline: pipeline(t), WEC: wec, KeepFailed: true,
		OnError: func(err error) { seen = append(seen, err.Error()) }}, input)
	require.NoError(t, err)
	require.Len(t, seen, 1)
	assert.Contains(t, got, `region: "{{ .region }}"`, "a failed resource is kept as it came")
	assert.NotContains(t, got, "nodePort", "the others still render")

	_, err = kustomize.Filter{}.Filter(nil)
	require.ErrorIs(t, err, kustomize.ErrFilter)
}

func ExampleFilter() {
	p, _, _ := kubestellar.NewPipeline(kubestellar.Options{
		PerWEC: []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()},
	})
	wec, _ := customization.New("edge-1", map[string]string{"region": "us-east"}, nil, nil)
	err := kio.Pipeline{
		Inputs: []kio.Reader{&kio.ByteReader{Reader: strings.NewReader(`apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  uid: 1234
  annotations: {control.kubestellar.io/expand-templates: "true"}
data: {region: "{{ .region }}"}
`), OmitReaderAnnotations: true}},
		Filters: []kio.Filter{kustomize.Filter{Pipeline: p, WEC: wec}},
		Outputs: []kio.Writer{&kio.ByteWriter{Writer: os.Stdout}},
	}.Execute()
	fmt.Println("error:", err)
	// Output:
	// apiVersion: v1
	// kind: ConfigMap
	// metadata:
	//   name: settings
	//   annotations:
	//     control.kubestellar.io/expand-templates: "true"
	// data:
	//   region: us-east
	// error: <nil>
}
