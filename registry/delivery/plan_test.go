package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"
)

// offlineClient is a work clientset for tests that never reach a server (Plan, New).
func offlineClient() workclient.Interface {
	return workclient.NewForConfigOrDie(&rest.Config{Host: "http://127.0.0.1:1"})
}

func newTestDeliverer(t testing.TB, opts Options) *Deliverer {
	t.Helper()
	d, err := New(offlineClient(), opts)
	require.NoError(t, err)
	return d
}

func configMap(ns, name string, dataBytes int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"data":       map[string]any{"blob": strings.Repeat("x", dataBytes)},
	}}
}

func deployment(ns, name, image string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"replicas": int64(1),
			"template": map[string]any{"spec": map[string]any{
				"containers": []any{map[string]any{"name": "app", "image": image}},
			}},
		},
	}}
}

// manifestNames decodes the objects of works in order as "Kind ns/name".
func manifestNames(t *testing.T, works []*workv1.ManifestWork) []string {
	t.Helper()
	var out []string
	for _, w := range works {
		for _, m := range w.Spec.Workload.Manifests {
			var u unstructured.Unstructured
			require.NoError(t, json.Unmarshal(m.Raw, &u.Object))
			out = append(out, u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName())
		}
	}
	return out
}

func TestPlanDeterministic(t *testing.T) {
	d := newTestDeliverer(t, Options{})
	objs := []Object{
		{Object: deployment("apps", "web", "nginx:1")},
		{Object: configMap("apps", "b", 10)},
		{Object: configMap("apps", "a", 10)},
		{Object: configMap("other", "a", 10)},
		{Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "apps"}}}},
		{Object: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": map[string]any{"name": "x.example.com"}}}},
	}
	first, err := d.Plan("cluster1", "bindingpolicy/web", objs, nil)
	require.NoError(t, err)
	require.Len(t, first, 1)
	w := first[0]
	assert.Equal(t, "cluster1", w.Namespace)
	assert.Equal(t, "wecforge-bindingpolicy-web-"+keyHash("bindingpolicy/web")+"-0", w.Name)
	assert.Empty(t, validation.IsDNS1123Subdomain(w.Name))
	assert.Equal(t, keyHash("bindingpolicy/web"), w.Labels[SourceLabel])
	assert.Equal(t, ManagedByValue, w.Labels[ManagedByLabel])
	assert.Equal(t, "bindingpolicy/web", w.Annotations[SourceKeyAnnotation])
	assert.Len(t, w.Annotations[ContentHashAnnotation], 64)
	// Namespaces, then CRDs, then the core group before apps; then kind, namespace, name.
	assert.Equal(t, []string{"Namespace /apps", "CustomResourceDefinition /x.example.com", "ConfigMap apps/a", "ConfigMap apps/b", "ConfigMap other/a", "Deployment apps/web"},
		manifestNames(t, first))

	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5 {
		shuffled := append([]Object(nil), objs...)
		r.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		again, err := d.Plan("cluster1", "bindingpolicy/web", shuffled, nil)
		require.NoError(t, err)
		assert.Equal(t, first, again, "shuffle %d", i)
	}

	other, err := d.Plan("cluster1", "bindingpolicy/web2", objs, nil)
	require.NoError(t, err)
	assert.NotEqual(t, first[0].Name, other[0].Name)
	assert.Equal(t, first[0].Annotations[ContentHashAnnotation], other[0].Annotations[ContentHashAnnotation],
		"the content hash depends on the spec only")
}

func TestPlanDoesNotMutateInput(t *testing.T) {
	d := newTestDeliverer(t, Options{})
	in := deployment("apps", "web", "nginx:1")
	before := in.DeepCopy()
	works, err := d.Plan("cluster1", "k", []Object{{Object: in, CreateOnly: true}}, nil)
	require.NoError(t, err)
	assert.Equal(t, before, in)
	// The planned manifest is an encoding, not an alias of the input.
	in.Object["kind"] = "Changed"
	assert.Contains(t, string(works[0].Spec.Workload.Manifests[0].Raw), `"kind":"Deployment"`)
}

func TestPlanSplit(t *testing.T) {
	const objSize = 90 * 1024
	cases := []struct {
		name      string
		maxBytes  int
		objects   int
		wantParts int
	}{
		{name: "fits in one", maxBytes: 0, objects: 4, wantParts: 1},
		{name: "default limit splits", maxBytes: 0, objects: 12, wantParts: 3},
		{name: "small limit, one per part", maxBytes: objSize + 200, objects: 3, wantParts: 3},
		{name: "two per part", maxBytes: 2*objSize + 400, objects: 5, wantParts: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newTestDeliverer(t, Options{MaxBytes: tc.maxBytes})
			var objs []Object
			var want []string
			for i := range tc.objects {
				name := fmt.Sprintf("cm-%02d", i)
				objs = append(objs, Object{Object: configMap("big", name, objSize)})
				want = append(want, "ConfigMap big/"+name)
			}
			works, err := d.Plan("cluster2", "big", objs, nil)
			require.NoError(t, err)
			require.Len(t, works, tc.wantParts)
			for i, w := range works {
				assert.True(t, strings.HasSuffix(w.Name, fmt.Sprintf("-%d", i)), w.Name)
				size := 0
				for _, m := range w.Spec.Workload.Manifests {
					size += len(m.Raw)
				}
				assert.LessOrEqual(t, size, d.opts.MaxBytes, "part %d", i)
				assert.Less(t, size, OCMManifestLimit, "part %d", i)
				assert.NotEmpty(t, w.Spec.Workload.Manifests, "part %d", i)
			}
			assert.Equal(t, want, manifestNames(t, works), "every object exactly once, in order")
		})
	}
}

func TestPlanCreateOnly(t *testing.T) {
	d := newTestDeliverer(t, Options{})
	works, err := d.Plan("cluster1", "k", []Object{
		{Object: deployment("apps", "web", "nginx:1"), CreateOnly: true},
		{Object: configMap("apps", "settings", 1), CreateOnly: true},
		{Object: configMap("apps", "updated", 1)},
	}, nil)
	require.NoError(t, err)
	require.Len(t, works, 1)
	cfgs := works[0].Spec.ManifestConfigs
	require.Len(t, cfgs, 2)
	assert.Equal(t, workv1.ResourceIdentifier{Group: "", Resource: "configmaps", Namespace: "apps", Name: "settings"}, cfgs[0].ResourceIdentifier)
	assert.Equal(t, workv1.ResourceIdentifier{Group: "apps", Resource: "deployments", Namespace: "apps", Name: "web"}, cfgs[1].ResourceIdentifier)
	for _, c := range cfgs {
		require.NotNil(t, c.UpdateStrategy)
		assert.Equal(t, workv1.UpdateStrategyTypeCreateOnly, c.UpdateStrategy.Type)
	}
}

func TestPlanErrors(t *testing.T) {
	d := newTestDeliverer(t, Options{MaxBytes: 4096})
	noName := configMap("ns", "", 1)
	noKind := configMap("ns", "x", 1)
	delete(noKind.Object, "kind")
	badAPI := configMap("ns", "x", 1)
	badAPI.Object["apiVersion"] = "a/b/c"
	cases := []struct {
		name    string
		wec     string
		key     string
		objs    []Object
		want    error
		naming  string
		message string
	}{
		{name: "bad WEC", wec: "Cluster_1", key: "k", want: ErrInvalidInput},
		{name: "empty key", wec: "c1", key: "", want: ErrInvalidInput},
		{name: "nil object", wec: "c1", key: "k", objs: []Object{{}}, want: ErrInvalidObject},
		{name: "no name", wec: "c1", key: "k", objs: []Object{{Object: noName}}, want: ErrInvalidObject},
		{name: "no kind", wec: "c1", key: "k", objs: []Object{{Object: noKind}}, want: ErrInvalidObject},
		{name: "bad apiVersion", wec: "c1", key: "k", objs: []Object{{Object: badAPI}}, want: ErrInvalidObject, naming: "ConfigMap ns/x"},
		{name: "duplicate", wec: "c1", key: "k", objs: []Object{{Object: configMap("ns", "x", 1)}, {Object: configMap("ns", "x", 2)}},
			want: ErrInvalidObject, naming: "ConfigMap ns/x", message: "delivered twice"},
		{name: "too large", wec: "c1", key: "k", objs: []Object{{Object: configMap("ns", "small", 1)}, {Object: configMap("ns", "huge", 5000)}},
			want: ErrTooLarge, naming: "ConfigMap ns/huge", message: "limit 4096"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			works, err := d.Plan(tc.wec, tc.key, tc.objs, nil)
			require.Error(t, err)
			assert.Nil(t, works)
			assert.ErrorIs(t, err, tc.want)
			if tc.naming != "" {
				var oe *ObjectError
				require.True(t, errors.As(err, &oe), "want *ObjectError, got %T", err)
				assert.Equal(t, tc.naming, oe.Object.String())
			}
			if tc.message != "" {
				assert.Contains(t, err.Error(), tc.message)
			}
		})
	}
}

func TestNewOptions(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		ok   bool
	}{
		{name: "zero", opts: Options{}, ok: true},
		{name: "limit", opts: Options{MaxBytes: OCMManifestLimit}, ok: true},
		{name: "over limit", opts: Options{MaxBytes: OCMManifestLimit + 1}},
		{name: "negative", opts: Options{MaxBytes: -1}},
		{name: "bad prefix", opts: Options{NamePrefix: "Bad_Prefix"}},
		{name: "long prefix", opts: Options{NamePrefix: strings.Repeat("a", 21)}},
		{name: "prefix", opts: Options{NamePrefix: "ks"}, ok: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(offlineClient(), tc.opts)
			if tc.ok {
				require.NoError(t, err)
				assert.NotNil(t, d)
				return
			}
			assert.ErrorIs(t, err, ErrInvalidInput)
		})
	}
	_, err := New(nil, Options{})
	assert.ErrorIs(t, err, ErrInvalidInput)
}

func TestSlug(t *testing.T) {
	cases := []struct{ in, want string }{
		{"bindingpolicy/web", "bindingpolicy-web"},
		{"NS/Prod--X", "ns-prod-x"},
		{"---", "src"},
		{"", "src"},
		{"日本", "src"},
		{"a/" + strings.Repeat("b", 60), "a-" + strings.Repeat("b", maxSlug-2)},
		{strings.Repeat("ab-", 30), strings.Repeat("ab-", 14)[:maxSlug]},
		{strings.Repeat("a", 39) + "/b", strings.Repeat("a", 39)},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, slug(tc.in))
		})
	}
}

func FuzzPlanNames(f *testing.F) {
	for _, s := range []string{"bindingpolicy/web", "", "---", "Ä/ß", strings.Repeat("z", 300), "a..b"} {
		f.Add(s)
	}
	d := newTestDeliverer(f, Options{})
	f.Fuzz(func(t *testing.T, key string) {
		s := slug(key)
		if len(s) == 0 || len(s) > maxSlug || len(validation.IsDNS1123Label(s)) > 0 {
			t.Fatalf("slug(%q) = %q is not a short DNS label", key, s)
		}
		works, err := d.Plan("cluster1", key, []Object{{Object: configMap("ns", "x", 1)}}, nil)
		if key == "" || len(key) > maxKeyBytes {
			if !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("key %q: want ErrInvalidInput, got %v", key, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
		if msgs := validation.IsDNS1123Subdomain(works[0].Name); len(msgs) > 0 || len(works[0].Name) > 100 {
			t.Fatalf("key %q: name %q: %v", key, works[0].Name, msgs)
		}
	})
}

func BenchmarkPlan(b *testing.B) {
	d := newTestDeliverer(b, Options{})
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			objs := make([]Object, n)
			for i := range objs {
				objs[i] = Object{Object: deployment("ns", fmt.Sprintf("web-%04d", i), "registry.example/web:1")}
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Plan("cluster1", "bench", objs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPlanSticky plans against the current works: objects stay where they are while they fit,
// a grown object moves alone, and a new object takes the first part with room.
func TestPlanSticky(t *testing.T) {
	d := newTestDeliverer(t, Options{MaxBytes: 2048})
	objs := func(sizes ...int) []Object {
		var out []Object
		for i, s := range sizes {
			out = append(out, Object{Object: configMap("apps", fmt.Sprintf("o%d", i), s)})
		}
		return out
	}
	first, err := d.Plan("c1", "k", objs(600, 600, 600, 600), nil)
	require.NoError(t, err)
	require.Len(t, first, 2)
	assert.Equal(t, []string{"ConfigMap apps/o0", "ConfigMap apps/o1"}, manifestNames(t, first[:1]))

	// o0 grows past its part: it alone moves, to a new part; o1 stays in part 0.
	second, err := d.Plan("c1", "k", objs(1300, 600, 600, 600), first)
	require.NoError(t, err)
	require.Len(t, second, 3)
	assert.Equal(t, []string{"ConfigMap apps/o1"}, manifestNames(t, second[:1]))
	assert.Equal(t, first[1].Annotations[ContentHashAnnotation], second[1].Annotations[ContentHashAnnotation], "part 1 is untouched")
	assert.Equal(t, []string{"ConfigMap apps/o0"}, manifestNames(t, second[2:]))

	// Without the current works the same objects pack from scratch.
	fresh, err := d.Plan("c1", "k", objs(1300, 600, 600, 600), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"ConfigMap apps/o0"}, manifestNames(t, fresh[:1]))

	// A new object fills the first part with room (part 0, beside o1).
	third, err := d.Plan("c1", "k", objs(1300, 600, 600, 600, 500), second)
	require.NoError(t, err)
	require.Len(t, third, 3)
	assert.Equal(t, []string{"ConfigMap apps/o1", "ConfigMap apps/o4"}, manifestNames(t, third[:1]))

	// Works of another key are ignored.
	other, err := d.Plan("c1", "other", objs(1300, 600, 600, 600), first)
	require.NoError(t, err)
	assert.Equal(t, manifestNames(t, fresh), manifestNames(t, other))
}
