package sharding_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wecforge/wecforge/registry/sharding"
)

const (
	testNS    = "wecforge-system"
	testGroup = "transport/default"
	shards    = 32
	lease     = 15 * time.Second
	renew     = 5 * time.Second
	skew      = 2 * time.Second
)

var epoch0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// replica is one Sharder under test with its own clock.
type replica struct {
	id    string
	s     *sharding.Sharder
	clk   *clocktesting.FakeClock
	rate  float64 // how fast this replica's clock runs against the test's time
	mu    sync.Mutex
	fail  func(k8stesting.Action) error
	alive bool
}

func (r *replica) setFail(f func(k8stesting.Action) error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = f
}

// cluster is several replicas sharing one leaseStore; every tick and advance checks that no
// two replicas own one shard, at most one leads, an owner is its Lease's holder, and epochs
// only grow when a shard changes hands.
type cluster struct {
	t         *testing.T
	st        *leaseStore
	reps      []*replica
	now       time.Duration // test time since epoch0
	wecs      []string      // wecs[i] is a WEC name in shard i
	lastOwner map[int]string
	lastEpoch map[int]int64
}

func newCluster(t *testing.T) *cluster {
	return &cluster{t: t, st: newLeaseStore(), lastOwner: map[int]string{}, lastEpoch: map[int]int64{}}
}

type opt func(*sharding.Options)

// add starts a replica (not yet ticked) whose clock reads offset ahead and runs at rate.
func (c *cluster) add(id string, offset time.Duration, rate float64, opts ...opt) *replica {
	c.t.Helper()
	r := &replica{id: id, clk: clocktesting.NewFakeClock(epoch0.Add(offset + time.Duration(float64(c.now)*rate))), rate: rate, alive: true}
	o := sharding.Options{
		Client: c.st.client(func(a k8stesting.Action) error {
			r.mu.Lock()
			f := r.fail
			r.mu.Unlock()
			if f != nil {
				return f(a)
			}
			return nil
		}),
		Namespace: testNS, Group: testGroup, Identity: id, Shards: shards,
		LeaseDuration: lease, RenewInterval: renew, SkewTolerance: skew,
		Clock: r.clk, Log: testr.New(c.t).WithName(id),
	}
	for _, f := range opts {
		f(&o)
	}
	s, err := sharding.New(o)
	require.NoError(c.t, err)
	r.s = s
	c.reps = append(c.reps, r)
	if c.wecs == nil {
		c.wecs = make([]string, shards)
		found := 0
		for k := 0; found < shards && k < 100000; k++ {
			w := "wec-" + strconv.Itoa(k)
			if i := s.ShardOf(w); c.wecs[i] == "" {
				c.wecs[i] = w
				found++
			}
		}
		require.Equal(c.t, shards, found)
	}
	return r
}

// tick runs one round of each replica, in order, checking after each.
func (c *cluster) tick(rs ...*replica) {
	c.t.Helper()
	for _, r := range rs {
		r.s.Step(context.Background())
		c.check()
	}
}

// advance moves test time by d (each replica's clock by d×rate) and checks.
func (c *cluster) advance(d time.Duration) {
	c.t.Helper()
	c.now += d
	for _, r := range c.reps {
		r.clk.Step(time.Duration(float64(d) * r.rate))
	}
	c.check()
}

// round advances by one renew interval and ticks rs.
func (c *cluster) round(rs ...*replica) {
	c.t.Helper()
	c.advance(renew)
	c.tick(rs...)
}

func (c *cluster) check() {
	c.t.Helper()
	holders := c.st.holders(testNS)
	leaders := 0
	for _, r := range c.reps {
		if r.s.Leader() {
			leaders++
			assert.Equal(c.t, r.id, holders[r.s.LeaderLease()], "leader %s is not the leader Lease's holder", r.id)
		}
	}
	require.LessOrEqual(c.t, leaders, 1, "two leaders at %v", c.now)
	for i, w := range c.wecs {
		var owners []string
		for _, r := range c.reps {
			owner, epoch, ok := r.s.Fence(w)
			assert.Equal(c.t, ok, r.s.Owns(w))
			if !ok {
				assert.Empty(c.t, owner)
				continue
			}
			assert.Equal(c.t, r.id, owner)
			owners = append(owners, r.id)
			assert.Equal(c.t, r.id, holders[r.s.ShardLease(i)], "owner of shard %d is not its Lease's holder", i)
			if prev := c.lastOwner[i]; prev != "" && prev != r.id {
				assert.Greater(c.t, epoch, c.lastEpoch[i], "shard %d changed hands from %s to %s without a new epoch", i, prev, r.id)
			} else {
				assert.GreaterOrEqual(c.t, epoch, c.lastEpoch[i])
			}
			c.lastOwner[i], c.lastEpoch[i] = r.id, epoch
		}
		require.LessOrEqual(c.t, len(owners), 1, "shard %d (WEC %s) owned by %v at %v", i, w, owners, c.now)
	}
}

// owned returns the shards r owns now.
func owned(r *replica) []int { return r.s.Snapshot().Owned }

// assignment returns the shards rendezvous hashing gives id among live.
func assignment(live []string, id string) []int {
	var out []int
	for i := range shards {
		if sharding.Assigned(live, i) == id {
			out = append(out, i)
		}
	}
	return out
}

func all() []int {
	out := make([]int, shards)
	for i := range out {
		out[i] = i
	}
	return out
}

// settle ticks rs at the current time until each owns exactly its rendezvous share.
func (c *cluster) settle(rs ...*replica) {
	c.t.Helper()
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.id
	}
	slices.Sort(ids)
	for range 4 {
		c.tick(rs...)
		done := true
		for _, r := range rs {
			if !slices.Equal(owned(r), assignment(ids, r.id)) {
				done = false
			}
		}
		if done {
			return
		}
	}
	for _, r := range rs {
		require.Equal(c.t, assignment(ids, r.id), owned(r), "replica %s did not settle", r.id)
	}
}

func throttled(verbs ...string) func(k8stesting.Action) error {
	return func(a k8stesting.Action) error {
		if slices.Contains(verbs, a.GetVerb()) {
			return apierrors.NewTooManyRequests("slow down", 1)
		}
		return nil
	}
}

func timingOut(verbs ...string) func(k8stesting.Action) error {
	return func(a k8stesting.Action) error {
		if slices.Contains(verbs, a.GetVerb()) {
			return apierrors.NewServerTimeout(leasesGR, a.GetVerb(), 1)
		}
		return nil
	}
}

// TestOwnership drives replicas round by round on fake clocks against an in-memory API
// server that enforces resourceVersions; cluster.check runs after every round and every
// clock move.
func TestOwnership(t *testing.T) {
	cases := []struct {
		name   string
		reason string
		run    func(t *testing.T, c *cluster)
	}{{
		name:   "single replica",
		reason: "a lone replica takes every shard and the leader Lease in its first round, epoch 1",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			assert.False(t, a.s.HasSynced())
			c.tick(a)
			assert.True(t, a.s.HasSynced())
			st := a.s.Snapshot()
			assert.Equal(t, all(), st.Owned)
			assert.True(t, st.Leader)
			assert.Equal(t, []string{"a"}, st.Members)
			assert.Equal(t, int64(shards), st.Acquired)
			assert.Zero(t, st.Takeovers)
			for _, e := range st.Epochs {
				assert.Equal(t, int64(1), e)
			}
			for range 5 {
				c.round(a)
			}
			assert.Equal(t, all(), owned(a))
			assert.Equal(t, int64(shards), a.s.Snapshot().Acquired, "renewals are not acquisitions")
		},
	}, {
		name:   "join",
		reason: "a second replica gets its rendezvous share: the first releases, the second acquires; never both",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			c.tick(a)
			b := c.add("b", 0, 1)
			c.tick(b)
			assert.Empty(t, owned(b), "b waits for a to release")
			assert.Equal(t, []string{"a", "b"}, b.s.Snapshot().Members)
			c.tick(a)
			assert.Equal(t, assignment([]string{"a", "b"}, "a"), owned(a))
			c.tick(b)
			mine := assignment([]string{"a", "b"}, "b")
			require.NotEmpty(t, mine)
			assert.Equal(t, mine, owned(b))
			assert.Zero(t, b.s.Snapshot().Takeovers, "a released: b took free shards")
			for range 5 {
				c.round(a, b)
			}
			assert.Equal(t, mine, owned(b))
			assert.True(t, a.s.Leader(), "the leader keeps its Lease")
		},
	}, {
		name:   "clean leave",
		reason: "a replica that stops releases its Leases; the other takes them within one round",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			b.s.Shutdown(context.Background())
			c.check()
			assert.Empty(t, owned(b))
			assert.Nil(t, c.st.get(testNS, b.s.MemberLease("b")), "member Lease deleted")
			c.tick(a)
			assert.Equal(t, all(), owned(a))
			assert.Equal(t, []string{"a"}, a.s.Snapshot().Members)
		},
	}, {
		name:   "death",
		reason: "a replica that stops renewing loses its shards only after LeaseDuration+SkewTolerance unchanged, with a new epoch",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			c.tick(b, a) // b's last renewal, seen by a at once
			died := c.now
			bs := owned(b)
			epochs := b.s.Snapshot().Epochs
			took := time.Duration(-1)
			for range 10 {
				c.round(a)
				if len(owned(a)) == shards && took < 0 {
					took = c.now - died
				}
				if c.now-died < lease+skew {
					assert.Equal(t, assignment([]string{"a", "b"}, "a"), owned(a), "a took b's shards early, at %v", c.now-died)
				}
			}
			require.GreaterOrEqual(t, took, lease+skew)
			assert.LessOrEqual(t, took, lease+skew+renew)
			st := a.s.Snapshot()
			assert.Equal(t, int64(len(bs)), st.Takeovers)
			for _, i := range bs {
				assert.Equal(t, epochs[i]+1, st.Epochs[i], "shard %d", i)
			}
			assert.Empty(t, owned(b), "b's holds lapsed")
		},
	}, {
		name:   "pause past lease, then wake",
		reason: "a paused replica's Owns is false as soon as its hold's validity ends, before any round; on waking it rejoins without double ownership",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			c.tick(b, a)
			bs := owned(b)
			paused := c.now
			c.advance(lease - skew - time.Millisecond)
			assert.Equal(t, bs, owned(b), "still valid just before LeaseDuration-SkewTolerance")
			c.advance(time.Millisecond)
			assert.Empty(t, owned(b), "no round ran, yet b owns nothing")
			for c.now-paused < 30*time.Second {
				c.round(a)
			}
			assert.Equal(t, all(), owned(a))
			assert.Empty(t, owned(b), "woken, before a round")
			c.tick(b)
			assert.Empty(t, owned(b), "a holds them now")
			c.tick(a, b)
			assert.Equal(t, bs, owned(b), "handed back by rendezvous")
		},
	}, {
		name:   "pause within lease",
		reason: "a replica paused past its own validity but not long enough for a takeover renews at the same resourceVersion and keeps its epoch",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			c.tick(b, a)
			bs, epochs := owned(b), b.s.Snapshot().Epochs
			c.round(a)
			c.round(a)
			c.advance(lease - 2*renew)
			c.tick(a)
			assert.Empty(t, owned(b), "b's holds lapsed")
			c.tick(b)
			assert.Equal(t, bs, owned(b))
			assert.Equal(t, epochs, b.s.Snapshot().Epochs)
			assert.Zero(t, a.s.Snapshot().Takeovers)
		},
	}, {
		name:   "clock skew within tolerance",
		reason: "clocks an hour apart and running 4% fast or slow: no takeover while all renew, no double ownership when one dies",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", time.Hour, 1.04)
			b := c.add("b", -time.Hour, 0.96)
			d := c.add("c", 0, 1)
			c.settle(a, b, d)
			for range 20 {
				c.round(a, b, d)
			}
			for _, r := range []*replica{a, b, d} {
				st := r.s.Snapshot()
				assert.Zero(t, st.Takeovers, r.id)
				assert.Equal(t, assignment([]string{"a", "b", "c"}, r.id), st.Owned, r.id)
			}
			// b's renewTimes read an hour in the past: a and c do not take its shards for that.
			lost := owned(b)
			for range 6 {
				c.round(a, d)
			}
			got := append(owned(a), owned(d)...)
			slices.Sort(got)
			assert.Subset(t, got, lost)
			assert.Equal(t, int64(len(lost)), a.s.Snapshot().Takeovers+d.s.Snapshot().Takeovers)
		},
	}, {
		name:   "shard count mismatch",
		reason: "a live member with another shard count makes every replica own nothing rather than split by different hashes",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			c.tick(a)
			odd := c.add("odd", 0, 1, func(o *sharding.Options) { o.Shards = 16 })
			c.tick(odd)
			assert.Empty(t, owned(odd))
			assert.ErrorIs(t, odd.s.Snapshot().Err, sharding.ErrShardMismatch)
			c.tick(a)
			st := a.s.Snapshot()
			assert.Empty(t, st.Owned)
			var mm *sharding.MismatchError
			require.ErrorAs(t, st.Err, &mm)
			assert.Equal(t, sharding.MismatchError{Member: "odd", Shards: 16, Want: shards}, *mm)
			assert.True(t, st.Leader, "leadership does not depend on the shard count")
			odd.s.Shutdown(context.Background())
			c.tick(a)
			assert.Equal(t, all(), owned(a))
			assert.NoError(t, a.s.Snapshot().Err)
		},
	}, {
		name:   "leader failover",
		reason: "the leader Lease moves to another replica only after the dead leader's Lease expired; never two leaders",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			require.True(t, a.s.Leader())
			require.False(t, b.s.Leader())
			c.tick(a, b)
			died := c.now
			for range 6 {
				c.round(b)
				if c.now-died < lease+skew {
					assert.False(t, b.s.Leader(), "at %v", c.now-died)
				}
				if c.now-died >= lease-skew {
					assert.False(t, a.s.Leader())
				}
			}
			assert.True(t, b.s.Leader())
		},
	}, {
		name:   "throttled renewals lapse",
		reason: "renewals refused with 429 are retried each round; the hold lapses at its validity end and never extends",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			c.tick(a)
			a.setFail(throttled("update"))
			c.round(a)
			c.round(a)
			c.advance(lease - skew - 2*renew - time.Millisecond)
			assert.Equal(t, all(), owned(a))
			assert.True(t, a.s.Leader())
			c.advance(time.Millisecond)
			assert.Empty(t, owned(a))
			assert.False(t, a.s.Leader())
			c.tick(a)
			assert.Equal(t, int64(shards), a.s.Snapshot().Lost)
			a.setFail(nil)
			c.round(a)
			st := a.s.Snapshot()
			assert.Equal(t, all(), st.Owned, "renewed at the resourceVersion it read: nobody else wrote")
			assert.Equal(t, int64(1), st.Epochs[0])
		},
	}, {
		name:   "timeouts and failed lists",
		reason: "a hub that times out or refuses the list: nothing is renewed, holds lapse, another replica takes over after expiry",
		run: func(t *testing.T, c *cluster) {
			a, b := c.add("a", 0, 1), c.add("b", 0, 1)
			c.settle(a, b)
			c.tick(a, b)
			a.setFail(timingOut("update", "create"))
			c.round(a, b)
			a.setFail(throttled("list"))
			for range 5 {
				c.round(a, b)
			}
			assert.Empty(t, owned(a))
			assert.Equal(t, all(), owned(b))
			a.setFail(nil)
			c.round(a, b)
			c.round(a, b)
			assert.Equal(t, assignment([]string{"a", "b"}, "a"), owned(a))
		},
	}, {
		name:   "conflict on renew",
		reason: "a shard Lease written by someone else between the read and the renewal is dropped at once",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			c.tick(a)
			target := a.s.ShardLease(3)
			a.setFail(func(act k8stesting.Action) error {
				if u, ok := act.(k8stesting.UpdateAction); ok && u.GetObject().(*coordv1.Lease).Name == target {
					l := c.st.get(testNS, target)
					l.Spec.HolderIdentity = ptr("intruder")
					c.st.put(l)
				}
				return nil
			})
			c.round(a)
			a.setFail(nil)
			assert.NotContains(t, owned(a), 3)
			assert.Len(t, owned(a), shards-1)
			c.round(a)
			assert.NotContains(t, owned(a), 3, "the intruder's hold is not expired")
		},
	}, {
		name:   "garbage leases",
		reason: "foreign or malformed Leases with the group label are ignored; nil fields and hostile numbers never panic",
		run: func(t *testing.T, c *cluster) {
			a := c.add("a", 0, 1)
			lbl := map[string]string{sharding.GroupLabel: a.s.Label()}
			for _, name := range []string{"x", a.s.Label() + "-shard-99999", a.s.Label() + "-shard-01", a.s.Label() + "-shard--1",
				a.s.Label() + "-member-zz", a.s.Label() + "-leaderx"} {
				c.st.put(&coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: lbl}})
			}
			// A member Lease whose holder does not hash to its name.
			c.st.put(&coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: a.s.MemberLease("someone"), Namespace: testNS, Labels: lbl,
				Annotations: map[string]string{sharding.ShardsAnnotation: "7"}}, Spec: coordv1.LeaseSpec{HolderIdentity: ptr("other")}})
			// Shard 0: empty spec. Shard 1: held by a ghost with hostile numbers.
			c.st.put(&coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: a.s.ShardLease(0), Namespace: testNS, Labels: lbl}})
			c.st.put(&coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: a.s.ShardLease(1), Namespace: testNS, Labels: lbl},
				Spec: coordv1.LeaseSpec{HolderIdentity: ptr("ghost"), LeaseTransitions: ptr(int32(-5)), LeaseDurationSeconds: ptr(int32(1 << 30)),
					RenewTime: &metav1.MicroTime{Time: epoch0.Add(1000 * time.Hour)}}})
			c.tick(a)
			st := a.s.Snapshot()
			assert.Equal(t, []string{"a"}, st.Members)
			assert.NoError(t, st.Err)
			assert.Equal(t, all()[2:], st.Owned[1:])
			assert.Contains(t, st.Owned, 0)
			assert.NotContains(t, st.Owned, 1, "the ghost's hold has not expired")
			for c.now < time.Hour+lease {
				c.round(a)
			}
			st = a.s.Snapshot()
			assert.Contains(t, st.Owned, 1, "the ghost's stated duration is capped at an hour")
			assert.Equal(t, int64(1), st.Epochs[1], "negative transitions count as 0")
			assert.Equal(t, int64(1), st.Takeovers)
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Log(tc.reason)
			tc.run(t, newCluster(t))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestChanges(t *testing.T) {
	c := newCluster(t)
	a := c.add("a", 0, 1)
	ch := a.s.Changes()
	select {
	case <-ch:
		t.Fatal("signal before any change")
	default:
	}
	c.tick(a)
	select {
	case <-ch:
	default:
		t.Fatal("no signal after acquiring")
	}
	late := a.s.Changes()
	c.round(a)
	select {
	case <-ch:
		t.Fatal("signal without a change")
	case <-late:
		t.Fatal("signal without a change")
	default:
	}
	b := c.add("b", 0, 1)
	c.tick(b, a)
	select {
	case <-ch:
	default:
		t.Fatal("no signal after releasing to b")
	}
	select {
	case <-late:
	default:
		t.Fatal("each channel is signalled")
	}
}

func TestRun(t *testing.T) {
	c := newCluster(t)
	a := c.add("a", 0, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.s.Run(ctx) }()
	require.Eventually(t, a.s.HasSynced, 10*time.Second, time.Millisecond)
	assert.ErrorIs(t, a.s.Run(ctx), sharding.ErrAlreadyRunning)
	assert.True(t, a.s.Owns("cluster1"))
	// The ticker drives further rounds: a's hold is renewed past its first validity.
	for range 4 {
		require.Eventually(t, a.clk.HasWaiters, 10*time.Second, time.Millisecond)
		writes := c.st.writeCount()
		a.clk.Step(renew)
		require.Eventually(t, func() bool { return c.st.writeCount() > writes }, 10*time.Second, time.Millisecond)
	}
	require.Eventually(t, func() bool { return a.s.Owns("cluster1") }, 10*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	assert.False(t, a.s.Owns("cluster1"))
	assert.False(t, a.s.Leader())
	for name, h := range c.st.holders(testNS) {
		assert.Empty(t, h, "%s still held", name)
	}
	assert.Nil(t, c.st.get(testNS, a.s.MemberLease("a")))
}

func TestNewInvalid(t *testing.T) {
	st := newLeaseStore()
	good := sharding.Options{Client: st.client(nil), Namespace: testNS, Group: testGroup, Identity: "a"}
	cases := []struct {
		field string
		mod   func(*sharding.Options)
	}{
		{"Client", func(o *sharding.Options) { o.Client = nil }},
		{"Namespace", func(o *sharding.Options) { o.Namespace = "" }},
		{"Namespace", func(o *sharding.Options) { o.Namespace = "Not_A_Namespace" }},
		{"Group", func(o *sharding.Options) { o.Group = "" }},
		{"Identity", func(o *sharding.Options) { o.Identity = "" }},
		{"Identity", func(o *sharding.Options) { o.Identity = string(make([]byte, 254)) }},
		{"Shards", func(o *sharding.Options) { o.Shards = -1 }},
		{"Shards", func(o *sharding.Options) { o.Shards = sharding.MaxShards + 1 }},
		{"LeaseDuration", func(o *sharding.Options) { o.LeaseDuration = -time.Second }},
		{"LeaseDuration", func(o *sharding.Options) { o.LeaseDuration = 2 * time.Hour }},
		{"SkewTolerance", func(o *sharding.Options) { o.SkewTolerance = 8 * time.Second }},
		{"SkewTolerance", func(o *sharding.Options) { o.SkewTolerance = -time.Second }},
		{"RenewInterval", func(o *sharding.Options) { o.RenewInterval = 14 * time.Second }},
		{"RenewInterval", func(o *sharding.Options) { o.RenewInterval = -time.Second }},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			o := good
			tc.mod(&o)
			s, err := sharding.New(o)
			assert.Nil(t, s)
			require.ErrorIs(t, err, sharding.ErrInvalidOptions)
			var oe *sharding.OptionError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, tc.field, oe.Field)
		})
	}
	s, err := sharding.New(good)
	require.NoError(t, err)
	assert.Equal(t, "a", s.Snapshot().Identity)
	// Short leases get a proportionate default skew.
	short := good
	short.LeaseDuration = 3 * time.Second
	_, err = sharding.New(short)
	require.NoError(t, err)
}

func TestShardOf(t *testing.T) {
	st := newLeaseStore()
	mk := func(id string) *sharding.Sharder {
		s, err := sharding.New(sharding.Options{Client: st.client(nil), Namespace: testNS, Group: testGroup, Identity: id})
		require.NoError(t, err)
		return s
	}
	a, b := mk("a"), mk("b")
	counts := make([]int, sharding.DefaultShards)
	const n = 32000
	for k := range n {
		w := "cluster" + strconv.Itoa(k)
		i := a.ShardOf(w)
		require.Equal(t, i, b.ShardOf(w))
		counts[i]++
	}
	for i, c := range counts {
		assert.InDelta(t, n/sharding.DefaultShards, c, n/sharding.DefaultShards/4, "shard %d", i)
	}
	assert.Equal(t, a.ShardOf(""), b.ShardOf(""))
}

// TestRendezvousBalance checks that rendezvous hashing splits shards roughly evenly and that
// a member leaving moves only its own shards.
func TestRendezvousBalance(t *testing.T) {
	live := []string{"host-1-100", "host-2-200", "host-3-300"}
	per := map[string]int{}
	for i := range sharding.MaxShards {
		per[sharding.Assigned(live, i)]++
	}
	for _, m := range live {
		assert.InDelta(t, sharding.MaxShards/3, per[m], sharding.MaxShards/8, m)
	}
	for i := range sharding.MaxShards {
		before := sharding.Assigned(live, i)
		after := sharding.Assigned(live[:2], i)
		if before != live[2] {
			assert.Equal(t, before, after, "shard %d moved although its member stayed", i)
		}
	}
	assert.Empty(t, sharding.Assigned(nil, 0))
}

func TestErrors(t *testing.T) {
	var err error = &sharding.MismatchError{Member: "x", Shards: 16, Want: 32}
	assert.True(t, errors.Is(err, sharding.ErrShardMismatch))
	assert.Contains(t, err.Error(), `"x"`)
	err = &sharding.OptionError{Field: "Shards", Reason: "bad"}
	assert.True(t, errors.Is(err, sharding.ErrInvalidOptions))
}

// The transport's role interfaces (delivery.Fencer, loop.Ownership, statusloop.Leadership),
// restated: *Sharder satisfies them.
var (
	_ interface {
		Fence(wec string) (owner string, epoch int64, ok bool)
	} = (*sharding.Sharder)(nil)
	_ interface {
		Owns(wec string) bool
		Leader() bool
		Changes() <-chan struct{}
	} = (*sharding.Sharder)(nil)
)

// TestRaiseEpoch checks recovery from a stamp above the Lease's epoch (shard Leases deleted
// and created again, or a new shard count): the holder's next renewal moves the shard's epoch
// past the stamp, at the version it read, and signals Changes; a raise that is not above the
// held epoch, comes while the hold is not valid, or cannot be counted changes nothing, and a
// renewal that conflicts (someone else took the shard) raises nothing.
func TestRaiseEpoch(t *testing.T) {
	c := newCluster(t)
	a := c.add("a", 0, 1)
	c.settle(a)
	w, other := c.wecs[3], c.wecs[4]
	_, e, ok := a.s.Fence(w)
	require.True(t, ok)
	_, eOther, _ := a.s.Fence(other)
	ch := a.s.Changes()

	a.s.RaiseEpoch(w, e)             // not above: nothing
	a.s.RaiseEpoch(w, math.MaxInt32) // not countable: nothing
	c.round(a)
	_, got, _ := a.s.Fence(w)
	assert.Equal(t, e, got)
	select {
	case <-ch:
		t.Fatal("signal without a raise")
	default:
	}

	a.s.RaiseEpoch(w, e+10)
	_, got, _ = a.s.Fence(w)
	assert.Equal(t, e, got, "the epoch moves at the renewal, not before")
	c.round(a)
	_, got, ok = a.s.Fence(w)
	require.True(t, ok)
	assert.Equal(t, e+11, got)
	assert.Equal(t, int32(e+11), *c.st.get(testNS, a.s.ShardLease(3)).Spec.LeaseTransitions)
	_, gotOther, _ := a.s.Fence(other)
	assert.Equal(t, eOther, gotOther, "other shards keep their epoch")
	select {
	case <-ch:
	default:
		t.Fatal("no signal after the epoch moved")
	}
	c.round(a)
	_, got, _ = a.s.Fence(w)
	assert.Equal(t, e+11, got, "raised once")

	// A raise whose renewal conflicts: someone else wrote the Lease meanwhile.
	a.s.RaiseEpoch(w, e+50)
	l := c.st.get(testNS, a.s.ShardLease(3)).DeepCopy()
	l.Spec.HolderIdentity = ptrTo("intruder")
	c.st.put(l)
	c.tick(a)
	_, _, ok = a.s.Fence(w)
	assert.False(t, ok, "a conflicting renewal drops the hold")
	assert.Equal(t, "intruder", *c.st.get(testNS, a.s.ShardLease(3)).Spec.HolderIdentity)
	assert.Less(t, *c.st.get(testNS, a.s.ShardLease(3)).Spec.LeaseTransitions, int32(e+50))

	// Not held: nothing.
	b := c.add("b", 0, 1)
	b.s.RaiseEpoch(other, eOther+100)
	c.tick(b, a)
	_, got, ok = a.s.Fence(other)
	if ok {
		assert.Less(t, got, eOther+100)
	}
}

func ptrTo[T any](v T) *T { return &v }
