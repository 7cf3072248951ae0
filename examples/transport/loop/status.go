package loop

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/rules/combine"
	"github.com/wecforge/wecforge/rules/placement"
)

// This file writes the placement documents' status on the source API server: in policies
// mode each BindingPolicy's status gets its errors, warnings and observedGeneration; in
// bindings mode only Binding.status.errors is written (KubeStellar's binding controller owns
// the rest).

// Resources of the placement documents, for status writes.
var (
	bindingPoliciesResource = schema.GroupVersionResource{Group: placement.Group, Version: "v1alpha1", Resource: "bindingpolicies"}
	bindingsResource        = schema.GroupVersionResource{Group: placement.Group, Version: "v1alpha1", Resource: "bindings"}
)

// writeStatus writes the status of every live placement document among objs whose status
// differs from what placement found; errs are the placement errors, r the result (nil when
// placement failed as a whole).
func (c *Controller) writeStatus(ctx context.Context, objs []*unstructured.Unstructured, errs []error, r *placement.Result) error {
	if c.cfg.SourceStatus == nil {
		return nil
	}
	kind, gvr := placement.BindingPolicyKind, bindingPoliciesResource
	if c.cfg.Placement == PlacementBindings {
		kind, gvr = placement.BindingKind, bindingsResource
	}
	byName := map[string][]string{}
	for _, e := range errs {
		var de *DocumentError
		if errors.As(e, &de) && de.Source == "source" && de.Kind == kind {
			byName[de.Name] = append(byName[de.Name], de.Err.Error())
		}
	}
	if r != nil && kind == placement.BindingPolicyKind {
		// Singleton reported state asked but not exactly one WEC qualifies: KubeStellar says so
		// in the status of the policies asking for it (docs/status.md).
		for _, u := range r.UnmetSingletons() {
			msg := (&combine.SingletonCountError{Object: u.Object, Qualified: u.Qualified}).Error()
			for _, name := range u.Policies {
				byName[name] = append(byName[name], msg)
			}
		}
	}
	warnings := map[string][]string{}
	if r != nil && kind == placement.BindingPolicyKind {
		for _, w := range r.Warnings() {
			docs := w.Documents
			if w.Document != "" {
				docs = append(slices.Clone(docs), w.Document)
			}
			for _, d := range slices.Compact(slices.Sorted(slices.Values(docs))) {
				if name, ok := cutPrefix(d, "bindingpolicy/"); ok {
					warnings[name] = append(warnings[name], w.Message)
				}
			}
		}
	}
	var werrs []error
	for _, o := range objs {
		if o.GetKind() != kind || o.GroupVersionKind().Group != placement.Group {
			continue
		}
		name := o.GetName()
		fields := map[string]any{"errors": stringsAny(byName[name])}
		if kind == placement.BindingPolicyKind {
			fields["warnings"] = stringsAny(warnings[name])
			fields["observedGeneration"] = o.GetGeneration()
		}
		if err := c.updateStatus(ctx, gvr, o, fields); err != nil {
			werrs = append(werrs, err)
		}
	}
	return errors.Join(werrs...)
}

// updateStatus sets fields in o's status on the source (the rest of its status kept), unless
// they already hold those values or this replica is not the leader (see Config.Ownership;
// gaining leadership processes the objects again, which writes what differs).
func (c *Controller) updateStatus(ctx context.Context, gvr schema.GroupVersionResource, o *unstructured.Unstructured, fields map[string]any) error {
	want := map[string]any{}
	if cur, ok := o.Object["status"].(map[string]any); ok {
		want = cloneStatus(cur)
	}
	maps.Copy(want, fields)
	if equality.Semantic.DeepEqual(normalize(o.Object["status"]), normalize(want)) {
		return nil
	}
	if !c.leader() {
		return nil
	}
	next := o.DeepCopy()
	next.Object["status"] = want
	if _, err := c.cfg.SourceStatus.Resource(gvr).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("write status of %s %s: %w", o.GetKind(), o.GetName(), err)
	}
	return nil
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

// stringsAny converts to the []any an unstructured object holds; nil stays an empty list.
func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func cloneStatus(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: map[string]any{"s": m}}).DeepCopy().Object["s"].(map[string]any)
}

// normalize makes a status comparable: numbers as int64, missing lists as empty.
func normalize(v any) any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for k, val := range m {
		switch x := val.(type) {
		case float64:
			out[k] = int64(x)
		case int:
			out[k] = int64(x)
		case []any:
			if len(x) > 0 {
				out[k] = x
			}
		default:
			out[k] = x
		}
	}
	return out
}
