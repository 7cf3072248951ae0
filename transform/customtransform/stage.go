package customtransform

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/resources"
)

// StageName is the name under which the standard pipeline runs a [Stage].
const StageName = "customtransform"

// Stage applies compiled CustomTransforms. It is immutable and safe for concurrent use.
type Stage struct {
	mapper     *resources.Mapper
	byResource map[schema.GroupResource][]entry
	groups     map[string][]string // API group → names of the CustomTransforms targeting it
	names      []string
	warnings   []string
}

// New compiles cts with mapper (nil = [resources.Builtin]). cts and the objects in it are read,
// never modified or kept.
//
// The returned Stage is never nil: it applies every valid entry. The error joins one *[Error]
// per problem (nil when there is none), in CustomTransform name order then field order.
func New(cts []*unstructured.Unstructured, mapper *resources.Mapper) (*Stage, error) {
	if mapper == nil {
		mapper = resources.Builtin()
	}
	cs, errs := compileAll(cts)
	byCT := map[schema.GroupResource][]*compiled{}
	s := &Stage{mapper: mapper, byResource: map[schema.GroupResource][]entry{}, groups: map[string][]string{}}
	for _, c := range cs {
		byCT[c.resource] = append(byCT[c.resource], c)
		s.byResource[c.resource] = append(s.byResource[c.resource], c.entries...)
		s.groups[c.resource.Group] = append(s.groups[c.resource.Group], c.name)
		s.names = append(s.names, c.name)
	}
	s.warnings = warnings(cs, byCT, mapper)
	return s, errors.Join(errs...)
}

// Warnings returns the warnings found at construction, in a deterministic order (by
// CustomTransform name). The slice is the caller's.
func (s *Stage) Warnings() []string { return slices.Clone(s.warnings) }

// Names returns the names of the CustomTransforms the stage applies (the usable ones), sorted.
// The slice is the caller's.
func (s *Stage) Names() []string { return slices.Clone(s.names) }

// Transform removes, from obj, what every CustomTransform for obj's group and resource names,
// in CustomTransform name order then list order. An object of a group no CustomTransform
// targets is left alone without a lookup; one whose kind the mapper does not know, in a
// targeted group, fails with an error wrapping *[resources.UnknownKindError].
func (s *Stage) Transform(_ *transform.Env, obj *transform.Object) error {
	if len(s.groups) == 0 {
		return nil
	}
	root := obj.Root()
	apiVersion, _ := root["apiVersion"].(string)
	group := ""
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	targeting, ok := s.groups[group]
	if !ok {
		return nil
	}
	kind, _ := root["kind"].(string)
	if kind == "" {
		return &transform.PathError{Path: ".kind", Err: fmt.Errorf("missing: customtransform %s target%s API group %q, so the kind must be known",
			strings.Join(targeting, ", "), plural(targeting), group)}
	}
	gr, err := s.mapper.ResourceFor(schema.GroupKind{Group: group, Kind: kind})
	if err != nil {
		return fmt.Errorf("cannot tell whether customtransform %s appl%s: %w", strings.Join(targeting, ", "), pluralY(targeting), err)
	}
	entries := s.byResource[gr]
	if len(entries) == 0 {
		return nil
	}
	prev := obj.By()
	for _, e := range entries {
		obj.SetBy(e.by)
		obj.Remove(e.path)
	}
	obj.SetBy(prev)
	return nil
}

// plural returns the verb ending for the number of names: "s" for one ("it targets"), "" for
// several ("they target").
func plural(names []string) string {
	if len(names) == 1 {
		return "s"
	}
	return ""
}

func pluralY(names []string) string {
	if len(names) == 1 {
		return "ies"
	}
	return "y"
}
