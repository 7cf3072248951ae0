package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"sigs.k8s.io/yaml"
)

func TestLocate(t *testing.T) {
	var obj map[string]any
	assert.NoError(t, yaml.Unmarshal([]byte(`
spec:
  ports: [{port: 80, protocol: TCP}, {port: 80, protocol: UDP}]
  finalizers: [a, "b]c"]
  "a.b": {"c[d": 1}
`), &obj))
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`.spec.ports[port=80,protocol="UDP"].port`, ".spec.ports[1].port", true},
		{`.spec.ports[1]`, ".spec.ports[1]", true},
		{`.spec.finalizers[="b]c"]`, ".spec.finalizers[1]", true},
		{`.spec.a.b.c[d`, `.spec["a.b"]["c[d"]`, true},
		{`.spec.ports[port=81]`, "", false},
		{`.spec.ports[2]`, "", false},
		{`.spec.ports[-1]`, "", false},
		{`.spec.ports["unclosed`, "", false},
		{`.spec.ports.x`, "", false},
		{`.spec[0]`, "", false},
		{`.nope`, "", false},
		{`spec`, "", false},
		{``, ".", true},
	} {
		loc, ok := locate(obj, tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		if ok {
			assert.Equal(t, tc.want, loc.String(), tc.in)
		}
	}
}

func FuzzLocate(f *testing.F) {
	for _, s := range []string{`.spec.ports[port=80,protocol="UDP"].port`, `.a[="x"]`, `.a.b[`, `[0]`} {
		f.Add(s)
	}
	obj := map[string]any{"spec": map[string]any{"ports": []any{map[string]any{"port": int64(80)}, "x"}}, "a": []any{"x"}}
	f.Fuzz(func(t *testing.T, p string) {
		if loc, ok := locate(obj, p); ok {
			_ = valueAt(obj, loc) // must not panic on a located path
		}
	})
}

func TestWriter(t *testing.T) {
	assert.True(t, within(".a.b", ".a"))
	assert.True(t, within(".a[0]", ".a"))
	assert.False(t, within(".ab", ".a"))
	assert.False(t, within(".a", ".a"))
	assert.True(t, within(".a", "."))
}
