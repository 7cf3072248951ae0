package sharding

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/wecforge/wecforge/internal/dnsname"
)

// Defaults of [Options].
const (
	// DefaultShards is the number of shards when Options.Shards is 0.
	DefaultShards = 32
	// MaxShards is the largest Options.Shards accepted.
	MaxShards = 1024
	// DefaultLeaseDuration is the lease duration when Options.LeaseDuration is 0.
	DefaultLeaseDuration = 15 * time.Second
	// DefaultSkewTolerance is the skew tolerance when Options.SkewTolerance is 0 and the lease
	// duration is at least 4×DefaultSkewTolerance; for shorter leases it is LeaseDuration/4.
	DefaultSkewTolerance = 2 * time.Second
	// MaxIdentityLength bounds Options.Identity (it is stored as a Lease's holderIdentity).
	MaxIdentityLength = 253
)

// Labels and annotations on the Leases a [Sharder] writes.
const (
	// GroupLabel is on every Lease of a group, valued with the group's label value (a
	// sanitised form of Options.Group with a hash of it); a Sharder lists its Leases by it.
	GroupLabel = "sharding.wecforge.io/group"
	// KindLabel says what a Lease is: "member", "shard" or "leader". Informational: a Sharder
	// classifies Leases by name.
	KindLabel = "sharding.wecforge.io/kind"
	// ShardsAnnotation is on every member Lease: the replica's shard count, in decimal.
	ShardsAnnotation = "sharding.wecforge.io/shards"
)

// ErrInvalidOptions is wrapped by every [*OptionError] that [New] returns.
var ErrInvalidOptions = errors.New("sharding: invalid options")

// OptionError is one invalid field of [Options]. It unwraps to [ErrInvalidOptions].
type OptionError struct {
	Field  string // the field of Options, e.g. "Shards"
	Reason string // what is wrong with it
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("sharding: invalid options: %s: %s", e.Field, e.Reason)
}

// Unwrap returns [ErrInvalidOptions].
func (e *OptionError) Unwrap() error { return ErrInvalidOptions }

// Options configures a [Sharder]. The zero value of each optional field selects its default.
// New copies what it needs; the caller may reuse the value.
type Options struct {
	// Client is the hub's clientset; the Sharder reads and writes coordination.k8s.io/v1
	// Leases in Namespace through it. Required.
	Client kubernetes.Interface
	// Namespace holds the group's Leases. Required; it must exist.
	Namespace string
	// Group names the set of cooperating replicas (the transport's source key): replicas of
	// one Group share the WECs, replicas of different Groups ignore each other. Required.
	Group string
	// Identity is unique per replica (e.g. hostname-pid). Two live replicas with one
	// Identity are one replica to the others: never do that. Required, at most
	// MaxIdentityLength bytes.
	Identity string
	// Shards is the number of shards WECs are hashed into; 0 means DefaultShards, at most
	// MaxShards. All replicas of a Group must agree (see ErrShardMismatch).
	Shards int
	// LeaseDuration is how long a hold lasts without renewal; 0 means DefaultLeaseDuration.
	// It is also the longest time a dead replica's WECs stay unowned (plus SkewTolerance and
	// one RenewInterval). All replicas of a Group should use the same value.
	LeaseDuration time.Duration
	// RenewInterval is the period of one round (read all Leases, renew, acquire, release);
	// 0 means LeaseDuration/3. It must be less than LeaseDuration-SkewTolerance.
	RenewInterval time.Duration
	// SkewTolerance is the margin for clocks that run at different rates and for the time a
	// request spends in flight; 0 means DefaultSkewTolerance (LeaseDuration/4 for leases
	// shorter than 8s). It must be less than LeaseDuration/2.
	SkewTolerance time.Duration
	// Clock is the local clock; nil means the real clock.
	Clock clock.WithTicker
	// Log receives ownership changes and failed requests with their reasons; the zero
	// Logger discards.
	Log logr.Logger
}

// withDefaults returns o with defaults filled and every problem, joined.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &OptionError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if o.Client == nil {
		bad("Client", "required")
	}
	if o.Namespace == "" {
		bad("Namespace", "required")
	} else if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
		bad("Namespace", "%q: %s", o.Namespace, strings.Join(msgs, "; "))
	}
	if o.Group == "" {
		bad("Group", "required")
	}
	switch {
	case o.Identity == "":
		bad("Identity", "required")
	case len(o.Identity) > MaxIdentityLength:
		bad("Identity", "%d bytes, more than %d", len(o.Identity), MaxIdentityLength)
	}
	switch {
	case o.Shards == 0:
		o.Shards = DefaultShards
	case o.Shards < 0 || o.Shards > MaxShards:
		bad("Shards", "%d is not in [1, %d]", o.Shards, MaxShards)
	}
	switch {
	case o.LeaseDuration == 0:
		o.LeaseDuration = DefaultLeaseDuration
	case o.LeaseDuration < 0:
		bad("LeaseDuration", "%v is negative", o.LeaseDuration)
	case o.LeaseDuration > time.Hour:
		bad("LeaseDuration", "%v is more than an hour", o.LeaseDuration)
	}
	if o.SkewTolerance == 0 {
		o.SkewTolerance = min(DefaultSkewTolerance, o.LeaseDuration/4)
	}
	if o.SkewTolerance < 0 || o.LeaseDuration > 0 && o.SkewTolerance >= o.LeaseDuration/2 {
		bad("SkewTolerance", "%v is not in [0, LeaseDuration/2 = %v)", o.SkewTolerance, o.LeaseDuration/2)
	}
	if o.RenewInterval == 0 {
		o.RenewInterval = o.LeaseDuration / 3
	}
	if o.RenewInterval <= 0 || o.LeaseDuration > 0 && o.RenewInterval >= o.LeaseDuration-o.SkewTolerance {
		bad("RenewInterval", "%v is not in (0, LeaseDuration-SkewTolerance = %v)", o.RenewInterval, o.LeaseDuration-o.SkewTolerance)
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o, errors.Join(errs...)
}

// names are the Lease names and label value of one group.
type names struct {
	label  string // GroupLabel value; also the prefix of every Lease name
	leader string
	shards []string // by shard index
}

// groupLabel is a DNS-label-safe form of group: up to 30 characters of a slug of it, then 10
// hex digits of its SHA-256 (so two groups with one slug do not collide).
func groupLabel(group string) string {
	return dnsname.Slug(group, 30, "g") + "-" + dnsname.Hash(group)
}

func newNames(group string, shards int) names {
	n := names{label: groupLabel(group)}
	n.leader = n.label + "-leader"
	n.shards = make([]string, shards)
	for i := range n.shards {
		n.shards[i] = n.label + "-shard-" + strconv.Itoa(i)
	}
	return n
}

// member is the name of identity's member Lease: the group prefix and 16 hex digits of the
// identity's SHA-256 (identities need not be valid names).
func (n names) member(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return n.label + "-member-" + hex.EncodeToString(sum[:8])
}

// shardIndex parses the index of a shard Lease name; ok is false for any other name.
func (n names) shardIndex(name string) (int, bool) {
	rest, found := strings.CutPrefix(name, n.label+"-shard-")
	if !found || rest == "" || len(rest) > 4 {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= len(n.shards) || strconv.Itoa(i) != rest {
		return 0, false
	}
	return i, true
}
