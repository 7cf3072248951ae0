package placement

import (
	"slices"
)

// WECs returns the names of the clusters, in input order.
func (r *Result) WECs() []string {
	out := make([]string, 0, len(r.clusters))
	for _, c := range r.clusters {
		out = append(out, c.Name)
	}
	return out
}

// ForWEC returns what WEC wec receives: one Placement per object, sorted by key. An unknown WEC
// receives nothing. The cost is proportional to the number of documents plus the objects of
// those that deliver to wec.
func (r *Result) ForWEC(wec string) []Placement {
	ci, ok := r.clusterIdx[wec]
	if !ok {
		return []Placement{}
	}
	at := map[int]int{}
	var out []Placement
	for _, d := range r.docs {
		if !d.clusters.has(ci) {
			continue
		}
		for _, h := range d.hits {
			pi, ok := at[h.obj]
			if !ok {
				pi = len(out)
				at[h.obj] = pi
				out = append(out, Placement{Object: h.obj, Key: r.objects[h.obj].Key})
			}
			p := &out[pi]
			p.By = append(p.By, d.byFor(h))
			p.Modulation = p.Modulation.merge(h.mod)
		}
	}
	slices.SortFunc(out, func(a, b Placement) int { return a.Key.Compare(b.Key) })
	if out == nil {
		out = []Placement{}
	}
	return out
}

// Delivered returns the placement of object obj (an index into Input.Objects) on WEC wec, and
// whether the object goes there at all.
func (r *Result) Delivered(obj int, wec string) (Placement, bool) {
	ci, ok := r.clusterIdx[wec]
	if !ok || obj < 0 || obj >= len(r.byObject) {
		return Placement{}, false
	}
	p := Placement{Object: obj, Key: r.objects[obj].Key}
	for _, di := range r.byObject[obj] {
		d := r.docs[di]
		if !d.clusters.has(ci) {
			continue
		}
		h := d.hitFor(obj)
		p.By = append(p.By, d.byFor(*h))
		p.Modulation = p.Modulation.merge(h.mod)
	}
	return p, len(p.By) > 0
}

// byFor returns the By of hit h of d; the slices are fresh.
func (d *doc) byFor(h hit) By {
	b := d.by
	b.Clauses = slices.Clone(h.clauses)
	b.Modulation = h.mod
	b.Modulation.StatusCollectors = slices.Clone(h.mod.StatusCollectors)
	return b
}

// hitFor returns d's hit for object obj (which d must select).
func (d *doc) hitFor(obj int) *hit {
	i, _ := slices.BinarySearchFunc(d.hits, obj, func(h hit, o int) int { return h.obj - o })
	return &d.hits[i]
}

// wecNames returns the names of the clusters in b, ascending by name.
func (r *Result) wecNames(b bitset) []string {
	out := []string{}
	b.each(func(i int) { out = append(out, r.clusters[i].Name) })
	slices.Sort(out)
	return out
}

// DocumentSummary is what one BindingPolicy or Binding binds.
type DocumentSummary struct {
	// Kind is [BindingPolicyKind] or [BindingKind]; Name the document's name.
	Kind, Name string
	// WECs are the WECs it delivers to, sorted.
	WECs []string
	// Objects are the objects it selects (indexes into Input.Objects), sorted by key.
	Objects []int
}

// Documents returns every placed document, BindingPolicies first then Bindings, each in name
// order. A Binding ignored in favour of its BindingPolicy is not among them.
func (r *Result) Documents() []DocumentSummary {
	out := make([]DocumentSummary, 0, len(r.docs))
	for _, d := range r.docs {
		s := DocumentSummary{Kind: d.by.Kind, Name: d.by.Name, WECs: r.wecNames(d.clusters), Objects: make([]int, 0, len(d.hits))}
		for _, h := range d.hits {
			s.Objects = append(s.Objects, h.obj)
		}
		slices.SortFunc(s.Objects, func(a, b int) int { return r.objects[a].Key.Compare(r.objects[b].Key) })
		out = append(out, s)
	}
	return out
}

// Unbound returns the objects (indexes into Input.Objects, sorted by key) that no document
// selects, never-delivered kinds and repeated objects aside.
func (r *Result) Unbound() []int {
	out := []int{}
	for i, o := range r.objects {
		if !r.first[i] || len(r.byObject[i]) > 0 {
			continue
		}
		if _, never := NeverDelivered(o.Key.Group, o.Key.Resource); never {
			continue
		}
		out = append(out, i)
	}
	slices.SortFunc(out, func(a, b int) int { return r.objects[a].Key.Compare(r.objects[b].Key) })
	return out
}

// Exclusion is an object that is never delivered, and why.
type Exclusion struct {
	// Object is the index into Input.Objects.
	Object int
	// Key is the object's key.
	Key Key
	// Reason says why objects of its kind stay where they are.
	Reason string
}

// Excluded returns the objects of never-delivered kinds ([NeverDelivered]), sorted by key.
func (r *Result) Excluded() []Exclusion {
	out := []Exclusion{}
	for i, o := range r.objects {
		if reason, never := NeverDelivered(o.Key.Group, o.Key.Resource); never && r.first[i] {
			out = append(out, Exclusion{Object: i, Key: o.Key, Reason: reason})
		}
	}
	slices.SortFunc(out, func(a, b Exclusion) int { return a.Key.Compare(b.Key) })
	return out
}
