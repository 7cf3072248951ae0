package rules

import (
	"fmt"
	"slices"

	"github.com/wecforge/wecforge/rules/imageref"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

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
