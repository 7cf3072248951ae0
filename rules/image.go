package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// imageRef is a container image reference split by the Docker reference rules:
// [registry/]repository[:tag][@digest].
type imageRef struct {
	registry, repository, tag, digest string
	hasTag, hasDigest                 bool // the separators were present (even with empty parts)
}

// parseImage splits ref. The first path component is the registry when it contains "." or
// ":" or is "localhost".
func parseImage(ref string) imageRef {
	var r imageRef
	rest := ref
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, r.digest, r.hasDigest = rest[:i], rest[i+1:], true
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		rest, r.tag, r.hasTag = rest[:i], rest[i+1:], true
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.registry, rest = first, rest[i+1:]
		}
	}
	r.repository = rest
	return r
}

// String joins the parts back into a reference; String(parseImage(s)) == s for every s.
func (r imageRef) String() string {
	var b strings.Builder
	b.Grow(len(r.registry) + len(r.repository) + len(r.tag) + len(r.digest) + 3)
	if r.registry != "" {
		b.WriteString(r.registry)
		b.WriteByte('/')
	}
	b.WriteString(r.repository)
	if r.hasTag {
		b.WriteByte(':')
		b.WriteString(r.tag)
	}
	if r.hasDigest {
		b.WriteByte('@')
		b.WriteString(r.digest)
	}
	return b.String()
}

var (
	registryRE   = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$`)
	repositoryRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE        = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestRE     = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$`)
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
}{{"registry", validRegistry}, {"repository", repositoryRE.MatchString}, {"tag", validTag}, {"digest", digestRE.MatchString}}

// validRegistry is registryRE without the regexp engine (it runs per pair).
func validRegistry(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	if host == "" || !isAlnum(host[0]) || !isAlnum(host[len(host)-1]) {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// validTag is tagRE without the regexp engine.
func validTag(s string) bool {
	if s == "" || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }

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
			ref := parseImage(img)
			for j, p := range a.parts {
				switch p.name {
				case "registry":
					ref.registry = values[j]
				case "repository":
					ref.repository = values[j]
				case "tag":
					ref.tag, ref.hasTag = values[j], true
				case "digest":
					ref.digest, ref.hasDigest = values[j], true
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
