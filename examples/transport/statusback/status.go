package statusback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
)

var (
	// ErrRefused means the object is of a kind whose status is never written back (Namespaces,
	// CustomResourceDefinitions).
	ErrRefused = errors.New("status is never written back into this kind")
	// ErrInvalidInput means an input is unusable (no resource or name, a value that is not
	// JSON).
	ErrInvalidInput = errors.New("invalid status write-back input")
)

// WriteError is a failed write of one object. It wraps the cause (the API server's error,
// [ErrRefused] or [ErrInvalidInput]).
type WriteError struct {
	// Resource, Namespace and Name identify the object.
	Resource  schema.GroupVersionResource
	Namespace string
	Name      string
	// Action is "get", "update status", "patch", "create", "update" or "delete".
	Action string
	Err    error
}

func (e *WriteError) Error() string {
	obj := e.Name
	if e.Namespace != "" {
		obj = e.Namespace + "/" + e.Name
	}
	return fmt.Sprintf("%s %s %s: %v", e.Action, e.Resource.GroupResource(), obj, e.Err)
}

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// Writer writes returned state into the WDS through a dynamic client. It is immutable and
// safe for concurrent use.
type Writer struct {
	client dynamic.Interface
}

// New returns a Writer using client.
func New(client dynamic.Interface) (*Writer, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil dynamic client", ErrInvalidInput)
	}
	return &Writer{client: client}, nil
}

// ObjectStatus is what to write into one WDS object.
type ObjectStatus struct {
	// Resource is the object's resource (from the assembly's mapper); Namespace is empty for a
	// cluster-scoped object.
	Resource  schema.GroupVersionResource
	Namespace string
	Name      string
	// Status replaces the object's whole `.status`; nil writes `{}` (clearing it). It must be
	// JSON-shaped (maps, slices, strings, numbers, booleans, nil); it is only read.
	Status map[string]any
	// SetLabels are set on the object; ClearLabels are removed (a key in both is set).
	SetLabels   map[string]string
	ClearLabels []string
}

// WriteStatus makes the object carry in.Status and the label changes, and reports whether it
// wrote anything. See the package doc for how. A missing object is a *WriteError wrapping the
// API server's NotFound.
func (w *Writer) WriteStatus(ctx context.Context, in ObjectStatus) (bool, error) {
	fail := func(action string, err error) error {
		return &WriteError{Resource: in.Resource, Namespace: in.Namespace, Name: in.Name, Action: action, Err: err}
	}
	switch {
	case in.Resource.Resource == "" || in.Resource.Version == "" || in.Name == "":
		return false, fail("write status", fmt.Errorf("%w: resource, version and name are required", ErrInvalidInput))
	case in.Resource.Group == "" && in.Resource.Resource == "namespaces",
		in.Resource.Group == "apiextensions.k8s.io" && in.Resource.Resource == "customresourcedefinitions":
		return false, fail("write status", ErrRefused)
	}
	// A deep, JSON-normalised copy: the caller's map is never touched or shared.
	status, err := jsonCopy(in.Status)
	if err != nil {
		return false, fail("write status", fmt.Errorf("%w: status: %w", ErrInvalidInput, err))
	}
	res := w.client.Resource(in.Resource).Namespace(in.Namespace)
	wrote := false
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := res.Get(ctx, in.Name, metav1.GetOptions{})
		if err != nil {
			return fail("get", err)
		}
		next := cur.DeepCopy()
		labels := next.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		for _, k := range in.ClearLabels {
			delete(labels, k)
		}
		maps.Copy(labels, in.SetLabels)
		if len(labels) == 0 {
			labels = nil
		}
		next.SetLabels(labels)
		labelsChanged := !equality.Semantic.DeepEqual(cur.GetLabels(), next.GetLabels()) &&
			!(len(cur.GetLabels()) == 0 && len(labels) == 0)
		oldStatus, _, _ := unstructured.NestedMap(cur.Object, "status")
		statusChanged := !equality.Semantic.DeepEqual(normalised(oldStatus), asStored(cur, status))
		if !labelsChanged && !statusChanged {
			return nil
		}
		next.Object["status"] = status
		if statusChanged {
			updated, err := res.UpdateStatus(ctx, next, metav1.UpdateOptions{})
			switch {
			case err == nil:
				wrote = true
				if !labelsChanged {
					return nil
				}
				// Labels go through the object itself (a status update ignores them), from
				// the object as the status update left it.
				return w.mergePatch(ctx, res, in, updated, next, false, fail)
			case !apierrors.IsNotFound(err) && !apierrors.IsMethodNotSupported(err):
				return fail("update status", err)
			}
			// No status subresource: one merge patch carries status and labels.
		}
		if err := w.mergePatch(ctx, res, in, cur, next, statusChanged, fail); err != nil {
			return err
		}
		wrote = true
		return nil
	})
	return wrote, err
}

// mergePatch patches the object from cur to next: labels, and with withStatus the status
// (nulling what next drops). The patch carries cur's resourceVersion, so it conflicts instead
// of overwriting a concurrent change.
func (w *Writer) mergePatch(ctx context.Context, res dynamic.ResourceInterface, in ObjectStatus,
	cur, next *unstructured.Unstructured, withStatus bool, fail func(string, error) error) error {
	from := map[string]any{"metadata": map[string]any{"labels": toAny(cur.GetLabels())}}
	to := map[string]any{"metadata": map[string]any{"labels": toAny(next.GetLabels())}}
	if withStatus {
		if st, ok := cur.Object["status"]; ok {
			from["status"] = st
		}
		to["status"] = next.Object["status"]
	}
	a, err := json.Marshal(from)
	if err != nil {
		return fail("patch", err)
	}
	b, err := json.Marshal(to)
	if err != nil {
		return fail("patch", err)
	}
	patch, err := jsonpatch.CreateMergePatch(a, b)
	if err != nil {
		return fail("patch", err)
	}
	var p map[string]any
	if err := json.Unmarshal(patch, &p); err != nil {
		return fail("patch", err)
	}
	md, _ := p["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	md["resourceVersion"] = cur.GetResourceVersion()
	p["metadata"] = md
	body, err := json.Marshal(p)
	if err != nil {
		return fail("patch", err)
	}
	if _, err := res.Patch(ctx, in.Name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		return fail("patch", err)
	}
	return nil
}

func toAny(m map[string]string) map[string]any {
	if len(m) == 0 {
		return map[string]any{}
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// jsonCopy returns a deep copy of in in the dynamic client's form (integers as int64, other
// numbers as float64); nil gives an empty map.
func jsonCopy(in map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if in == nil {
		return out, nil
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if err := utiljson.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// asStored returns status as the API server stores it for cur's kind: for kinds of client-go's
// scheme, through their Go type (so absent timestamps become null, as the server writes them);
// for others as given. It is used only to decide whether a write is needed.
func asStored(cur *unstructured.Unstructured, status map[string]any) map[string]any {
	typed, err := scheme.Scheme.New(cur.GroupVersionKind())
	if err != nil {
		return status
	}
	obj := map[string]any{"apiVersion": cur.GetAPIVersion(), "kind": cur.GetKind(), "status": runtime.DeepCopyJSON(status)}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, typed); err != nil {
		return status
	}
	back, err := runtime.DefaultUnstructuredConverter.ToUnstructured(typed)
	if err != nil {
		return status
	}
	st, _, _ := unstructured.NestedMap(back, "status")
	out, err := jsonCopy(st)
	if err != nil {
		return status
	}
	return out
}

// normalised returns m, or an empty map for nil.
func normalised(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
