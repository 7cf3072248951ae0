package loop

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wecforge/wecforge/transform"
)

// modeStage copies the WEC's label "mode" into data.mode of every object, and fails objects
// labelled fragile=yes on WECs whose mode is "broken".
var modeStage = transform.Named("mode", transform.Func(func(env *transform.Env, obj *transform.Object) error {
	env.Deps.AddLabel("mode")
	mode := env.WEC.Labels()["mode"]
	md, _ := obj.Root()["metadata"].(map[string]any)
	if lbls, _ := md["labels"].(map[string]any); lbls["fragile"] == "yes" && mode == "broken" {
		return errors.New("fragile object on a broken WEC")
	}
	obj.Root()["data"] = map[string]any{"mode": mode}
	return nil
}))

func fragile(name string) *unstructured.Unstructured {
	u := cm(name)
	u.SetLabels(map[string]string{"fragile": "yes"})
	return u
}

// modes returns data.mode of each object in wec's works, by name.
func (h *fakeHub) modes(t *testing.T, wec string) map[string]string {
	t.Helper()
	objs, _ := delivered(t, t.Context(), hubClients{work: h.work}, wec)
	out := map[string]string{}
	for k, u := range objs {
		m, _, _ := unstructured.NestedString(u.Object, "data", "mode")
		out[k] = m
	}
	return out
}

// TestLoopIsolatesFailingObject: an object that starts failing for a WEC keeps its last good
// version there while the WEC's other objects follow the change; the failure is in Errors.
// After a restart with the WEC still broken, the failing object keeps the version its
// ManifestWork holds.
func TestLoopIsolatesFailingObject(t *testing.T) {
	p := transform.NewPipeline(nil, []transform.Stage{modeStage})
	src := newSource(fragile("a"), cm("b"))
	h := startLoop(t, Config{Pipeline: p}, []runtime.Object{mc("east1", map[string]string{"region": "east", "mode": "ok"})}, nil, src)
	eventually(t, "both objects delivered with mode ok", func() bool {
		m := h.modes(t, "east1")
		return m["ConfigMap a"] == "ok" && m["ConfigMap b"] == "ok"
	})
	assert.Empty(t, h.c.Errors())

	h.relabelTo(t, "east1", map[string]string{"region": "east", "mode": "broken"})
	eventually(t, "b follows the change", func() bool { return h.modes(t, "east1")["ConfigMap b"] == "broken" })
	assert.Equal(t, "ok", h.modes(t, "east1")["ConfigMap a"], "a keeps its last good version")
	errs := h.c.Errors()
	require.Len(t, errs, 1)
	assert.Equal(t, "east1", errs[0].WEC)
	assert.Equal(t, "a", errs[0].Object.Name)
	assert.True(t, errs[0].Kept)
	var re *transform.RenderError
	assert.ErrorAs(t, errs[0], &re)

	// Restart: a fresh loop, the WEC broken from the start, the works as left.
	works, err := h.work.WorkV1().ManifestWorks("east1").List(t.Context(), metav1.ListOptions{})
	require.NoError(t, err)
	var objs []runtime.Object
	for i := range works.Items {
		objs = append(objs, &works.Items[i])
	}
	src2 := newSource(fragile("a"), cm("b"), cm("c"))
	h2 := startLoop(t, Config{Pipeline: p}, []runtime.Object{mc("east1", map[string]string{"region": "east", "mode": "broken"})}, objs, src2)
	eventually(t, "c delivered by the restarted loop", func() bool { return h2.modes(t, "east1")["ConfigMap c"] == "broken" })
	m := h2.modes(t, "east1")
	assert.Equal(t, "ok", m["ConfigMap a"], "a keeps the version its ManifestWork held")
	assert.Equal(t, "broken", m["ConfigMap b"])
	require.Len(t, h2.c.Errors(), 1)
	assert.True(t, h2.c.Errors()[0].Kept)

	// A failing object never delivered anywhere is left out, and the rest still delivered.
	src2.set(fragile("a"), cm("b"), cm("c"), fragile("d"))
	eventually(t, "d reported", func() bool { return len(h2.c.Errors()) == 2 })
	d := h2.c.Errors()[1]
	assert.Equal(t, "d", d.Object.Name)
	assert.False(t, d.Kept)
	assert.NotContains(t, h2.modes(t, "east1"), "ConfigMap d")
}

// TestLoopStatusOnlyUpdateRendersNothing: a status-only update (status, resourceVersion,
// managedFields) of an object delivered to 50 WECs renders no pair and writes nothing.
func TestLoopStatusOnlyUpdateRendersNothing(t *testing.T) {
	var clusters []runtime.Object
	for i := range 50 {
		clusters = append(clusters, mc(fmt.Sprintf("east%02d", i), map[string]string{"region": "east"}))
	}
	obj := func(rv string, ready bool) *unstructured.Unstructured {
		u := cm("web")
		u.SetResourceVersion(rv)
		u.Object["status"] = map[string]any{"ready": ready}
		u.Object["metadata"].(map[string]any)["managedFields"] = []any{map[string]any{"manager": "m" + rv}}
		return u
	}
	src := newSource(obj("1", false))
	h := startLoop(t, Config{}, clusters, nil, src)
	var before int
	eventually(t, "delivered to all 50 and recorded", func() bool {
		hist, writes := h.c.History(), 0
		for _, r := range hist {
			writes += r.Writes
		}
		before = len(hist)
		return writes >= 50
	})
	src.set(obj("2", true))
	var rec Record
	eventually(t, "the update processed", func() bool {
		for _, r := range h.c.History()[before:] {
			if r.Cause == keyObjects {
				rec = r
				return true
			}
		}
		return false
	})
	assert.NoError(t, rec.Err)
	assert.Equal(t, 0, rec.Rendered, "no pair rendered")
	assert.Equal(t, 0, rec.Writes, "no ManifestWork written")
}
