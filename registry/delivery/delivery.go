package delivery

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
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
	// Mapper, when set, maps kinds to resources for create-only manifest configs; otherwise the
	// resource is guessed the way Kubernetes pluralizes kinds (Deployment → deployments).
	Mapper meta.RESTMapper
	// DeleteOption, when set, is copied into every ManifestWork (OCM's default is Foreground).
	DeleteOption *workv1.DeleteOption
}

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
	if opts.NamePrefix == "" {
		opts.NamePrefix = DefaultNamePrefix
	}
	if msgs := validation.IsDNS1123Label(opts.NamePrefix); len(msgs) > 0 || len(opts.NamePrefix) > 20 {
		return nil, fmt.Errorf("%w: NamePrefix %q must be a DNS label of at most 20 characters", ErrInvalidInput, opts.NamePrefix)
	}
	return &Deliverer{client: client, opts: opts}, nil
}

// Report says what one [Deliverer.Apply] did. Names are ManifestWork names, sorted.
type Report struct {
	// WEC and Key are the pair delivered.
	WEC, Key string
	// Created, Updated, Deleted and Unchanged list the ManifestWorks by what happened to them.
	Created, Updated, Deleted, Unchanged []string
}

// Writes is the number of API writes the call made (creates, updates and deletes).
func (r Report) Writes() int { return len(r.Created) + len(r.Updated) + len(r.Deleted) }

// String summarizes the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("%s %s: created=%d updated=%d deleted=%d unchanged=%d",
		r.WEC, r.Key, len(r.Created), len(r.Updated), len(r.Deleted), len(r.Unchanged))
}

// Apply makes the ManifestWorks of (wec, key) in namespace wec deliver exactly objs: it creates
// missing parts, then updates parts whose content changed, leaves the others untouched, and
// finally deletes parts no longer needed. objs is only read. The namespace must exist (OCM's hub
// controller creates it when the WEC registers); otherwise the API server's NotFound error is
// returned, wrapped. On an error the report lists what was done before it; calling Apply again
// converges.
func (d *Deliverer) Apply(ctx context.Context, wec, key string, objs []Object) (Report, error) {
	rep := Report{WEC: wec, Key: key}
	want, err := d.Plan(wec, key, objs)
	if err != nil {
		return rep, err
	}
	works := d.client.WorkV1().ManifestWorks(wec)
	list, err := works.List(ctx, metav1.ListOptions{LabelSelector: SourceLabel + "=" + keyHash(key)})
	if err != nil {
		return rep, fmt.Errorf("list ManifestWorks of %s in %s: %w", key, wec, err)
	}
	have := make(map[string]*workv1.ManifestWork, len(list.Items))
	for i := range list.Items {
		mw := &list.Items[i]
		if mw.Annotations[SourceKeyAnnotation] == key {
			have[mw.Name] = mw
		}
	}
	defer rep.sort()
	// Creates first, then updates, then deletes: an object moving from an updated part to a
	// new one is in the new part before it leaves the old one.
	var updates []*workv1.ManifestWork
	for _, mw := range want {
		cur, ok := have[mw.Name]
		delete(have, mw.Name)
		switch {
		case ok && upToDate(cur, mw):
			rep.Unchanged = append(rep.Unchanged, mw.Name)
		case ok:
			updates = append(updates, mw)
		default:
			_, err := works.Create(ctx, mw, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				// Created meanwhile (or not listed because its labels were edited): take it over.
				updates = append(updates, mw)
				continue
			}
			if err != nil {
				return rep, fmt.Errorf("create ManifestWork %s/%s: %w", wec, mw.Name, err)
			}
			rep.Created = append(rep.Created, mw.Name)
		}
	}
	for _, mw := range updates {
		if err := d.update(ctx, mw); err != nil {
			return rep, err
		}
		rep.Updated = append(rep.Updated, mw.Name)
	}
	stale := make([]string, 0, len(have))
	for name := range have {
		stale = append(stale, name)
	}
	sort.Strings(stale)
	var errs []error
	for _, name := range stale {
		err := works.Delete(ctx, name, metav1.DeleteOptions{})
		switch {
		case err == nil:
			rep.Deleted = append(rep.Deleted, name)
		case apierrors.IsNotFound(err):
		default:
			errs = append(errs, fmt.Errorf("delete ManifestWork %s/%s: %w", wec, name, err))
		}
	}
	return rep, errors.Join(errs...)
}

// Delete removes every ManifestWork of (wec, key); it is Apply with no objects. A missing
// namespace is not an error.
func (d *Deliverer) Delete(ctx context.Context, wec, key string) (Report, error) {
	rep, err := d.Apply(ctx, wec, key, nil)
	if apierrors.IsNotFound(err) {
		return rep, nil
	}
	return rep, err
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

// conflictBackoff retries an update that lost a race up to 10 times over about 5 seconds.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.5, Cap: 2 * time.Second}

// update writes want's spec, labels and annotations over the live ManifestWork, re-reading on
// conflict. Labels and annotations others added are kept.
func (d *Deliverer) update(ctx context.Context, want *workv1.ManifestWork) error {
	works := d.client.WorkV1().ManifestWorks(want.Namespace)
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		cur, err := works.Get(ctx, want.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		next := cur.DeepCopy()
		next.Spec = *want.Spec.DeepCopy()
		next.Labels = mergeMaps(cur.Labels, want.Labels)
		next.Annotations = mergeMaps(cur.Annotations, want.Annotations)
		_, err = works.Update(ctx, next, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("update ManifestWork %s/%s: %w", want.Namespace, want.Name, err)
	}
	return nil
}

func mergeMaps(base, over map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(over))
	maps.Copy(out, base)
	maps.Copy(out, over)
	return out
}

func (r *Report) sort() {
	for _, s := range [][]string{r.Created, r.Updated, r.Deleted, r.Unchanged} {
		sort.Strings(s)
	}
}
