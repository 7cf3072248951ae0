package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of Main's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runs numbers the runs of TestMainSharded (-count) so that each has its own names.
var runs atomic.Int32

// replica is one Main running in the test process.
type replica struct {
	id     string
	cancel context.CancelFunc
	code   chan int
	log    *syncBuffer
}

// shardHub is the envtest hub of a sharding test: its clients, a kubeconfig file for Main,
// and a workload file with one ConfigMap whose data reads the WECs' zone property.
type shardHub struct {
	kube       kubernetes.Interface
	work       workclient.Interface
	kubeconfig string
	objects    string
}

// newShardHub registers wecs on the envtest hub (namespace, accepted ManagedCluster, zone
// property z1) and writes the files Main reads.
func newShardHub(t *testing.T, ctx context.Context, wecs ...string) *shardHub {
	t.Helper()
	cfg := hub.Config(t)
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	ocm, err := clusterclient.NewForConfig(cfg)
	require.NoError(t, err)
	work, err := workclient.NewForConfig(cfg)
	require.NoError(t, err)
	for _, w := range wecs {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w}}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = ocm.ClusterV1().ManagedClusters().Create(ctx, &clusterv1.ManagedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: w}, Spec: clusterv1.ManagedClusterSpec{HubAcceptsClient: true},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
		_, err = registry.SetProperties(ctx, kube, w, map[string]string{"zone": "z1"})
		require.NoError(t, err)
	}
	dir := t.TempDir()
	h := &shardHub{kube: kube, work: work, kubeconfig: filepath.Join(dir, "hub.kubeconfig"), objects: filepath.Join(dir, "objects.yaml")}
	require.NoError(t, os.WriteFile(h.kubeconfig, hub.Kubeconfig(t), 0o600))
	doc := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: demo\n  annotations:\n    control.kubestellar.io/expand-templates: 'true'\ndata:\n  zone: '{{ .zone }}'\n"
	require.NoError(t, os.WriteFile(h.objects, []byte(doc), 0o600))
	return h
}

// TestMainSharded runs two replicas of the transport command (Main, in process) against an
// envtest hub with --shard-namespace: the namespace is created, each WEC's works are stamped
// by exactly one replica, and when the owner of a WEC stops, the other takes it over in place
// (same ManifestWork, new owner, higher epoch) and a property change made after the stop
// reaches it. Both exit 0 and
// leave no member Lease behind.
func TestMainSharded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := runs.Add(1)
	wecA := fmt.Sprintf("wec-a-%d", n)
	wecs := []string{wecA, fmt.Sprintf("wec-b-%d", n), fmt.Sprintf("wec-c-%d", n)}
	h := newShardHub(t, ctx, wecs...)
	kube, work, kubeconfig, objects := h.kube, h.work, h.kubeconfig, h.objects

	shardNS := fmt.Sprintf("transport-shards-%d", n)
	lease, renew, skew := 3*time.Second, 500*time.Millisecond, 500*time.Millisecond
	start := func(id string) *replica {
		rctx, rcancel := context.WithCancel(ctx)
		r := &replica{id: id, cancel: rcancel, code: make(chan int, 1), log: &syncBuffer{}}
		args := []string{"--hub-kubeconfig", kubeconfig, "-f", objects, "--source-key", "sharded",
			"--shard-namespace", shardNS, "--identity", id, "--shards", "8",
			"--lease-duration", lease.String(), "--lease-renew", renew.String(), "--lease-skew", skew.String()}
		go func() { r.code <- Main(rctx, args, r.log) }()
		t.Cleanup(func() {
			rcancel()
			select {
			case <-r.code:
			case <-time.After(time.Minute):
				t.Errorf("replica %s did not stop", id)
			}
		})
		return r
	}
	a, b := start("replica-a"), start("replica-b")

	// stamps reads each WEC's one ManifestWork.
	stamps := func() map[string]workv1.ManifestWork {
		out := map[string]workv1.ManifestWork{}
		for _, w := range wecs {
			list, err := work.WorkV1().ManifestWorks(w).List(ctx, metav1.ListOptions{})
			require.NoError(t, err)
			if len(list.Items) == 1 {
				out[w] = list.Items[0]
			}
		}
		return out
	}
	owners := map[string]bool{}
	require.Eventually(t, func() bool {
		st := stamps()
		if len(st) != len(wecs) {
			return false
		}
		clear(owners)
		for _, mw := range st {
			owners[mw.Annotations[delivery.OwnerAnnotation]] = true
		}
		return !owners[""]
	}, time.Minute, 100*time.Millisecond, "every WEC delivered and stamped")
	_, err := kube.CoreV1().Namespaces().Get(ctx, shardNS, metav1.GetOptions{})
	require.NoError(t, err, "the shard namespace was created")
	for o := range owners {
		assert.Contains(t, []string{"replica-a", "replica-b"}, o)
	}
	assert.Contains(t, a.log.String(), "sharding started")
	assert.Contains(t, a.log.String(), `"identity"="replica-a"`)

	// Let ownership settle: each replica holds its share, nothing moves for a few renewals.
	var before map[string]workv1.ManifestWork
	settled := time.Time{}
	require.Eventually(t, func() bool {
		st := stamps()
		same := len(st) == len(wecs) && before != nil
		for w, mw := range st {
			if p, ok := before[w]; !ok || p.ResourceVersion != mw.ResourceVersion {
				same = false
			}
		}
		if !same {
			before, settled = st, time.Now()
			return false
		}
		return time.Since(settled) > 3*renew
	}, time.Minute, 100*time.Millisecond, "ownership settled")

	// Stop the owner of wec-a; the other replica takes it over in place.
	victim, survivor := a, b
	if before[wecA].Annotations[delivery.OwnerAnnotation] == "replica-b" {
		victim, survivor = b, a
	}
	stopped := time.Now()
	victim.cancel()
	select {
	case code := <-victim.code:
		assert.Equal(t, 0, code, victim.log.String())
		victim.code <- code // for the cleanup
	case <-time.After(time.Minute):
		t.Fatal("the stopped replica did not exit")
	}
	// A property change made after the owner stopped reaches wec-a through the survivor.
	_, err = registry.SetProperties(ctx, kube, wecA, map[string]string{"zone": "z2"})
	require.NoError(t, err)
	var after workv1.ManifestWork
	require.Eventually(t, func() bool {
		st := stamps()
		mw, ok := st[wecA]
		after = mw
		return ok && mw.Annotations[delivery.OwnerAnnotation] == survivor.id
	}, time.Minute, 50*time.Millisecond, "the survivor owns wec-a")
	t.Logf("takeover of wec-a after the owner stopped: %s", time.Since(stopped).Round(10*time.Millisecond))
	require.Eventually(t, func() bool {
		return strings.Contains(string(stamps()[wecA].Spec.Workload.Manifests[0].Raw), `"zone":"z2"`)
	}, time.Minute, 50*time.Millisecond, "the property change lands")
	assert.Equal(t, before[wecA].Name, after.Name, "same ManifestWork")
	assert.Equal(t, before[wecA].UID, after.UID, "updated in place, not re-created")
	epoch := func(mw workv1.ManifestWork) int64 {
		n, err := strconv.ParseInt(mw.Annotations[delivery.EpochAnnotation], 10, 64)
		require.NoError(t, err)
		return n
	}
	assert.Greater(t, epoch(after), epoch(before[wecA]), "the new owner's epoch is higher")
	assert.Contains(t, survivor.log.String(), "ownership changed")

	// The stopped replica released its member Lease.
	leases, err := kube.CoordinationV1().Leases(shardNS).List(ctx, metav1.ListOptions{LabelSelector: sharding.GroupLabel})
	require.NoError(t, err)
	for _, l := range leases.Items {
		if strings.Contains(l.Name, "-member-") && l.Spec.HolderIdentity != nil {
			assert.NotEqual(t, victim.id, *l.Spec.HolderIdentity, "the stopped replica's member Lease is gone")
		}
	}
}

// TestMainEpochWentBackwards runs one sharded replica whose WEC's ManifestWork carries a stamp
// above any epoch its new Leases have (as after the Lease namespace was emptied): the first
// delivery is fenced, the Sharder moves the shard's epoch past the stamp at its next renewal,
// and the work is re-stamped in place with the higher epoch; a property change then lands.
func TestMainEpochWentBackwards(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := runs.Add(1)
	wec := fmt.Sprintf("wec-back-%d", n)
	h := newShardHub(t, ctx, wec)
	kube, work, kubeconfig, objects := h.kube, h.work, h.kubeconfig, h.objects
	var err error
	shardNS := fmt.Sprintf("transport-back-%d", n)
	run := func() (context.CancelFunc, chan int, *syncBuffer) {
		rctx, rcancel := context.WithCancel(ctx)
		code, log := make(chan int, 1), &syncBuffer{}
		args := []string{"--hub-kubeconfig", kubeconfig, "-f", objects, "--clusters", "", "--source-key", "back",
			"--shard-namespace", shardNS, "--identity", "replica-a", "--shards", "4",
			"--lease-duration", "3s", "--lease-renew", "500ms", "--lease-skew", "500ms"}
		go func() { code <- Main(rctx, args, log) }()
		return rcancel, code, log
	}
	theWork := func() (workv1.ManifestWork, bool) {
		list, err := work.WorkV1().ManifestWorks(wec).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		if len(list.Items) != 1 {
			return workv1.ManifestWork{}, false
		}
		return list.Items[0], true
	}

	stop, code, _ := run()
	require.Eventually(t, func() bool {
		mw, ok := theWork()
		return ok && mw.Annotations[delivery.EpochAnnotation] == "1"
	}, time.Minute, 100*time.Millisecond, "delivered and stamped with epoch 1")
	stop()
	require.Equal(t, 0, <-code)

	// An older generation of Leases left epoch 5 on the work; the Leases are gone.
	mw, _ := theWork()
	mw.Annotations[delivery.EpochAnnotation] = "5"
	_, err = work.WorkV1().ManifestWorks(wec).Update(ctx, &mw, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, kube.CoordinationV1().Leases(shardNS).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
	before, _ := theWork()

	stop, code, log := run()
	defer func() {
		stop()
		assert.Equal(t, 0, <-code)
	}()
	if !assert.Eventually(t, func() bool {
		mw, ok := theWork()
		// Above 5: exactly 6 unless a WEC of an earlier run (-count) shares the shard with a
		// higher stamp — the shard's epoch moves past the highest stamp found.
		e, err := strconv.ParseInt(mw.Annotations[delivery.EpochAnnotation], 10, 64)
		return ok && err == nil && e > 5
	}, time.Minute, 100*time.Millisecond, "re-stamped past the old epoch") {
		mw, _ := theWork()
		t.Fatalf("stamp %s/%s; log:\n%s", mw.Annotations[delivery.OwnerAnnotation], mw.Annotations[delivery.EpochAnnotation], log.String())
	}
	assert.Contains(t, log.String(), "WEC fenced")
	assert.Contains(t, log.String(), "raising the shard's epoch past a ManifestWork's stamp")
	after, _ := theWork()
	assert.Equal(t, before.UID, after.UID, "in place")
	_, err = registry.SetProperties(ctx, kube, wec, map[string]string{"zone": "z2"})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mw, ok := theWork()
		return ok && strings.Contains(string(mw.Spec.Workload.Manifests[0].Raw), `"zone":"z2"`)
	}, time.Minute, 100*time.Millisecond, "a property change lands")
}
