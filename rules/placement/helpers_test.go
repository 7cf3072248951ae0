package placement_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/rules/placement"
)

// decodeAll splits multi-document YAML into maps; empty documents are skipped.
func decodeAll(t testing.TB, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, part := range strings.Split(s, "\n---\n") {
		var m map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(part), &m), "%s", part)
		if m != nil {
			out = append(out, m)
		}
	}
	return out
}

// parseDocs compiles the BindingPolicies and Bindings of docs, failing on any error.
func parseDocs(t testing.TB, docs string) ([]*placement.Policy, []*placement.Binding) {
	t.Helper()
	var ps []*placement.Policy
	var bs []*placement.Binding
	for _, d := range decodeAll(t, docs) {
		switch d["kind"] {
		case placement.BindingKind:
			b, err := placement.ParseBinding(d)
			require.NoError(t, err)
			bs = append(bs, b)
		default:
			p, err := placement.ParseBindingPolicy(d)
			require.NoError(t, err)
			ps = append(ps, p)
		}
	}
	return ps, bs
}

// obj builds an object from `resource.group` (`resource` for core), `ns/name` (`name` for
// cluster-scoped) and `k=v,k=v` labels.
func obj(resource, name, labels string) placement.Object {
	var k placement.Key
	k.Resource, k.Group, _ = strings.Cut(resource, ".")
	if ns, n, ok := strings.Cut(name, "/"); ok {
		k.Namespace, k.Name = ns, n
	} else {
		k.Name = name
	}
	return placement.Object{Key: k, Labels: labelMap(labels)}
}

func labelMap(s string) map[string]string {
	if s == "" {
		return nil
	}
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func cluster(name, labels string) placement.Cluster {
	return placement.Cluster{Name: name, Labels: labelMap(labels)}
}

// perWEC renders a result as WEC → sorted object keys (createOnly deliveries marked "!").
func perWEC(r *placement.Result) map[string][]string {
	out := map[string][]string{}
	for _, w := range r.WECs() {
		for _, p := range r.ForWEC(w) {
			s := p.Key.String()
			if p.Modulation.CreateOnly {
				s += " !"
			}
			out[w] = append(out[w], s)
		}
	}
	return out
}
