package templates

import (
	"slices"
	"text/template"
	"text/template/parse"

	"github.com/wecforge/wecforge/customization"
)

// analysis collects the property keys a template reads, statically.
type analysis struct {
	keys []string
	all  bool
}

// analyze walks the main template. dot is "root" (the property map) at the top level and in
// if/else branches; inside with and range bodies it is a derived value (a string, an integer)
// unless the pipeline was the map itself, which already counts as a whole-map read. Named
// templates receive an arbitrary dot, so any {{template}} call counts as a whole-map read.
func analyze(tm *template.Template) (keys []string, all bool) {
	if tm.Tree == nil || tm.Root == nil {
		return nil, false
	}
	var a analysis
	a.list(tm.Root, true)
	slices.Sort(a.keys)
	return slices.Compact(a.keys), a.all
}

func (a *analysis) list(l *parse.ListNode, rootDot bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		a.node(n, rootDot)
	}
}

func (a *analysis) node(n parse.Node, rootDot bool) {
	switch n := n.(type) {
	case *parse.ActionNode:
		a.pipe(n.Pipe, rootDot)
	case *parse.IfNode:
		a.pipe(n.Pipe, rootDot)
		a.list(n.List, rootDot)
		a.list(n.ElseList, rootDot)
	case *parse.WithNode:
		a.pipe(n.Pipe, rootDot)
		a.list(n.List, false)
		a.list(n.ElseList, rootDot)
	case *parse.RangeNode:
		a.pipe(n.Pipe, rootDot)
		a.list(n.List, false)
		a.list(n.ElseList, rootDot)
	case *parse.TemplateNode:
		a.all = true
		a.pipe(n.Pipe, rootDot)
	case *parse.ListNode:
		a.list(n, rootDot)
	}
}

func (a *analysis) pipe(p *parse.PipeNode, rootDot bool) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		a.command(c, rootDot)
	}
}

func (a *analysis) command(c *parse.CommandNode, rootDot bool) {
	args := c.Args
	if len(args) >= 3 {
		if id, ok := args[0].(*parse.IdentifierNode); ok && id.Ident == "index" && a.isRoot(args[1], rootDot) {
			if key, ok := args[2].(*parse.StringNode); ok {
				// A key that is not a Go identifier never becomes a property: index always
				// yields "" for it, whatever the WEC, so it is no dependency.
				if customization.IsPropertyKey(key.Text) {
					a.keys = append(a.keys, key.Text)
				}
			} else {
				a.all = true
				a.arg(args[2], rootDot)
			}
			for _, x := range args[3:] {
				a.arg(x, rootDot)
			}
			return
		}
	}
	for _, x := range args {
		a.arg(x, rootDot)
	}
}

// isRoot reports whether n is the property map itself: dot at root level, or $.
func (a *analysis) isRoot(n parse.Node, rootDot bool) bool {
	switch n := n.(type) {
	case *parse.DotNode:
		return rootDot
	case *parse.VariableNode:
		return len(n.Ident) == 1 && n.Ident[0] == "$"
	}
	return false
}

func (a *analysis) arg(n parse.Node, rootDot bool) {
	switch n := n.(type) {
	case *parse.DotNode:
		if rootDot {
			a.all = true
		}
	case *parse.FieldNode:
		if rootDot {
			a.keys = append(a.keys, n.Ident[0])
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			if len(n.Ident) == 1 {
				a.all = true
			} else {
				a.keys = append(a.keys, n.Ident[1])
			}
		}
	case *parse.ChainNode:
		a.arg(n.Node, rootDot)
	case *parse.PipeNode:
		a.pipe(n, rootDot)
	}
}
