package combine

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	"github.com/wecforge/wecforge/rules"
)

// The StatusCollector document's identity.
const (
	Group      = "control.kubestellar.io"
	APIVersion = Group + "/v1alpha1"
	Kind       = "StatusCollector"
)

// DefaultLimit is the number of rows a collector keeps when its spec gives no limit.
const DefaultLimit = 20

// The names collector expressions see, as KubeStellar defines them.
const (
	varObj         = "obj"
	varReturned    = "returned"
	varInventory   = "inventory"
	varPropagation = "propagation"
)

// AggregatorType is a combined field's aggregation.
type AggregatorType string

// The aggregations.
const (
	Count AggregatorType = "COUNT"
	Sum   AggregatorType = "SUM"
	Avg   AggregatorType = "AVG"
	Min   AggregatorType = "MIN"
	Max   AggregatorType = "MAX"
)

// Collector is a compiled StatusCollector: parsed, validated and with every expression
// type-checked and planned once. It is immutable and safe for concurrent use.
type Collector struct {
	name     string
	filter   *expr
	groupBy  []column
	combined []aggregator
	sel      []column
	limit    int
	columns  []string
}

type expr struct {
	field string
	prg   cel.Program
	limit uint64
}

type column struct {
	name string
	def  *expr
}

type aggregator struct {
	name    string
	typ     AggregatorType
	subject *expr // nil for COUNT
}

// Name returns metadata.name.
func (c *Collector) Name() string { return c.name }

// ColumnNames returns the result's column names: groupBy then combinedFields, or select. The
// slice is fresh.
func (c *Collector) ColumnNames() []string { return append([]string(nil), c.columns...) }

// Limit returns the number of rows kept.
func (c *Collector) Limit() int { return c.limit }

// aggregates reports whether the collector aggregates (combinedFields) rather than selects.
func (c *Collector) aggregates() bool { return len(c.combined) > 0 }

// Option configures [ParseCollector].
type Option func(*options)

type options struct{ costLimit uint64 }

// CostLimit caps the CEL cost of one evaluation of one expression for one WEC; zero or more
// than [rules.MaxExpressionCost] means that maximum (the default).
func CostLimit(n uint64) Option { return func(o *options) { o.costLimit = n } }

// collectorEnv is the environment of collector expressions: the rules libraries plus obj,
// returned, inventory and propagation typed as KubeStellar types them.
var collectorEnv = sync.OnceValues(func() (*cel.Env, error) {
	return rules.NewCELEnv(
		cel.Variable(varObj, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varReturned, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(varInventory, cel.MapType(cel.StringType, cel.StringType)),
		cel.Variable(varPropagation, cel.MapType(cel.StringType, cel.DynType)),
	)
})

// ParseCollector parses, validates and compiles one StatusCollector document
// (`control.kubestellar.io/v1alpha1`). It returns every problem at once, each a
// *[CollectorError], joined; the Collector is nil then. doc is read, never modified.
//
// The rules are KubeStellar's: `select` excludes `groupBy` and `combinedFields`; `groupBy`
// needs `combinedFields`; COUNT has no subject and the other types need one. wecforge also
// requires column names to be non-empty and unique, rejects unknown fields and a negative
// limit, and type-checks every expression when the collector is compiled.
func ParseCollector(doc map[string]any, opts ...Option) (*Collector, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	p := &parser{}
	c := &Collector{limit: DefaultLimit}
	if v, _ := doc["apiVersion"].(string); v != APIVersion {
		p.addf("apiVersion", "must be %s, not %q", APIVersion, v)
	}
	if k, _ := doc["kind"].(string); k != Kind {
		p.addf("kind", "must be %s, not %q", Kind, k)
	}
	md, _ := doc["metadata"].(map[string]any)
	c.name, _ = md["name"].(string)
	if c.name == "" {
		p.addf("metadata.name", "must be a non-empty string")
	}
	p.collector = c.name
	spec, ok := doc["spec"].(map[string]any)
	if !ok {
		if doc["spec"] != nil {
			p.addf("spec", "must be a map")
		}
		spec = map[string]any{}
	}
	for k := range spec {
		switch k {
		case "filter", "groupBy", "combinedFields", "select", "limit":
		default:
			p.addf("spec."+k, "unknown field")
		}
	}
	env, err := collectorEnv()
	if err != nil {
		return nil, err
	}
	cmp := compiler{env: env, p: p, limit: o.costLimit}
	if f, ok := spec["filter"]; ok && f != nil {
		c.filter = cmp.expression("spec.filter", f, true)
	}
	c.groupBy = cmp.named("spec.groupBy", spec["groupBy"])
	c.sel = cmp.named("spec.select", spec["select"])
	c.combined = cmp.aggregators("spec.combinedFields", spec["combinedFields"])
	if l, ok := spec["limit"]; ok && l != nil {
		switch n := l.(type) {
		case int64:
			c.limit = limitOf(p, float64(n))
		case float64:
			c.limit = limitOf(p, n)
		case int:
			c.limit = limitOf(p, float64(n))
		default:
			p.addf("spec.limit", "must be an integer")
		}
	}
	switch {
	case len(c.sel) > 0 && (len(c.groupBy) > 0 || len(c.combined) > 0):
		p.addf("spec", "groupBy and combinedFields must be empty if select is not")
	case len(c.groupBy) > 0 && len(c.combined) == 0:
		p.addf("spec", "groupBy must be empty if combinedFields is")
	}
	seen := map[string]string{}
	note := func(name, field string) {
		if prev, dup := seen[name]; dup {
			p.addf(field, "column name %q is also used by %s", name, prev)
		}
		seen[name] = field
		c.columns = append(c.columns, name)
	}
	for i, g := range c.groupBy {
		note(g.name, fmt.Sprintf("spec.groupBy[%d].name", i))
	}
	for i, a := range c.combined {
		note(a.name, fmt.Sprintf("spec.combinedFields[%d].name", i))
	}
	for i, s := range c.sel {
		note(s.name, fmt.Sprintf("spec.select[%d].name", i))
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return c, nil
}

func limitOf(p *parser, f float64) int {
	switch {
	case f != math.Trunc(f):
		p.addf("spec.limit", "must be an integer, not %v", f)
	case f < 0:
		p.addf("spec.limit", "must not be negative, not %v", f)
	case f == 0:
		// A Go client of KubeStellar's API that leaves Limit unset sends 0: the default.
		return DefaultLimit
	case f > math.MaxInt32:
		return math.MaxInt32
	default:
		return int(f)
	}
	return DefaultLimit
}

type parser struct {
	collector string
	errs      []error
}

func (p *parser) add(field string, pos *rules.Pos, err error) {
	p.errs = append(p.errs, &CollectorError{Collector: p.collector, Field: field, Pos: pos, Err: err})
}

func (p *parser) addf(field, format string, args ...any) {
	p.add(field, nil, fmt.Errorf(format, args...))
}

type compiler struct {
	env   *cel.Env
	p     *parser
	limit uint64
}

func (cp compiler) list(field string, v any) []map[string]any {
	if v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		cp.p.addf(field, "must be a list")
		return nil
	}
	out := make([]map[string]any, 0, len(l))
	for i, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			cp.p.addf(fmt.Sprintf("%s[%d]", field, i), "must be a map")
			continue
		}
		out = append(out, m)
	}
	return out
}

func (cp compiler) name(field string, m map[string]any) string {
	n, _ := m["name"].(string)
	if n == "" {
		cp.p.addf(field+".name", "must be a non-empty string")
	}
	return n
}

func (cp compiler) named(field string, v any) []column {
	var out []column
	for i, m := range cp.list(field, v) {
		f := fmt.Sprintf("%s[%d]", field, i)
		for k := range m {
			if k != "name" && k != "def" {
				cp.p.addf(f+"."+k, "unknown field")
			}
		}
		out = append(out, column{name: cp.name(f, m), def: cp.expression(f+".def", m["def"], false)})
	}
	return out
}

func (cp compiler) aggregators(field string, v any) []aggregator {
	var out []aggregator
	for i, m := range cp.list(field, v) {
		f := fmt.Sprintf("%s[%d]", field, i)
		for k := range m {
			if k != "name" && k != "type" && k != "subject" {
				cp.p.addf(f+"."+k, "unknown field")
			}
		}
		a := aggregator{name: cp.name(f, m)}
		t, _ := m["type"].(string)
		a.typ = AggregatorType(t)
		subject, has := m["subject"]
		has = has && subject != nil
		switch a.typ {
		case Count:
			if has {
				cp.p.addf(f+".subject", "must be absent for COUNT")
			}
		case Sum, Avg, Min, Max:
			if !has {
				cp.p.addf(f+".subject", "is required for %s", t)
			} else {
				a.subject = cp.expression(f+".subject", subject, false)
			}
		default:
			cp.p.addf(f+".type", "must be one of COUNT, SUM, AVG, MIN, MAX, not %q", t)
		}
		out = append(out, a)
	}
	return out
}

// expression compiles one CEL expression; filter expressions must be able to give a bool.
func (cp compiler) expression(field string, v any, filter bool) *expr {
	text, ok := v.(string)
	if !ok || strings.TrimSpace(text) == "" {
		cp.p.addf(field, "must be a non-empty CEL expression")
		return nil
	}
	ast, iss := cp.env.Compile(text)
	if iss != nil && iss.Err() != nil {
		for _, e := range iss.Errors() {
			cp.p.add(field, &rules.Pos{Line: e.Location.Line(), Column: e.Location.Column() + 1}, errors.New(e.Message))
		}
		return nil
	}
	if filter {
		switch ast.OutputType().Kind() {
		case types.BoolKind, types.DynKind, types.AnyKind, types.NullTypeKind:
		default:
			cp.p.addf(field, "must be a bool expression, but its type is %s", ast.OutputType())
			return nil
		}
	}
	prg, err := cp.env.Program(ast, rules.CELProgramOptions(cp.limit)...)
	if err != nil {
		cp.p.add(field, nil, err)
		return nil
	}
	return &expr{field: field, prg: prg, limit: cp.limit}
}
