package kubeplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// crdResource is the API resource of CustomResourceDefinitions.
var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// maxDocuments bounds the documents read from one CRD file.
const maxDocuments = 1000

// ReadCRDs reads the CustomResourceDefinitions (apiextensions.k8s.io/v1) in files, YAML or JSON,
// one or more documents each; other documents are ignored. A file without any CRD is an error,
// so that a wrong path is not silently an empty install.
func ReadCRDs(files []string) ([]*unstructured.Unstructured, error) {
	var crds []*unstructured.Unstructured
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		found := 0
		for range maxDocuments {
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			u := &unstructured.Unstructured{Object: obj}
			if obj == nil || u.GetAPIVersion() != "apiextensions.k8s.io/v1" || u.GetKind() != "CustomResourceDefinition" {
				continue
			}
			crds = append(crds, u)
			found++
		}
		if found == 0 {
			return nil, fmt.Errorf("%s: no apiextensions.k8s.io/v1 CustomResourceDefinition", file)
		}
	}
	return crds, nil
}

// InstallCRDs creates the CRDs in files (see [ReadCRDs]; existing ones are left as they are)
// and waits, up to timeout, until each is Established and its resource is served by discovery.
func (cp *Plane) InstallCRDs(ctx context.Context, files []string, timeout time.Duration) error {
	crds, err := ReadCRDs(files)
	if err != nil {
		return fmt.Errorf("install CRDs on %s: %w", cp.Name, err)
	}
	dyn, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	client := dyn.Resource(crdResource)
	for _, crd := range crds {
		if _, err := client.Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install CRD %s on %s: %w", crd.GetName(), cp.Name, err)
		}
	}
	for _, crd := range crds {
		name := crd.GetName()
		err := Poll(ctx, "CRD "+name+" established on "+cp.Name, timeout, 100*time.Millisecond, func(ctx context.Context) (bool, error) {
			got, err := client.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !established(got) {
				return false, nil
			}
			return cp.served(got)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// established reports whether a CRD has the condition Established=True.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// served reports whether discovery lists the CRD's plural in every served version.
func (cp *Plane) served(crd *unstructured.Unstructured) (bool, error) {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		m, ok := v.(map[string]any)
		if !ok || m["served"] != true {
			continue
		}
		version, _ := m["name"].(string)
		list, err := cp.Kube.Discovery().ServerResourcesForGroupVersion(group + "/" + version)
		if err != nil {
			return false, err
		}
		if !slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == plural }) {
			return false, nil
		}
	}
	return true, nil
}
