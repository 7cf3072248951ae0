package placement_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

// The reference model below is written from the rules alone, without label.Selector, indexes
// or bitsets: a random population of WECs, objects and policies is placed by both, and every
// (object, WEC) decision and createOnly flag must agree. In the spirit of KubeStellar's
// test/integration/controller-manager/matching_test.go.

var (
	fuzzKeys   = []string{"a", "b", "c"}
	fuzzValues = []string{"1", "2"}
	fuzzNames  = []string{"x", "y", "z"}
	fuzzNS     = []string{"", "n1", "n2"}
	fuzzRes    = [][2]string{{"", "configmaps"}, {"apps", "deployments"}, {"", "namespaces"}, {"", "events"}, {"control.kubestellar.io", "bindingpolicies"}}
)

func pick[T any](r *rand.Rand, l []T) T { return l[r.IntN(len(l))] }

func randLabels(r *rand.Rand) map[string]string {
	m := map[string]string{}
	for _, k := range fuzzKeys {
		if r.IntN(2) == 0 {
			m[k] = pick(r, fuzzValues)
		}
	}
	return m
}

// randSelector returns a selector document and the reference predicate for it.
func randSelector(r *rand.Rand) (map[string]any, func(map[string]string) bool, bool) {
	doc := map[string]any{}
	var preds []func(map[string]string) bool
	if r.IntN(2) == 0 {
		ml := map[string]any{}
		for range r.IntN(3) {
			k, v := pick(r, fuzzKeys), pick(r, fuzzValues)
			ml[k] = v
		}
		doc["matchLabels"] = ml
		preds = append(preds, func(ls map[string]string) bool {
			for k, v := range ml {
				if got, ok := ls[k]; !ok || got != v {
					return false
				}
			}
			return true
		})
	}
	var exprs []any
	for range r.IntN(3) {
		k := pick(r, fuzzKeys)
		v := pick(r, fuzzValues)
		switch op := pick(r, []string{"In", "NotIn", "Exists", "DoesNotExist"}); op {
		case "In":
			exprs = append(exprs, map[string]any{"key": k, "operator": op, "values": []any{v}})
			preds = append(preds, func(ls map[string]string) bool { got, ok := ls[k]; return ok && got == v })
		case "NotIn":
			exprs = append(exprs, map[string]any{"key": k, "operator": op, "values": []any{v}})
			preds = append(preds, func(ls map[string]string) bool { got, ok := ls[k]; return !ok || got != v })
		case "Exists":
			exprs = append(exprs, map[string]any{"key": k, "operator": op})
			preds = append(preds, func(ls map[string]string) bool { _, ok := ls[k]; return ok })
		default:
			exprs = append(exprs, map[string]any{"key": k, "operator": op})
			preds = append(preds, func(ls map[string]string) bool { _, ok := ls[k]; return !ok })
		}
	}
	if exprs != nil {
		doc["matchExpressions"] = exprs
	}
	return doc, func(ls map[string]string) bool {
		for _, p := range preds {
			if !p(ls) {
				return false
			}
		}
		return true
	}, len(preds) == 0 || (len(exprs) == 0 && len(doc["matchLabels"].(map[string]any)) == 0)
}

// randList returns a list field (nil, a few values, maybe "*") and the reference test.
func randList(r *rand.Rand, values []string) ([]any, func(string, bool) bool) {
	if r.IntN(2) == 0 {
		return nil, func(string, bool) bool { return true }
	}
	var l []any
	set := map[string]bool{}
	star := false
	for range 1 + r.IntN(2) {
		v := pick(r, append(slices.Clone(values), "*"))
		l = append(l, v)
		set[v] = true
		star = star || v == "*"
	}
	return l, func(s string, present bool) bool { return star || (present && set[s]) }
}

type refObject struct {
	group, resource, ns, name string
	labels                    map[string]string
}

type refClause func(o refObject, nsLabels map[string]string) bool

// randClause returns a clause document and its reference predicate.
func randClause(r *rand.Rand) (map[string]any, refClause, bool) {
	doc := map[string]any{}
	var tests []refClause
	if r.IntN(3) == 0 {
		g := pick(r, []string{"", "apps"})
		doc["apiGroup"] = g
		tests = append(tests, func(o refObject, _ map[string]string) bool { return o.group == g })
	}
	var resNames []string
	for _, gr := range fuzzRes {
		resNames = append(resNames, gr[1])
	}
	if l, f := randList(r, resNames); l != nil {
		doc["resources"] = l
		tests = append(tests, func(o refObject, _ map[string]string) bool { return f(o.resource, true) })
	}
	if l, f := randList(r, fuzzNS[1:]); l != nil {
		doc["namespaces"] = l
		tests = append(tests, func(o refObject, _ map[string]string) bool { return f(o.ns, o.ns != "") })
	}
	if l, f := randList(r, fuzzNames); l != nil {
		doc["objectNames"] = l
		tests = append(tests, func(o refObject, _ map[string]string) bool { return f(o.name, true) })
	}
	for _, field := range []string{"namespaceSelectors", "objectSelectors"} {
		if r.IntN(2) == 0 {
			continue
		}
		var docs []any
		var preds []func(map[string]string) bool
		var empty []bool
		for range 1 + r.IntN(2) {
			d, p, e := randSelector(r)
			docs = append(docs, d)
			preds = append(preds, p)
			empty = append(empty, e)
		}
		doc[field] = docs
		isNS := field == "namespaceSelectors"
		tests = append(tests, func(o refObject, nsLabels map[string]string) bool {
			for i, p := range preds {
				switch {
				case isNS && o.ns == "":
					if empty[i] {
						return true
					}
				case isNS:
					if p(nsLabels) {
						return true
					}
				default:
					if p(o.labels) {
						return true
					}
				}
			}
			return false
		})
	}
	createOnly := r.IntN(4) == 0
	if createOnly {
		doc["createOnly"] = true
	}
	return doc, func(o refObject, nsLabels map[string]string) bool {
		for _, t := range tests {
			if !t(o, nsLabels) {
				return false
			}
		}
		return true
	}, createOnly
}

func FuzzSelection(f *testing.F) {
	for i := range uint64(300) {
		f.Add(i, i*7919)
	}
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		r := rand.New(rand.NewPCG(s1, s2))
		var clusters []placement.Cluster
		for i := range 1 + r.IntN(5) {
			clusters = append(clusters, placement.Cluster{Name: fmt.Sprintf("c%d", i), Labels: randLabels(r)})
		}
		var objs []placement.Object
		var refs []refObject
		nsLabels := map[string]map[string]string{}
		for range r.IntN(12) {
			gr := pick(r, fuzzRes)
			o := refObject{group: gr[0], resource: gr[1], name: pick(r, fuzzNames), labels: randLabels(r)}
			if gr[1] != "namespaces" && gr[1] != "bindingpolicies" {
				o.ns = pick(r, fuzzNS)
			}
			if gr[1] == "namespaces" {
				o.name = pick(r, fuzzNS[1:])
			}
			objs = append(objs, placement.Object{Key: placement.Key{Group: o.group, Resource: o.resource, Namespace: o.ns, Name: o.name}, Labels: o.labels})
			refs = append(refs, o)
		}
		// The reference reads Namespace labels from the first Namespace object of each name.
		for _, o := range refs {
			if o.resource == "namespaces" {
				if _, ok := nsLabels[o.name]; !ok {
					nsLabels[o.name] = o.labels
				}
			}
		}
		type refPolicy struct {
			clusters []func(map[string]string) bool
			clauses  []refClause
			createOn []bool
		}
		var pols []*placement.Policy
		var rps []refPolicy
		for i := range r.IntN(4) {
			var rp refPolicy
			var cs, ds []any
			for range r.IntN(3) {
				d, p, _ := randSelector(r)
				cs = append(cs, d)
				rp.clusters = append(rp.clusters, p)
			}
			for range r.IntN(3) {
				d, p, co := randClause(r)
				ds = append(ds, d)
				rp.clauses = append(rp.clauses, p)
				rp.createOn = append(rp.createOn, co)
			}
			doc := map[string]any{"apiVersion": placement.APIVersion, "kind": placement.BindingPolicyKind,
				"metadata": map[string]any{"name": fmt.Sprintf("p%d", i)},
				"spec":     map[string]any{"clusterSelectors": cs, "downsync": ds}}
			p, err := placement.ParseBindingPolicy(doc)
			require.NoError(t, err)
			pols = append(pols, p)
			rps = append(rps, rp)
		}
		res, err := placement.Evaluate(placement.Input{Policies: pols, Clusters: clusters, Objects: objs})
		require.NoError(t, err)

		seen := map[placement.Key]bool{}
		for oi, o := range refs {
			key := objs[oi].Key
			first := !seen[key]
			seen[key] = true
			_, never := placement.NeverDelivered(o.group, o.resource)
			for _, c := range clusters {
				want, wantCO := false, false
				for _, rp := range rps {
					inCluster := false
					for _, cp := range rp.clusters {
						inCluster = inCluster || cp(c.Labels)
					}
					if !inCluster {
						continue
					}
					for ci, cl := range rp.clauses {
						if cl(o, nsLabels[o.ns]) {
							want = true
							wantCO = wantCO || rp.createOn[ci]
						}
					}
				}
				want = want && first && !never
				got, ok := res.Delivered(oi, c.Name)
				require.Equal(t, want, ok, "object %d %s on %s", oi, key, c.Name)
				if ok {
					require.Equal(t, wantCO, got.Modulation.CreateOnly, "createOnly of %s on %s", key, c.Name)
				}
			}
		}
		for _, c := range clusters {
			n := 0
			for oi := range objs {
				if _, ok := res.Delivered(oi, c.Name); ok {
					n++
				}
			}
			require.Len(t, res.ForWEC(c.Name), n, "ForWEC agrees with Delivered on %s", c.Name)
		}
		_ = res.Warnings()
	})
}
