package jsonpath_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// doc is an object as unstructured holds it: integers are int64, other numbers float64.
func doc() map[string]any {
	return map[string]any{
		"metadata": map[string]any{
			"name":        "web",
			"annotations": map[string]any{"example.com/x": "1", "b": "2"},
		},
		"spec": map[string]any{
			"replicas": int64(3),
			"scalar":   "text",
			"nothing":  nil,
			"containers": []any{
				map[string]any{"name": "app", "image": "nginx", "port": int64(8080), "ready": true, "weight": 0.5, "effect": nil,
					"env": []any{map[string]any{"name": "A"}, map[string]any{"name": "B"}}},
				map[string]any{"name": "side", "image": "envoy", "port": float64(9090), "ready": false, "meta": map[string]any{"team": "x"}},
				"not-a-map",
				map[string]any{"name": "app", "image": "busybox"},
			},
		},
	}
}

func locs(nodes []jsonpath.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Location.String())
	}
	return out
}

func TestFind(t *testing.T) {
	tests := []struct {
		path string
		want []string
	}{
		{"$.metadata.name", []string{".metadata.name"}},
		{"$.metadata.absent", nil},
		{"$.metadata.name.deeper", nil},
		{`$.metadata.annotations["example.com/x"]`, []string{`.metadata.annotations["example.com/x"]`}},
		{"$.metadata.annotations.*", []string{".metadata.annotations.b", `.metadata.annotations["example.com/x"]`}},
		{"$.spec.containers[0].name", []string{".spec.containers[0].name"}},
		{"$.spec.containers[-1].name", []string{".spec.containers[3].name"}},
		{"$.spec.containers[-4]", []string{".spec.containers[0]"}},
		{"$.spec.containers[-5]", nil},
		{"$.spec.containers[4]", nil},
		{"$.spec.replicas[0]", nil},
		{"$.metadata[0]", nil},
		{"$.spec.containers.name", nil},
		{"$.spec.containers[*].image", []string{".spec.containers[0].image", ".spec.containers[1].image", ".spec.containers[3].image"}},
		{"$.spec.containers[?@.name=='app'].image", []string{".spec.containers[0].image", ".spec.containers[3].image"}},
		{"$.spec.containers[?@.name=='app'].env[-1].name", []string{".spec.containers[0].env[1].name"}},
		{"$.spec.containers[?@.port==8080]", []string{".spec.containers[0]"}},
		{"$.spec.containers[?@.port==9090.0]", []string{".spec.containers[1]"}},
		{"$.spec.containers[?@.port=='8080']", nil},
		{"$.spec.containers[?@.weight==0.5]", []string{".spec.containers[0]"}},
		{"$.spec.containers[?@.ready==true]", []string{".spec.containers[0]"}},
		{"$.spec.containers[?@.ready==false]", []string{".spec.containers[1]"}},
		{"$.spec.containers[?@.effect==null]", []string{".spec.containers[0]"}},
		{"$.spec.containers[?@.meta.team=='x']", []string{".spec.containers[1]"}},
		{"$.spec.containers[?@.name=='none']", nil},
		{"$.metadata[?@.x=='y']", nil},
		{"$.spec.*", []string{".spec.containers", ".spec.nothing", ".spec.replicas", ".spec.scalar"}},
		{"$.spec.scalar.*", nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			d := doc()
			nodes := jsonpath.MustParse(tc.path).Find(d)
			assert.Equal(t, tc.want, locs(nodes))
			assert.Equal(t, doc(), d, "Find never modifies the tree")
		})
	}
}

func TestFindValues(t *testing.T) {
	nodes := jsonpath.MustParse("$.spec.containers[?@.name=='app'].image").Find(doc())
	require.Len(t, nodes, 2)
	assert.Equal(t, "nginx", nodes[0].Value)
	assert.Equal(t, "busybox", nodes[1].Value)
	assert.Equal(t, "/spec/containers/3/image", nodes[1].Location.Pointer())
	// A JSON-decoded tree (all numbers float64) matches integer literals too.
	var tree any
	require.NoError(t, json.Unmarshal([]byte(`{"items":[{"n":1},{"n":2}]}`), &tree))
	assert.Equal(t, []string{".items[1]"}, locs(jsonpath.MustParse("$.items[?@.n==2]").Find(tree)))
	// Scalars and nil roots match nothing.
	assert.Nil(t, jsonpath.MustParse("$.a").Find(nil))
	assert.Nil(t, jsonpath.MustParse("$[0]").Find("x"))
}

func TestTargets(t *testing.T) {
	type tg struct {
		loc    string
		exists bool
	}
	tests := []struct {
		path   string
		create bool
		want   []tg
	}{
		{"$.metadata.name", false, []tg{{".metadata.name", true}}},
		{"$.metadata.labels.app", false, nil},
		{"$.metadata.labels.app", true, []tg{{".metadata.labels.app", false}}},
		{"$.spec.nothing.x", true, []tg{{".spec.nothing.x", false}}},
		{"$.spec.scalar.x", true, []tg{{".spec.scalar.x", false}}},
		{"$.spec.scalar.x", false, nil},
		{"$.spec.containers[9].image", true, nil},
		{"$.spec.containers[?@.name=='app'].resources.limits", true, []tg{
			{".spec.containers[0].resources.limits", false}, {".spec.containers[3].resources.limits", false}}},
		{"$.spec.containers[?@.name=='nope'].image", true, nil},
		// A scalar item in the way is a target too, so a setter reports the conflict.
		{"$.spec.containers[*].image", true, []tg{
			{".spec.containers[0].image", true}, {".spec.containers[1].image", true},
			{".spec.containers[2].image", false}, {".spec.containers[3].image", true}}},
		{"$.spec.containers[*].image", false, []tg{
			{".spec.containers[0].image", true}, {".spec.containers[1].image", true}, {".spec.containers[3].image", true}}},
		{"$.spec.missing[0]", true, nil},
		{"$.spec.missing.*", true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			d := doc()
			var got []tg
			for _, x := range jsonpath.MustParse(tc.path).Targets(d, tc.create) {
				got = append(got, tg{x.Location.String(), x.Exists})
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, doc(), d, "Targets never modifies the tree")
		})
	}
}
