package kinds_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/internal/testobj"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kinds"
)

var decode = testobj.FromYAML

// run applies kinds.New through a pipeline and checks that the input is unchanged.
func run(t *testing.T, in *unstructured.Unstructured) *transform.Prepared {
	t.Helper()
	before := in.DeepCopy()
	p := transform.NewPipeline([]transform.Stage{transform.Named(kinds.StageName, kinds.New())}, nil)
	prep := p.Prepare(context.Background(), in)
	require.Equal(t, before, in, "the input must never be modified")
	return prep
}

func service(preserve string) string {
	return `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {control.kubestellar.io/preserve: "` + preserve + `"}
spec:
  type: NodePort
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, fd00::10]
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: PreferDualStack
  externalTrafficPolicy: Local
  internalTrafficPolicy: Cluster
  sessionAffinity: None
  selector: {app: web}
  ports:
  - {name: http, port: 80, nodePort: 30080}
  - {name: https, port: 443}
`
}

func TestServicePreserve(t *testing.T) {
	const stripped = `
  type: NodePort
  selector: {app: web}`
	tests := []struct {
		name     string
		preserve string
		spec     string
		warnings []string
	}{
		{"none", "", stripped + `
  ports: [{name: http, port: 80}, {name: https, port: 443}]`, nil},
		{"nodeport", "nodeport", stripped + `
  ports: [{name: http, port: 80, nodePort: 30080}, {name: https, port: 443}]`, nil},
		{"clusterip", "clusterip", stripped + `
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, fd00::10]
  ports: [{name: http, port: 80}, {name: https, port: 443}]`, nil},
		{"both, mixed case and spaces", " NodePort , ClusterIP ", stripped + `
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, fd00::10]
  ports: [{name: http, port: 80, nodePort: 30080}, {name: https, port: 443}]`, nil},
		{"unknown entry warns", "nodeport,loadbalancer,", stripped + `
  ports: [{name: http, port: 80, nodePort: 30080}, {name: https, port: 443}]`,
			[]string{`annotation control.kubestellar.io/preserve: unknown value "loadbalancer" ignored (known: nodeport, clusterip)`}},
		{"near miss is not a match", "node-port", stripped + `
  ports: [{name: http, port: 80}, {name: https, port: 443}]`,
			[]string{`annotation control.kubestellar.io/preserve: unknown value "node-port" ignored (known: nodeport, clusterip)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prep := run(t, decode(t, service(tc.preserve)))
			require.NoError(t, prep.Err)
			want := decode(t, `apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {control.kubestellar.io/preserve: "`+tc.preserve+`"}
spec:`+tc.spec)
			assert.Equal(t, want.Object, prep.Object().Object)
			assert.Equal(t, tc.warnings, prep.Warnings)
		})
	}
}

func TestServicePreserveNotAString(t *testing.T) {
	in := decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, annotations: {control.kubestellar.io/preserve: x}}\nspec: {clusterIP: 10.0.0.1, ports: [{nodePort: 1}]}")
	require.NoError(t, unstructured.SetNestedField(in.Object, int64(7), "metadata", "annotations", kinds.PreserveAnnotation))
	prep := run(t, in)
	require.NoError(t, prep.Err)
	assert.Equal(t, []string{"annotation control.kubestellar.io/preserve is a number, not a string; ignored"}, prep.Warnings)
	assert.Equal(t, []string{".spec.clusterIP", ".spec.ports[0].nodePort"}, prep.Trace().Paths())
}

func TestServiceClusterIPs(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		spec   string
		want   string
	}{
		{"headless", "None stays, headless stays headless", `{clusterIP: None, clusterIPs: [None]}`, `{clusterIP: None, clusterIPs: [None]}`},
		{"headless without clusterIPs", "", `{clusterIP: None}`, `{clusterIP: None}`},
		{"lowercase none is an address", "only exactly None is kept", `{clusterIP: none, clusterIPs: [none]}`, `{}`},
		{"empty clusterIP", "an empty string is not None", `{clusterIP: ""}`, `{}`},
		{"mixed list keeps None entries", "only None entries survive, in order", `{clusterIPs: [10.0.0.1, None, fd00::1]}`, `{clusterIPs: [None]}`},
		{"empty list dropped", "no None entries remain", `{clusterIPs: []}`, `{}`},
		{"null clusterIPs dropped", "", `{clusterIPs: null}`, `{}`},
		{"ports null", "", `{ports: null}`, `{ports: null}`},
		{"port entries of odd shape are kept", "", `{ports: [80, {port: 1, nodePort: 2}]}`, `{ports: [80, {port: 1}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prep := run(t, decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: "+tc.spec))
			require.NoError(t, prep.Err)
			assert.Equal(t, decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: "+tc.want).Object, prep.Object().Object, tc.reason)
		})
	}
}

func TestServiceBadShapes(t *testing.T) {
	tests := []struct {
		spec string
		path string
		msg  string
	}{
		{`{clusterIPs: "10.0.0.1"}`, ".spec.clusterIPs", "must be a list of strings, not a string"},
		{`{ports: {http: 80}}`, ".spec.ports", "must be a list of ports, not a map"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			prep := run(t, decode(t, "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec: "+tc.spec))
			require.Error(t, prep.Err)
			var re *transform.RenderError
			require.True(t, errors.As(prep.Err, &re))
			assert.Equal(t, tc.path, re.Path)
			assert.Equal(t, kinds.StageName, re.By)
			assert.Equal(t, "Service shop/s", re.Object.String())
			assert.Contains(t, prep.Err.Error(), tc.msg)
		})
	}
}

func TestExactGVK(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"Knative Service", `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: s}
spec: {clusterIP: 10.0.0.1, ports: [{nodePort: 1}], sessionAffinity: None}`},
		{"Deployment with Job-like fields", `apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {controller-uid: x}, annotations: {batch.kubernetes.io/job-tracking: ""}}
spec: {selector: {matchLabels: {a: b}}, suspend: true}`},
		{"batch/v1beta1 Job", `apiVersion: batch/v1beta1
kind: Job
metadata: {name: j}
spec: {selector: {matchLabels: {a: b}}}`},
		{"Service kind case", `apiVersion: v1
kind: service
metadata: {name: s}
spec: {clusterIP: 10.0.0.1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := decode(t, tc.doc)
			prep := run(t, in)
			require.NoError(t, prep.Err)
			assert.Equal(t, in.Object, prep.Object().Object)
			assert.Empty(t, prep.Trace())
		})
	}
}

func TestJob(t *testing.T) {
	in := decode(t, `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  labels: {controller-uid: u1, batch.kubernetes.io/controller-uid: u1, job-name: pi, batch.kubernetes.io/job-name: pi}
  annotations: {batch.kubernetes.io/job-tracking: ""}
spec:
  suspend: false
  selector: {matchLabels: {batch.kubernetes.io/controller-uid: u1}}
  template:
    metadata:
      labels: {controller-uid: u1, batch.kubernetes.io/controller-uid: u1}
    spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}
`)
	prep := run(t, in)
	require.NoError(t, prep.Err)
	want := decode(t, `apiVersion: batch/v1
kind: Job
metadata:
  name: pi
  labels: {job-name: pi, batch.kubernetes.io/job-name: pi}
spec:
  template:
    metadata: {}
    spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}
`)
	assert.Equal(t, want.Object, prep.Object().Object,
		"job-name labels stay; emptied labels and annotations maps go; the template's metadata map is not a labels map and stays")
	assert.Equal(t, []string{
		".spec.selector",
		".spec.suspend",
		`.metadata.annotations["batch.kubernetes.io/job-tracking"]`,
		".metadata.annotations",
		`.metadata.labels["controller-uid"]`,
		`.metadata.labels["batch.kubernetes.io/controller-uid"]`,
		`.spec.template.metadata.labels["controller-uid"]`,
		`.spec.template.metadata.labels["batch.kubernetes.io/controller-uid"]`,
		".spec.template.metadata.labels",
	}, prep.Trace().Paths())
}
