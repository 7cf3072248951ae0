package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/wecforge/wecforge/customization"
)

// GetProperties returns WEC wec's properties ConfigMap from namespace
// [customization.PropertiesNamespace]. A missing ConfigMap is an error for which
// apierrors.IsNotFound is true. The result belongs to the caller.
func GetProperties(ctx context.Context, kube kubernetes.Interface, wec string) (*corev1.ConfigMap, error) {
	cm, err := kube.CoreV1().ConfigMaps(customization.PropertiesNamespace).Get(ctx, wec, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get properties of %s: %w", wec, err)
	}
	return cm, nil
}

// SetProperties makes WEC wec's properties exactly data (binaryData is cleared), creating the
// ConfigMap — and its namespace when missing — or replacing it, re-reading on conflict. data is
// copied. Safe for concurrent use; concurrent writers are last-writer-wins.
func SetProperties(ctx context.Context, kube kubernetes.Interface, wec string, data map[string]string) (*corev1.ConfigMap, error) {
	cms := kube.CoreV1().ConfigMaps(customization.PropertiesNamespace)
	var out *corev1.ConfigMap
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := cms.Get(ctx, wec, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			out, err = createProperties(ctx, kube, wec, data)
			if apierrors.IsAlreadyExists(err) {
				// Someone created it meanwhile: go round again and replace it.
				return apierrors.NewConflict(corev1.Resource("configmaps"), wec, err)
			}
			return err
		}
		if err != nil {
			return err
		}
		cm.Data = maps.Clone(data)
		cm.BinaryData = nil
		out, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("set properties of %s: %w", wec, err)
	}
	return out, nil
}

// UpdateProperties merges set into WEC wec's properties and removes the keys in remove, with one
// JSON merge patch (creating the ConfigMap, and its namespace, when missing). Other keys are
// kept. Neither argument is modified. Safe for concurrent use; concurrent writers to different
// keys do not lose each other's writes.
func UpdateProperties(ctx context.Context, kube kubernetes.Interface, wec string, set map[string]string, remove ...string) (*corev1.ConfigMap, error) {
	data := make(map[string]any, len(set)+len(remove))
	for _, k := range remove {
		data[k] = nil
	}
	for k, v := range set {
		data[k] = v
	}
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		return nil, fmt.Errorf("encode properties patch: %w", err)
	}
	cms := kube.CoreV1().ConfigMaps(customization.PropertiesNamespace)
	for range 3 {
		cm, err := cms.Patch(ctx, wec, types.MergePatchType, body, metav1.PatchOptions{})
		if !apierrors.IsNotFound(err) {
			if err != nil {
				return nil, fmt.Errorf("update properties of %s: %w", wec, err)
			}
			return cm, nil
		}
		cm, err = createProperties(ctx, kube, wec, set)
		if !apierrors.IsAlreadyExists(err) {
			if err != nil {
				return nil, fmt.Errorf("update properties of %s: %w", wec, err)
			}
			return cm, nil
		}
		// Created meanwhile by someone else: patch it.
	}
	return nil, fmt.Errorf("update properties of %s: %w", wec,
		apierrors.NewConflict(corev1.Resource("configmaps"), wec, fmt.Errorf("created and deleted concurrently")))
}

// DeleteProperties deletes WEC wec's properties ConfigMap; a missing one is not an error.
func DeleteProperties(ctx context.Context, kube kubernetes.Interface, wec string) error {
	err := kube.CoreV1().ConfigMaps(customization.PropertiesNamespace).Delete(ctx, wec, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete properties of %s: %w", wec, err)
	}
	return nil
}

// createProperties creates the ConfigMap, creating the namespace first when the API server says
// it is missing. Errors are returned unwrapped so callers can classify them.
func createProperties(ctx context.Context, kube kubernetes.Interface, wec string, data map[string]string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: wec, Namespace: customization.PropertiesNamespace},
		Data:       maps.Clone(data),
	}
	cms := kube.CoreV1().ConfigMaps(customization.PropertiesNamespace)
	out, err := cms.Create(ctx, cm, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		return out, err
	}
	if err := EnsurePropertiesNamespace(ctx, kube); err != nil {
		return nil, err
	}
	return cms.Create(ctx, cm, metav1.CreateOptions{})
}

// EnsurePropertiesNamespace creates namespace [customization.PropertiesNamespace] unless it
// exists. Safe for concurrent use.
func EnsurePropertiesNamespace(ctx context.Context, kube kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: customization.PropertiesNamespace}}
	_, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", customization.PropertiesNamespace, err)
	}
	return nil
}
