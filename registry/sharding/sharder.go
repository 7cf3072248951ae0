package sharding

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"
)

// ErrShardMismatch is reported (in [Status].Err and the log) while a live member of the group
// runs with a different shard count: the replica then owns no shard rather than split the WECs
// by a hash the others do not share.
var ErrShardMismatch = errors.New("sharding: members disagree on the shard count")

// ErrAlreadyRunning is returned by a second concurrent call of [Sharder.Run].
var ErrAlreadyRunning = errors.New("sharding: Run already running")

// MismatchError names a member whose shard count differs. It unwraps to [ErrShardMismatch].
type MismatchError struct {
	Member string // the other member's identity
	Shards int    // its shard count (0 when its annotation is not a number)
	Want   int    // this replica's shard count
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("sharding: member %q runs %d shards, this replica %d: owning nothing until they agree", e.Member, e.Shards, e.Want)
}

// Unwrap returns [ErrShardMismatch].
func (e *MismatchError) Unwrap() error { return ErrShardMismatch }

// Status is a point-in-time view of a [Sharder], for metrics and logs. The caller owns it.
type Status struct {
	Identity string
	// Members are the identities of the live members, sorted, this replica included when its
	// own member Lease is held.
	Members []string
	// Owned are the shards whose hold is valid now, ascending.
	Owned []int
	// Epochs maps each owned shard to its epoch (the shard Lease's leaseTransitions).
	Epochs map[int]int64
	// Leader is whether the leader Lease is held and the hold is valid now.
	Leader bool
	// Acquired counts shard holds gained, Lost shard holds ended (released, lapsed or taken).
	// Takeovers counts acquisitions of a shard from another replica whose hold had expired
	// (it stopped renewing); Handovers acquisitions of a shard another replica had released.
	Acquired, Lost, Takeovers, Handovers int64
	// Err is a [*MismatchError] while members disagree on the shard count, else nil.
	Err error
}

// hold is one Lease this replica holds: valid until until (local clock).
type hold struct {
	until time.Time
	epoch int64
}

func (h hold) valid(now time.Time) bool { return !h.until.IsZero() && now.Before(h.until) }

// Sharder assigns WECs to the live replicas of a group through Leases on the hub; see the
// package documentation. Its methods are safe for concurrent use; Owns, Fence and Leader do
// not call the API server and never block on it.
type Sharder struct {
	opts  Options
	names names
	log   logr.Logger
	clock clock.WithTicker

	running sync.Mutex // held by Run

	mu       sync.Mutex // guards the fields below
	holds    []hold     // by shard
	leader   hold
	members  []string
	mismatch error
	synced   bool
	subs     []chan struct{}
	acquired int64
	lost     int64
	takeover int64
	handover int64
	// floors holds, by shard, an epoch found on a ManifestWork that is above the held one
	// ([Sharder.RaiseEpoch]); the next renewal moves the shard's epoch past it.
	floors map[int]int64
	// published is the owned set and leadership last announced on the Changes channels.
	published     []bool
	publishedLead bool

	// The fields below belong to the goroutine running step (Run, or a test).
	seen      map[string]*seenLease
	freeSince map[string]time.Time // by Lease name: first seen free or expired
	member    hold                 // this replica's own member Lease
	garbage   map[string]string    // Lease name -> resourceVersion already logged as garbage
	lastMis   string               // last logged mismatch, to log each once
}

// New validates opts and returns a Sharder that owns nothing until [Sharder.Run] has done a
// round. The error joins one [*OptionError] per invalid field.
func New(opts Options) (*Sharder, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sharder{
		opts:      o,
		names:     newNames(o.Group, o.Shards),
		log:       o.Log.WithValues("identity", o.Identity, "group", o.Group),
		clock:     o.Clock,
		holds:     make([]hold, o.Shards),
		published: make([]bool, o.Shards),
		seen:      map[string]*seenLease{},
		freeSince: map[string]time.Time{},
		garbage:   map[string]string{},
		floors:    map[int]int64{},
	}
	return s, nil
}

// client returns the hub clientset.
func (s *Sharder) client() kubernetes.Interface { return s.opts.Client }

// ShardOf returns the shard of a WEC: a stable hash (FNV-1a, 64 bits) of its name modulo the
// shard count. Every replica with the same shard count agrees.
func (s *Sharder) ShardOf(wec string) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(wec))
	return int(h.Sum64() % uint64(s.opts.Shards))
}

// Owns reports whether this replica owns wec now: it holds the WEC's shard and the hold is
// still valid by the local clock. It turns false as soon as the hold's validity ends, even
// when Run is stuck or the process was paused, so a caller must check it right before each
// write it makes for the WEC.
func (s *Sharder) Owns(wec string) bool {
	_, _, ok := s.Fence(wec)
	return ok
}

// Fence returns this replica's identity and the epoch of the WEC's shard (its Lease's
// leaseTransitions when this replica took it) with ok = Owns(wec). When ok is false, owner and
// epoch are "" and 0.
func (s *Sharder) Fence(wec string) (owner string, epoch int64, ok bool) {
	i := s.ShardOf(wec)
	now := s.clock.Now()
	s.mu.Lock()
	h := s.holds[i]
	s.mu.Unlock()
	if !h.valid(now) {
		return "", 0, false
	}
	return s.opts.Identity, h.epoch, true
}

// RaiseEpoch tells the Sharder that a write for wec found a stamp with epoch past, higher than
// the epoch this replica holds the WEC's shard at. While the hold is valid no other replica can
// have acquired the shard since (it would have changed the Lease this replica keeps renewing at
// the resourceVersion it read), so such a stamp predates the Lease: the shard Leases were
// deleted and created again (epochs restart at 1), or the shard count changed (the WEC moved
// to another shard, with its own count), or someone wrote the annotation by hand. The next
// renewal of the shard then sets its epoch to past+1 — if, and only if, that renewal succeeds
// at the resourceVersion read, that is, nobody else took the shard meanwhile — and signals
// [Sharder.Changes], so the WEC is delivered again and its works stamped with the new epoch,
// in place. Every WEC of the shard gets the new epoch. RaiseEpoch does nothing when the hold
// is not valid now, when past is not above the held epoch, or when past+1 exceeds what a
// Lease can count (it logs then: that WEC stays fenced until its works' stamp is removed).
// A delivery.Deliverer calls it through the optional delivery.EpochRaiser interface of its Fencer.
func (s *Sharder) RaiseEpoch(wec string, past int64) {
	i := s.ShardOf(wec)
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.holds[i]
	if !h.valid(now) || past <= h.epoch || past <= s.floors[i] {
		return
	}
	if past >= math.MaxInt32 {
		s.log.Info("a ManifestWork's epoch is beyond what a Lease can count; the WEC stays fenced until the stamp is removed",
			"wec", wec, "shard", i, "epoch", past)
		return
	}
	s.floors[i] = past
	s.log.Info("a ManifestWork carries an epoch above this shard's; raising the shard's epoch at its next renewal",
		"wec", wec, "shard", i, "held", h.epoch, "found", past)
}

// Leader reports whether this replica holds the leader Lease and the hold is valid now.
func (s *Sharder) Leader() bool {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader.valid(now)
}

// HasSynced reports whether Run has completed its first round: read the group's Leases and
// made its first acquisitions.
func (s *Sharder) HasSynced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.synced
}

// Changes returns a new channel with capacity 1 that receives (without blocking the Sharder;
// a signal is dropped while one is pending) whenever the owned shards or leadership change,
// as seen by Run's rounds (a hold that lapses between rounds is signalled at the next round;
// Owns turns false at once). Channels are never closed. Call it once per consumer: every
// channel stays registered for the Sharder's lifetime.
func (s *Sharder) Changes() <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs = append(s.subs, ch)
	s.mu.Unlock()
	return ch
}

// Snapshot returns the current [Status].
func (s *Sharder) Snapshot() Status {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Identity:  s.opts.Identity,
		Members:   slices.Clone(s.members),
		Epochs:    map[int]int64{},
		Leader:    s.leader.valid(now),
		Acquired:  s.acquired,
		Lost:      s.lost,
		Takeovers: s.takeover,
		Handovers: s.handover,
		Err:       s.mismatch,
	}
	for i, h := range s.holds {
		if h.valid(now) {
			st.Owned = append(st.Owned, i)
			st.Epochs[i] = h.epoch
		}
	}
	return st
}

// Run does a round every RenewInterval until ctx ends, then releases the Leases it holds and
// deletes its member Lease (best effort, within RenewInterval) and returns nil. Failed
// requests are logged and retried at the next round. A second concurrent Run returns
// [ErrAlreadyRunning].
func (s *Sharder) Run(ctx context.Context) error {
	if !s.running.TryLock() {
		return ErrAlreadyRunning
	}
	defer s.running.Unlock()
	s.log.Info("sharding started", "namespace", s.opts.Namespace, "shards", s.opts.Shards,
		"leaseDuration", s.opts.LeaseDuration, "renewInterval", s.opts.RenewInterval, "skewTolerance", s.opts.SkewTolerance)
	ticker := s.clock.NewTicker(s.opts.RenewInterval)
	defer ticker.Stop()
	for {
		s.step(ctx)
		select {
		case <-ctx.Done():
			s.shutdown(context.WithoutCancel(ctx))
			return nil
		case <-ticker.C():
		}
	}
}

// notifyLocked sends on every Changes channel without blocking. s.mu is held.
func (s *Sharder) notifyLocked() {
	for _, ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// setHold records the hold of shard i (a zero hold: not held) and announces a change of the
// owned set at once. It counts gains and losses.
func (s *Sharder) setHold(i int, h hold) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	// A tenure runs from the first hold recorded to the record being cleared (here, or by
	// publishLocked when it lapses); a renewal within it is no acquisition.
	had := !s.holds[i].until.IsZero()
	raised := had && !h.until.IsZero() && h.epoch != s.holds[i].epoch
	s.holds[i] = h
	if h.until.IsZero() || s.floors[i] < h.epoch {
		delete(s.floors, i)
	}
	if raised {
		// Same holder, new epoch (RaiseEpoch): writers must start again under it.
		s.notifyLocked()
	}
	switch has := !h.until.IsZero(); {
	case has && !had:
		s.acquired++
	case had && !has:
		s.lost++
	}
	s.publishLocked(now)
}

func (s *Sharder) setLeader(h hold) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader = h
	s.publishLocked(now)
}

// publishLocked announces the owned set and leadership if they differ from the last
// announcement, logging each change, and counts lapsed holds. s.mu is held.
func (s *Sharder) publishLocked(now time.Time) {
	changed := false
	for i, h := range s.holds {
		is := h.valid(now)
		if !is && !h.until.IsZero() {
			// Lapsed: forget it so it is counted once.
			s.holds[i] = hold{}
			s.lost++
			s.log.Info("shard hold lapsed", "shard", i, "epoch", h.epoch)
		}
		if is != s.published[i] {
			s.published[i] = is
			changed = true
			if is {
				s.log.Info("shard owned", "shard", i, "epoch", h.epoch)
			} else {
				s.log.Info("shard no longer owned", "shard", i)
			}
		}
	}
	if lead := s.leader.valid(now); lead != s.publishedLead {
		s.publishedLead = lead
		changed = true
		s.log.Info("leadership changed", "leader", lead, "epoch", s.leader.epoch)
	}
	if changed {
		s.notifyLocked()
	}
}
