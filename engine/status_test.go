package engine_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
)

func yamlDoc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(s), &m))
	return m
}

const statusPolicy = `
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: web, uid: pol-uid}
spec:
  clusterSelectors: [{matchLabels: {env: prod}}]
  downsync:
  - objectSelectors: [{matchLabels: {app: web}}]
    wantMultiWECReportedState: true
    statusCollectors: [replicas]`

const statusCollector = `
apiVersion: control.kubestellar.io/v1alpha1
kind: StatusCollector
metadata: {name: replicas}
spec:
  combinedFields:
  - {name: wecs, type: COUNT}
  - {name: replicas, type: SUM, subject: returned.status.replicas}`

func statusEngine(t *testing.T, extra ...engine.Document) (*engine.Engine, *engine.Placement) {
	t.Helper()
	docs := append([]engine.Document{{Source: "policy", Object: yamlDoc(t, statusPolicy)}, {Source: "collector", Object: yamlDoc(t, statusCollector)}}, extra...)
	e, err := engine.Compile(engine.Config{Documents: docs})
	require.NoError(t, err)
	objs, err := e.Resolve([]engine.Object{{Source: "web", Object: &unstructured.Unstructured{Object: yamlDoc(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: web-uid, labels: {app: web}}
spec: {replicas: 2}`)}}})
	require.NoError(t, err)
	var wecs []*customization.WEC
	for _, n := range []string{"east", "west", "lab"} {
		env := "prod"
		if n == "lab" {
			env = "dev"
		}
		w, err := customization.New(n, map[string]string{"env": env}, nil, nil)
		require.NoError(t, err)
		wecs = append(wecs, w)
	}
	p, err := e.Place(objs, wecs)
	require.NoError(t, err)
	return e, p
}

func returned(t *testing.T, wec string, replicas int) engine.ReturnedStatus {
	t.Helper()
	rs, err := engine.ParseReturnedStatus(wec, yamlDoc(t, `
apiVersion: wecforge.io/v1alpha1
kind: ReturnedStatus
spec:
  wec: `+wec+`
  object: {apiVersion: apps/v1, kind: Deployment, namespace: shop, name: web}
  status: {replicas: `+strconv.Itoa(replicas)+`, observedGeneration: 1}`))
	require.NoError(t, err)
	return rs
}

func TestCombineStatus(t *testing.T) {
	e, p := statusEngine(t)
	rep, err := e.CombineStatus(p, []engine.ReturnedStatus{returned(t, "east", 2), returned(t, "west", 1)})
	require.NoError(t, err)
	require.Len(t, rep.Objects, 1)
	o := rep.Objects[0].Outcome
	assert.Equal(t, placement.StatusAggregate, o.Decision.Action)
	assert.Equal(t, []string{"east", "west"}, o.Decision.WECs, "lab is not selected by the policy")
	assert.Equal(t, combine.MultiWECStatusLabel, o.SetLabel)
	assert.Equal(t, int64(1), o.Status["replicas"], "the minimum across WECs")

	require.Len(t, rep.CombinedStatuses, 1)
	cs := rep.CombinedStatuses[0]
	assert.Equal(t, "web-uid.pol-uid", cs.Metadata.Name)
	assert.Equal(t, "shop", cs.Metadata.Namespace)
	assert.Equal(t, "web", cs.Metadata.Labels[combine.LabelBindingPolicy])
	require.Len(t, cs.Results, 1)
	cols := cs.Results[0].Rows[0].Columns
	assert.Equal(t, "2", *cols[0].Number)
	assert.Equal(t, "3", *cols[1].Number)
}

func TestCombineStatusInputErrors(t *testing.T) {
	e, p := statusEngine(t)
	rep, err := e.CombineStatus(p, []engine.ReturnedStatus{returned(t, "lab", 5), returned(t, "east", 2)})
	require.Error(t, err)
	assert.ErrorIs(t, err, engine.ErrReturnedStatus)
	var de *engine.DocumentError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, "lab", de.Source)
	require.Len(t, rep.CombinedStatuses, 1, "the other returned statuses are still used")
	assert.Equal(t, "1", *rep.CombinedStatuses[0].Results[0].Rows[0].Columns[0].Number)

	for _, bad := range []string{
		"{apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus, spec: {object: {apiVersion: v1, kind: Pod, name: p}}}",
		"{apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus, spec: {wec: a, object: {kind: Pod, name: p}}}",
		"{apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus, spec: {wec: a, object: {apiVersion: v1, kind: Pod, name: p}, status: []}}",
		"{apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus, spec: {wec: a, object: {apiVersion: v1, kind: Pod, name: p}, lastUpdated: yesterday}}",
		"{apiVersion: wecforge.io/v1alpha1, kind: ReturnedStatus, spec: {wec: a, object: {apiVersion: v1, kind: Pod, name: p}, extra: 1}}",
		"{apiVersion: v1, kind: ReturnedStatus, spec: {}}",
	} {
		_, err := engine.ParseReturnedStatus("doc", yamlDoc(t, bad))
		assert.ErrorIs(t, err, engine.ErrReturnedStatus, bad)
	}
}

func TestInvalidCollectorIsADocumentError(t *testing.T) {
	bad := yamlDoc(t, `
apiVersion: control.kubestellar.io/v1alpha1
kind: StatusCollector
metadata: {name: broken}
spec: {groupBy: [{name: g, def: "1"}]}`)
	e, err := engine.Compile(engine.Config{Documents: []engine.Document{{Source: "sc.yaml#0", Object: bad}, {Source: "ok", Object: yamlDoc(t, statusCollector)}}})
	require.Error(t, err)
	assert.ErrorIs(t, err, combine.ErrInvalidCollector)
	var de *engine.DocumentError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, "sc.yaml#0", de.Source)
	require.Len(t, e.Collectors(), 1, "the valid collector is kept")
	assert.Equal(t, "replicas", e.Collectors()[0].Name())
}
