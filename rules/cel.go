package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
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
		cel.CostLimit(costLimit),
		cel.CostTracking(&library.CostEstimator{}),
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
