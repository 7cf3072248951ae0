package delivery

import (
	"fmt"
	"maps"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"
	workv1 "open-cluster-management.io/api/work/v1"
)

// Options tunes a [Deliverer]. The zero value is ready to use.
type Options struct {
	// MaxBytes is the size budget of one ManifestWork's encoded manifests and manifest configs;
	// zero means [DefaultMaxBytes]. It must not exceed [OCMManifestLimit].
	MaxBytes int
	// NamePrefix starts every ManifestWork name; empty means [DefaultNamePrefix]. It must be a
	// DNS label of at most 20 characters.
	NamePrefix string
	// Mapper, when set, maps kinds to resources for manifest configs. Without it (and without
	// Resources) a create-only config guesses the resource the way Kubernetes pluralizes kinds
	// (Deployment → deployments), and a status request is an error.
	Mapper meta.RESTMapper
	// Resources, when set, maps kinds to resources and takes precedence over Mapper; pass the
	// assembly's mapper (engine.Engine.Mapper) so feedback rules name the resource the work
	// agent will report.
	Resources ResourceMapper
	// DeleteOption, when set, is copied into every ManifestWork (OCM's default is Foreground).
	DeleteOption *workv1.DeleteOption
	// MoveTimeout bounds how long one Apply waits for the work agent to report the receiving
	// ManifestWorks of a move Applied; zero means [DefaultMoveTimeout].
	MoveTimeout time.Duration
	// MovePollInterval is how often that wait reads the receiving ManifestWorks; zero means
	// [DefaultMovePollInterval].
	MovePollInterval time.Duration
	// ShrinkFraction defines a "much smaller" delivery: without [ApplyOptions.ConfirmShrink],
	// Apply refuses to remove all of a pair's objects, or more than this fraction of them. It
	// must be in (0, 1]; zero means [DefaultShrinkFraction].
	ShrinkFraction float64
	// Lister, when set, is where Apply reads a pair's current ManifestWorks (for example a
	// [CachedLister]); nil lists them from the API server on every Apply.
	Lister WorkLister
	// Fencer, when set, fences every write of Apply and Delete (see the package doc,
	// "Fencing"): a WEC is written only while Fencer says this replica owns it, every written
	// ManifestWork carries [OwnerAnnotation] and [EpochAnnotation], and works stamped by another
	// owner or a later epoch are never written or deleted. nil writes without fencing and
	// without those annotations.
	Fencer Fencer
}

// Defaults of [Options].
const (
	DefaultMoveTimeout      = time.Minute
	DefaultMovePollInterval = 200 * time.Millisecond
	DefaultShrinkFraction   = 0.5
)

// Deliverer writes rendered objects as ManifestWorks. It is immutable after [New] and safe for
// concurrent use; concurrent Apply calls for the same (WEC, key) pair are last-writer-wins.
type Deliverer struct {
	client workclient.Interface
	opts   Options
}

// New returns a Deliverer writing through client (OCM's typed work clientset). It validates
// opts; the Deliverer keeps its own copy of them (Mapper and DeleteOption are shared, read-only).
func New(client workclient.Interface, opts Options) (*Deliverer, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil work client", ErrInvalidInput)
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxBytes < 0 || opts.MaxBytes > OCMManifestLimit {
		return nil, fmt.Errorf("%w: MaxBytes %d is not in 1..%d", ErrInvalidInput, opts.MaxBytes, OCMManifestLimit)
	}
	if opts.MoveTimeout < 0 || opts.MovePollInterval < 0 {
		return nil, fmt.Errorf("%w: MoveTimeout and MovePollInterval must not be negative", ErrInvalidInput)
	}
	if opts.MoveTimeout == 0 {
		opts.MoveTimeout = DefaultMoveTimeout
	}
	if opts.MovePollInterval == 0 {
		opts.MovePollInterval = DefaultMovePollInterval
	}
	if opts.ShrinkFraction == 0 {
		opts.ShrinkFraction = DefaultShrinkFraction
	}
	if !(opts.ShrinkFraction > 0 && opts.ShrinkFraction <= 1) {
		return nil, fmt.Errorf("%w: ShrinkFraction %v is not in (0, 1]", ErrInvalidInput, opts.ShrinkFraction)
	}
	if opts.NamePrefix == "" {
		opts.NamePrefix = DefaultNamePrefix
	}
	if msgs := validation.IsDNS1123Label(opts.NamePrefix); len(msgs) > 0 || len(opts.NamePrefix) > 20 {
		return nil, fmt.Errorf("%w: NamePrefix %q must be a DNS label of at most 20 characters", ErrInvalidInput, opts.NamePrefix)
	}
	return &Deliverer{client: client, opts: opts}, nil
}

// Report says what one [Deliverer.Apply] did. Names are ManifestWork names, sorted; a
// ManifestWork written twice in one call (the giving part of a move) is listed twice.
type Report struct {
	// WEC and Key are the pair delivered.
	WEC, Key string
	// Created, Updated, Deleted and Unchanged list the ManifestWorks by what happened to them.
	Created, Updated, Deleted, Unchanged []string
	// Stamped lists the ManifestWorks whose owner and epoch annotations alone were updated
	// when this replica took them over (only with [Options.Fencer]); such a work is also
	// listed by what happened to its content afterwards.
	Stamped []string
}

// Writes is the number of API writes the call made (creates, updates, deletes and stamps).
func (r Report) Writes() int {
	return len(r.Created) + len(r.Updated) + len(r.Deleted) + len(r.Stamped)
}

// String summarizes the report on one line.
func (r Report) String() string {
	s := fmt.Sprintf("%s %s: created=%d updated=%d deleted=%d unchanged=%d",
		r.WEC, r.Key, len(r.Created), len(r.Updated), len(r.Deleted), len(r.Unchanged))
	if len(r.Stamped) > 0 {
		s += fmt.Sprintf(" stamped=%d", len(r.Stamped))
	}
	return s
}

// upToDate reports whether cur already carries everything want would write.
func upToDate(cur, want *workv1.ManifestWork) bool {
	return cur.DeletionTimestamp == nil &&
		cur.Annotations[ContentHashAnnotation] == want.Annotations[ContentHashAnnotation] &&
		subset(want.Labels, cur.Labels) && subset(want.Annotations, cur.Annotations)
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

func mergeMaps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

func (r *Report) sort() {
	for _, s := range [][]string{r.Created, r.Updated, r.Deleted, r.Unchanged, r.Stamped} {
		sort.Strings(s)
	}
}
