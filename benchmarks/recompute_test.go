package benchmarks

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform/fleet"
)

const (
	recomputeObjects = 30
	recomputeWECs    = 1000
)

// recomputeFleet renders 30 objects for 1,000 WECs with the 10-rule set.
func recomputeFleet(tb testing.TB) *fleet.Renderer {
	tb.Helper()
	p, err := Engine(10)
	require.NoError(tb, err)
	r := fleet.New(p)
	ctx := context.Background()
	_, err = r.SetObjects(ctx, Objects(recomputeObjects))
	require.NoError(tb, err)
	for _, w := range Fleet(recomputeWECs) {
		r.SetWEC(ctx, w)
	}
	return r
}

// relabel returns WEC i with one label changed.
func relabel(tb testing.TB, i int, key, value string) *customization.WEC {
	tb.Helper()
	w := WEC(i)
	labels := map[string]string{}
	for k, v := range w.Labels() {
		labels[k] = v
	}
	labels[key] = value
	cm := configMapOf(w)
	out, err := customization.New(w.Name(), labels, w.Annotations(), cm)
	require.NoError(tb, err)
	return out
}

// BenchmarkRecompute changes one label on one WEC of a 1,000-WEC fleet and re-renders only
// the pairs whose dependency report reads it (TestRecomputeTouchesOnlyAffectedPairs proves
// the count).
func BenchmarkRecompute(b *testing.B) {
	r := recomputeFleet(b)
	ctx := context.Background()
	regions := []string{"eu-north", "us-east"}
	wecs := []*customization.WEC{relabel(b, 7, "region", regions[0]), relabel(b, 7, "region", regions[1])}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		st := r.SetWEC(ctx, wecs[i%2])
		i++
		if st.Rendered != recomputeObjects*2/3 {
			b.Fatalf("rendered %d pairs", st.Rendered)
		}
	}
}

func TestRecomputeTouchesOnlyAffectedPairs(t *testing.T) {
	r := recomputeFleet(t)
	ctx := context.Background()

	// region is read by every Deployment (a template annotation and the labels rule) and every
	// ConfigMap (a template); Services read nothing of the WEC.
	st := r.SetWEC(ctx, relabel(t, 7, "region", "eu-north"))
	assert.Equal(t, recomputeObjects*2/3, st.Rendered)
	assert.Equal(t, recomputeObjects/3, st.Skipped)
	assert.Equal(t, []string{"wec-00007"}, st.Changed)

	// cloud is read by nothing: no pair is rendered.
	st = r.SetWEC(ctx, relabel(t, 8, "cloud", "aws"))
	assert.Zero(t, st.Rendered)
	assert.Equal(t, recomputeObjects, st.Skipped)
	assert.Empty(t, st.Changed)

	// tier is read by the cluster selectors of the team rules r003..r009 (namespaces team-3
	// ..team-9). Of the 10 Deployments (namespaces team-0,3,6,9,12,15,18,1,4,7) only the five
	// in team-3, 4, 6, 7 and 9 have such a rule; wec-00009 moves from t0 to t2, so the t0 rules
	// of team-3, 6 and 9 stop applying and its output changes.
	st = r.SetWEC(ctx, relabel(t, 9, "tier", "t2"))
	assert.Equal(t, 5, st.Rendered)
	assert.Equal(t, recomputeObjects-5, st.Skipped)
	assert.Equal(t, []string{"wec-00009"}, st.Changed)
	for _, res := range r.Results("wec-00009") {
		if res.Ref.Kind == "Deployment" {
			assert.NotContains(t, res.Object.GetAnnotations(), "team", res.Ref.String())
		}
	}
}
