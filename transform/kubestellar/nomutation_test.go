package kubestellar_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/generic"
	"github.com/wecforge/wecforge/transform/kinds"
	"github.com/wecforge/wecforge/transform/kubestellar"
	"github.com/wecforge/wecforge/transform/resources"
)

// allGoldenInputs returns every input and CustomTransform of the golden cases.
func allGoldenInputs(t testing.TB) (objs, cts []*unstructured.Unstructured) {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			objs = append(objs, readDocs(t, filepath.Join(goldenDir, e.Name(), "input.yaml"))...)
			cts = append(cts, readDocs(t, filepath.Join(goldenDir, e.Name(), "customtransforms.yaml"))...)
		}
	}
	return objs, cts
}

// TestNoStageMutatesItsInput runs every built-in stage alone, and the whole pipeline, over every
// golden input, and checks that neither the input nor the prepared object changes when it is
// prepared and then rendered (with a per-WEC stage that writes).
func TestNoStageMutatesItsInput(t *testing.T) {
	objs, cts := allGoldenInputs(t)
	mapper, err := resources.New(resources.Options{Objects: objs})
	require.NoError(t, err)
	ct, _ := customtransform.New(cts, mapper) // the invalid cases' problems are expected here
	full, _, _ := kubestellar.NewPipeline(kubestellar.Options{CustomTransforms: cts, Mapper: mapper})
	perWEC := []transform.Stage{transform.Named("region", regionLabel)}
	pipelines := map[string]*transform.Pipeline{
		"generic":         transform.NewPipeline([]transform.Stage{transform.Named(generic.StageName, generic.New())}, perWEC),
		"kinds.Service":   transform.NewPipeline([]transform.Stage{transform.Named(kinds.StageName, kinds.Service())}, perWEC),
		"kinds.Job":       transform.NewPipeline([]transform.Stage{transform.Named(kinds.StageName, kinds.Job())}, perWEC),
		"customtransform": transform.NewPipeline([]transform.Stage{transform.Named(customtransform.StageName, ct)}, perWEC),
		"kubestellar":     full,
	}
	wec := mustWEC(t, "east", map[string]string{"region": "us-east"})
	for name, p := range pipelines {
		t.Run(name, func(t *testing.T) {
			for _, in := range objs {
				before := in.DeepCopy()
				prep := p.Prepare(context.Background(), in)
				require.Equal(t, before, in, "Prepare modified its input %s", prep.Ref)
				if prep.Err != nil {
					continue
				}
				prepared := prep.Object().DeepCopy()
				res := p.Render(context.Background(), prep, wec)
				require.NoError(t, res.Err)
				require.Equal(t, before, in, "Render modified the input %s", prep.Ref)
				require.Equal(t, prepared, prep.Object(), "Render modified the prepared object %s", prep.Ref)
			}
		})
	}
}
