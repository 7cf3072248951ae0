package registry_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// TestLifecycle walks a WEC through token, join, the agent's registration (as OCM's agent does
// it, with the real bootstrap token), accept, labels, properties, status, Inventory events and
// deregistration, all against the real API server, as an admin.
func TestLifecycle(t *testing.T) {
	hub := admin(t)
	runLifecycle(t, team{joining: hub, accepting: hub, operating: hub}, "flow-1")
}

// team are the clients that do the hub side of the flow, one per registry role.
type team struct{ joining, accepting, operating clients }

// runLifecycle is the whole flow, each step done by the role whose job it is; it is shared with
// the least-privilege test, which passes one identity per role.
func runLifecycle(t *testing.T, tm team, wec string) {
	var logMu sync.Mutex
	var logged []string
	ctx := logr.NewContext(testContext(t), funcr.New(func(prefix, args string) {
		logMu.Lock()
		defer logMu.Unlock()
		logged = append(logged, prefix+" "+args)
	}, funcr.Options{Verbosity: 1}))
	events := startInventory(t, tm.operating)

	// Token and join material.
	tok, err := registry.BootstrapToken(ctx, tm.joining.kube, registry.TokenOptions{TTL: 20 * time.Minute})
	require.NoError(t, err)
	require.NotEmpty(t, tok.Value)
	assert.Equal(t, "serviceaccount/open-cluster-management/agent-registration-bootstrap", tok.Source)
	assert.WithinDuration(t, time.Now().Add(20*time.Minute), tok.ExpiresAt, time.Minute)

	hubInfo, err := registry.HubFromRESTConfig(adminConfig)
	require.NoError(t, err)
	args, err := registry.JoinCommand(hubInfo, tok.Value, wec, registry.JoinOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"clusteradm", "join", "--hub-token", tok.Value, "--hub-apiserver", hubInfo.URL, "--cluster-name", wec}, args)
	kubeconfig, err := registry.BootstrapKubeconfig(hubInfo, tok.Value, wec)
	require.NoError(t, err)

	// The agent: reads the bootstrap kubeconfig and registers with that token.
	agentCfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	require.NoError(t, err)
	agent := newClients(t, agentCfg)
	csrName, err := agentsim.Register(ctx, agent.kube, agent.ocm, agentsim.Request{
		Cluster: wec, Agent: "agent-1", HubURL: "https://" + wec + ".example:6443",
	})
	require.NoError(t, err)
	csr, err := tm.accepting.kube.CertificatesV1().CertificateSigningRequests().Get(ctx, csrName, metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "system:serviceaccount:open-cluster-management:agent-registration-bootstrap", csr.Spec.Username)

	st, err := registry.GetStatus(ctx, tm.operating.ocm, wec)
	require.NoError(t, err)
	assert.False(t, st.Accepted)
	assert.False(t, st.Ready())
	ev := waitEvent(t, events, wec, registry.Added)
	assert.Nil(t, ev.Old)
	assert.Equal(t, wec, ev.New.Name())

	// Accept, twice: the second call changes nothing.
	res, err := registry.Accept(ctx, tm.accepting.kube, tm.accepting.ocm, wec, registry.AcceptOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{csrName}, res.Approved)
	assert.True(t, res.Accepted)
	assertApproved(t, tm.accepting, csrName, true)
	logMu.Lock()
	assert.True(t, slices.ContainsFunc(logged, func(l string) bool {
		return strings.HasPrefix(l, "accept ") && strings.Contains(l, `"approved CSR"`) && strings.Contains(l, `"csr"="`+csrName+`"`)
	}), "Accept logs through the context's logger: %q", logged)
	logMu.Unlock()
	res, err = registry.Accept(ctx, tm.accepting.kube, tm.accepting.ocm, wec, registry.AcceptOptions{})
	require.NoError(t, err)
	assert.Empty(t, res.Approved)
	assert.Equal(t, []string{csrName}, res.AlreadyApproved)
	st, err = registry.GetStatus(ctx, tm.operating.ocm, wec)
	require.NoError(t, err)
	assert.True(t, st.Accepted)

	// Labels.
	mc, err := registry.Label(ctx, tm.operating.ocm, wec, map[string]string{"region": "eu", "tier": "gold"})
	require.NoError(t, err)
	assert.Equal(t, "eu", mc.Labels["region"])
	ev = waitEvent(t, events, wec, registry.Updated)
	assert.Equal(t, []string{"region", "tier"}, ev.Delta.Labels)
	assert.Contains(t, ev.Delta.Properties, "region")
	v, ok := ev.New.Lookup("region")
	assert.True(t, ok)
	assert.Equal(t, "eu", v)

	_, err = registry.Unlabel(ctx, tm.operating.ocm, wec, "tier", "absent")
	require.NoError(t, err)
	ev = waitEvent(t, events, wec, registry.Updated)
	assert.Equal(t, []string{"tier"}, ev.Delta.Labels)

	// Properties: create through a patch, replace, read back.
	cm, err := registry.UpdateProperties(ctx, tm.operating.kube, wec, map[string]string{"zone": "a"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"zone": "a"}, cm.Data)
	ev = waitEvent(t, events, wec, registry.Updated)
	assert.Equal(t, []string{"zone"}, ev.Delta.ConfigMap)
	assert.True(t, ev.New.HasConfigMap())

	_, err = registry.SetProperties(ctx, tm.operating.kube, wec, map[string]string{"zone": "b", "region": "us"})
	require.NoError(t, err)
	ev = waitEvent(t, events, wec, registry.Updated)
	assert.Equal(t, []string{"region", "zone"}, ev.Delta.ConfigMap)
	assert.Empty(t, ev.Delta.Labels)
	cm, err = registry.GetProperties(ctx, tm.operating.kube, wec)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"zone": "b", "region": "us"}, cm.Data)

	_, err = registry.UpdateProperties(ctx, tm.operating.kube, wec, map[string]string{"size": "l"}, "region")
	require.NoError(t, err)
	ev = waitEvent(t, events, wec, registry.Updated)
	assert.Equal(t, []string{"region", "size"}, ev.Delta.ConfigMap)

	// Status as the agent and hub controller would report it after the join.
	require.NoError(t, agentsim.MarkJoined(ctx, newClients(t, adminConfig).ocm, wec))
	require.Eventually(t, func() bool {
		st, err = registry.GetStatus(ctx, tm.operating.ocm, wec)
		return err == nil && st.Ready()
	}, 10*time.Second, 50*time.Millisecond)
	all, err := registry.ListStatus(ctx, tm.operating.ocm, "region=eu")
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(all, func(s registry.Status) bool { return s.Name == wec }))

	// Deregister: everything goes, and a second call is fine.
	require.NoError(t, registry.Deregister(ctx, tm.operating.kube, tm.operating.ocm, wec, registry.DeregisterOptions{}))
	require.NoError(t, registry.Deregister(ctx, tm.operating.kube, tm.operating.ocm, wec, registry.DeregisterOptions{}))
	_, err = registry.GetStatus(ctx, tm.operating.ocm, wec)
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
	_, err = registry.GetProperties(ctx, tm.operating.kube, wec)
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
	// The two informers may report the ConfigMap's deletion first (an Updated event).
	ev = waitEvent(t, events, wec, registry.Updated, registry.Deleted)
	if ev.Type == registry.Updated {
		assert.Equal(t, []string{"size", "zone"}, ev.Delta.ConfigMap)
		ev = waitEvent(t, events, wec, registry.Deleted)
	}
	assert.Nil(t, ev.New)
	assert.Equal(t, wec, ev.Old.Name())
}

// startInventory runs an Inventory for the test and returns its events.
func startInventory(t *testing.T, c clients) <-chan registry.Event {
	t.Helper()
	events := make(chan registry.Event, 256)
	inv, err := registry.NewInventory(c.kube, c.ocm, registry.InventoryOptions{
		Handler: func(ev registry.Event) { events <- ev },
		OnError: func(wec string, err error) { t.Errorf("inventory: %s: %v", wec, err) },
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- inv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	syncCtx, syncCancel := context.WithTimeout(ctx, 30*time.Second)
	defer syncCancel()
	require.True(t, inv.WaitForSync(syncCtx), "inventory did not sync")
	return events
}

// waitEvent returns the next event for wec, which must have one of the types want; events for
// other WECs are dropped.
func waitEvent(t *testing.T, events <-chan registry.Event, wec string, want ...registry.EventType) registry.Event {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Name != wec {
				continue
			}
			require.Contains(t, want, ev.Type, "event %+v", ev.Delta)
			return ev
		case <-timeout:
			require.FailNowf(t, "no event", "no %v event for %s", want, wec)
		}
	}
}

// assertApproved checks the Approved condition of a CSR, and that it is never denied.
func assertApproved(t *testing.T, c clients, name string, want bool) {
	t.Helper()
	csr, err := c.kube.CertificatesV1().CertificateSigningRequests().Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	approved := false
	for _, cond := range csr.Status.Conditions {
		if cond.Type == certificatesv1.CertificateApproved {
			approved = true
			assert.Equal(t, registry.ApproveReason, cond.Reason)
		}
	}
	assert.Equal(t, want, approved, "CSR %s conditions %+v", name, csr.Status.Conditions)
}

// eventsFor collects the types of events for wec that arrive within d.
func eventsFor(events <-chan registry.Event, wec string, d time.Duration) []string {
	var out []string
	timeout := time.After(d)
	for {
		select {
		case ev := <-events:
			if ev.Name == wec {
				out = append(out, string(ev.Type)+":"+strings.Join(ev.Delta.Labels, ","))
			}
		case <-timeout:
			return out
		}
	}
}
