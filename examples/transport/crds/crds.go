package crds

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

//go:embed *.yaml
var files embed.FS

// The label [Install] puts on the CRDs it creates; only CRDs carrying it are ever updated.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "wecforge-transport"
)

// Resource is the API resource of CustomResourceDefinitions.
var Resource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// All returns the embedded CRDs, in file name order, each a fresh copy the caller owns.
func All() ([]*unstructured.Unstructured, error) {
	names, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]*unstructured.Unstructured, 0, len(names))
	for _, n := range names {
		raw, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(raw, &u.Object); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if u.GetKind() != "CustomResourceDefinition" || u.GetName() == "" {
			return nil, fmt.Errorf("%s: not a named CustomResourceDefinition", n)
		}
		out = append(out, u)
	}
	return out, nil
}

// Result says what [Install] did, by CRD name.
type Result struct {
	Created, Updated, Unchanged []string
	// NotOurs are CRDs that exist without [ManagedByLabel]: never modified.
	NotOurs []string
}

// Install creates every embedded CRD missing on the API server client reaches, with
// [ManagedByLabel], and updates the spec of those carrying the label when it differs. A CRD of
// the same name without the label is left alone and listed in Result.NotOurs. The error joins
// one error per CRD that could not be read or written, each naming it.
func Install(ctx context.Context, client dynamic.Interface) (Result, error) {
	all, err := All()
	if err != nil {
		return Result{}, err
	}
	var res Result
	var errs []error
	api := client.Resource(Resource)
	for _, want := range all {
		name := want.GetName()
		labels := want.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[ManagedByLabel] = ManagedByValue
		want.SetLabels(labels)
		cur, err := api.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			if _, err := api.Create(ctx, want, metav1.CreateOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("create CRD %s: %w", name, err))
				continue
			}
			res.Created = append(res.Created, name)
		case err != nil:
			errs = append(errs, fmt.Errorf("read CRD %s: %w", name, err))
		case cur.GetLabels()[ManagedByLabel] != ManagedByValue:
			res.NotOurs = append(res.NotOurs, name)
		case equality.Semantic.DeepEqual(cur.Object["spec"], want.Object["spec"]):
			res.Unchanged = append(res.Unchanged, name)
		default:
			next := cur.DeepCopy()
			next.Object["spec"] = want.Object["spec"]
			if _, err := api.Update(ctx, next, metav1.UpdateOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("update CRD %s: %w", name, err))
				continue
			}
			res.Updated = append(res.Updated, name)
		}
	}
	return res, errors.Join(errs...)
}
