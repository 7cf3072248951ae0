package engine

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// Change is what one [Compiler.Compile] renders differently from the one before: the
// CustomTransforms, CustomizationRules and CustomResourceDefinitions added, removed or edited.
// It is immutable and safe for concurrent use.
type Change struct {
	all    bool
	docs   []string
	rules  []*rules.Rule          // the old and new versions of the changed valid rules
	cts    []schema.GroupResource // the old and new resources of the changed CustomTransforms
	mapper *resources.Mapper      // the new engine's, to map an object's kind to its resource
}

// Everything reports whether the change can affect every object: the first compile, or a
// CustomResourceDefinition change (kinds may map to other resources now).
func (ch *Change) Everything() bool { return ch.all }

// Empty reports whether nothing that shapes rendering changed: every pair renders as before.
func (ch *Change) Empty() bool { return !ch.all && len(ch.rules) == 0 && len(ch.cts) == 0 }

// Documents names the changed documents (`CustomizationRule.wecforge.io/NAME`), sorted; an
// invalid document counts although it changes no render. The slice is the caller's.
func (ch *Change) Documents() []string { return slices.Clone(ch.docs) }

// Affects reports whether an object's renders can differ under the new engine: a changed
// CustomTransform targets its resource, or a changed CustomizationRule (old or new version)
// matches it (see [rules.Rule.Matches]; pass the object as the WEC-independent stages left it,
// or ask for both it and the input). False means every pair of the object renders exactly as
// before. obj is read, never modified.
func (ch *Change) Affects(obj map[string]any) bool {
	if ch.all {
		return true
	}
	for _, r := range ch.rules {
		if r.Matches(obj) {
			return true
		}
	}
	if len(ch.cts) == 0 {
		return false
	}
	ref := transform.RefOf(obj)
	gr, err := ch.mapper.ResourceFor(schema.GroupKind{Group: ref.Group, Kind: ref.Kind})
	if err != nil {
		return false // a CustomTransform applies only to objects whose resource is known
	}
	return slices.Contains(ch.cts, gr)
}

// add records one version of a changed document.
func (ch *Change) add(id docID, pd pipelineDoc) {
	ch.docs = append(ch.docs, id.kind+"/"+id.name)
	switch {
	case id.kind == schema.GroupKind{Group: "apiextensions.k8s.io", Kind: resources.CRDKind}.String():
		ch.all = true
	case pd.rule != nil:
		ch.rules = append(ch.rules, pd.rule)
	case pd.ct != nil:
		ch.cts = append(ch.cts, *pd.ct)
	}
}

// docSource is the source Compile gives an unnamed document.
func docSource(i int) string { return fmt.Sprintf("documents[%d]", i) }
