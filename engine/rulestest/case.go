package rulestest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/internal/joinerr"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/manifests"
	"github.com/wecforge/wecforge/transform/resources"
	"github.com/wecforge/wecforge/transform/validate"
)

// ErrCase is wrapped by the errors of [Load] about a case's inputs themselves: unreadable
// files, malformed YAML, a properties ConfigMap for no WEC, two WECs of one name.
var ErrCase = errors.New("invalid test case")

// ExpectedDir is the subdirectory of a case that holds its expected outputs.
const ExpectedDir = "expected"

// Case is one test case, loaded and rendered: its inputs, the engine compiled from them, and
// every (object, WEC) pair the placement delivers. It is read-only once [Load] returns it.
type Case struct {
	// Dir is the case directory.
	Dir string
	// Documents are every input document, in file then document order.
	Documents []manifests.Document
	// Engine is compiled from the configuration documents (CustomTransforms, rules, policies,
	// CRDs); invalid documents are left out and listed in Problems.
	Engine *engine.Engine
	// WECs are the WECs of the ManagedClusters among the inputs, in name order.
	WECs []*customization.WEC
	// Placement says which objects each WEC receives.
	Placement *engine.Placement
	// Pairs are the rendered pairs, by WEC (in WECs order), then object (group, kind,
	// namespace, name).
	Pairs []Pair
	// Problems are the configuration and workload problems (documents left out), then the
	// failed pairs, one line each, sorted.
	Problems []string
	// Warnings are the compilers', placement's and renders' warnings, one line each.
	Warnings []string

	claimed [][]manifests.Document // per extension
}

// Pair is one rendered (object, WEC) pair.
type Pair struct {
	// WEC is the cluster.
	WEC *customization.WEC
	// Source names the object's input document (`file#index (line N)`).
	Source string
	// Result is the render: object or error, trace, dependencies. Read-only.
	Result transform.Result
}

// Claimed returns the input documents extension i of [Options.Extensions] claimed, in input
// order.
func (c *Case) Claimed(i int) []manifests.Document {
	if i < 0 || i >= len(c.claimed) {
		return nil
	}
	return c.claimed[i]
}

// Load reads the case in dir and renders it. Inputs are every *.yaml, *.yml and *.json file
// directly in dir (not in subdirectories), read as kubectl reads them, and sorted by kind:
// ManagedCluster → a WEC; ConfigMap in namespace customization-properties → that WEC's
// properties; CustomTransform, CustomizationRule, BindingPolicy, Binding → configuration;
// CustomResourceDefinition → configuration and a workload; a document an extension claims →
// that extension; anything else → a workload. The error, wrapping [ErrCase], is about the
// inputs themselves; problems of the configuration or the workloads are part of the Case.
func Load(ctx context.Context, dir string, opts Options) (*Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCase, err)
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: %s holds no *.yaml, *.yml or *.json input", ErrCase, dir)
	}
	docs, _, err := manifests.Load(files, manifests.Options{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCase, err)
	}
	c := &Case{Dir: dir, Documents: docs, claimed: make([][]manifests.Document, len(opts.Extensions))}
	var config []engine.Document
	var objs []engine.Object
	clusters := map[string]*unstructured.Unstructured{}
	props := map[string]*corev1.ConfigMap{}
	var errs []error
	for _, d := range docs {
		where := fmt.Sprintf("%s#%d (line %d)", filepath.Base(d.File), d.Index, d.Line)
		if claimedBy(opts.Extensions, d, c) {
			continue
		}
		u := &unstructured.Unstructured{Object: d.Object}
		switch gk := u.GroupVersionKind().GroupKind(); {
		case gk.Kind == "ManagedCluster" && gk.Group == "cluster.open-cluster-management.io":
			if _, dup := clusters[u.GetName()]; dup || u.GetName() == "" {
				errs = append(errs, fmt.Errorf("%w: %s: ManagedCluster %q has no name or is defined twice", ErrCase, where, u.GetName()))
				continue
			}
			clusters[u.GetName()] = u
		case gk.Kind == "ConfigMap" && gk.Group == "" && u.GetNamespace() == customization.PropertiesNamespace:
			cm := &corev1.ConfigMap{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object, cm); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: properties ConfigMap: %w", ErrCase, where, err))
				continue
			}
			props[cm.Name] = cm
		case isConfiguration(gk.Group, gk.Kind):
			config = append(config, engine.Document{Source: where, Object: d.Object})
		default:
			if resources.IsCRD(u) {
				config = append(config, engine.Document{Source: where, Object: d.Object})
			}
			objs = append(objs, engine.Object{Source: where, Object: u})
		}
	}
	for name := range props {
		if clusters[name] == nil {
			errs = append(errs, fmt.Errorf("%w: properties ConfigMap %q: no ManagedCluster of that name", ErrCase, name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(clusters)) {
		w, err := customization.FromManagedCluster(clusters[name], props[name])
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: ManagedCluster %q: %w", ErrCase, name, err))
			continue
		}
		c.WECs = append(c.WECs, w)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := c.render(ctx, config, objs, opts); err != nil {
		return nil, err
	}
	return c, nil
}

func claimedBy(exts []Extension, d manifests.Document, c *Case) bool {
	for i, x := range exts {
		if x.Claim(d) {
			c.claimed[i] = append(c.claimed[i], d)
			return true
		}
	}
	return false
}

// isConfiguration reports whether a kind is one the engine compiles (CRDs aside, which are
// also workloads).
func isConfiguration(group, kind string) bool {
	switch {
	case group == "control.kubestellar.io":
		return kind == "CustomTransform" || kind == "BindingPolicy" || kind == "Binding"
	case group == "wecforge.io":
		return kind == "CustomizationRule"
	}
	return false
}

// render compiles the configuration, resolves and places the workloads, and renders every
// delivered pair, each object prepared once.
func (c *Case) render(ctx context.Context, config []engine.Document, objs []engine.Object, opts Options) error {
	e, err := engine.Compile(engine.Config{Documents: config, RuleOptions: opts.RuleOptions, TemplateLimits: opts.TemplateLimits})
	if e == nil {
		return fmt.Errorf("%w: %w", ErrCase, err)
	}
	c.Engine = e
	c.Problems = append(c.Problems, lines(err)...)
	c.Warnings = append(c.Warnings, e.Warnings()...)
	resolved, err := e.Resolve(objs)
	c.Problems = append(c.Problems, lines(err)...)
	placed, err := e.Place(resolved, c.WECs)
	if placed == nil {
		return fmt.Errorf("%w: %w", ErrCase, err)
	}
	c.Placement = placed
	c.Problems = append(c.Problems, lines(err)...)
	if r := placed.Result(); r != nil {
		for _, w := range r.Warnings() {
			c.Warnings = append(c.Warnings, w.Message)
		}
	}
	check := c.validator(config, opts)
	p := e.Pipeline()
	preps := map[int]*transform.Prepared{}
	var pairProblems []string
	for _, w := range c.WECs {
		for _, d := range placed.ForWEC(w.Name()) {
			prep, ok := preps[d.Object.Index]
			if !ok {
				prep = p.Prepare(ctx, d.Object.Object)
				preps[d.Object.Index] = prep
			}
			res := p.Render(ctx, prep, w)
			check(&res, d.Object.Source)
			for _, msg := range res.Warnings {
				c.Warnings = append(c.Warnings, fmt.Sprintf("wec %s: %s: %s", w.Name(), res.Ref, msg))
			}
			if res.Err != nil {
				pairProblems = append(pairProblems, res.Err.Error())
			}
			c.Pairs = append(c.Pairs, Pair{WEC: w, Source: d.Object.Source, Result: res})
		}
	}
	slices.Sort(pairProblems)
	c.Problems = append(c.Problems, pairProblems...)
	c.Warnings = slices.Compact(c.Warnings)
	return nil
}

// validator returns the schema check of rendered pairs: a violation the render caused fails
// the pair (its object is left out); one that came with the input is a warning, once per
// object. With SkipValidation it does nothing.
func (c *Case) validator(config []engine.Document, opts Options) func(res *transform.Result, source string) {
	if opts.SkipValidation {
		return func(*transform.Result, string) {}
	}
	var crds []*unstructured.Unstructured
	for _, d := range config {
		if u := (&unstructured.Unstructured{Object: d.Object}); resources.IsCRD(u) {
			crds = append(crds, u)
		}
	}
	v, err := validate.New(validate.Options{CRDs: crds})
	c.Warnings = append(c.Warnings, lines(err)...)
	warned := map[string]bool{}
	return func(res *transform.Result, source string) {
		err := v.Result(res)
		var ve *validate.Error
		switch {
		case !errors.As(err, &ve):
		case ve.FromInput():
			if !warned[source] {
				warned[source] = true
				c.Warnings = append(c.Warnings, fmt.Sprintf("%s (%s): the input %s", res.Ref, source, ve))
			}
		default:
			res.Err, res.Object = err, nil
		}
	}
}

// lines splits an error (joins taken apart) into one line per problem, continuation lines
// indented. A typed error with several causes is one problem.
func lines(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, e := range joinerr.Split(err) {
		out = append(out, strings.ReplaceAll(strings.TrimRight(e.Error(), "\n"), "\n", "\n  "))
	}
	return out
}
