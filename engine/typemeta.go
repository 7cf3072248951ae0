package engine

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/placement"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
)

// withType returns obj with its apiVersion and kind, and its GroupVersionKind. An object that
// carries both is returned as it is (supplied must then be zero or agree); one that lacks them
// takes supplied, in a shallow copy of its top-level map (obj itself is never modified).
// Without either, the error wraps [ErrNoTypeMeta] and says which field is missing.
func withType(obj map[string]any, supplied schema.GroupVersionKind) (map[string]any, schema.GroupVersionKind, error) {
	if obj == nil {
		return nil, schema.GroupVersionKind{}, errors.New("empty document")
	}
	av, avOK := obj["apiVersion"].(string)
	kind, kindOK := obj["kind"].(string)
	for _, f := range []struct {
		name string
		ok   bool
	}{{"apiVersion", avOK}, {"kind", kindOK}} {
		if v := obj[f.name]; v != nil && !f.ok {
			return nil, schema.GroupVersionKind{}, fmt.Errorf("%s must be a string, not %s", f.name, transform.Describe(v))
		}
	}
	if av != "" && kind != "" {
		gv, err := schema.ParseGroupVersion(av)
		if err != nil {
			return nil, schema.GroupVersionKind{}, fmt.Errorf("apiVersion %q: %w", av, err)
		}
		own := gv.WithKind(kind)
		if !supplied.Empty() && supplied != own {
			return nil, schema.GroupVersionKind{}, fmt.Errorf("%w: the caller says %s, the document says %s", ErrTypeMismatch, describeGVK(supplied), describeGVK(own))
		}
		return obj, own, nil
	}
	if supplied.Kind == "" || supplied.Version == "" {
		var missing []string
		if av == "" {
			missing = append(missing, "apiVersion")
		}
		if kind == "" {
			missing = append(missing, "kind")
		}
		return nil, schema.GroupVersionKind{}, fmt.Errorf("%w (missing: %s)", ErrNoTypeMeta, strings.Join(missing, " and "))
	}
	if (av != "" && av != supplied.GroupVersion().String()) || (kind != "" && kind != supplied.Kind) {
		return nil, schema.GroupVersionKind{}, fmt.Errorf("%w: the caller says %s, the document says apiVersion %q and kind %q", ErrTypeMismatch, describeGVK(supplied), av, kind)
	}
	out := maps.Clone(obj)
	out["apiVersion"] = supplied.GroupVersion().String()
	out["kind"] = supplied.Kind
	return out, supplied, nil
}

func describeGVK(gvk schema.GroupVersionKind) string {
	return gvk.GroupVersion().String() + " " + gvk.Kind
}

func nameOf(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	n, _ := md["name"].(string)
	return n
}

func nameFromCT(e *customtransform.Error) string {
	if e == nil {
		return ""
	}
	return e.Name
}

func groupKind(group, kind string) schema.GroupKind {
	return schema.GroupKind{Group: group, Kind: kind}
}

func groupResource(group, resource string) schema.GroupResource {
	return schema.GroupResource{Group: group, Resource: resource}
}

// flattenJoin returns the errors an errors.Join result holds, recursively; the typed errors of
// the compilers are leaves even though they unwrap to several errors.
func flattenJoin(err error) []error {
	switch err.(type) {
	case nil:
		return nil
	case *customtransform.Error, *rules.CompileError, *placement.Error, *DocumentError, *ObjectError:
		return []error{err}
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flattenJoin(e)...)
	}
	return out
}

// sourceOf returns the Source of a DocumentError or ObjectError ("" for others).
func sourceOf(err error) string {
	switch e := err.(type) {
	case *DocumentError:
		return e.Source
	case *ObjectError:
		return e.Source
	}
	return ""
}

// compareSources orders `file#index (line N)` sources by file, then numerically by index.
func compareSources(a, b string) int {
	fa, ia := splitSource(a)
	fb, ib := splitSource(b)
	return cmp.Or(strings.Compare(fa, fb), cmp.Compare(ia, ib), strings.Compare(a, b))
}

func splitSource(s string) (string, int) {
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		if j := strings.IndexByte(s, '['); j >= 0 {
			n, _ := strconv.Atoi(strings.TrimSuffix(s[j+1:], "]"))
			return s[:j], n
		}
		return s, 0
	}
	rest := s[i+1:]
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(rest[:end])
	return s[:i], n
}

// joinSorted joins errs (nils dropped), stably sorted by source.
func joinSorted(errs []error) error {
	errs = slices.DeleteFunc(slices.Clone(errs), func(e error) bool { return e == nil })
	slices.SortStableFunc(errs, func(a, b error) int { return compareSources(sourceOf(a), sourceOf(b)) })
	return errors.Join(errs...)
}
