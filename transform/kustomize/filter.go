package kustomize

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/filters"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// Filter renders every resource for one WEC. It implements kio.Filter.
type Filter struct {
	// Pipeline renders the resources; required.
	Pipeline *transform.Pipeline
	// WEC is the cluster to render for; required.
	WEC *customization.WEC
	// Context, when set, bounds the renders.
	Context context.Context
	// KeepFailed keeps a resource that fails to render (as it came in) instead of failing
	// the whole filter; the errors are then reported through OnError.
	KeepFailed bool
	// OnError, when set with KeepFailed, receives each per-resource error.
	OnError func(err error)
}

var _ kio.Filter = Filter{}

// ErrFilter is wrapped by the error Filter returns when resources fail to render.
var ErrFilter = errors.New("wecforge filter")

// Filter renders nodes; it returns new nodes and never modifies its input. Without
// KeepFailed, any failing resource fails the call with every error joined.
func (f Filter) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	if f.Pipeline == nil || f.WEC == nil {
		return nil, fmt.Errorf("%w: Pipeline and WEC are required", ErrFilter)
	}
	ctx := f.Context
	if ctx == nil {
		ctx = context.Background()
	}
	out := make([]*yaml.RNode, 0, len(nodes))
	var errs []error
	for i, n := range nodes {
		u, err := toUnstructured(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("resource %d: %w", i, err))
			continue
		}
		res := f.Pipeline.Render(ctx, f.Pipeline.Prepare(ctx, u), f.WEC)
		if res.Err != nil {
			if f.KeepFailed {
				if f.OnError != nil {
					f.OnError(res.Err)
				}
				out = append(out, n.Copy())
				continue
			}
			errs = append(errs, res.Err)
			continue
		}
		rn, err := fromUnstructured(res.Object)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", res.Ref, err))
			continue
		}
		out = append(out, rn)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrFilter, errors.Join(errs...))
	}
	// Fields come back from the map in key order; put them in the conventional Kubernetes
	// order (apiVersion, kind, metadata, then the rest) as kustomize does.
	return filters.FormatFilter{}.Filter(out)
}

func toUnstructured(n *yaml.RNode) (*unstructured.Unstructured, error) {
	js, err := n.MarshalJSON()
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	return u, nil
}

func fromUnstructured(u *unstructured.Unstructured) (*yaml.RNode, error) {
	js, err := u.MarshalJSON()
	if err != nil {
		return nil, err
	}
	n := yaml.NewRNode(nil)
	if err := n.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	return n, nil
}
