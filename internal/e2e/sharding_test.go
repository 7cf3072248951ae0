package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
)

const (
	shardNS        = "wecforge-sharding"
	shardSourceKey = "sharding-e2e"
	// groupLabel is the label the Sharder puts on every Lease it makes.
	groupLabel = "sharding.wecforge.io/group"
)

// The short lease of the sharding tests (TestE2ESharding's replica processes and
// TestE2EStatusReturn's in-process replicas): a replica's hold on a shard lapses 4 s after its
// last renewal, it renews every second and allows 1 s of clock skew, so a killed owner's WECs
// move to a live replica within about 4–6 s instead of the 15 s default.
const (
	shardLease = 4 * time.Second
	shardRenew = time.Second
	shardSkew  = time.Second
)

// shardWECs are TestE2ESharding's WECs and the region label and zone property each starts with.
var shardWECs = map[string]struct{ region, zone string }{"cluster1": {"east", "e1"}, "cluster2": {"west", "w1"}}

// TestE2ESharding runs two transport replicas as separate processes (the test binary
// re-executed through TestMain, running examples/transport's app with --shard-namespace) over a
// hub and two WECs joined with OCM's own agents. Once both WECs are delivered, the owner of
// cluster1 is killed with SIGKILL; the other replica takes cluster1 over when the owner's shard
// Lease lapses and adopts its ManifestWorks in place — same names and UIDs, a new owner and a
// higher epoch, no delete, no re-create, the WEC's objects untouched — and a property change
// made after the kill reaches cluster1. The takeover time is logged (MEASURE).
func TestE2ESharding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	env := e2e.New(t)
	hub, spokes := startFleet(t, ctx, env, "cluster1", "cluster2")
	for name, want := range shardWECs {
		joinWEC(t, ctx, env, hub, spokes[name], map[string]string{"region": want.region})
		_, err := registry.SetProperties(ctx, hub.Kube, name, map[string]string{"zone": want.zone})
		require.NoError(t, err)
	}
	t.Logf("MEASURE sharding planes joined after %s", time.Since(start).Round(100*time.Millisecond))

	td := func(n string) string { return filepath.Join(env.Root(), "examples", "transport", "testdata", n) }
	args := func(identity string) []string {
		return []string{
			"--hub-kubeconfig", hub.AdminKubeconfig,
			"-f", td("namespace.yaml"), "-f", td("workload.yaml"), "--config", td("config.yaml"),
			"--clusters", "region in (east,west)",
			"--source-key", shardSourceKey,
			"--shard-namespace", shardNS,
			"--identity", identity,
			"--lease-duration", shardLease.String(), "--lease-renew", shardRenew.String(), "--lease-skew", shardSkew.String(),
			"-v", "1",
		}
	}
	replicas := map[string]*replicaProcess{}
	for _, id := range []string{"replica-a", "replica-b"} {
		replicas[id] = startReplica(t, env, id, args(id))
	}

	// Both WECs delivered, and cluster1's owner settled: its works carry the holder and epoch of
	// cluster1's shard Lease, unchanged for three renewals.
	var owner string
	var epoch int64
	var works map[string]workv1.ManifestWork
	var since time.Time
	require.NoError(t, env.Eventually(ctx, "both WECs delivered and cluster1's owner settled", 3*time.Minute, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
		for name, want := range shardWECs {
			cm, err := spokes[name].Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
			if err != nil || cm.Data["greeting"] != "hello from "+name+" in zone "+want.zone {
				return false, err
			}
		}
		cur, o, e, err := fencedWorks(ctx, hub, "cluster1")
		if err != nil || o == "" {
			return false, err
		}
		holder, transitions, err := shardHolder(ctx, hub, "cluster1")
		if err != nil || holder != o || transitions != e {
			owner = ""
			return false, err
		}
		if o != owner || e != epoch {
			owner, epoch, since = o, e, time.Now()
			return false, nil
		}
		works = cur
		return time.Since(since) >= 3*shardRenew, nil
	}))
	survivor := "replica-a"
	if owner == survivor {
		survivor = "replica-b"
	}
	require.Contains(t, replicas, owner)
	t.Logf("cluster1 owned by %s at epoch %d: %d ManifestWorks", owner, epoch, len(works))
	for _, r := range replicas {
		assert.Contains(t, r.log(), `"sharding started"`, "%s logs its start", r.identity)
	}
	spokeUIDs := demoUIDs(t, ctx, spokes["cluster1"])

	list, err := hub.Work.WorkV1().ManifestWorks("cluster1").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	w, err := hub.Work.WorkV1().ManifestWorks("cluster1").Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	require.NoError(t, err)
	events := collectEvents(w)

	killed := time.Now()
	replicas[owner].kill(t)
	var after map[string]workv1.ManifestWork
	var newEpoch int64
	require.NoError(t, env.Eventually(ctx, survivor+" takes cluster1 over", 2*time.Minute, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		cur, o, e, err := fencedWorks(ctx, hub, "cluster1")
		if err != nil || o != survivor {
			return false, err
		}
		after, newEpoch = cur, e
		return true, nil
	}))
	takeover := time.Since(killed)
	t.Logf("MEASURE takeover (SIGKILL of %s → cluster1's %d ManifestWorks stamped by %s; lease %s, renew %s, skew %s): %s",
		owner, len(after), survivor, shardLease, shardRenew, shardSkew, takeover.Round(10*time.Millisecond))
	assert.Greater(t, newEpoch, epoch, "the new owner's epoch is higher")
	holder, transitions, err := shardHolder(ctx, hub, "cluster1")
	require.NoError(t, err)
	assert.Equal(t, survivor, holder, "cluster1's shard Lease")
	assert.Equal(t, newEpoch, transitions, "the epoch on the works is the shard Lease's transition count")
	require.Len(t, after, len(works), "same ManifestWorks")
	for name, before := range works {
		now, ok := after[name]
		if !assert.True(t, ok, "ManifestWork %s kept its name", name) {
			continue
		}
		assert.Equal(t, before.UID, now.UID, "ManifestWork %s updated in place, not re-created", name)
		assert.NotEqual(t, before.ResourceVersion, now.ResourceVersion, "ManifestWork %s stamped anew", name)
	}

	// A property change after the kill lands on cluster1 through the new owner.
	changed := time.Now()
	_, err = registry.UpdateProperties(ctx, hub.Kube, "cluster1", map[string]string{"zone": "e2"})
	require.NoError(t, err)
	require.NoError(t, env.Eventually(ctx, "zone e2 on cluster1", time.Minute, 50*time.Millisecond, func(ctx context.Context) (bool, error) {
		cm, err := spokes["cluster1"].Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
		return err == nil && cm.Data["greeting"] == "hello from cluster1 in zone e2", err
	}))
	t.Logf("MEASURE property change after the takeover → object updated on cluster1: %s", time.Since(changed).Round(10*time.Millisecond))
	assert.Equal(t, spokeUIDs, demoUIDs(t, ctx, spokes["cluster1"]), "cluster1's objects were kept through the takeover")
	final, o, _, err := fencedWorks(ctx, hub, "cluster1")
	require.NoError(t, err)
	assert.Equal(t, survivor, o)
	for name, before := range works {
		assert.Equal(t, before.UID, final[name].UID, "ManifestWork %s", name)
	}

	// The watch saw updates only: no ManifestWork deleted or created, and once a work carried
	// the survivor's name the killed owner never wrote it again.
	require.NoError(t, env.Eventually(ctx, "the watch caught up", 30*time.Second, 50*time.Millisecond, func(context.Context) (bool, error) {
		for name, mw := range final {
			if !events.seen(name, mw.ResourceVersion) {
				return false, nil
			}
		}
		return true, nil
	}))
	seen := events.snapshot()
	w.Stop()
	require.NotEmpty(t, seen, "the watch saw the takeover")
	stamped := map[string]bool{}
	for _, ev := range seen {
		if ev.typ == watch.Error {
			t.Errorf("the watch on cluster1's ManifestWorks failed: %s", ev.name)
			continue
		}
		assert.Equal(t, watch.Modified, ev.typ, "%s of %s", ev.typ, ev.name)
		assert.Contains(t, works, ev.name, "an event for a ManifestWork cluster1 did not have")
		if ev.owner == survivor {
			stamped[ev.name] = true
		} else {
			assert.False(t, stamped[ev.name], "%s wrote %s after %s had taken it over", ev.owner, ev.name, survivor)
		}
	}

	// The survivor stops on SIGTERM with exit status 0.
	code := replicas[survivor].terminate(t, 30*time.Second)
	assert.Equal(t, 0, code, "%s's exit status after SIGTERM", survivor)
	t.Logf("MEASURE TestE2ESharding total %s", time.Since(start).Round(100*time.Millisecond))
}

// startFleet starts a hub and the named spokes in parallel.
func startFleet(t *testing.T, ctx context.Context, env *e2e.Env, names ...string) (*e2e.Hub, map[string]*e2e.Spoke) {
	t.Helper()
	var hub *e2e.Hub
	spokes := map[string]*e2e.Spoke{}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := map[string]error{}
	wg.Go(func() {
		h, err := env.StartHub(ctx)
		mu.Lock()
		hub, errs["hub"] = h, err
		mu.Unlock()
	})
	for _, name := range names {
		wg.Go(func() {
			sp, err := env.StartSpoke(ctx, name)
			mu.Lock()
			spokes[name], errs[name] = sp, err
			mu.Unlock()
		})
	}
	wg.Wait()
	for name, err := range errs {
		require.NoError(t, err, "start %s", name)
	}
	return hub, spokes
}

// fencedWorks returns wec's ManifestWorks of the sharding test's source key by name, with the
// owner and epoch they all carry; owner is "" while they are empty, disagree or lack the
// annotations.
func fencedWorks(ctx context.Context, hub *e2e.Hub, wec string) (map[string]workv1.ManifestWork, string, int64, error) {
	list, err := hub.Work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", 0, err
	}
	out := map[string]workv1.ManifestWork{}
	owner, epoch := "", int64(-1)
	for i, w := range list.Items {
		if w.Annotations[delivery.SourceKeyAnnotation] != shardSourceKey {
			continue
		}
		o := w.Annotations[delivery.OwnerAnnotation]
		e, err := strconv.ParseInt(w.Annotations[delivery.EpochAnnotation], 10, 64)
		if o == "" || err != nil || (len(out) > 0 && (o != owner || e != epoch)) {
			return nil, "", 0, nil
		}
		owner, epoch = o, e
		out[w.Name] = list.Items[i]
	}
	return out, owner, epoch, nil
}

// shardHolder returns the holder and transition count of the shard Lease wec falls in.
func shardHolder(ctx context.Context, hub *e2e.Hub, wec string) (string, int64, error) {
	// A Sharder not run only hashes: it tells which shard wec falls in.
	probe, err := sharding.New(sharding.Options{Client: hub.Kube, Namespace: shardNS, Group: shardSourceKey, Identity: "e2e-probe"})
	if err != nil {
		return "", 0, err
	}
	suffix := fmt.Sprintf("-shard-%d", probe.ShardOf(wec))
	leases, err := hub.Kube.CoordinationV1().Leases(shardNS).List(ctx, metav1.ListOptions{LabelSelector: groupLabel})
	if err != nil {
		return "", 0, err
	}
	for _, l := range leases.Items {
		if strings.HasSuffix(l.Name, suffix) {
			return leaseHolder(&l), int64(ptrOr(l.Spec.LeaseTransitions, 0)), nil
		}
	}
	return "", 0, nil
}

func leaseHolder(l *coordinationv1.Lease) string { return ptrOr(l.Spec.HolderIdentity, "") }

func ptrOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// demoUIDs returns the UIDs of the demo workload's objects on a WEC.
func demoUIDs(t *testing.T, ctx context.Context, spoke *e2e.Spoke) map[string]types.UID {
	t.Helper()
	ns, err := spoke.Kube.CoreV1().Namespaces().Get(ctx, demoNS, metav1.GetOptions{})
	require.NoError(t, err)
	dep, err := spoke.Kube.AppsV1().Deployments(demoNS).Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	cm, err := spoke.Kube.CoreV1().ConfigMaps(demoNS).Get(ctx, "web-settings", metav1.GetOptions{})
	require.NoError(t, err)
	return map[string]types.UID{"namespace": ns.UID, "deployment": dep.UID, "configmap": cm.UID}
}

// workEvent is one watch event on a ManifestWork, with the owner and resourceVersion it
// carried (an ERROR event's Status is kept in name).
type workEvent struct {
	typ             watch.EventType
	name, owner, rv string
}

// eventLog records a watch's events as they arrive. Its methods are safe for concurrent use.
type eventLog struct {
	mu     sync.Mutex
	events []workEvent
}

// collectEvents records w's events until it stops.
func collectEvents(w watch.Interface) *eventLog {
	l := &eventLog{}
	go func() {
		for ev := range w.ResultChan() {
			e := workEvent{typ: ev.Type}
			if mw, ok := ev.Object.(*workv1.ManifestWork); ok {
				e.name, e.owner, e.rv = mw.Name, mw.Annotations[delivery.OwnerAnnotation], mw.ResourceVersion
			} else {
				e.name = fmt.Sprintf("%v", ev.Object)
			}
			l.mu.Lock()
			l.events = append(l.events, e)
			l.mu.Unlock()
		}
	}()
	return l
}

// snapshot returns the events recorded so far.
func (l *eventLog) snapshot() []workEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]workEvent(nil), l.events...)
}

// seen reports whether an event carried ManifestWork name at resourceVersion rv.
func (l *eventLog) seen(name, rv string) bool {
	for _, e := range l.snapshot() {
		if e.name == name && e.rv == rv {
			return true
		}
	}
	return false
}

// replicaProcess is one transport replica: the test binary re-executed with
// [transportArgsEnv], in its own process group, its output in a log file of the Env.
type replicaProcess struct {
	identity string
	logPath  string
	cmd      *exec.Cmd
	done     chan struct{}
	err      error // valid after done is closed
}

// startReplica starts a replica running the transport with args. It is stopped (SIGTERM, then
// SIGKILL) when the test ends, before the planes; when the test failed, its log's tail is
// written to the test log.
func startReplica(t *testing.T, env *e2e.Env, identity string, args []string) *replicaProcess {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	dir := filepath.Join(env.Dir(), "logs")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	r := &replicaProcess{identity: identity, logPath: filepath.Join(dir, identity+".log"), done: make(chan struct{})}
	f, err := os.Create(r.logPath)
	require.NoError(t, err)
	r.cmd = exec.Command(os.Args[0])
	r.cmd.Env = append(os.Environ(), transportArgsEnv+"="+string(raw))
	r.cmd.Stdout, r.cmd.Stderr = f, f
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	require.NoError(t, r.cmd.Start())
	go func() {
		r.err = r.cmd.Wait()
		f.Close()
		close(r.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("=== log of replica %s, last lines:\n%s", identity, tail(r.log(), 6000))
		}
		r.terminate(t, 10*time.Second)
	})
	return r
}

// kill sends SIGKILL and waits until the process is gone.
func (r *replicaProcess) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(r.cmd.Process.Pid, syscall.SIGKILL))
	<-r.done
}

// terminate sends SIGTERM, waits up to grace (then sends SIGKILL) and returns the exit status
// (-1 when killed by a signal). It is idempotent.
func (r *replicaProcess) terminate(t *testing.T, grace time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	default:
		_ = syscall.Kill(r.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(grace):
			t.Errorf("replica %s did not stop within %s of SIGTERM", r.identity, grace)
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	}
	return r.cmd.ProcessState.ExitCode()
}

// log returns the replica's output so far.
func (r *replicaProcess) log() string {
	b, _ := os.ReadFile(r.logPath)
	return string(b)
}
