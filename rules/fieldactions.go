package rules

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wecforge/wecforge/rules/imageref"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// The actions that know a Kubernetes field: labels and annotations, replicas, and the images
// of a pod template's containers.

// metaMapAction adds (or replaces) and removes labels or annotations; added values are
// templates.
type metaMapAction struct {
	base
	field  string
	which  string // "labels" or "annotations"
	keys   []string
	values []*templates.Template
	locs   []jsonpath.Location // where each added key is written (.metadata.<which>.<key>)
	paths  []string            // locs formatted
	remove []string
}

func (ac *actionCompiler) metaMap(v any, field, which string, b base) action {
	m, ok := ac.rd.object(v, field, "add", "remove")
	if !ok {
		return nil
	}
	a := &metaMapAction{base: b, field: field, which: which}
	good := true
	if av, ok := m["add"]; ok {
		add, ok := ac.rd.stringMap(av, child(field, "add"))
		good = good && ok
		for _, k := range slices.Sorted(maps.Keys(add)) {
			f := child(child(field, "add"), k)
			if errs := validation.IsQualifiedName(k); len(errs) > 0 {
				ac.rd.p.addf(f, "invalid %s key %q: %s", strings.TrimSuffix(which, "s"), k, strings.Join(errs, "; "))
				good = false
				continue
			}
			t := ac.template(add[k], f)
			if t == nil {
				good = false
				continue
			}
			if which == "labels" && t.Literal() {
				if errs := validation.IsValidLabelValue(add[k]); len(errs) > 0 {
					ac.rd.p.addf(f, "invalid label value %q: %s", add[k], strings.Join(errs, "; "))
					good = false
				}
			}
			a.keys = append(a.keys, k)
			a.values = append(a.values, t)
			a.locs = append(a.locs, jsonpath.Location{{Key: "metadata"}, {Key: which}, {Key: k}})
			a.paths = append(a.paths, a.locs[len(a.locs)-1].String())
		}
	}
	if rv, ok := m["remove"]; ok {
		rem, ok := ac.rd.strings(rv, child(field, "remove"))
		good = good && ok
		for i, k := range rem {
			if slices.Contains(a.keys, k) {
				ac.rd.p.addf(item(child(field, "remove"), i), "%q is both added and removed", k)
				good = false
			}
		}
		a.remove = rem
	}
	if len(a.keys) == 0 && len(a.remove) == 0 && good {
		ac.rd.p.addf(field, "needs add or remove")
		return nil
	}
	if !good {
		return nil
	}
	return a
}

func (a *metaMapAction) apply(ev *pairEval, obj *transform.Object) error {
	for _, k := range a.remove {
		obj.RemoveAt(jsonpath.Location{{Key: "metadata"}, {Key: a.which}, {Key: k}})
	}
	if len(a.remove) > 0 && len(a.keys) == 0 {
		// A map left empty is dropped, as the generic removals do.
		loc := jsonpath.Location{{Key: "metadata"}, {Key: a.which}}
		if m, ok := obj.Get(loc); ok {
			if mm, ok := m.(map[string]any); ok && len(mm) == 0 {
				obj.RemoveAt(loc)
			}
		}
	}
	for i, k := range a.keys {
		s, err := ev.template(a.values[i])
		if err != nil {
			return &actionError{field: child(child(a.field, "add"), k), err: err}
		}
		loc := a.locs[i]
		if a.which == "labels" && !isLabelValue(s) {
			if errs := validation.IsValidLabelValue(s); len(errs) > 0 {
				return &actionError{field: child(child(a.field, "add"), k), path: loc.String(),
					err: fmt.Errorf("%w: invalid label value %q: %s", ErrResultType, s, strings.Join(errs, "; "))}
			}
		}
		if err := obj.SetAtPath(loc, a.paths[i], s); err != nil {
			return &actionError{field: child(child(a.field, "add"), k), path: a.paths[i], err: err}
		}
	}
	return nil
}

// isLabelValue is the syntax of a label value without a regular expression (validation's
// IsValidLabelValue, which explains a failure, runs only when this says no): at most 63
// characters, alphanumerics with '-', '_' and '.' between them, or empty.
func isLabelValue(s string) bool {
	if len(s) > validation.LabelValueMaxLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && (i == 0 || i == len(s)-1 || c != '-' && c != '_' && c != '.') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (a *metaMapAction) writes() []string {
	var out []string
	for _, k := range append(slices.Clone(a.keys), a.remove...) {
		out = append(out, jsonpath.Location{{Key: "metadata"}, {Key: a.which}, {Key: k}}.String())
	}
	return out
}

// replicasAction sets .spec.replicas from a CEL int expression or a literal.
type replicasAction struct {
	base
	field   string
	value   *expr
	literal int64
}

var replicasLoc = jsonpath.Location{{Key: "spec"}, {Key: "replicas"}}

func (ac *actionCompiler) replicas(v any, field string, b base) action {
	m, ok := ac.rd.object(v, field, "value")
	if !ok {
		return nil
	}
	vv, ok := m["value"]
	if !ok {
		ac.rd.p.addf(child(field, "value"), "required")
		return nil
	}
	a := &replicasAction{base: b, field: field}
	if _, isStr := vv.(string); isStr {
		if a.value = ac.expression(vv, child(field, "value"), resultInt); a.value == nil {
			return nil
		}
		return a
	}
	n, ok := ac.rd.integer(vv, child(field, "value"))
	if !ok {
		return nil
	}
	if n < 0 || n > math.MaxInt32 {
		ac.rd.p.addf(child(field, "value"), "replicas must be between 0 and %d, not %d", math.MaxInt32, n)
		return nil
	}
	a.literal = n
	return a
}

func (a *replicasAction) apply(ev *pairEval, obj *transform.Object) error {
	n := a.literal
	if a.value != nil {
		v, err := ev.evalJSON(a.value)
		if err != nil {
			return err
		}
		i, ok := v.(int64)
		if !ok {
			return &actionError{field: a.value.field, path: replicasLoc.String(),
				err: fmt.Errorf("%w: replicas must be an int, not %s", ErrResultType, transform.Describe(v))}
		}
		if i < 0 || i > math.MaxInt32 {
			return &actionError{field: a.value.field, path: replicasLoc.String(),
				err: fmt.Errorf("%w: replicas must be between 0 and %d, not %d", ErrResultType, math.MaxInt32, i)}
		}
		n = i
	}
	if err := obj.SetAt(replicasLoc, n); err != nil {
		return &actionError{field: child(a.field, "value"), path: replicasLoc.String(), err: err}
	}
	return nil
}

func (a *replicasAction) writes() []string { return []string{replicasLoc.String()} }

// imagePart is one part the image action sets.
type imagePart struct {
	name string // registry, repository, tag, digest
	tmpl *templates.Template
	ok   func(string) bool
}

func (ip imagePart) check(v string) error {
	if !ip.ok(v) {
		return fmt.Errorf("%w: invalid image %s %q", ErrResultType, ip.name, v)
	}
	return nil
}

// imageAction changes registry, repository, tag or digest of the images of selected
// containers, leaving the other parts as they are.
type imageAction struct {
	base
	field      string
	containers []string // "*" selects every container
	parts      []imagePart
}

var imageParts = []struct {
	name string
	ok   func(string) bool
}{{"registry", imageref.ValidRegistry}, {"repository", imageref.ValidRepository}, {"tag", imageref.ValidTag}, {"digest", imageref.ValidDigest}}

func (ac *actionCompiler) image(v any, field string, b base) action {
	m, ok := ac.rd.object(v, field, "containers", "registry", "repository", "tag", "digest")
	if !ok {
		return nil
	}
	a := &imageAction{base: b, field: field, containers: []string{"*"}}
	good := true
	if cv, ok := m["containers"]; ok {
		l, ok := ac.rd.strings(cv, child(field, "containers"))
		good = good && ok
		if ok && len(l) == 0 {
			ac.rd.p.addf(child(field, "containers"), "must not be empty (omit it, or use [\"*\"], for every container)")
			good = false
		}
		a.containers = l
	}
	for _, ip := range imageParts {
		pv, ok := m[ip.name]
		if !ok {
			continue
		}
		f := child(field, ip.name)
		t := ac.template(pv, f)
		if t == nil {
			good = false
			continue
		}
		part := imagePart{name: ip.name, tmpl: t, ok: ip.ok}
		if t.Literal() {
			if err := part.check(t.Text()); err != nil {
				ac.rd.p.add(f, nil, err)
				good = false
			}
		}
		a.parts = append(a.parts, part)
	}
	if good && len(a.parts) == 0 {
		ac.rd.p.addf(field, "needs at least one of registry, repository, tag, digest")
		return nil
	}
	if !good {
		return nil
	}
	return a
}

// podSpecs returns the location of the pod spec of an object: .spec for a Pod,
// .spec.jobTemplate.spec.template.spec for a CronJob, .spec.template.spec otherwise.
// The result is shared: read-only.
func podSpecs(root map[string]any) jsonpath.Location {
	kind, _ := root["kind"].(string)
	switch kind {
	case "Pod":
		return podSpecOfPod
	case "CronJob":
		return podSpecOfCronJob
	}
	return podSpecOfTemplate
}

var (
	podSpecOfPod      = jsonpath.Location{{Key: "spec"}}
	podSpecOfCronJob  = jsonpath.Location{{Key: "spec"}, {Key: "jobTemplate"}, {Key: "spec"}, {Key: "template"}, {Key: "spec"}}
	podSpecOfTemplate = jsonpath.Location{{Key: "spec"}, {Key: "template"}, {Key: "spec"}}
)

var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

func (a *imageAction) apply(ev *pairEval, obj *transform.Object) error {
	var buf [4]string // registry, repository, tag, digest
	values := buf[:len(a.parts)]
	for i, p := range a.parts {
		s, err := ev.template(p.tmpl)
		if err != nil {
			return &actionError{field: child(a.field, p.name), err: err}
		}
		if err := p.check(s); err != nil {
			return &actionError{field: child(a.field, p.name), err: err}
		}
		values[i] = s
	}
	spec := podSpecs(obj.Root())
	specVal, _ := obj.Get(spec)
	sm, _ := specVal.(map[string]any)
	matched := 0
	for _, list := range containerLists {
		cs, _ := sm[list].([]any)
		for i, c := range cs {
			cm, _ := c.(map[string]any)
			name, _ := cm["name"].(string)
			img, ok := cm["image"].(string)
			if !ok || !slices.Contains(a.containers, "*") && !slices.Contains(a.containers, name) {
				continue
			}
			matched++
			ref := imageref.Parse(img)
			for j, p := range a.parts {
				switch p.name {
				case "registry":
					ref.Registry = values[j]
				case "repository":
					ref.Repository = values[j]
				case "tag":
					ref.Tag, ref.HasTag = values[j], true
				case "digest":
					ref.Digest, ref.HasDigest = values[j], true
				}
			}
			loc := append(append(make(jsonpath.Location, 0, len(spec)+3), spec...),
				jsonpath.Step{Key: list}, jsonpath.Step{Index: i, IsIndex: true}, jsonpath.Step{Key: "image"})
			if err := obj.SetAt(loc, ref.String()); err != nil {
				return &actionError{field: a.field, path: loc.String(), err: err}
			}
		}
	}
	if matched == 0 {
		obj.Note(spec.String(), "image: no container matched")
	}
	return nil
}

func (a *imageAction) writes() []string {
	out := make([]string, len(a.containers))
	for i, c := range a.containers {
		out[i] = "image:" + c
	}
	return out
}
