package rules

import (
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// The identity of a CustomizationRule document.
const (
	APIVersion = "wecforge.io/v1alpha1"
	Kind       = "CustomizationRule"
)

// DefaultCostLimit is the CEL cost budget of one (object, WEC) pair when no [CostLimit] option
// is given: ten times Kubernetes' per-expression limit, shared by every expression of every
// rule evaluated for the pair.
const DefaultCostLimit uint64 = 10_000_000

// Document is one CustomizationRule document with where it came from (for messages:
// "rules.yaml#3"). Compile reads Object and never modifies or keeps it.
type Document struct {
	Source string
	Object map[string]any
}

// DefaultMaxPathDepth is the deepest path (JSONPath segments or JSON Pointer tokens) a rule
// may write or read when no [MaxPathDepth] option is given.
const DefaultMaxPathDepth = 64

type options struct {
	costLimit    uint64
	limits       templates.Limits
	maxPathDepth int
}

// MaxPathDepth sets the deepest path a rule's set, remove, image and patch fields may use
// (JSONPath segments after `$`, JSON Pointer tokens); deeper paths are compile errors. A
// write at depth d creates up to d maps per pair and the trace formats d steps per change,
// so the limit bounds both at compile time. Zero or less restores [DefaultMaxPathDepth].
func MaxPathDepth(n int) Option { return func(o *options) { o.maxPathDepth = n } }

// Option configures [Compile].
type Option func(*options)

// CostLimit sets the CEL cost budget of one (object, WEC) pair, shared by all expressions the
// pair evaluates. Zero restores [DefaultCostLimit].
func CostLimit(limit uint64) Option { return func(o *options) { o.costLimit = limit } }

// TemplateLimits sets the limits of every template field (zero fields take the templates
// package's defaults).
func TemplateLimits(lim templates.Limits) Option { return func(o *options) { o.limits = lim } }

// Set is a compiled rule set: every expression type-checked and planned, every template, path
// and patch parsed. A Set is immutable and safe for concurrent use.
type Set struct {
	rules     []*rule
	warnings  []string
	costLimit uint64
	adapter   types.Adapter
}

// rule is one compiled CustomizationRule.
type rule struct {
	name     string
	source   string
	priority int64
	ignore   bool
	match    objectMatch
	clusters clusterMatch
	vars     []*expr
	varIndex map[string]int // "variables.NAME" → index in vars
	varNames []string
	actions  []action
	// fork: apply the actions to a fork of the object, adopted on success, because a failure
	// must roll back (onError Ignore) or because an expression may read object after the
	// rule's first write and must see it as the rule began.
	fork bool
}

// needsSnapshot reports whether object may be read after a write of the same rule: by a
// variable (evaluated lazily, whenever first used) or by an action expression other than the
// first expression of the first action.
func needsSnapshot(vars []*expr, actionExprs []actionExpr) bool {
	for _, v := range vars {
		if v != nil && v.readsObject {
			return true
		}
	}
	for i, ae := range actionExprs {
		if ae.x.readsObject && (i > 0 || ae.action > 0) {
			return true
		}
	}
	return false
}

// Len returns the number of rules.
func (s *Set) Len() int { return len(s.rules) }

// Warnings returns compile-time warnings (conflicting rules), sorted. Shared: do not modify.
func (s *Set) Warnings() []string { return s.warnings }

// Names returns the rule names in application order (priority, then name).
func (s *Set) Names() []string {
	out := make([]string, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.name
	}
	return out
}

// Compile compiles every rule of docs. On any problem it returns (nil, err) where err is the
// errors.Join of one *[CompileError] per problem, in document order, so that a user sees every
// problem at once. docs are read, never modified or retained.
func Compile(docs []Document, opts ...Option) (*Set, error) {
	c, err := newCompiler(opts)
	if err != nil {
		return nil, err
	}
	var errs []error
	set := &Set{costLimit: c.opts.costLimit, adapter: c.envs.adapter}
	seen := map[string]string{}
	for _, d := range docs {
		r, p := c.rule(d)
		if r != nil && r.name != "" {
			if prev, dup := seen[r.name]; dup {
				p.addf("metadata.name", "duplicate rule name (also defined in %s)", prev)
			} else {
				seen[r.name] = orUnknown(d.Source)
			}
		}
		if len(p.errs) > 0 {
			errs = append(errs, p.errs...)
			continue
		}
		set.rules = append(set.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	set.order()
	return set, nil
}

// newCompiler applies the options (zero values take the defaults) and loads the shared CEL
// environments.
func newCompiler(opts []Option) (*compiler, error) {
	o := options{costLimit: DefaultCostLimit}
	for _, opt := range opts {
		opt(&o)
	}
	if o.costLimit == 0 {
		o.costLimit = DefaultCostLimit
	}
	if o.maxPathDepth <= 0 {
		o.maxPathDepth = DefaultMaxPathDepth
	}
	e, err := sharedEnvs()
	if err != nil {
		return nil, err
	}
	return &compiler{envs: e, opts: o}, nil
}

// order sorts the rules into application order (priority, then name) and computes the
// conflict warnings.
func (s *Set) order() {
	slices.SortStableFunc(s.rules, func(a, b *rule) int {
		if a.priority != b.priority {
			if a.priority < b.priority {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	s.warnings = conflicts(s.rules)
}

// MustCompile is [Compile] that panics on error, for tests and examples.
func MustCompile(docs []Document, opts ...Option) *Set {
	s, err := Compile(docs, opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// describeTypeField names the value of apiVersion or kind in words: the quoted string, "missing"
// for an absent field, or its JSON type.
func describeTypeField(v any) string {
	switch s := v.(type) {
	case nil:
		return "missing (a caller that knows the type must set it)"
	case string:
		return strconv.Quote(s)
	default:
		return transform.Describe(v)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "another document"
	}
	return s
}

// compiler holds what every rule's compilation shares.
type compiler struct {
	envs *envs
	opts options
}

// rule decodes and compiles one document. It always returns the problems; the rule is nil
// when the document is not even a map.
func (c *compiler) rule(d Document) (*rule, *problems) {
	p := &problems{source: d.Source}
	rd := reader{p}
	if d.Object == nil {
		p.addf("", "empty document")
		return nil, p
	}
	r := &rule{source: d.Source}
	// The name comes first so that every later problem carries it.
	if md, ok := d.Object["metadata"].(map[string]any); ok {
		if n, ok := md["name"].(string); ok {
			r.name = n
			p.rule = n
		}
	}
	top, _ := rd.object(d.Object, "", "apiVersion", "kind", "metadata", "spec")
	if v, _ := top["apiVersion"].(string); v != APIVersion {
		p.addf("apiVersion", "must be %s, not %s", APIVersion, describeTypeField(top["apiVersion"]))
	}
	if k, _ := top["kind"].(string); k != Kind {
		p.addf("kind", "must be %s, not %s", Kind, describeTypeField(top["kind"]))
	}
	c.metadata(rd, top["metadata"])
	spec, ok := top["spec"]
	if !ok {
		p.addf("spec", "required")
		return r, p
	}
	sm, ok := rd.object(spec, "spec", "priority", "onError", "match", "clusters", "variables", "actions")
	if !ok {
		return r, p
	}
	if v, ok := sm["priority"]; ok {
		if n, ok := rd.integer(v, "spec.priority"); ok {
			switch {
			case n < 0:
				p.addf("spec.priority", "must not be negative (lower priorities apply first; 0 is the lowest)")
			case n > math.MaxInt32:
				p.addf("spec.priority", "must be at most %d", math.MaxInt32)
			}
			r.priority = n
		}
	}
	if v, ok := sm["onError"]; ok {
		switch v {
		case "Fail":
		case "Ignore":
			r.ignore = true
		default:
			p.addf("spec.onError", "must be Fail or Ignore, not %v", v)
		}
	}
	if v, ok := sm["match"]; ok {
		r.match = c.objectMatch(rd, v, "spec.match")
	}
	if v, ok := sm["clusters"]; ok {
		r.clusters = c.clusterMatch(rd, v, "spec.clusters")
	}
	env := c.envs.full
	if v, ok := sm["variables"]; ok {
		env = c.variables(rd, r, v, "spec.variables")
	}
	av, ok := sm["actions"]
	if !ok {
		p.addf("spec.actions", "required: a rule needs at least one action")
		return r, p
	}
	if l, ok := rd.list(av, "spec.actions"); ok {
		if len(l) == 0 {
			p.addf("spec.actions", "must not be empty: a rule needs at least one action")
		}
		ac := actionCompiler{compiler: c, rd: rd, env: env, r: r, names: r.varNames}
		for i, a := range l {
			ac.index = i
			if act := ac.action(a, item("spec.actions", i)); act != nil {
				r.actions = append(r.actions, act)
			}
		}
		r.fork = r.ignore || needsSnapshot(r.vars, ac.exprs)
	}
	return r, p
}

// metadataFields are the ObjectMeta fields a cluster-scoped rule may carry; only name matters.
var metadataFields = []string{"name", "labels", "annotations", "uid", "resourceVersion", "generation",
	"creationTimestamp", "managedFields", "finalizers", "ownerReferences"}

func (c *compiler) metadata(rd reader, v any) {
	p := rd.p
	if v == nil {
		p.addf("metadata.name", "required")
		return
	}
	md, ok := rd.object(v, "metadata", append(slices.Clone(metadataFields), "namespace")...)
	if !ok {
		return
	}
	if ns, ok := md["namespace"]; ok && ns != "" {
		p.addf("metadata.namespace", "must be empty: CustomizationRule is cluster-scoped")
	}
	n, ok := md["name"]
	if !ok || n == "" {
		p.addf("metadata.name", "required")
		return
	}
	name, ok := rd.str(n, "metadata.name")
	if !ok {
		return
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		p.addf("metadata.name", "invalid name %q: %s", name, strings.Join(errs, "; "))
	}
}

// reader decodes the loosely typed tree of a YAML document strictly: wrong types and unknown
// fields are problems naming their field path. Every method tolerates a nil value where a
// field is optional and reports problems to p.
type reader struct {
	p *problems
}

// child returns the field path of member key below field.
func child(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

// item returns the field path of list item i below field.
func item(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// wrongType reports that v (nil when the field is missing or null) is not what field needs.
func (r *reader) wrongType(field, want string, v any) {
	if v == nil {
		r.p.addf(field, "required (%s)", want)
		return
	}
	r.p.addf(field, "must be %s, not %s", want, transform.Describe(v))
}

// object checks that v is a map whose keys are all in known; ok is false when v is not a map.
func (r *reader) object(v any, field string, known ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.wrongType(field, "a map", v)
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			r.p.addf(child(field, k), "unknown field (known fields: %s)", strings.Join(known, ", "))
		}
	}
	return m, true
}

// list checks that v is a list.
func (r *reader) list(v any, field string) ([]any, bool) {
	l, ok := v.([]any)
	if !ok {
		r.wrongType(field, "a list", v)
	}
	return l, ok
}

// str checks that v is a string.
func (r *reader) str(v any, field string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		r.wrongType(field, "a string", v)
	}
	return s, ok
}

// strings checks that v is a list of strings.
func (r *reader) strings(v any, field string) ([]string, bool) {
	l, ok := r.list(v, field)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	good := true
	for i, e := range l {
		s, ok := r.str(e, item(field, i))
		good = good && ok
		out = append(out, s)
	}
	return out, good
}

// stringMap checks that v is a map of strings.
func (r *reader) stringMap(v any, field string) (map[string]string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		r.p.addf(field, "must be a map, not %s", transform.Describe(v))
		return nil, false
	}
	out := make(map[string]string, len(m))
	good := true
	for k, e := range m {
		s, ok := r.str(e, child(field, k))
		good = good && ok
		out[k] = s
	}
	return out, good
}

// integer checks that v is an integral number (YAML decoders yield int, int64 or float64).
func (r *reader) integer(v any, field string) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
		r.p.addf(field, "must be an integer, not %v", n)
		return 0, false
	}
	r.p.addf(field, "must be an integer, not %s", transform.Describe(v))
	return 0, false
}
