package e2e_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/examples/transport/loop"
	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry/delivery"
)

const (
	sourceKey = "transport-e2e"
	demoNS    = "demo"
)

var (
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	configMapsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// fleet is the state the subtests of TestE2EFleet share.
type fleet struct {
	// t is the top-level test: cleanups that must outlive a subtest register on it.
	t      *testing.T
	env    *e2e.Env
	hub    *e2e.Hub
	spokes map[string]*e2e.Spoke
	agents map[string]*e2e.RegistrationAgent
	start  time.Time
	// roles are the hub identities of registry's split roles, set by the first join step.
	roles roles

	controller *loop.Controller
	deliverer  *delivery.Deliverer
}

// TestE2EFleet runs the whole path with OCM's own agents: a hub and two WECs join through
// wecforge's token, bootstrap-kubeconfig and accept helpers, each run by the identity of its
// registry role (joining, accepting, operating) bound as registry's rbac.yaml says; the transport loop renders the demo
// workload and delivers it as ManifestWorks; property edits, an oversized object set and a
// relabel reach the WECs' own API servers.
func TestE2EFleet(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	f := &fleet{t: t, env: e2e.New(t), spokes: map[string]*e2e.Spoke{}, agents: map[string]*e2e.RegistrationAgent{}, start: time.Now()}

	// Hub and spokes start in parallel, each from empty data directories.
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := map[string]error{}
	wg.Go(func() {
		h, err := f.env.StartHub(ctx)
		mu.Lock()
		f.hub, errs["hub"] = h, err
		mu.Unlock()
	})
	for _, name := range []string{"cluster1", "cluster2"} {
		wg.Go(func() {
			s, err := f.env.StartSpoke(ctx, name)
			mu.Lock()
			f.spokes[name], errs[name] = s, err
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range errs {
		require.NoError(t, err, "start %s", name)
	}
	t.Logf("planes ready after %s", time.Since(f.start).Round(100*time.Millisecond))

	steps := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, f *fleet)
	}{
		{"AcceptNeedsTheAgentNamed", testAcceptNeedsTheAgentNamed},
		{"Join", testJoin},
		{"Delivery", testDelivery},
		{"PropertyChange", testPropertyChange},
		{"Split", testSplit},
		{"Relabel", testRelabel},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.fn(t, ctx, f) }) {
			t.FailNow()
		}
	}
	logMemory(t, f.env)
}

// bootstrapKubeconfig makes a WEC's bootstrap kubeconfig with wecforge's helpers.
// csrsOf lists the CSRs labelled for wec, by agent id (taken from the subject the agent chose).
// testDelivery starts the transport loop (hub namespace demo is the source API server) and
// checks the exact per-WEC objects on each WEC's own API server.
// workVersions maps the transport's ManifestWorks of wec to their resourceVersions.
// testSplit adds an object set larger than one ManifestWork may hold to the source namespace;
// every WEC gets it in several parts, and every object lands.
// testRelabel moves cluster1 out of the target set: its works are deleted and the objects
// disappear from its API server, while cluster2 keeps its own.
