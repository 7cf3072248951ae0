package transform

import (
	"fmt"
	"maps"
	"slices"
	"unsafe"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/transform/jsonpath"
)

// Object is one object being transformed: a JSON-shaped tree edited copy-on-write.
//
// An Object starts from a base tree that it never modifies. The first write below a map or list
// copies that container (and its ancestors) once; later writes edit the private copy. Untouched
// subtrees stay shared with the base, so rendering a variant per WEC costs only what changes.
// Every write is recorded in the Object's [Trace] under the current author ([Object.SetBy]).
//
// Values passed to Set are owned by the Object afterwards and must not be modified by the
// caller. Values read from an Object (Root, Get, Find) are shared and read-only.
// An Object is not safe for concurrent use.
type Object struct {
	root      map[string]any
	owned     []unsafe.Pointer   // containers private to this Object (few: a linear scan beats a map)
	small     [16]unsafe.Pointer // owned's first backing array: a render owns about a dozen
	cur       cursor             // the owned containers along the last write's parent
	replaced  bool               // the root was replaced by a write
	traceHint int                // the trace's expected length (from earlier renders of the object)
	trace     Trace
	noTrace   bool       // record nothing (Pipeline.WithoutTrace)
	paths     *pathCache // formatted paths shared by the renders of one object; may be nil
	by        string
	budget    *Budget // charged for every write; nil: writes are not accounted
	size      int64   // the tree's size as SizeOf measures it, tracked by the writes (with budget)
}

// NewObject returns an Object over base. base is shared, never modified; it must not be
// modified by anyone while the Object (or anything it produced) is in use.
func NewObject(base map[string]any) *Object {
	if base == nil {
		base = map[string]any{}
	}
	o := &Object{root: base}
	o.owned = o.small[:0]
	return o
}

// SetBudget makes every later write of o check the size and depth of what it writes against
// b's limits and charge b the steps it takes to measure it; a write that would exceed a limit
// fails with a [*BudgetError] and changes nothing. It measures the current tree once. A nil b
// turns the accounting off. Inside a [Pipeline] the render's Object already has the render's
// budget ([Env.Budget]).
func (o *Object) SetBudget(b *Budget) {
	o.budget = b
	if b != nil {
		o.size = SizeOf(o.root, 1<<62, 1<<30).Bytes
	}
}

// Budget returns o's budget (nil when writes are not accounted).
func (o *Object) Budget() *Budget { return o.budget }

// Root returns the current tree. It is read-only: it may share subtrees with the base and with
// other Objects.
func (o *Object) Root() map[string]any { return o.root }

// Unstructured wraps the current tree. The result is read-only in the same sense as Root; call
// DeepCopy on it for a private copy.
func (o *Object) Unstructured() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: o.root}
}

// Trace returns the changes recorded so far. Read-only.
func (o *Object) Trace() Trace { return o.trace }

// SetBy names the author of the following writes (a stage, or a rule and action) and returns
// the previous author.
func (o *Object) SetBy(by string) string {
	prev := o.by
	o.by = by
	return prev
}

// By returns the current author.
func (o *Object) By() string { return o.by }

// Note records that the current author looked at path and changed nothing (for example a list
// selector that matched no item).
func (o *Object) Note(path, message string) {
	if o.noTrace {
		return
	}
	o.trace = append(o.trace, Change{Path: path, By: o.by, Kind: ChangeNoop, Message: message})
}

// Find returns the nodes path matches in the current tree (values read-only).
func (o *Object) Find(p *jsonpath.Path) []jsonpath.Node { return p.Find(o.root) }

// Get returns the value at loc and whether it exists.
func (o *Object) Get(loc jsonpath.Location) (any, bool) {
	var v any = o.root
	for _, s := range loc {
		switch c := v.(type) {
		case map[string]any:
			if s.IsIndex {
				return nil, false
			}
			var ok bool
			if v, ok = c[s.Key]; !ok {
				return nil, false
			}
		case []any:
			if !s.IsIndex || s.Index < 0 || s.Index >= len(c) {
				return nil, false
			}
			v = c[s.Index]
		default:
			return nil, false
		}
	}
	return v, true
}

// Set writes value at every target of p, creating missing map members along name selectors.
// It returns how many locations it wrote. A target whose parent is not a map (or an index
// beyond a list) is an error naming the location; earlier targets stay written.
func (o *Object) Set(p *jsonpath.Path, value any) (int, error) {
	targets := p.Targets(o.root, true)
	for i, t := range targets {
		v := value
		if i > 0 {
			// Never share one mutable value between two places; charge the copy first.
			if err := o.budget.ProduceValue(value); err != nil {
				return i, err
			}
			v = DeepCopyValue(value)
		}
		if err := o.SetAt(t.Location, v); err != nil {
			return i, err
		}
	}
	return len(targets), nil
}

// SetAt writes value at loc, creating missing maps along the way (list items must exist).
func (o *Object) SetAt(loc jsonpath.Location, value any) error { return o.setAt(loc, "", value) }

// SetAtPath is SetAt for a caller that writes loc for many WECs and formatted it once: path
// must be loc.String(). The trace then records path as is instead of formatting loc again.
func (o *Object) SetAtPath(loc jsonpath.Location, path string, value any) error {
	return o.setAt(loc, path, value)
}

// Modified reports whether o's tree may differ from the tree o started from (the base of
// [NewObject], or the tree at [Object.Fork]): false until the first write or adoption.
func (o *Object) Modified() bool { return len(o.owned) > 0 || o.replaced }

func (o *Object) setAt(loc jsonpath.Location, path string, value any) error {
	if len(loc) == 0 {
		m, ok := value.(map[string]any)
		if !ok {
			return fmt.Errorf("cannot replace the whole object with %s", Describe(value))
		}
		if err := o.account(0, "", o.root, true, m, true); err != nil {
			return err
		}
		o.recordAt(loc, path, o.root, true, m, true)
		o.root = m
		o.replaced = true
		o.cur.reset()
		return nil
	}
	parent, err := o.mutableParent(loc, true)
	if err != nil {
		return err
	}
	last := loc[len(loc)-1]
	switch c := parent.(type) {
	case map[string]any:
		old, existed := c[last.Key]
		if existed && Equal(old, value) {
			return nil
		}
		if err := o.account(len(loc), last.Key, old, existed, value, true); err != nil {
			return err
		}
		c[last.Key] = value
		o.recordAt(loc, path, old, existed, value, true)
	case []any:
		old := c[last.Index]
		if Equal(old, value) {
			return nil
		}
		if err := o.account(len(loc), "", old, true, value, true); err != nil {
			return err
		}
		c[last.Index] = value
		o.recordAt(loc, path, old, true, value, true)
	}
	return nil
}

// Remove deletes every node p matches and returns how many it removed. Matching nothing is not
// an error. List items are removed from the highest index down, so indexes stay valid.
func (o *Object) Remove(p *jsonpath.Path) int {
	nodes := p.Find(o.root)
	// Remove deeper and later locations first.
	slices.SortStableFunc(nodes, func(a, b jsonpath.Node) int { return compareLocations(b.Location, a.Location) })
	n := 0
	for _, nd := range nodes {
		if o.RemoveAt(nd.Location) {
			n++
		}
	}
	return n
}

// RemoveAt deletes the node at loc and reports whether it existed. The root cannot be removed.
func (o *Object) RemoveAt(loc jsonpath.Location) bool {
	if len(loc) == 0 {
		return false
	}
	if _, ok := o.Get(loc); !ok {
		return false
	}
	parent, err := o.mutableParent(loc, false)
	defer o.cur.reset() // a removed list item moves the items after it
	if err != nil {
		return false
	}
	last := loc[len(loc)-1]
	switch c := parent.(type) {
	case map[string]any:
		old := c[last.Key]
		_ = o.account(len(loc), last.Key, old, true, nil, false) // a removal only frees room
		delete(c, last.Key)
		o.record(loc, old, true, nil, false)
	case []any:
		old := c[last.Index]
		_ = o.account(len(loc), "", old, true, nil, false)
		o.record(loc, old, true, nil, false)
		// The list shrinks: its parent must point at the new slice header.
		o.replaceList(loc[:len(loc)-1], slices.Delete(c, last.Index, last.Index+1))
	}
	return true
}

// replaceList stores a re-sliced owned list back into its parent (length changed).
func (o *Object) replaceList(loc jsonpath.Location, l []any) {
	parent, _ := o.mutableParent(loc, false)
	last := loc[len(loc)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last.Key] = l
	case []any:
		c[last.Index] = l
	}
	o.own(l)
}

// cursorDepth bounds the locations a cursor remembers; deeper parents are walked each time.
const cursorDepth = 12

// cursor remembers the owned containers along the parent of the last write: nodes[i] is the
// container reached by steps[:i] (nodes[0] is the root). Successive writes mostly share a parent
// (the env items of one container, the labels of one object), so the next write resumes at
// the longest common prefix instead of walking down from the root again. Only SetAt extends it;
// every other structural change (RemoveAt, a new root, Adopt) resets it.
type cursor struct {
	n     int // remembered steps; 0 with nodes[0] == nil means nothing is remembered
	steps [cursorDepth]jsonpath.Step
	nodes [cursorDepth + 1]any
}

func (c *cursor) reset() { c.n, c.nodes[0] = 0, nil }

// resume returns how many leading steps of parent the cursor can skip and the owned container
// they lead to (nil when nothing can be skipped, not even the root).
func (c *cursor) resume(parent jsonpath.Location) (int, any) {
	if c.nodes[0] == nil {
		return 0, nil
	}
	k := 0
	for k < c.n && k < len(parent) && c.steps[k] == parent[k] {
		k++
	}
	return k, c.nodes[k]
}

// mutableParent returns the owned container that holds loc's last step, copying shared
// containers on the way down; with create, missing (or null) map members become new maps.
func (o *Object) mutableParent(loc jsonpath.Location, create bool) (any, error) {
	parent := loc[:len(loc)-1]
	start, cur := o.cur.resume(parent)
	if cur == nil {
		o.root = o.ownMap(o.root)
		cur = o.root
		o.cur.nodes[0] = cur
	}
	o.cur.n = start
	for i := start; i < len(parent); i++ {
		next, err := o.child(cur, parent[i], loc[i+1], loc[:i+1], create)
		if err != nil {
			return nil, fmt.Errorf("cannot set %s: %w", loc, err)
		}
		cur = next
		if i < cursorDepth {
			o.cur.steps[i], o.cur.nodes[i+1], o.cur.n = parent[i], cur, i+1
		}
	}
	last := loc[len(loc)-1]
	switch c := cur.(type) {
	case map[string]any:
		if last.IsIndex {
			return nil, fmt.Errorf("cannot index %s: it is a map", loc[:len(loc)-1])
		}
	case []any:
		if !last.IsIndex || last.Index >= len(c) {
			return nil, fmt.Errorf("cannot set %s: no such list item", loc)
		}
	default:
		return nil, fmt.Errorf("cannot set %s: %s is %s, not a map", loc, loc[:len(loc)-1], Describe(cur))
	}
	return cur, nil
}

// child returns the owned child of owned container cur at step s, creating it if asked.
func (o *Object) child(cur any, s, next jsonpath.Step, at jsonpath.Location, create bool) (any, error) {
	switch c := cur.(type) {
	case map[string]any:
		if s.IsIndex {
			return nil, fmt.Errorf("cannot index %s: it is a map", at[:len(at)-1])
		}
		v, ok := c[s.Key]
		if (!ok || v == nil) && create && !next.IsIndex {
			if err := o.account(len(at), s.Key, v, ok, emptyMap, true); err != nil {
				return nil, err
			}
			m := map[string]any{}
			o.own(m)
			c[s.Key] = m
			o.record(at, v, ok, map[string]any{}, true) // not m: later writes fill m, the trace must not change
			return m, nil
		}
		if !ok {
			return nil, fmt.Errorf("%s does not exist", at)
		}
		owned, copied, err := o.ownContainer(v, at)
		if err != nil {
			return nil, err
		}
		if copied {
			c[s.Key] = owned
		}
		return owned, nil
	case []any:
		if !s.IsIndex || s.Index >= len(c) {
			return nil, fmt.Errorf("%s: no such list item", at)
		}
		owned, copied, err := o.ownContainer(c[s.Index], at)
		if err != nil {
			return nil, err
		}
		if copied {
			c[s.Index] = owned
		}
		return owned, nil
	}
	return nil, fmt.Errorf("%s is %s", at, Describe(cur))
}

// ownContainer returns v itself when o owns it, or a private copy (copied) to store in its
// parent.
func (o *Object) ownContainer(v any, at jsonpath.Location) (owned any, copied bool, err error) {
	switch c := v.(type) {
	case map[string]any:
		if o.owns(mapID(c)) {
			return v, false, nil // v, not c: re-boxing would allocate
		}
		return o.ownMap(c), true, nil
	case []any:
		if len(c) > 0 && o.isOwnedList(c) {
			return v, false, nil
		}
		return o.ownList(c), true, nil
	}
	return nil, false, fmt.Errorf("%s is %s, not a map or list", at, Describe(v))
}

func (o *Object) ownMap(m map[string]any) map[string]any {
	if o.owns(mapID(m)) {
		return m
	}
	cp := maps.Clone(m) // copies the table wholesale: much cheaper than re-inserting
	if cp == nil {
		cp = map[string]any{}
	}
	o.own(cp)
	return cp
}

func (o *Object) ownList(l []any) []any {
	if len(l) > 0 && o.isOwnedList(l) {
		return l
	}
	cp := slices.Clone(l)
	if cp == nil {
		cp = []any{}
	}
	o.own(cp)
	return cp
}

func (o *Object) own(v any) {
	switch c := v.(type) {
	case map[string]any:
		o.owned = append(o.owned, mapID(c))
	case []any:
		if len(c) > 0 {
			o.owned = append(o.owned, unsafe.Pointer(unsafe.SliceData(c)))
		}
	}
}

func (o *Object) isOwnedList(l []any) bool {
	return o.owns(unsafe.Pointer(unsafe.SliceData(l)))
}

func (o *Object) owns(p unsafe.Pointer) bool {
	for _, q := range o.owned {
		if q == p {
			return true
		}
	}
	return false
}

// emptyMap stands for a map a write creates, when its size is accounted. Never modified.
var emptyMap = map[string]any{}

// mapID returns the identity of a map (its runtime header pointer).
func mapID(m map[string]any) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&m)) }

func (o *Object) record(loc jsonpath.Location, old any, hadOld bool, new any, hasNew bool) {
	o.recordAt(loc, "", old, hadOld, new, hasNew)
}

// recordAt appends a change at loc, whose formatted form is path when the caller has it.
func (o *Object) recordAt(loc jsonpath.Location, path string, old any, hadOld bool, new any, hasNew bool) {
	if o.noTrace {
		return
	}
	if path == "" {
		path = o.paths.String(loc)
	}
	c := Change{Path: path, By: o.by, Old: old, New: new, Kind: ChangeSet}
	if o.trace == nil {
		o.trace = make(Trace, 0, max(o.traceHint, 8))
	}
	switch {
	case !hadOld:
		c.Kind = ChangeAdd
	case !hasNew:
		c.Kind = ChangeRemove
	}
	o.trace = append(o.trace, c)
}

func compareLocations(a, b jsonpath.Location) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.IsIndex && y.IsIndex && x.Index != y.Index:
			return x.Index - y.Index
		case !x.IsIndex && !y.IsIndex && x.Key != y.Key:
			if x.Key < y.Key {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
