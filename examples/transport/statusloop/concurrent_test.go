package statusloop

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
)

// TestConcurrentUse: placements handed over from several goroutines while feedback arrives
// and the controller writes; under -race this checks the locking, and the end state is the
// one the last placements and reports call for.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, wecsAndReplicas(t))
	const n = 3
	var objs [n]*transform.ObjectRef
	for i := range n {
		name := fmt.Sprintf("app%d", i)
		obj := f.createDeployment(name)
		ref := transform.RefOf(obj.Object)
		objs[i] = &ref
		require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj,
			Request: placement.StatusRequest{MultiWEC: true, M: []string{f.wec1, f.wec2}}}))
		f.deliver(f.wec1, name)
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // before the fixture's: the goroutines end before the controller stops
	for g := range 4 {
		wg.Go(func() {
			for j := range 20 {
				i := (g + j) % n
				name := fmt.Sprintf("app%d", i)
				req := placement.StatusRequest{Singleton: true, S: []string{f.wec1}}
				var pols []combine.Policy
				if j%2 == 0 {
					req = placement.StatusRequest{MultiWEC: true, M: []string{f.wec1, f.wec2}}
					pols = []combine.Policy{{Name: "bp", UID: "bp-uid", WECs: []string{f.wec1, f.wec2}, Collectors: []string{"wecs-replicas"}}}
				}
				obj, err := f.dyn.Resource(deploymentsGVR).Namespace(f.ns).Get(f.ctx, name, metav1.GetOptions{})
				if !assert.NoError(t, err) {
					return
				}
				assert.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: obj, Request: req, Policies: pols}))
				f.ctl.StatusRequest(*objs[i], f.wec1)
				f.ctl.SingletonErrors()
				f.ctl.Stats()
			}
		})
	}
	for i := range n {
		f.report(f.wec1, fmt.Sprintf("app%d", i), "", whole(map[string]any{"replicas": int64(i + 1)}))
	}
	wg.Wait()
	for i := range n {
		name := fmt.Sprintf("app%d", i)
		require.NoError(t, f.ctl.SetPlacement(ObjectPlacement{Object: f.get(name),
			Request: placement.StatusRequest{Singleton: true, S: []string{f.wec1}}}))
	}
	for i := range n {
		f.waitStatus(fmt.Sprintf("app%d", i), statusIs(map[string]any{"replicas": int64(i + 1)}, singletonLabel))
	}
	assert.Zero(t, f.ctl.Stats().Failures)
}
