package rules

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apiserver/pkg/cel/library"

	"github.com/wecforge/wecforge/customization"
)

// The names CEL expressions see.
const (
	varObject     = "object"
	varCluster    = "cluster"
	varProperties = "properties"
	varVariables  = "variables"
)

// clusterFields are the members of `cluster`.
var clusterFields = []string{"name", "labels", "annotations", "configMap"}

// maxExpressionLength bounds the text of one expression (the parser has its own limits too).
const maxExpressionLength = 10_000

// envs holds the CEL environments shared by every compilation: one for match conditions (object
// only) and one for everything else. cel.Env values are immutable and safe for concurrent use.
type envs struct {
	object  *cel.Env
	full    *cel.Env
	adapter types.Adapter // converts a *clusterInfo to its CEL value
}

// clusterInfo is the CEL type of `cluster`: typed fields, so that `cluster.name` is a string,
// `cluster.labels['x']` a string and a misspelled field a compile error.
type clusterInfo struct {
	Name        string            `cel:"name"`
	Labels      map[string]string `cel:"labels"`
	Annotations map[string]string `cel:"annotations"`
	ConfigMap   map[string]string `cel:"configMap"`
}

// clusterTypeName is the CEL name of clusterInfo (package name, then type name).
const clusterTypeName = "rules.clusterInfo"

// sharedEnvs builds the environments once per process; they depend on nothing but this package.
var sharedEnvs = sync.OnceValues(func() (*envs, error) {
	libs := []cel.EnvOption{
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		cel.ParserExpressionSizeLimit(maxExpressionLength),
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		cel.ASTValidators(cel.ValidateDurationLiterals(), cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals()),
		// cel-go extensions, as Kubernetes offers them.
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		ext.Lists(ext.ListsVersion(3)),
		ext.Math(),
		ext.Encoders(),
		ext.TwoVarComprehensions(),
		// Kubernetes' own library.
		library.URLs(),
		library.Regex(),
		library.Lists(library.ListsVersion(1)),
		library.Quantity(),
		library.IP(),
		library.CIDR(),
		library.Format(),
		library.SemverLib(library.SemverVersion(1)),
		cel.Variable(varObject, cel.MapType(cel.StringType, cel.DynType)),
	}
	obj, err := cel.NewEnv(libs...)
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	full, err := obj.Extend(
		ext.NativeTypes(reflect.TypeFor[clusterInfo](), ext.ParseStructTags(true)),
		cel.Variable(varCluster, cel.ObjectType(clusterTypeName)),
		cel.Variable(varProperties, cel.MapType(cel.StringType, cel.StringType)),
	)
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	return &envs{object: obj, full: full, adapter: full.CELTypeAdapter()}, nil
})

// resultKind is what a field requires of an expression's result.
type resultKind uint8

const (
	resultAny resultKind = iota
	resultBool
	resultInt
)

func (k resultKind) String() string {
	switch k {
	case resultBool:
		return "bool"
	case resultInt:
		return "int"
	}
	return "any"
}

// article returns the kind with its indefinite article ("a bool", "an int").
func (k resultKind) article() string {
	if k == resultInt || k == resultAny {
		return "an " + k.String()
	}
	return "a " + k.String()
}

// expr is one compiled CEL expression with what it reads of the WEC.
type expr struct {
	field string
	prg   cel.Program
	want  resultKind
	deps  customization.Dependencies
	out   *cel.Type
}

// scope says which names an expression may use besides object.
type scope struct {
	what      string   // "object" or "cluster, properties, object"... for messages
	wec       bool     // cluster and properties are visible
	variables bool     // variables.<name> may appear
	names     []string // the variables defined so far
}

// compileExpr parses, checks and plans text in env. Problems are added to p; nil is returned
// when there were any.
func compileExpr(env *cel.Env, p *problems, field, text string, want resultKind, costLimit uint64, sc scope) *expr {
	if strings.TrimSpace(text) == "" {
		p.addf(field, "empty expression")
		return nil
	}
	parsed, iss := env.Parse(text)
	if iss != nil && iss.Err() != nil {
		addIssues(p, field, iss)
		return nil
	}
	if bad := checkNames(parsed, sc); len(bad) > 0 {
		for _, b := range bad {
			p.add(field, positionOf(parsed, b.id), b.err)
		}
		return nil
	}
	ast, iss := env.Check(parsed)
	if iss != nil && iss.Err() != nil {
		addIssues(p, field, iss)
		return nil
	}
	out := ast.OutputType()
	if !resultAccepts(want, out) {
		p.addf(field, "must be %s expression, but its type is %s", want.article(), out)
		return nil
	}
	deps, derrs := analyzeDeps(ast.NativeRep())
	for _, de := range derrs {
		p.add(field, positionOf(ast, de.id), de.err)
	}
	if len(derrs) > 0 {
		return nil
	}
	prg, err := env.Program(ast,
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(costLimit),
		cel.CostTracking(&library.CostEstimator{}),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.InterruptCheckFrequency(100),
	)
	if err != nil {
		p.add(field, nil, err)
		return nil
	}
	return &expr{field: field, prg: prg, want: want, deps: deps, out: out}
}

func addIssues(p *problems, field string, iss *cel.Issues) {
	for _, e := range iss.Errors() {
		p.add(field, &Pos{Line: e.Location.Line(), Column: e.Location.Column() + 1}, errors.New(e.Message))
	}
}

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

func resultAccepts(want resultKind, t *cel.Type) bool {
	switch t.Kind() {
	case types.DynKind, types.AnyKind, types.ErrorKind:
		return true
	}
	switch want {
	case resultBool:
		return t.Kind() == types.BoolKind
	case resultInt:
		return t.Kind() == types.IntKind || t.Kind() == types.UintKind
	}
	return true
}

func positionOf(ast *cel.Ast, id int64) *Pos {
	loc := ast.NativeRep().SourceInfo().GetStartLocation(id)
	if loc.Line() <= 0 {
		return nil
	}
	return &Pos{Line: loc.Line(), Column: loc.Column() + 1}
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

// toJSON converts a CEL result to a JSON-shaped value: int64, float64, string, bool, []any,
// map[string]any or nil. Values that JSON cannot carry (NaN, maps with non-string keys, types,
// optional none) are errors.
func toJSON(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("%w: uint %d does not fit in an integer", ErrResultType, uint64(x))
		}
		return int64(x), nil
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: %v is not a JSON number", ErrResultType, f)
		}
		return f, nil
	case types.String:
		return string(x), nil
	case types.Bytes:
		return base64.StdEncoding.EncodeToString([]byte(x)), nil
	case types.Timestamp:
		return x.Time.UTC().Format(time.RFC3339Nano), nil
	case types.Duration:
		return x.Duration.String(), nil
	case *types.Optional:
		if !x.HasValue() {
			return nil, fmt.Errorf("%w: optional.none() has no JSON value", ErrResultType)
		}
		return toJSON(x.GetValue())
	}
	if l, ok := v.(traits.Lister); ok {
		n, _ := l.Size().(types.Int)
		out := make([]any, 0, int(n))
		for it := l.Iterator(); it.HasNext() == types.True; {
			e, err := toJSON(it.Next())
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	if m, ok := v.(traits.Mapper); ok {
		n, _ := m.Size().(types.Int)
		out := make(map[string]any, int(n))
		for it := m.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("%w: map key %v is a %s, JSON needs string keys", ErrResultType, k, k.Type())
			}
			e, err := toJSON(m.Get(k))
			if err != nil {
				return nil, err
			}
			out[string(ks)] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: a CEL %s has no JSON value", ErrResultType, v.Type())
}
