package placement_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMayMatchResource(t *testing.T) {
	ps, bs := parseDocs(t, `
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: apps}
spec:
  downsync:
  - apiGroup: apps
    resources: [deployments]
  - apiGroup: ""
    resources: ["*"]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: BindingPolicy
metadata: {name: any}
spec:
  downsync:
  - objectNames: [x]
---
apiVersion: control.kubestellar.io/v1alpha1
kind: Binding
metadata: {name: b}
spec:
  workload:
    namespaceScope:
    - {group: batch, version: v1, resource: jobs, namespace: ns, name: j}
`)
	require.Len(t, ps, 2)
	require.Len(t, bs, 1)
	apps, anything, b := ps[0], ps[1], bs[0]
	assert.True(t, apps.MayMatchResource("apps", "deployments"))
	assert.False(t, apps.MayMatchResource("apps", "statefulsets"))
	assert.True(t, apps.MayMatchResource("", "configmaps"), `"*" admits every core resource`)
	assert.False(t, apps.MayMatchResource("batch", "jobs"))
	assert.True(t, anything.MayMatchResource("example.com", "widgets"), "no criterion admits everything")
	assert.True(t, b.MayMatchResource("batch", "jobs"))
	assert.False(t, b.MayMatchResource("", "jobs"))
}
