package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/wecforge/wecforge/customization"
)

// checkNames finds uses of names the scope does not offer, with messages more precise than the
// checker's "undeclared reference".
func checkNames(a *cel.Ast, sc scope) []depError {
	var out []depError
	var visit func(e celast.Expr)
	visit = func(e celast.Expr) {
		switch e.Kind() {
		case celast.SelectKind:
			s := e.AsSelect()
			if op := s.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == varVariables {
				switch {
				case !sc.variables:
					out = append(out, depError{e.ID(), fmt.Errorf("variables are not visible here (this expression sees %s)", sc.what)})
				case !slices.Contains(sc.names, s.FieldName()):
					known := "none"
					if len(sc.names) > 0 {
						known = strings.Join(sc.names, ", ")
					}
					out = append(out, depError{e.ID(), fmt.Errorf("unknown variable %q (variables defined before this point: %s)", s.FieldName(), known)})
				}
				return
			}
		case celast.IdentKind:
			switch n := e.AsIdent(); {
			case n == varVariables:
				out = append(out, depError{e.ID(), errors.New("variables must be used as variables.<name>")})
			case (n == varCluster || n == varProperties) && !sc.wec:
				out = append(out, depError{e.ID(), fmt.Errorf("%s is not visible here (this expression sees %s)", n, sc.what)})
			}
			return
		}
		for _, c := range children(e) {
			visit(c)
		}
	}
	visit(a.NativeRep().Expr())
	return out
}

// children returns the direct subexpressions of e.
func children(e celast.Expr) []celast.Expr {
	switch e.Kind() {
	case celast.SelectKind:
		return []celast.Expr{e.AsSelect().Operand()}
	case celast.CallKind:
		c := e.AsCall()
		out := slices.Clone(c.Args())
		if c.IsMemberFunction() {
			out = append(out, c.Target())
		}
		return out
	case celast.ListKind:
		return e.AsList().Elements()
	case celast.MapKind:
		var out []celast.Expr
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			out = append(out, me.Key(), me.Value())
		}
		return out
	case celast.StructKind:
		var out []celast.Expr
		for _, f := range e.AsStruct().Fields() {
			out = append(out, f.AsStructField().Value())
		}
		return out
	case celast.ComprehensionKind:
		cp := e.AsComprehension()
		return []celast.Expr{cp.IterRange(), cp.AccuInit(), cp.LoopCondition(), cp.LoopStep(), cp.Result()}
	}
	return nil
}

// depError is a problem found by the dependency analysis (an unknown cluster field).
type depError struct {
	id  int64
	err error
}

// analyzeDeps walks a checked AST and records which WEC inputs it reads: keyed reads of
// properties, labels, annotations and ConfigMap data where the key is a constant, whole maps
// otherwise.
func analyzeDeps(a *celast.AST) (customization.Dependencies, []depError) {
	var d customization.Dependencies
	var errs []depError
	var visit func(e celast.Expr)
	// clusterMap returns which cluster member e selects (cluster.labels → "labels").
	clusterMap := func(e celast.Expr) string {
		if e.Kind() != celast.SelectKind || e.AsSelect().IsTestOnly() {
			return ""
		}
		s := e.AsSelect()
		if s.Operand().Kind() == celast.IdentKind && s.Operand().AsIdent() == varCluster {
			return s.FieldName()
		}
		return ""
	}
	addKeyed := func(target string, key string) {
		switch target {
		case varProperties:
			d.AddProperty(key)
		case "labels":
			d.AddLabel(key)
		case "annotations":
			d.AddAnnotation(key)
		case "configMap":
			d.AddConfigMap(key)
		}
	}
	addAll := func(target string) {
		switch target {
		case varProperties:
			d.AllProperties = true
		case "labels":
			d.AllLabels = true
		case "annotations":
			d.AllAnnotations = true
		case "configMap":
			d.AllConfigMap = true
		case varCluster:
			d.AllLabels, d.AllAnnotations, d.AllConfigMap = true, true, true
		}
	}
	// mapOf names the keyed map e denotes: "properties", or a cluster member.
	mapOf := func(e celast.Expr) string {
		if e.Kind() == celast.IdentKind && e.AsIdent() == varProperties {
			return varProperties
		}
		switch m := clusterMap(e); m {
		case "labels", "annotations", "configMap":
			return m
		}
		return ""
	}
	constKey := func(e celast.Expr) (string, bool) {
		if e.Kind() != celast.LiteralKind {
			return "", false
		}
		s, ok := e.AsLiteral().(types.String)
		return string(s), ok
	}
	visit = func(e celast.Expr) {
		switch e.Kind() {
		case celast.IdentKind:
			switch e.AsIdent() {
			case varProperties, varCluster:
				addAll(e.AsIdent())
			}
		case celast.SelectKind:
			s := e.AsSelect()
			if m := mapOf(s.Operand()); m != "" {
				addKeyed(m, s.FieldName())
				return
			}
			if s.Operand().Kind() == celast.IdentKind && s.Operand().AsIdent() == varCluster {
				if !slices.Contains(clusterFields, s.FieldName()) {
					errs = append(errs, depError{e.ID(), fmt.Errorf("cluster has no field %q (it has %v)", s.FieldName(), clusterFields)})
					return
				}
				if s.FieldName() != "name" {
					addAll(s.FieldName())
				}
				return
			}
			visit(s.Operand())
		case celast.CallKind:
			c := e.AsCall()
			args := c.Args()
			switch c.FunctionName() {
			case operators.Index, operators.OptIndex, operators.OptSelect:
				if len(args) == 2 {
					if m := mapOf(args[0]); m != "" {
						if k, ok := constKey(args[1]); ok {
							addKeyed(m, k)
							return
						}
					}
				}
			case operators.In:
				if len(args) == 2 {
					if m := mapOf(args[1]); m != "" {
						if k, ok := constKey(args[0]); ok {
							addKeyed(m, k)
							return
						}
					}
				}
			}
			for _, ch := range children(e) {
				visit(ch)
			}
		default:
			for _, ch := range children(e) {
				visit(ch)
			}
		}
	}
	visit(a.Expr())
	return d, errs
}
