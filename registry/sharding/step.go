package sharding

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Bounds of one round.
const (
	listPageSize = 500
	maxListPages = 8 // 4,000 Leases: MaxShards, the leader and ~3,000 members
	// maxCollect bounds the stale member Leases the leader deletes per round.
	maxCollect = 8
	// collectAfter is how many (LeaseDuration+SkewTolerance) a member Lease must be unchanged
	// before the leader deletes it.
	collectAfter = 4
)

// seenLease is what this replica last read of one Lease, and when (local clock) it first saw
// that resourceVersion.
type seenLease struct {
	lease      *coordv1.Lease // as read; never mutated
	at         time.Time
	lastHolder string // the last non-empty holderIdentity seen
}

// step does one round: list the group's Leases, renew the member Lease, then for each shard
// and the leader Lease renew, acquire or release; the leader also deletes long-dead member
// Leases. It never returns an error: failures are logged and retried at the next round, and
// holds that were not renewed lapse by themselves.
func (s *Sharder) step(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.LeaseDuration-s.opts.SkewTolerance)
	defer cancel()
	leases, err := s.list(ctx)
	if err != nil {
		s.log.Info("listing leases failed; retrying next round", "reason", reason(err), "error", err.Error())
		s.mu.Lock()
		s.publishLocked(s.clock.Now())
		s.mu.Unlock()
		return
	}
	s.observe(s.clock.Now(), leases)
	s.renewMember(ctx)
	live, mismatch := s.liveMembers(s.clock.Now())
	s.mu.Lock()
	s.members, s.mismatch = live, mismatch
	s.mu.Unlock()
	for i := range s.names.shards {
		s.reconcileShard(ctx, i, live, mismatch)
	}
	s.reconcileLeader(ctx)
	if s.Leader() {
		s.collect(ctx)
	}
	s.mu.Lock()
	s.synced = true
	s.publishLocked(s.clock.Now())
	s.mu.Unlock()
}

// list reads the group's Leases by label, page by page, at most maxListPages pages.
func (s *Sharder) list(ctx context.Context) ([]coordv1.Lease, error) {
	sel := labels.Set{GroupLabel: s.names.label}.String()
	var out []coordv1.Lease
	cont := ""
	for range maxListPages {
		l, err := s.client().CoordinationV1().Leases(s.opts.Namespace).List(ctx, metav1.ListOptions{
			LabelSelector: sel, Limit: listPageSize, Continue: cont,
		})
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if cont = l.Continue; cont == "" {
			return out, nil
		}
	}
	s.log.Info("too many leases in the group; ignoring the rest", "read", len(out))
	return out, nil
}

// observe records the Leases read at now: a resourceVersion not seen before restarts its
// Lease's clock. Leases of the group that are neither member, shard nor leader Leases are
// logged once and ignored.
func (s *Sharder) observe(now time.Time, leases []coordv1.Lease) {
	present := make(map[string]bool, len(leases))
	for i := range leases {
		l := &leases[i]
		if l.Namespace != "" && l.Namespace != s.opts.Namespace {
			continue
		}
		if !s.known(l.Name) {
			if s.garbage[l.Name] != l.ResourceVersion {
				if len(s.garbage) >= MaxShards {
					clear(s.garbage)
				}
				s.garbage[l.Name] = l.ResourceVersion
				s.log.Info("ignoring a lease of the group that is not one of its own", "lease", l.Name)
			}
			continue
		}
		present[l.Name] = true
		s.record(now, l)
	}
	for name := range s.seen {
		if !present[name] {
			delete(s.seen, name)
		}
	}
}

// known reports whether name is a member, shard or leader Lease name of the group.
func (s *Sharder) known(name string) bool {
	if name == s.names.leader {
		return true
	}
	if _, ok := s.names.shardIndex(name); ok {
		return true
	}
	rest, ok := strings.CutPrefix(name, s.names.label+"-member-")
	return ok && len(rest) == 16
}

// record remembers l (read or written) as the latest state of its Lease.
func (s *Sharder) record(now time.Time, l *coordv1.Lease) {
	sl := s.seen[l.Name]
	if sl == nil {
		sl = &seenLease{at: now}
		s.seen[l.Name] = sl
	} else if sl.lease.ResourceVersion != l.ResourceVersion {
		sl.at = now
	}
	sl.lease = l
	if h := holderOf(l); h != "" {
		sl.lastHolder = h
	}
}

func holderOf(l *coordv1.Lease) string {
	if l == nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func transitionsOf(l *coordv1.Lease) int64 {
	if l == nil || l.Spec.LeaseTransitions == nil || *l.Spec.LeaseTransitions < 0 {
		return 0
	}
	return int64(*l.Spec.LeaseTransitions)
}

// expiry is how long sl must stay unchanged, by the local clock, before its holder is
// presumed dead: the longer of this replica's lease duration and the one the Lease states
// (at most an hour), plus the skew tolerance.
func (s *Sharder) expiry(sl *seenLease) time.Duration {
	d := s.opts.LeaseDuration
	if l := sl.lease; l.Spec.LeaseDurationSeconds != nil {
		stated := time.Duration(min(int64(*l.Spec.LeaseDurationSeconds), 3600)) * time.Second
		d = max(d, stated)
	}
	return d + s.opts.SkewTolerance
}

// expired reports whether sl's holder (not this replica) has not been seen renewing for
// longer than expiry.
func (s *Sharder) expired(sl *seenLease, now time.Time) bool {
	return now.Sub(sl.at) >= s.expiry(sl)
}

// renewMember creates or renews this replica's member Lease.
func (s *Sharder) renewMember(ctx context.Context) {
	name := s.names.member(s.opts.Identity)
	var next *coordv1.Lease
	if sl := s.seen[name]; sl != nil {
		next = sl.lease.DeepCopy()
	} else {
		next = &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.opts.Namespace}}
	}
	s.stamp(next, "member")
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Annotations[ShardsAnnotation] = strconv.Itoa(s.opts.Shards)
	sent := s.clock.Now()
	if next.Spec.HolderIdentity == nil || *next.Spec.HolderIdentity != s.opts.Identity {
		next.Spec.AcquireTime = ptrMicro(sent)
	}
	next.Spec.HolderIdentity = ptr(s.opts.Identity)
	next.Spec.RenewTime = ptrMicro(sent)
	got, err := s.write(ctx, next)
	if err != nil {
		s.log.Info("renewing the member lease failed; retrying next round", "lease", name, "reason", reason(err), "error", err.Error())
		return
	}
	s.record(s.clock.Now(), got)
	s.member = hold{until: sent.Add(s.opts.LeaseDuration - s.opts.SkewTolerance)}
}

// liveMembers returns the identities of the live members, sorted, and a *MismatchError when
// one of them runs a different shard count. This replica is live while its member hold is.
func (s *Sharder) liveMembers(now time.Time) ([]string, error) {
	var live []string
	var mismatch *MismatchError
	for name, sl := range s.seen {
		if !strings.HasPrefix(name, s.names.label+"-member-") {
			continue
		}
		id := holderOf(sl.lease)
		if id == "" || id == s.opts.Identity || s.expired(sl, now) {
			continue
		}
		if s.names.member(id) != name {
			s.logGarbage(sl.lease, "member lease whose holder does not match its name")
			continue
		}
		n, err := strconv.Atoi(sl.lease.Annotations[ShardsAnnotation])
		if err != nil || n != s.opts.Shards {
			if err != nil {
				n = 0
			}
			if mismatch == nil || id < mismatch.Member {
				mismatch = &MismatchError{Member: id, Shards: n, Want: s.opts.Shards}
			}
		}
		live = append(live, id)
	}
	if s.member.valid(now) {
		live = append(live, s.opts.Identity)
	}
	slices.Sort(live)
	if mismatch == nil {
		s.lastMis = ""
		return live, nil
	}
	if msg := mismatch.Error(); msg != s.lastMis {
		s.lastMis = msg
		s.log.Error(mismatch, "shard count mismatch")
	}
	return live, mismatch
}

func (s *Sharder) logGarbage(l *coordv1.Lease, why string) {
	if s.garbage[l.Name] == l.ResourceVersion {
		return
	}
	if len(s.garbage) >= MaxShards {
		clear(s.garbage)
	}
	s.garbage[l.Name] = l.ResourceVersion
	s.log.Info("ignoring a lease", "lease", l.Name, "reason", why)
}

// assigned returns the live member with the highest rendezvous score for shard i, or "".
func assigned(live []string, i int) string {
	best, bestScore := "", uint64(0)
	for _, m := range live {
		if sc := score(m, i); best == "" || sc > bestScore {
			best, bestScore = m, sc
		}
	}
	return best
}

// score is the rendezvous hash of (member, shard): FNV-1a over both, then a 64-bit finaliser
// (splitmix64) so that scores of one member for neighbouring shards are independent.
func score(member string, shard int) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(member); i++ {
		h = (h ^ uint64(member[i])) * prime
	}
	h = (h ^ 0xff) * prime
	for x := uint64(shard); ; x >>= 8 {
		h = (h ^ (x & 0xff)) * prime
		if x < 0x100 {
			break
		}
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// reconcileShard renews, acquires or releases shard i's Lease.
func (s *Sharder) reconcileShard(ctx context.Context, i int, live []string, mismatch error) {
	name := s.names.shards[i]
	sl := s.seen[name]
	var l *coordv1.Lease
	if sl != nil {
		l = sl.lease
	}
	now := s.clock.Now()
	self := s.opts.Identity
	member := s.member.valid(now) && mismatch == nil
	to := assigned(live, i)
	holder := holderOf(l)
	free := holder == "" || holder != self && s.expired(sl, now)
	if !free {
		delete(s.freeSince, name)
	} else if _, ok := s.freeSince[name]; !ok {
		s.freeSince[name] = now
	}
	switch {
	case holder == self && member && to == self:
		s.renew(ctx, i, l)
	case holder == self:
		s.release(ctx, i, l, to)
	case !free:
		s.mu.Lock()
		had := !s.holds[i].until.IsZero()
		s.mu.Unlock()
		if had {
			s.log.Info("shard taken by another replica", "shard", i, "holder", holder)
			s.setHold(i, hold{})
		}
	case member && to == self:
		s.acquire(ctx, i, sl, "assigned")
	case member && now.Sub(s.freeSince[name]) >= s.opts.LeaseDuration+s.opts.SkewTolerance:
		s.acquire(ctx, i, sl, "unclaimed by "+to)
	}
}

// renew extends the hold of shard i, whose Lease l names this replica.
func (s *Sharder) renew(ctx context.Context, i int, l *coordv1.Lease) {
	next := l.DeepCopy()
	s.stamp(next, "shard")
	sent := s.clock.Now()
	next.Spec.RenewTime = ptrMicro(sent)
	next.Spec.LeaseDurationSeconds = ptr(s.leaseSeconds())
	s.mu.Lock()
	floor := s.floors[i]
	s.mu.Unlock()
	if floor > 0 && floor >= transitionsOf(l) {
		// A stamp above this epoch was found (RaiseEpoch): move past it, at the version read.
		next.Spec.LeaseTransitions = ptr(int32(floor + 1))
		s.log.Info("raising the shard's epoch past a ManifestWork's stamp", "shard", i, "from", transitionsOf(l), "to", floor+1)
	}
	got, err := s.write(ctx, next)
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
			// Someone else wrote the Lease: the hold ends now; the next round re-reads.
			s.log.Info("shard lease changed under us; dropping the shard", "shard", i, "reason", reason(err))
			s.setHold(i, hold{})
			return
		}
		s.log.Info("renewing a shard lease failed; retrying next round", "shard", i, "reason", reason(err), "error", err.Error())
		return
	}
	s.record(s.clock.Now(), got)
	s.setHold(i, hold{until: sent.Add(s.opts.LeaseDuration - s.opts.SkewTolerance), epoch: transitionsOf(got)})
}

// release gives shard i up: it stops owning it, then clears the Lease's holder.
func (s *Sharder) release(ctx context.Context, i int, l *coordv1.Lease, to string) {
	s.setHold(i, hold{})
	s.log.Info("releasing shard", "shard", i, "to", to)
	next := l.DeepCopy()
	s.stamp(next, "shard")
	next.Spec.HolderIdentity = nil
	next.Spec.RenewTime = ptrMicro(s.clock.Now())
	got, err := s.write(ctx, next)
	if err != nil {
		s.log.Info("releasing a shard lease failed; retrying next round", "shard", i, "reason", reason(err), "error", err.Error())
		return
	}
	s.record(s.clock.Now(), got)
}

// acquire takes shard i's Lease (sl nil: absent), incrementing its epoch.
func (s *Sharder) acquire(ctx context.Context, i int, sl *seenLease, why string) {
	name := s.names.shards[i]
	got, sent, err := s.take(ctx, name, sl, "shard")
	if err != nil {
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			s.log.Info("another replica moved first; re-reading next round", "shard", i, "reason", reason(err))
		} else {
			s.log.Info("acquiring a shard lease failed; retrying next round", "shard", i, "reason", reason(err), "error", err.Error())
		}
		return
	}
	var from, prev string
	if sl != nil {
		from, prev = holderOf(sl.lease), sl.lastHolder
	}
	switch {
	case from != "" && from != s.opts.Identity:
		// The holder stopped renewing: a takeover.
		s.mu.Lock()
		s.takeover++
		s.mu.Unlock()
		s.log.Info("took over shard", "shard", i, "from", from, "epoch", transitionsOf(got), "why", why)
	case prev != "" && prev != s.opts.Identity:
		s.mu.Lock()
		s.handover++
		s.mu.Unlock()
		s.log.Info("shard handed over", "shard", i, "from", prev, "epoch", transitionsOf(got), "why", why)
	default:
		s.log.V(1).Info("acquired shard", "shard", i, "epoch", transitionsOf(got), "why", why)
	}
	s.record(s.clock.Now(), got)
	delete(s.freeSince, name)
	s.setHold(i, hold{until: sent.Add(s.opts.LeaseDuration - s.opts.SkewTolerance), epoch: transitionsOf(got)})
}

// errEpochExhausted: a Lease's leaseTransitions cannot grow further.
var errEpochExhausted = errors.New("sharding: lease transitions at their maximum")

// take writes this replica as the holder of Lease name (sl nil: create it) with
// leaseTransitions one more than read. It returns the Lease written and when the request
// was sent.
func (s *Sharder) take(ctx context.Context, name string, sl *seenLease, kind string) (*coordv1.Lease, time.Time, error) {
	var next *coordv1.Lease
	if sl != nil {
		next = sl.lease.DeepCopy()
	} else {
		next = &coordv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.opts.Namespace}}
	}
	var old *coordv1.Lease
	if sl != nil {
		old = sl.lease
	}
	epoch := transitionsOf(old)
	if epoch >= math.MaxInt32 {
		return nil, time.Time{}, errEpochExhausted
	}
	s.stamp(next, kind)
	sent := s.clock.Now()
	next.Spec.HolderIdentity = ptr(s.opts.Identity)
	next.Spec.LeaseDurationSeconds = ptr(s.leaseSeconds())
	next.Spec.AcquireTime = ptrMicro(sent)
	next.Spec.RenewTime = ptrMicro(sent)
	next.Spec.LeaseTransitions = ptr(int32(epoch + 1))
	got, err := s.write(ctx, next)
	return got, sent, err
}

// reconcileLeader renews, acquires or releases the leader Lease. Any live member may take it
// when it is free or expired; its holder keeps it while it renews.
func (s *Sharder) reconcileLeader(ctx context.Context) {
	sl := s.seen[s.names.leader]
	var l *coordv1.Lease
	if sl != nil {
		l = sl.lease
	}
	now := s.clock.Now()
	self := s.opts.Identity
	member := s.member.valid(now)
	holder := holderOf(l)
	switch {
	case holder == self && member:
		next := l.DeepCopy()
		s.stamp(next, "leader")
		sent := s.clock.Now()
		next.Spec.RenewTime = ptrMicro(sent)
		next.Spec.LeaseDurationSeconds = ptr(s.leaseSeconds())
		got, err := s.write(ctx, next)
		switch {
		case apierrors.IsConflict(err) || apierrors.IsNotFound(err):
			s.log.Info("leader lease changed under us; stepping down", "reason", reason(err))
			s.setLeader(hold{})
		case err != nil:
			s.log.Info("renewing the leader lease failed; retrying next round", "reason", reason(err), "error", err.Error())
		default:
			s.record(s.clock.Now(), got)
			s.setLeader(hold{until: sent.Add(s.opts.LeaseDuration - s.opts.SkewTolerance), epoch: transitionsOf(got)})
		}
	case holder == self:
		s.releaseLeader(ctx, l)
	case holder != "" && !s.expired(sl, now):
		if s.leaderRecorded() {
			s.log.Info("leader lease taken by another replica", "holder", holder)
			s.setLeader(hold{})
		}
	case member:
		got, sent, err := s.take(ctx, s.names.leader, sl, "leader")
		if err != nil {
			s.log.Info("acquiring the leader lease failed; retrying next round", "reason", reason(err), "error", err.Error())
			return
		}
		s.record(s.clock.Now(), got)
		s.setLeader(hold{until: sent.Add(s.opts.LeaseDuration - s.opts.SkewTolerance), epoch: transitionsOf(got)})
	}
}

func (s *Sharder) leaderRecorded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.leader.until.IsZero()
}

func (s *Sharder) releaseLeader(ctx context.Context, l *coordv1.Lease) {
	s.setLeader(hold{})
	next := l.DeepCopy()
	s.stamp(next, "leader")
	next.Spec.HolderIdentity = nil
	next.Spec.RenewTime = ptrMicro(s.clock.Now())
	got, err := s.write(ctx, next)
	if err != nil {
		s.log.Info("releasing the leader lease failed", "reason", reason(err), "error", err.Error())
		return
	}
	s.record(s.clock.Now(), got)
}

// collect deletes member Leases unchanged for collectAfter×(LeaseDuration+SkewTolerance),
// at most maxCollect per round, each only at the resourceVersion read.
func (s *Sharder) collect(ctx context.Context) {
	now := s.clock.Now()
	var stale []string
	for name, sl := range s.seen {
		if strings.HasPrefix(name, s.names.label+"-member-") && holderOf(sl.lease) != s.opts.Identity &&
			now.Sub(sl.at) >= collectAfter*s.expiry(sl) {
			stale = append(stale, name)
		}
	}
	slices.Sort(stale)
	for _, name := range stale[:min(len(stale), maxCollect)] {
		rv := s.seen[name].lease.ResourceVersion
		err := s.client().CoordinationV1().Leases(s.opts.Namespace).Delete(ctx, name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{ResourceVersion: &rv},
		})
		if err != nil && !apierrors.IsNotFound(err) {
			s.log.Info("deleting a dead member's lease failed", "lease", name, "reason", reason(err))
			continue
		}
		s.log.Info("deleted a dead member's lease", "lease", name, "holder", holderOf(s.seen[name].lease))
		delete(s.seen, name)
	}
}

// shutdown releases every Lease this replica holds and deletes its member Lease, within
// RenewInterval.
func (s *Sharder) shutdown(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.RenewInterval)
	defer cancel()
	self := s.opts.Identity
	for i, name := range s.names.shards {
		if sl := s.seen[name]; sl != nil && holderOf(sl.lease) == self {
			s.release(ctx, i, sl.lease, "")
		} else {
			s.setHold(i, hold{})
		}
	}
	if sl := s.seen[s.names.leader]; sl != nil && holderOf(sl.lease) == self {
		s.releaseLeader(ctx, sl.lease)
	} else {
		s.setLeader(hold{})
	}
	name := s.names.member(self)
	s.member = hold{}
	if err := s.client().CoordinationV1().Leases(s.opts.Namespace).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		s.log.Info("deleting the member lease failed", "lease", name, "reason", reason(err))
	}
	delete(s.seen, name)
	s.log.Info("sharding stopped")
}

// stamp sets the group's labels on next, a copy this replica owns.
func (s *Sharder) stamp(next *coordv1.Lease, kind string) {
	lbl := make(map[string]string, len(next.Labels)+2)
	for k, v := range next.Labels {
		lbl[k] = v
	}
	lbl[GroupLabel] = s.names.label
	lbl[KindLabel] = kind
	next.Labels = lbl
	next.Namespace = s.opts.Namespace
}

// write creates next when it has no resourceVersion, else updates it at that version.
func (s *Sharder) write(ctx context.Context, next *coordv1.Lease) (*coordv1.Lease, error) {
	leases := s.client().CoordinationV1().Leases(s.opts.Namespace)
	if next.ResourceVersion == "" {
		return leases.Create(ctx, next, metav1.CreateOptions{})
	}
	return leases.Update(ctx, next, metav1.UpdateOptions{})
}

func (s *Sharder) leaseSeconds() int32 {
	return int32((s.opts.LeaseDuration + time.Second - 1) / time.Second)
}

// reason is the API server's reason for err (e.g. "TooManyRequests", "Timeout", "Conflict"),
// or "Error" for errors without one.
func reason(err error) string {
	if r := apierrors.ReasonForError(err); r != metav1.StatusReasonUnknown {
		return string(r)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "DeadlineExceeded"
	}
	if errors.Is(err, errEpochExhausted) {
		return "EpochExhausted"
	}
	return "Error"
}

func ptr[T any](v T) *T { return &v }

func ptrMicro(t time.Time) *metav1.MicroTime { m := metav1.NewMicroTime(t); return &m }
