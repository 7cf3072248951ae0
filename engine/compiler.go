package engine

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/customtransform"
	"github.com/wecforge/wecforge/transform/resources"
)

// This file compiles a configuration that changes a document at a time, as a controller
// reading CustomTransforms and CustomizationRules live from an API server sees it: each
// CustomizationRule is compiled once per content and reused while its document stays the same
// (its CEL compilation is what compiling costs), and each compile says which workload objects
// the change can affect, so that only their pairs are rendered again.

// Compiler compiles successive versions of a configuration. It is safe for concurrent use;
// compiles are serialised.
type Compiler struct {
	opts Config // everything but Documents

	mu sync.Mutex
	// rules are the rule documents of the last compile, compiled: by source and content.
	rules map[docHash]compiledRule
	// last holds the last compile's pipeline documents by identity; nil before the first.
	last     map[docID]pipelineDoc
	compiled int
	// lastKey hashes the last compile's documents whole; lastEngine and lastErr are its result,
	// returned again for the same documents.
	lastKey    docHash
	lastEngine *Engine
	lastErr    error
}

type docHash [32]byte

type compiledRule struct {
	rule *rules.Rule
	err  error
}

// docID identifies a pipeline document: its kind and name.
type docID struct{ kind, name string }

// pipelineDoc is what the change computation keeps of a pipeline document.
type pipelineDoc struct {
	hash docHash
	rule *rules.Rule           // a valid CustomizationRule
	ct   *schema.GroupResource // a CustomTransform's resource, when it names one
}

// NewCompiler returns a Compiler that compiles with opts' Mapper, TemplateLimits and
// RuleOptions; opts.Documents is ignored.
func NewCompiler(opts Config) *Compiler {
	opts.Documents = nil
	return &Compiler{opts: opts, rules: map[docHash]compiledRule{}}
}

// Compile compiles docs exactly as [Compile] does, compiling again only the CustomizationRule
// documents whose source or content (apiVersion, kind, name and spec: never status or other
// metadata) changed since the previous call. The Change says what the new engine renders
// differently from the previous one; the first call's Change affects everything. docs are
// read, never modified or retained. Documents identical to the previous call's, in the same
// order, give the previous Engine again (engines are immutable) and an empty Change.
func (c *Compiler) Compile(docs []Document) (*Engine, *Change, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key, keyed := hashAll(docs)
	if keyed && c.lastEngine != nil && key == c.lastKey {
		return c.lastEngine, &Change{mapper: c.lastEngine.mapper}, c.lastErr
	}
	c.lastEngine, c.lastErr = nil, nil
	used := map[docHash]compiledRule{}
	cfg := c.opts
	cfg.Documents = docs
	e, err := compile(cfg, func(d rules.Document) (*rules.Rule, error) {
		h := hashDoc(d.Source, d.Object)
		cr, ok := c.rules[h]
		if !ok {
			cr.rule, cr.err = rules.CompileRule(d, c.opts.RuleOptions...)
			c.compiled++
		}
		used[h] = cr
		return cr.rule, cr.err
	})
	c.rules = used
	if e == nil {
		return nil, nil, err
	}
	next := pipelineDocs(docs, used)
	ch := diff(c.last, next, e.mapper)
	c.last = next
	if keyed {
		c.lastKey, c.lastEngine, c.lastErr = key, e, err
	}
	return e, ch, err
}

// hashAll hashes every document whole (source, type and object); false when one is not JSON.
func hashAll(docs []Document) (docHash, bool) {
	h := sha256.New()
	for _, d := range docs {
		js, err := json.Marshal([]any{d.Source, d.Type.String(), d.Object})
		if err != nil {
			return docHash{}, false
		}
		h.Write(js)
		h.Write([]byte{0})
	}
	var out docHash
	h.Sum(out[:0])
	return out, true
}

// RulesCompiled returns how many CustomizationRule documents this Compiler has compiled,
// counting every compile; a document compiled once and reused counts once.
func (c *Compiler) RulesCompiled() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.compiled
}

// hashDoc hashes what compiling a document reads: its source (named in errors), apiVersion,
// kind, metadata.name and spec.
func hashDoc(source string, obj map[string]any) docHash {
	md, _ := obj["metadata"].(map[string]any)
	js, err := json.Marshal([]any{source, obj["apiVersion"], obj["kind"], md["name"], obj["spec"]})
	if err != nil {
		// Not JSON (a caller-built map holding a func, say): never equal to another.
		js, _ = json.Marshal([]any{source, len(obj), &obj})
	}
	return sha256.Sum256(js)
}

// pipelineDocs indexes the documents that shape rendering: CustomTransforms, CustomizationRules
// and CustomResourceDefinitions (they change the mapper). Placement documents place, they
// never change a render, and are left out.
func pipelineDocs(docs []Document, compiled map[docHash]compiledRule) map[docID]pipelineDoc {
	out := map[docID]pipelineDoc{}
	for i, d := range docs {
		obj, gvk, err := withType(d.Object, d.Type)
		if err != nil {
			continue
		}
		id := docID{kind: gvk.GroupKind().String(), name: nameOf(obj)}
		src := d.Source
		if src == "" {
			src = docSource(i)
		}
		pd := pipelineDoc{hash: hashDoc(src, obj)}
		switch gvk.GroupKind() {
		case schema.GroupKind{Group: "wecforge.io", Kind: rules.Kind}:
			pd.rule = compiled[pd.hash].rule
		case schema.GroupKind{Group: "control.kubestellar.io", Kind: customtransform.Kind}:
			if gr, ok := ctResource(obj); ok {
				pd.ct = &gr
			}
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: resources.CRDKind}:
		default:
			continue
		}
		if _, dup := out[id]; dup {
			// Two documents of one name: which one wins is the compile's business; the
			// change must cover both.
			id.name += " (" + src + ")"
		}
		out[id] = pd
	}
	return out
}

// ctResource reads a CustomTransform's target resource without compiling it.
func ctResource(obj map[string]any) (schema.GroupResource, bool) {
	spec, _ := obj["spec"].(map[string]any)
	group, gok := spec["apiGroup"].(string)
	res, rok := spec["resource"].(string)
	if (!gok && spec["apiGroup"] != nil) || !rok || res == "" {
		return schema.GroupResource{}, false
	}
	return schema.GroupResource{Group: group, Resource: res}, true
}

// diff computes the Change from prev to next; prev nil (the first compile) changes everything.
func diff(prev, next map[docID]pipelineDoc, mapper *resources.Mapper) *Change {
	ch := &Change{mapper: mapper}
	if prev == nil {
		ch.all = true
		return ch
	}
	for _, id := range slices.Collect(maps.Keys(prev)) {
		if _, ok := next[id]; !ok {
			ch.add(id, prev[id])
		}
	}
	for id, n := range next {
		p, ok := prev[id]
		if ok && p.hash == n.hash {
			continue
		}
		ch.add(id, n)
		if ok {
			ch.add(id, p)
		}
	}
	slices.Sort(ch.docs)
	ch.docs = slices.Compact(ch.docs)
	return ch
}

// Change is what one [Compiler.Compile] renders differently from the one before: the
// CustomTransforms, CustomizationRules and CustomResourceDefinitions added, removed or edited.
// It is immutable and safe for concurrent use.
type Change struct {
	all    bool
	docs   []string
	rules  []*rules.Rule          // the old and new versions of the changed valid rules
	cts    []schema.GroupResource // the old and new resources of the changed CustomTransforms
	mapper *resources.Mapper      // the new engine's, to map an object's kind to its resource
}

// Everything reports whether the change can affect every object: the first compile, or a
// CustomResourceDefinition change (kinds may map to other resources now).
func (ch *Change) Everything() bool { return ch.all }

// Empty reports whether nothing that shapes rendering changed: every pair renders as before.
func (ch *Change) Empty() bool { return !ch.all && len(ch.rules) == 0 && len(ch.cts) == 0 }

// Documents names the changed documents (`CustomizationRule.wecforge.io/NAME`), sorted; an
// invalid document counts although it changes no render. The slice is the caller's.
func (ch *Change) Documents() []string { return slices.Clone(ch.docs) }

// Affects reports whether an object's renders can differ under the new engine: a changed
// CustomTransform targets its resource, or a changed CustomizationRule (old or new version)
// matches it (see [rules.Rule.Matches]; pass the object as the WEC-independent stages left it,
// or ask for both it and the input). False means every pair of the object renders exactly as
// before. obj is read, never modified.
func (ch *Change) Affects(obj map[string]any) bool {
	if ch.all {
		return true
	}
	for _, r := range ch.rules {
		if r.Matches(obj) {
			return true
		}
	}
	if len(ch.cts) == 0 {
		return false
	}
	ref := transform.RefOf(obj)
	gr, err := ch.mapper.ResourceFor(schema.GroupKind{Group: ref.Group, Kind: ref.Kind})
	if err != nil {
		return false // a CustomTransform applies only to objects whose resource is known
	}
	return slices.Contains(ch.cts, gr)
}

// add records one version of a changed document.
func (ch *Change) add(id docID, pd pipelineDoc) {
	ch.docs = append(ch.docs, id.kind+"/"+id.name)
	switch {
	case id.kind == schema.GroupKind{Group: "apiextensions.k8s.io", Kind: resources.CRDKind}.String():
		ch.all = true
	case pd.rule != nil:
		ch.rules = append(ch.rules, pd.rule)
	case pd.ct != nil:
		ch.cts = append(ch.cts, *pd.ct)
	}
}

// docSource is the source Compile gives an unnamed document.
func docSource(i int) string { return fmt.Sprintf("documents[%d]", i) }
