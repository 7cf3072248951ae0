package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/registry/delivery"
	"github.com/wecforge/wecforge/registry/sharding"
)

// The Sharder fences the Deliverer and moves its epoch past older stamps it finds.
var _ interface {
	delivery.Fencer
	delivery.EpochRaiser
} = (*sharding.Sharder)(nil)

// Bounds of the start of sharding.
const (
	// namespaceAttempts bounds the tries to read or create the shard namespace (a hub that
	// throttles or times out is retried with backoff).
	namespaceAttempts = 6
	// namespaceBackoff is the first wait between those tries; it doubles.
	namespaceBackoff = 500 * time.Millisecond
)

// replicas is a running Sharder and how to stop it.
type replicas struct {
	sharder *sharding.Sharder
	cancel  context.CancelFunc
	done    chan error
	once    sync.Once
	err     error
}

// startSharding ensures the shard namespace exists on the hub, starts a Sharder for f in its own
// goroutine, and waits (at most one lease duration) for its first round. The Sharder gets a
// clientset of its own, so that Lease renewals never queue behind ManifestWork writes in the
// client's rate limiter. It keeps running after ctx ends, until stop: the transport stops
// writing first, then releases its Leases.
func startSharding(ctx context.Context, f flags, hub *rest.Config, log logr.Logger) (*replicas, error) {
	cfg := rest.CopyConfig(hub)
	cfg.RateLimiter = nil
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := ensureNamespace(ctx, kube, f.shardNamespace, log); err != nil {
		return nil, fmt.Errorf("--shard-namespace=%s: %w", f.shardNamespace, err)
	}
	s, err := sharding.New(sharding.Options{
		Client: kube, Namespace: f.shardNamespace, Group: f.sourceKey, Identity: f.identity, Shards: f.shards,
		LeaseDuration: f.leaseDuration, RenewInterval: f.leaseRenew, SkewTolerance: f.leaseSkew,
		Log: log.WithName("sharding"),
	})
	if errors.Is(err, sharding.ErrInvalidOptions) {
		return nil, usageError("%w", err)
	}
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r := &replicas{sharder: s, cancel: cancel, done: make(chan error, 1)}
	changes := s.Changes()
	go func() { r.done <- s.Run(rctx) }()
	go logChanges(rctx, s, changes, log)
	renew := f.leaseRenew
	if renew == 0 {
		renew = f.leaseDuration / 3
	}
	log.Info("sharding started", "identity", f.identity, "namespace", f.shardNamespace, "group", f.sourceKey,
		"shards", f.shards, "leaseDuration", f.leaseDuration, "renewInterval", renew, "skewTolerance", f.leaseSkew)
	if !waitSynced(ctx, s, f.leaseDuration) {
		if ctx.Err() != nil {
			return nil, errors.Join(r.stop(), context.Cause(ctx))
		}
		log.Info("sharding: the first round of Lease reads is not complete yet; WECs are delivered as their shards are acquired",
			"waited", f.leaseDuration)
	}
	return r, nil
}

// stop stops the Sharder (it releases its Leases) and waits for it; nil-safe, and every call
// after the first returns the first one's result.
func (r *replicas) stop() error {
	if r == nil {
		return nil
	}
	r.once.Do(func() {
		r.cancel()
		r.err = <-r.done
	})
	return r.err
}

// waitSynced polls s.HasSynced until it holds, ctx ends or limit passes.
func waitSynced(ctx context.Context, s *sharding.Sharder, limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !s.HasSynced() {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return false
		case <-tick.C:
		}
	}
	return true
}

// logChanges logs every change of the owned shards and leadership until ctx ends.
func logChanges(ctx context.Context, s *sharding.Sharder, changes <-chan struct{}, log logr.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		}
		st := s.Snapshot()
		kv := []any{"identity", st.Identity, "ownedShards", len(st.Owned), "leader", st.Leader,
			"members", st.Members, "acquired", st.Acquired, "lost", st.Lost, "takeovers", st.Takeovers}
		if st.Err != nil {
			kv = append(kv, "problem", st.Err.Error())
		}
		log.Info("shard ownership changed", kv...)
	}
}

// ensureNamespace makes sure namespace exists on the hub, creating it when missing. Throttling
// and timeouts are retried (bounded); a hub that forbids reading namespaces is trusted to have
// it (the Leases say otherwise soon enough).
func ensureNamespace(ctx context.Context, kube kubernetes.Interface, namespace string, log logr.Logger) error {
	wait := namespaceBackoff
	var err error
	for attempt := range namespaceAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
		}
		_, err = kube.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
		switch {
		case err == nil:
			return nil
		case apierrors.IsForbidden(err):
			log.Info("shard namespace not readable; assuming it exists", "namespace", namespace, "reason", err.Error())
			return nil
		case apierrors.IsNotFound(err):
			_, err = kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, metav1.CreateOptions{})
			if err == nil || apierrors.IsAlreadyExists(err) {
				log.Info("shard namespace created", "namespace", namespace)
				return nil
			}
		}
		if !retriable(err) {
			return err
		}
		log.Info("shard namespace: retrying", "namespace", namespace, "attempt", attempt+1, "reason", err.Error())
	}
	return err
}

// retriable reports whether err is the hub throttling, timing out or briefly unavailable.
func retriable(err error) bool {
	return apierrors.IsTooManyRequests(err) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err) ||
		apierrors.IsServiceUnavailable(err) || apierrors.IsInternalError(err) || errors.Is(err, context.DeadlineExceeded)
}
