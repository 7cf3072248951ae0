package delivery

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// maxPart bounds the part number read from a ManifestWork name; a larger one is not a part
// this package wrote.
const maxPart = 100000

// identity is what the work agent tracks an object by: group, kind, namespace and name.
func identity(r transform.ObjectRef) transform.ObjectRef {
	r.Version = ""
	return r
}

// holding is what the pair's current ManifestWorks hold.
type holding struct {
	// works are the pair's ManifestWorks by name.
	works map[string]*workv1.ManifestWork
	// partOf maps a work name of the form base-N to N.
	partOf map[string]int
	// holders lists, per object, the works holding it, sorted by name.
	holders map[transform.ObjectRef][]string
	// old is each object as a work holds it (the first by name), to keep it unchanged.
	old map[transform.ObjectRef]encoded
	// statusFailed marks objects for which a work requests the whole status and the agent
	// reported it could not return it (too large).
	statusFailed map[transform.ObjectRef]bool
}

// parseCurrent reads what the pair's works hold. Works of other pairs, and manifests that do
// not decode, are ignored.
func (d *Deliverer) parseCurrent(key string, current []*workv1.ManifestWork) holding {
	h := holding{
		works:   map[string]*workv1.ManifestWork{},
		partOf:  map[string]int{},
		holders: map[transform.ObjectRef][]string{},
		old:     map[transform.ObjectRef]encoded{},

		statusFailed: map[transform.ObjectRef]bool{},
	}
	base := d.baseName(key) + "-"
	for _, mw := range current {
		if mw == nil || mw.Labels[SourceLabel] != keyHash(key) || mw.Annotations[SourceKeyAnnotation] != key {
			continue
		}
		h.works[mw.Name] = mw
		if n, ok := strings.CutPrefix(mw.Name, base); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < maxPart && strconv.Itoa(i) == n {
				h.partOf[mw.Name] = i
			}
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range h.works {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		mw := h.works[name]
		for _, m := range mw.Spec.Workload.Manifests {
			e, ok := d.decodeHeld(m.Raw, mw.Spec.ManifestConfigs)
			if !ok {
				continue
			}
			if hs := h.holders[e.id]; len(hs) == 0 || hs[len(hs)-1] != name {
				h.holders[e.id] = append(hs, name)
			}
			if _, seen := h.old[e.id]; !seen {
				h.old[e.id] = e
			}
		}
		h.readFeedback(mw)
	}
	return h
}

// readFeedback records the objects of mw whose whole status the agent could not return.
func (h holding) readFeedback(mw *workv1.ManifestWork) {
	for i := range mw.Status.ResourceStatus.Manifests {
		mc := &mw.Status.ResourceStatus.Manifests[i]
		if !wholeStatusFailed(mc) {
			continue
		}
		rm := mc.ResourceMeta
		rid := workv1.ResourceIdentifier{Group: rm.Group, Resource: rm.Resource, Namespace: rm.Namespace, Name: rm.Name}
		for j := range mw.Spec.ManifestConfigs {
			if mw.Spec.ManifestConfigs[j].ResourceIdentifier != rid {
				continue
			}
			if whole, _ := FeedbackRequest(&mw.Spec.ManifestConfigs[j]); whole {
				h.statusFailed[transform.ObjectRef{Group: rm.Group, Kind: rm.Kind, Namespace: rm.Namespace, Name: rm.Name}] = true
			}
		}
	}
}

// decodeHeld reads the identity of one manifest of a current work, with its create-only
// config when the work has one for it.
func (d *Deliverer) decodeHeld(raw []byte, configs []workv1.ManifestConfigOption) (encoded, bool) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
	if json.Unmarshal(raw, &head) != nil || head.Kind == "" || head.Metadata.Name == "" {
		return encoded{}, false
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil || gv.Version == "" {
		return encoded{}, false
	}
	ref := transform.ObjectRef{Group: gv.Group, Version: gv.Version, Kind: head.Kind,
		Namespace: head.Metadata.Namespace, Name: head.Metadata.Name}
	e := encoded{ref: ref, id: identity(ref), raw: raw, size: len(raw) + partOverhead}
	if resource, err := d.resourceOf(gv.WithKind(head.Kind)); err == nil {
		want := workv1.ResourceIdentifier{Group: gv.Group, Resource: resource, Namespace: ref.Namespace, Name: ref.Name}
		for i := range configs {
			if configs[i].ResourceIdentifier == want {
				c := configs[i]
				e.config = &c
				if b, err := json.Marshal(e.config); err == nil {
					e.size += len(b) + partOverhead
				}
				break
			}
		}
	}
	return e, true
}

// move is one object leaving the works in from for the work named to.
type move struct {
	obj  transform.ObjectRef
	from []string
	to   string
}

// layout is a plan: the wanted works in part order and the moves they imply.
type layout struct {
	works []*workv1.ManifestWork
	// parts holds each wanted work's items, by name.
	parts map[string][]encoded
	// moves lists objects changing works, in apply order.
	moves []move
}

// pack places items (sorted) into parts. An object stays in a part that holds it while it fits
// there (the lowest-numbered such part with room when two hold it); objects held once claim
// their places before objects held twice, unchanged ones before changed ones. The others go, in order, into the
// first part with room, or a new part — except that an object leaving a part never goes into a
// part that itself gives an object away: the receiving part of a move never needs to wait for
// another move, so moves never wait on each other in a cycle.
func (d *Deliverer) pack(wec, key string, items []encoded, cur holding) (layout, error) {
	assigned := make([]int, len(items))
	for i := range assigned {
		assigned[i] = -1
	}
	used := map[int]int{}
	// Objects in one part claim their places before objects in two (an unfinished move), and
	// unchanged ones before changed ones: the object that grew out of its part is the one
	// that moves, and an unfinished move ends where it was going.
	for round := range 4 {
		single, unchanged := round < 2, round%2 == 0
		for i, it := range items {
			held := cur.partsHolding(it.id)
			if (len(held) <= 1) != single || bytes.Equal(cur.old[it.id].raw, it.raw) != unchanged {
				continue
			}
			for _, p := range held {
				if used[p]+it.size <= d.opts.MaxBytes {
					assigned[i] = p
					used[p] += it.size
					break
				}
			}
		}
	}
	// A part gives when an object it holds is placed elsewhere (or is not placed yet).
	giver := map[int]bool{}
	for i, it := range items {
		for _, p := range cur.partsHolding(it.id) {
			if p != assigned[i] {
				giver[p] = true
			}
		}
	}
	taken := map[int]bool{}
	for _, p := range cur.partOf {
		taken[p] = true
	}
	for i, it := range items {
		if assigned[i] >= 0 {
			continue
		}
		moving := len(cur.holders[it.id]) > 0
		candidates := slices.Sorted(func(yield func(int) bool) {
			for p := range taken {
				if !yield(p) {
					return
				}
			}
		})
		for _, p := range candidates {
			if moving && giver[p] {
				continue
			}
			if used[p]+it.size <= d.opts.MaxBytes {
				assigned[i] = p
				break
			}
		}
		if assigned[i] < 0 {
			p := 0
			for taken[p] {
				p++
			}
			taken[p] = true
			assigned[i] = p
		}
		used[assigned[i]] += it.size
	}

	base := d.baseName(key)
	byPart := map[int][]encoded{}
	for i, it := range items {
		byPart[assigned[i]] = append(byPart[assigned[i]], it)
	}
	l := layout{parts: map[string][]encoded{}}
	for _, p := range slices.Sorted(func(yield func(int) bool) {
		for p := range byPart {
			if !yield(p) {
				return
			}
		}
	}) {
		name := base + "-" + strconv.Itoa(p)
		mw, err := d.buildWork(wec, key, name, byPart[p])
		if err != nil {
			return layout{}, err
		}
		l.works = append(l.works, mw)
		l.parts[name] = byPart[p]
	}
	for i, it := range items {
		to := base + "-" + strconv.Itoa(assigned[i])
		var from []string
		for _, w := range cur.holders[it.id] {
			if w != to {
				from = append(from, w)
			}
		}
		if len(from) > 0 {
			l.moves = append(l.moves, move{obj: it.id, from: from, to: to})
		}
	}
	return l, nil
}

// partsHolding returns the part numbers of the works holding id, ascending.
func (h holding) partsHolding(id transform.ObjectRef) []int {
	var out []int
	for _, w := range h.holders[id] {
		if p, ok := h.partOf[w]; ok {
			out = append(out, p)
		}
	}
	sort.Ints(out)
	return out
}
