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
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"k8s.io/apiserver/pkg/cel/library"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// The names CEL expressions see.
const (
	varObject     = "object"
	varCluster    = "cluster"
	varProperties = "properties"
	varVariables  = "variables"
)

// MaxExpressionCost caps the cost of one evaluation of one expression, as Kubernetes'
// per-call limit does (1,000,000); the pair's budget ([CostLimit]) bounds all of them
// together. Besides bounding one expression's share, it bounds the time of comprehensions:
// cel-go's runtime cost tracking spends time quadratic in a comprehension's iterations, so a
// single expression allowed the whole pair budget (lists.range(600000).map(...)) would run for
// many minutes before its cost was exceeded.
const MaxExpressionCost uint64 = 1_000_000

// maxFormatPrecision caps the precision of string.format's verbs (cel-go's own limit option).
const maxFormatPrecision = 100

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
	obj, err := cel.NewEnv(append(celLibraries(), cel.Variable(varObject, cel.MapType(cel.StringType, cel.DynType)))...)
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

// celLibraries returns the options every wecforge CEL environment starts from: the parser
// limits, validators and extension libraries, without any variable.
func celLibraries() []cel.EnvOption {
	return []cel.EnvOption{
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		cel.ParserExpressionSizeLimit(maxExpressionLength),
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		cel.ASTValidators(cel.ValidateDurationLiterals(), cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals()),
		// cel-go extensions, as Kubernetes offers them.
		// format's precision is capped, as Kubernetes does: '%.999999999f' would otherwise
		// build a huge string at a cost of one.
		ext.Strings(ext.StringsVersion(2), ext.StringsMaxPrecision(maxFormatPrecision)),
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
	}
}

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
	prg   cel.Program // with runtime cost tracking and the cost limit
	// fast, when set, is the program without cost tracking of an expression whose cost is
	// statically bounded (see planUntracked); pairEval.eval prefers it when the budget covers
	// the bound.
	fast *untrackedPlan
	want resultKind
	deps customization.Dependencies
	out  *cel.Type
	// readsObject is set when the expression mentions object.
	readsObject bool
}

// scope says which names an expression may use besides object.
type scope struct {
	what      string   // "object" or "cluster, properties, object"... for messages
	wec       bool     // cluster and properties are visible
	variables bool     // variables.<name> may appear
	names     []string // the variables defined so far
}

// The scopes of the expressions of a rule.
var (
	objectScope  = scope{what: "only object"}
	clusterScope = scope{what: "cluster, properties and object", wec: true}
)

func actionScope(names []string) scope {
	return scope{what: "object, cluster, properties and variables", wec: true, variables: true, names: names}
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
	deps, readsObject := analyzeDeps(ast.NativeRep())
	prg, err := env.Program(ast,
		cel.EvalOptions(cel.OptOptimize),
		cel.CostLimit(min(costLimit, MaxExpressionCost)),
		cel.CostTracking(&costEstimator{}),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.InterruptCheckFrequency(100),
	)
	if err != nil {
		p.add(field, nil, err)
		return nil
	}
	fast, err := planUntracked(env, ast)
	if err != nil {
		p.add(field, nil, err)
		return nil
	}
	return &expr{field: field, prg: prg, fast: fast, want: want, deps: deps, out: out, readsObject: readsObject}
}

func addIssues(p *problems, field string, iss *cel.Issues) {
	for _, e := range iss.Errors() {
		p.add(field, &Pos{Line: e.Location.Line(), Column: e.Location.Column() + 1}, errors.New(e.Message))
	}
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

// variables compiles spec.variables in order, each seeing the previous ones, and returns the
// environment the actions see.
func (c *compiler) variables(rd reader, r *rule, v any, field string) *cel.Env {
	env := c.envs.full
	l, ok := rd.list(v, field)
	if !ok {
		return env
	}
	r.varIndex = map[string]int{}
	var names []string
	for i, e := range l {
		f := item(field, i)
		m, ok := rd.object(e, f, "name", "expression")
		if !ok {
			continue
		}
		name, ok := rd.str(m["name"], child(f, "name"))
		if !ok {
			continue
		}
		switch {
		case !isCELIdent(name):
			rd.p.addf(child(f, "name"), "invalid variable name %q: must match [A-Za-z_][A-Za-z0-9_]*", name)
			continue
		case slices.Contains(names, name):
			rd.p.addf(child(f, "name"), "duplicate variable %q", name)
			continue
		}
		text, ok := rd.str(m["expression"], child(f, "expression"))
		if !ok {
			continue
		}
		x := compileExpr(env, rd.p, child(f, "expression"), text, resultAny, c.opts.costLimit, actionScope(names))
		names = append(names, name)
		r.varNames = names
		if x == nil {
			// Declare it anyway (as dyn) so later references do not add follow-on errors.
			env, _ = env.Extend(cel.Variable(varVariables+"."+name, cel.DynType))
			r.vars = append(r.vars, nil)
			r.varIndex[varVariables+"."+name] = len(r.vars) - 1
			continue
		}
		ext, err := env.Extend(cel.Variable(varVariables+"."+name, x.out))
		if err != nil {
			rd.p.add(child(f, "name"), nil, err)
			continue
		}
		env = ext
		r.vars = append(r.vars, x)
		r.varIndex[varVariables+"."+name] = len(r.vars) - 1
	}
	return env
}

func isCELIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, ch := range s {
		switch {
		case ch == '_', 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && '0' <= ch && ch <= '9':
		default:
			return false
		}
	}
	switch s {
	case "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
		"if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while":
		return false
	}
	return true
}

// toJSON converts a CEL result to a JSON-shaped value: int64, float64, string, bool, []any,
// map[string]any or nil. Values that JSON cannot carry (NaN, maps with non-string keys, types,
// optional none) are errors.
//
// The conversion creates the value, so it is charged to b as it goes, before each part is
// built: one step per value and its JSON size in bytes (see [transform.Limits]). A result over
// the budget (a list of a million copies of object) fails after converting at most the
// budget's worth, with a [*transform.BudgetError]. b may be nil (nothing charged).
func toJSON(v ref.Val, b *transform.Budget) (any, error) {
	return convert(v, b, 0)
}

func convert(v ref.Val, b *transform.Budget, depth int) (any, error) {
	if err := b.Charge(1); err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case types.Null:
		return nil, b.Produce(4)
	case types.Bool:
		return bool(x), b.Produce(5)
	case types.Int:
		return int64(x), b.Produce(20)
	case types.Uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("%w: uint %d does not fit in an integer", ErrResultType, uint64(x))
		}
		return int64(x), b.Produce(20)
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: %v is not a JSON number", ErrResultType, f)
		}
		return f, b.Produce(24)
	case types.String:
		return string(x), b.Produce(int64(len(x)) + 2)
	case types.Bytes:
		if err := b.Produce(int64(base64.StdEncoding.EncodedLen(len(x))) + 2); err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(x)), nil
	case types.Timestamp:
		return x.Time.UTC().Format(time.RFC3339Nano), b.Produce(40)
	case types.Duration:
		return x.Duration.String(), b.Produce(40)
	case *types.Optional:
		if !x.HasValue() {
			return nil, fmt.Errorf("%w: optional.none() has no JSON value", ErrResultType)
		}
		return convert(x.GetValue(), b, depth)
	}
	l, isList := v.(traits.Lister)
	m, isMap := v.(traits.Mapper)
	if !isList && !isMap {
		return nil, fmt.Errorf("%w: a CEL %s has no JSON value", ErrResultType, v.Type())
	}
	if lim := b.Limits().MaxDepth; depth >= lim {
		return nil, &transform.BudgetError{Kind: transform.LimitDepth, Max: int64(lim)}
	}
	if err := b.Produce(2); err != nil {
		return nil, err
	}
	if isList {
		n, _ := l.Size().(types.Int)
		out := make([]any, 0, min(int(n), 1024)) // grows past that only as far as the budget allows
		for it := l.Iterator(); it.HasNext() == types.True; {
			if err := b.Produce(1); err != nil {
				return nil, err
			}
			e, err := convert(it.Next(), b, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	n, _ := m.Size().(types.Int)
	out := make(map[string]any, min(int(n), 1024))
	for it := m.Iterator(); it.HasNext() == types.True; {
		k := it.Next()
		ks, ok := k.(types.String)
		if !ok {
			return nil, fmt.Errorf("%w: map key %v is a %s, JSON needs string keys", ErrResultType, k, k.Type())
		}
		if err := b.Produce(int64(len(ks)) + 4); err != nil {
			return nil, err
		}
		e, err := convert(m.Get(k), b, depth+1)
		if err != nil {
			return nil, err
		}
		out[string(ks)] = e
	}
	return out, nil
}
