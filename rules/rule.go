package rules

import (
	"errors"
	"fmt"

	"github.com/wecforge/wecforge/transform"
)

// This file compiles rules one document at a time, so that a caller holding many rules (a
// controller reading them live) compiles again only the document that changed, and assembles
// a [Set] from rules compiled earlier without compiling any of them again.

// ErrOptionsDiffer is wrapped by the error [NewSet] returns when its rules were compiled with
// different cost limits: a Set has one per-pair budget.
var ErrOptionsDiffer = errors.New("rules compiled with different cost limits cannot form one set")

// Rule is one CustomizationRule compiled alone by [CompileRule]. It is immutable and safe for
// concurrent use; any number of Sets may share it.
type Rule struct {
	r         *rule
	costLimit uint64
}

// CompileRule compiles one document. On any problem it returns (nil, err), err joining one
// *[CompileError] per problem in field order, exactly as [Compile] reports that document. The
// document is read, never modified or retained.
func CompileRule(d Document, opts ...Option) (*Rule, error) {
	c, err := newCompiler(opts)
	if err != nil {
		return nil, err
	}
	r, p := c.rule(d)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return &Rule{r: r, costLimit: c.opts.costLimit}, nil
}

// Name returns the rule's metadata.name.
func (r *Rule) Name() string { return r.r.name }

// Source returns where the document came from, as given to [CompileRule].
func (r *Rule) Source() string { return r.r.source }

// Matches reports whether the rule can apply to the object obj (a JSON object as the
// WEC-independent stages leave it): its spec.match resources, namespaces, names and label
// selector hold. A spec.match condition is not evaluated (it may depend on the object's
// content in ways only a render decides), so Matches may be true for an object the rule then
// leaves alone, never false for one it changes. obj is read, never modified.
func (r *Rule) Matches(obj map[string]any) bool {
	m := &r.r.match
	if !m.identity(transform.RefOf(obj)) {
		return false
	}
	return m.selector == nil || m.selector.Matches(objectLabels(obj))
}

// NewSet assembles a Set from rules compiled by [CompileRule], in application order (priority,
// then name) with the same conflict warnings as [Compile]. Two rules of one name are a
// *[CompileError] naming the later one's source; rules compiled with different cost limits
// wrap [ErrOptionsDiffer]. rs is read, never modified; an empty rs gives an empty Set.
func NewSet(rs []*Rule) (*Set, error) {
	c, err := newCompiler(nil)
	if err != nil {
		return nil, err
	}
	set := &Set{costLimit: c.opts.costLimit, adapter: c.envs.adapter}
	seen := map[string]string{}
	var errs []error
	for i, r := range rs {
		if r == nil {
			errs = append(errs, fmt.Errorf("rules[%d] is nil", i))
			continue
		}
		if i == 0 {
			set.costLimit = r.costLimit
		} else if r.costLimit != set.costLimit {
			errs = append(errs, fmt.Errorf("%w: rule %s has %d, rule %s has %d", ErrOptionsDiffer,
				r.r.name, r.costLimit, rs[0].r.name, set.costLimit))
			continue
		}
		if prev, dup := seen[r.r.name]; dup {
			errs = append(errs, &CompileError{Source: r.r.source, Rule: r.r.name, Field: "metadata.name",
				Err: fmt.Errorf("duplicate rule name (also defined in %s)", prev)})
			continue
		}
		seen[r.r.name] = orUnknown(r.r.source)
		set.rules = append(set.rules, r.r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	set.order()
	return set, nil
}
