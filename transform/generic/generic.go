package generic

import (
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// StageName is the name under which the standard pipeline runs [New]'s transform; traces show
// it as the author of the removals.
const StageName = "generic"

// LastAppliedAnnotation is the annotation kubectl apply writes; it is never sent to a WEC.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// Removals is the generic-removals transform. The zero value is ready to use; it holds no
// state and is safe for concurrent use.
type Removals struct{}

// New returns the generic-removals transform.
func New() *Removals { return &Removals{} }

// removed lists the locations removed from every object, in the order their removals appear
// in traces. It is never modified.
var removed = []jsonpath.Location{
	meta("managedFields"),
	meta("finalizers"),
	meta("generation"),
	meta("ownerReferences"),
	meta("selfLink"),
	meta("resourceVersion"),
	meta("uid"),
	meta("generateName"),
}

var (
	lastApplied = jsonpath.Location{{Key: "metadata"}, {Key: "annotations"}, {Key: LastAppliedAnnotation}}
	status      = jsonpath.Location{{Key: "status"}}
)

func meta(field string) jsonpath.Location {
	return jsonpath.Location{{Key: "metadata"}, {Key: field}}
}

// Transform removes the generic fields from obj. Absent fields are skipped; a metadata that is
// not a map is left alone (there is nothing to remove below it). It never fails.
func (*Removals) Transform(_ *transform.Env, obj *transform.Object) error {
	for _, loc := range removed {
		obj.RemoveAt(loc)
	}
	RemoveEntry(obj, lastApplied)
	obj.RemoveAt(status)
	return nil
}

// RemoveEntry removes the map entry at entry and reports whether it existed. When the removal
// leaves the map that held it (entry without its last step) empty, that map is removed as well.
// entry must have at least two steps, the last a map key; otherwise RemoveEntry does nothing
// and returns false. entry is not modified.
func RemoveEntry(obj *transform.Object, entry jsonpath.Location) bool {
	if len(entry) < 2 || entry[len(entry)-1].IsIndex {
		return false
	}
	if !obj.RemoveAt(entry) {
		return false
	}
	parent := entry[:len(entry)-1]
	if v, ok := obj.Get(parent); ok {
		if m, ok := v.(map[string]any); ok && len(m) == 0 {
			obj.RemoveAt(parent)
		}
	}
	return true
}
