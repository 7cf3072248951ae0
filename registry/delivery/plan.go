package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/internal/dnsname"
	"github.com/wecforge/wecforge/transform"
)

// Labels and annotations this package puts on every ManifestWork it writes.
const (
	// SourceLabel holds the hash of the source key; it selects one pair's ManifestWorks.
	SourceLabel = "delivery.wecforge.io/source"
	// ManagedByLabel is app.kubernetes.io/managed-by, set to [ManagedByValue].
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue marks ManifestWorks written by this package.
	ManagedByValue = "wecforge"
	// SourceKeyAnnotation holds the source key verbatim.
	SourceKeyAnnotation = "delivery.wecforge.io/source-key"
	// ContentHashAnnotation holds the SHA-256 of the ManifestWork's spec as written.
	ContentHashAnnotation = "delivery.wecforge.io/content-hash"
)

const (
	// OCMManifestLimit is the size OCM's webhook allows for the manifests of one ManifestWork.
	OCMManifestLimit = 500 * 1024
	// DefaultMaxBytes is the default size budget of one ManifestWork's manifests and manifest
	// configs, comfortably below [OCMManifestLimit].
	DefaultMaxBytes = 400 * 1024
	// DefaultNamePrefix starts every ManifestWork name unless [Options.NamePrefix] is set.
	DefaultNamePrefix = "wecforge"
	// maxSlug bounds the readable part of a name, so names stay far below 253 characters
	// (the work agent prefixes them with a 64-character hub hash on the WEC).
	maxSlug = 40
	// partOverhead is a generous estimate of a manifest's JSON framing inside the list.
	partOverhead = 16
	// maxKeyBytes bounds a source key (it is stored in an annotation).
	maxKeyBytes = 4096
)

// Object is one rendered object to deliver. The object is only read, never modified.
type Object struct {
	// Object is the rendered object. It needs apiVersion, kind and metadata.name.
	Object *unstructured.Unstructured
	// CreateOnly asks the work agent to create the object and never update it afterwards
	// (OCM's CreateOnly update strategy).
	CreateOnly bool
	// Status, when set, asks the work agent to return the object's `.status` through feedback
	// rules in the ManifestWork's manifestConfigs (see the package doc, "Returned status"). It
	// needs [Options.Resources] or [Options.Mapper]: the resource is never guessed.
	Status *StatusRequest
}

// encoded is one validated, encoded input object.
type encoded struct {
	ref    transform.ObjectRef
	id     transform.ObjectRef // ref without version: what the work agent tracks
	raw    []byte
	config *workv1.ManifestConfigOption
	size   int
	// status is the object's status request (nil: none); resource its mapped resource when
	// status is wanted.
	status   *StatusRequest
	resource string
}

// Plan returns the ManifestWorks that deliver objs to WEC wec under source key, in part order,
// without contacting any server. current are the pair's ManifestWorks as they are now (works
// of other pairs are ignored; nil plans from scratch): an object stays in the part that holds
// it while it fits there, so a change moves as few objects as possible (see the package doc,
// "Packing"). The result depends only on the set of objects and on current, never on the
// order of objs. objs and current are only read. Errors: [ErrInvalidInput] for a bad WEC name
// or key, an *[ObjectError] (nothing planned) for a bad or oversized object. An empty objs
// plans no ManifestWork. Plan plans exactly objs; the shrink guard of [Deliverer.Apply] does
// not apply to it.
func (d *Deliverer) Plan(wec, key string, objs []Object, current []*workv1.ManifestWork) ([]*workv1.ManifestWork, error) {
	items, err := d.encodeAll(wec, key, objs)
	if err != nil {
		return nil, err
	}
	cur := d.parseCurrent(key, current)
	if err := d.setStatusModes(items, cur); err != nil {
		return nil, err
	}
	l, err := d.pack(wec, key, items, cur)
	if err != nil {
		return nil, err
	}
	return l.works, nil
}

// encodeAll validates the pair and encodes objs, sorted in apply order.
func (d *Deliverer) encodeAll(wec, key string, objs []Object) ([]encoded, error) {
	if err := validatePair(wec, key); err != nil {
		return nil, err
	}
	items := make([]encoded, 0, len(objs))
	seen := make(map[transform.ObjectRef]bool, len(objs))
	for i, o := range objs {
		e, err := d.encode(o)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		if seen[e.id] {
			return nil, &ObjectError{Object: e.ref, Err: fmt.Errorf("%w: delivered twice", ErrInvalidObject)}
		}
		if e.size > d.opts.MaxBytes {
			return nil, &ObjectError{Object: e.ref, Err: fmt.Errorf("%w: %d bytes encoded, limit %d", ErrTooLarge, e.size, d.opts.MaxBytes)}
		}
		seen[e.id] = true
		items = append(items, e)
	}
	sortItems(items)
	return items, nil
}

// sortItems puts items in apply order: Namespaces, CRDs, the rest; each by group, kind,
// namespace, name.
func sortItems(items []encoded) {
	sort.Slice(items, func(i, j int) bool {
		ri, rj := applyRank(items[i].ref), applyRank(items[j].ref)
		if ri != rj {
			return ri < rj
		}
		return items[i].id.Less(items[j].id)
	})
}

// buildWork returns the ManifestWork named name holding items, in their order.
func (d *Deliverer) buildWork(wec, key, name string, items []encoded) (*workv1.ManifestWork, error) {
	mw := &workv1.ManifestWork{
		TypeMeta: metav1.TypeMeta{APIVersion: workv1.GroupVersion.String(), Kind: "ManifestWork"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   wec,
			Labels:      map[string]string{SourceLabel: keyHash(key), ManagedByLabel: ManagedByValue},
			Annotations: map[string]string{SourceKeyAnnotation: key},
		},
	}
	for _, it := range items {
		mw.Spec.Workload.Manifests = append(mw.Spec.Workload.Manifests,
			workv1.Manifest{RawExtension: runtime.RawExtension{Raw: it.raw}})
		if it.config != nil {
			mw.Spec.ManifestConfigs = append(mw.Spec.ManifestConfigs, *it.config)
		}
	}
	if d.opts.DeleteOption != nil {
		mw.Spec.DeleteOption = d.opts.DeleteOption.DeepCopy()
	}
	sources, err := sourcesAnnotation(items)
	if err != nil {
		return nil, fmt.Errorf("ManifestWork %s/%s: %w", wec, name, err)
	}
	if sources != "" {
		mw.Annotations[StatusSourcesAnnotation] = sources
	}
	sum, err := specHash(&mw.Spec, sources)
	if err != nil {
		return nil, err
	}
	mw.Annotations[ContentHashAnnotation] = sum
	return mw, nil
}

// baseName is the common start of the pair's ManifestWork names; part i is baseName-i.
func (d *Deliverer) baseName(key string) string {
	return d.opts.NamePrefix + "-" + slug(key) + "-" + keyHash(key)
}

// applyRank puts what other objects need first: Namespaces, then CustomResourceDefinitions,
// then everything else.
func applyRank(r transform.ObjectRef) int {
	switch {
	case r.Group == "" && r.Kind == "Namespace":
		return 0
	case r.Group == "apiextensions.k8s.io" && r.Kind == "CustomResourceDefinition":
		return 1
	}
	return 2
}

// encode validates and encodes one object and, when create-only, its manifest config.
func (d *Deliverer) encode(o Object) (encoded, error) {
	if o.Object == nil || o.Object.Object == nil {
		return encoded{}, fmt.Errorf("%w: nil object", ErrInvalidObject)
	}
	ref := transform.RefOf(o.Object.Object)
	if ref.Kind == "" {
		ref.Kind = o.Object.GetKind() // RefOf leaves it empty when apiVersion does not parse
	}
	gv, err := schema.ParseGroupVersion(o.Object.GetAPIVersion())
	switch {
	case err != nil || gv.Version == "":
		return encoded{}, &ObjectError{Object: ref, Err: fmt.Errorf("%w: apiVersion %q", ErrInvalidObject, o.Object.GetAPIVersion())}
	case ref.Kind == "":
		return encoded{}, &ObjectError{Object: ref, Err: fmt.Errorf("%w: no kind", ErrInvalidObject)}
	case o.Object.GetName() == "":
		return encoded{}, &ObjectError{Object: ref, Err: fmt.Errorf("%w: no metadata.name", ErrInvalidObject)}
	}
	raw, err := json.Marshal(o.Object.Object)
	if err != nil {
		return encoded{}, &ObjectError{Object: ref, Err: fmt.Errorf("%w: %w", ErrInvalidObject, err)}
	}
	e := encoded{ref: ref, id: identity(ref), raw: raw, size: len(raw) + partOverhead}
	if o.Status != nil {
		if d.opts.Resources == nil && d.opts.Mapper == nil {
			return encoded{}, &ObjectError{Object: ref, Err: fmt.Errorf("%w: status wanted but no Options.Resources or Options.Mapper to map kind %s to its resource", ErrInvalidInput, ref.Kind)}
		}
		resource, err := d.resourceOf(gv.WithKind(ref.Kind))
		if err != nil {
			return encoded{}, &ObjectError{Object: ref, Err: err}
		}
		req := *o.Status
		req.Fields = slices.Clone(req.Fields)
		e.status, e.resource = &req, resource
	}
	if o.CreateOnly {
		resource, err := d.resourceOf(gv.WithKind(ref.Kind))
		if err != nil {
			return encoded{}, &ObjectError{Object: ref, Err: err}
		}
		e.config = &workv1.ManifestConfigOption{
			ResourceIdentifier: workv1.ResourceIdentifier{
				Group:     gv.Group,
				Resource:  resource,
				Namespace: ref.Namespace,
				Name:      ref.Name,
			},
			UpdateStrategy: &workv1.UpdateStrategy{Type: workv1.UpdateStrategyTypeCreateOnly},
		}
		cfg, err := json.Marshal(e.config)
		if err != nil {
			return encoded{}, &ObjectError{Object: ref, Err: err}
		}
		e.size += len(cfg) + partOverhead
	}
	return e, nil
}

// resourceOf maps a kind to its lowercase plural resource: through Options.Resources or the
// RESTMapper when one is configured, else by the usual English pluralization Kubernetes itself
// guesses with.
func (d *Deliverer) resourceOf(gvk schema.GroupVersionKind) (string, error) {
	if d.opts.Resources != nil {
		gr, err := d.opts.Resources.ResourceFor(gvk.GroupKind())
		if err != nil {
			return "", fmt.Errorf("map kind %s to a resource: %w", gvk.Kind, err)
		}
		return gr.Resource, nil
	}
	if d.opts.Mapper == nil {
		plural, _ := meta.UnsafeGuessKindToResource(gvk)
		return plural.Resource, nil
	}
	m, err := d.opts.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return "", fmt.Errorf("map kind %s to a resource: %w", gvk.Kind, err)
	}
	return m.Resource.Resource, nil
}

// specHash is the SHA-256 of the spec's JSON encoding (struct fields in declaration order, map
// keys sorted: deterministic), followed, when not empty, by the status sources annotation.
func specHash(spec *workv1.ManifestWorkSpec, sources string) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("encode ManifestWork spec: %w", err)
	}
	if sources != "" {
		b = append(append(b, 0), sources...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// keyHash is a short, label-safe hash of the source key.
func keyHash(key string) string { return dnsname.Hash(key) }

// slug returns a readable DNS-label-safe form of key: lowercase letters, digits and single
// dashes, at most maxSlug characters, never empty.
func slug(key string) string { return dnsname.Slug(key, maxSlug, "src") }

func validatePair(wec, key string) error {
	var errs []error
	if msgs := validation.IsDNS1123Label(wec); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("%w: WEC name %q: %s", ErrInvalidInput, wec, strings.Join(msgs, "; ")))
	}
	if key == "" {
		errs = append(errs, fmt.Errorf("%w: empty source key", ErrInvalidInput))
	}
	if len(key) > maxKeyBytes {
		errs = append(errs, fmt.Errorf("%w: source key of %d bytes", ErrInvalidInput, len(key)))
	}
	return errors.Join(errs...)
}
