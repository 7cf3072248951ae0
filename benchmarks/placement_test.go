package benchmarks

import (
	"fmt"
	"maps"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/rules/placement"
)

// placementFleet builds nPolicies policies over nWECs WECs in 100 shards (each policy selects one shard
// by label: 1 % of the WECs) and nObjects objects in groups of 10 by an app label (each policy
// selects one group: ~10 objects).
func placementFleet(tb testing.TB, nPolicies, nWECs, nObjects int) placement.Input {
	tb.Helper()
	in := placement.Input{}
	for i := range nWECs {
		in.Clusters = append(in.Clusters, placement.Cluster{Name: fmt.Sprintf("wec-%05d", i),
			Labels: map[string]string{"shard": fmt.Sprintf("s%d", i%100), "region": fmt.Sprintf("r%d", i%7)}})
	}
	for i := range nObjects {
		in.Objects = append(in.Objects, placement.Object{
			Key:    placement.Key{Group: "apps", Resource: "deployments", Namespace: fmt.Sprintf("team-%d", i%50), Name: fmt.Sprintf("app-%05d", i)},
			Labels: map[string]string{"app": fmt.Sprintf("a%d", i%(nObjects/10))}})
	}
	for i := range nPolicies {
		p, err := placement.ParseBindingPolicy(map[string]any{
			"apiVersion": placement.APIVersion, "kind": placement.BindingPolicyKind,
			"metadata": map[string]any{"name": fmt.Sprintf("policy-%04d", i)},
			"spec": map[string]any{
				"clusterSelectors": []any{map[string]any{"matchLabels": map[string]any{"shard": fmt.Sprintf("s%d", i%100)}}},
				"downsync": []any{map[string]any{"resources": []any{"deployments"},
					"objectSelectors": []any{map[string]any{"matchLabels": map[string]any{"app": fmt.Sprintf("a%d", i%(nObjects/10))}}}}},
			},
		})
		require.NoError(tb, err)
		in.Policies = append(in.Policies, p)
	}
	return in
}

func TestPlacementRelabel(t *testing.T) {
	in := placementFleet(t, 1000, 1000, 10000)
	r, err := placement.Evaluate(in)
	require.NoError(t, err)
	moved := in.Clusters[3] // shard s3
	before := r.ForWEC(moved.Name)
	require.Len(t, before, 10*10, "10 policies select shard s3, each with 10 objects")

	labels := maps.Clone(moved.Labels)
	labels["shard"] = "s7"
	next, n, err := r.Relabel(placement.Cluster{Name: moved.Name, Labels: labels})
	require.NoError(t, err)
	assert.Equal(t, 20, n, "only the 10 policies selecting s3 and the 10 selecting s7 can change their answer")

	fresh := in
	fresh.Clusters = append([]placement.Cluster(nil), in.Clusters...)
	fresh.Clusters[3] = placement.Cluster{Name: moved.Name, Labels: labels}
	want, err := placement.Evaluate(fresh)
	require.NoError(t, err)
	for _, w := range []string{moved.Name, in.Clusters[7].Name, in.Clusters[4].Name} {
		assert.Equal(t, want.ForWEC(w), next.ForWEC(w), "relabelled result equals a fresh evaluation on %s", w)
	}
	assert.Equal(t, before, r.ForWEC(moved.Name), "the original result is unchanged")

	// A label no selector reads re-evaluates nothing.
	labels["region"] = "elsewhere"
	_, n, err = next.Relabel(placement.Cluster{Name: moved.Name, Labels: labels})
	require.NoError(t, err)
	assert.Zero(t, n)

	_, _, err = r.Relabel(placement.Cluster{Name: "nope"})
	assert.ErrorIs(t, err, placement.ErrInput)
}

// BenchmarkPlacementEvaluate places 10,000 objects on 10,000 WECs under 1,000 policies; the
// result stays factorized. The per-WEC sub-benchmark derives one WEC's deliveries.
func BenchmarkPlacementEvaluate(b *testing.B) {
	in := placementFleet(b, 1000, 10000, 10000)
	b.Run("evaluate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := placement.Evaluate(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	r, err := placement.Evaluate(in)
	require.NoError(b, err)
	b.Run("for-wec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if len(r.ForWEC("wec-00042")) == 0 {
				b.Fatal("nothing delivered")
			}
		}
	})
}

// BenchmarkPlacementRelabel moves one WEC to another shard (TestPlacementRelabel asserts that 20 of
// the 1,000 policies are re-evaluated).
func BenchmarkPlacementRelabel(b *testing.B) {
	in := placementFleet(b, 1000, 10000, 10000)
	r, err := placement.Evaluate(in)
	require.NoError(b, err)
	labels := maps.Clone(in.Clusters[3].Labels)
	labels["shard"] = "s7"
	c := placement.Cluster{Name: in.Clusters[3].Name, Labels: labels}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.Relabel(c); err != nil {
			b.Fatal(err)
		}
	}
}
