package templates

import (
	"strings"
	"text/template"
	"text/template/parse"
)

// plan is the fast path of the commonest templates: literal text and {{ .key }} actions, such
// as "{{ .region }}" or "registry.{{ .region }}.example". Executing it is a few map lookups
// and one string concatenation instead of a text/template execution. Whenever the fast path
// cannot give exactly text/template's result (a key is missing, the output is over the limit),
// Execute falls back to text/template, so errors and output stay identical.
type plan []planPart

type planPart struct {
	text string // literal text, when key is empty
	key  string // property to print
}

// makePlan returns the plan of tm, or nil when tm uses anything beyond text and {{ .key }}.
func makePlan(tm *template.Template) plan {
	if len(tm.Templates()) != 1 || tm.Tree == nil || tm.Root == nil {
		return nil
	}
	var p plan
	for _, n := range tm.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			p = append(p, planPart{text: string(n.Text)})
		case *parse.ActionNode:
			if n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) != 1 {
				return nil
			}
			p = append(p, planPart{key: f.Ident[0]})
		default:
			return nil
		}
	}
	return p
}

// run executes the plan; ok is false when the result must come from text/template instead.
// The result's length is known before it is built: a result over maxBytes is never built.
func (p plan) run(props map[string]string, maxBytes int) (out string, ok bool) {
	if len(p) == 1 && p[0].key != "" {
		v, found := props[p[0].key]
		return v, found && len(v) <= maxBytes
	}
	n := 0
	for _, part := range p {
		if part.key == "" {
			n += len(part.text)
			continue
		}
		v, found := props[part.key]
		if !found {
			return "", false
		}
		n += len(v)
	}
	if n > maxBytes {
		return "", false
	}
	var b strings.Builder
	b.Grow(n)
	for _, part := range p {
		if part.key == "" {
			b.WriteString(part.text)
		} else {
			b.WriteString(props[part.key])
		}
	}
	return b.String(), true
}
