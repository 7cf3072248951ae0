package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
)

// ErrInvalidLabel means a label key or value would be rejected by the API server.
var ErrInvalidLabel = errors.New("invalid label")

// Label sets labels on WEC wec's ManagedCluster with one JSON merge patch: keys present are
// replaced, others are kept. labels is not modified. An empty map is a no-op. Labels are
// validated before anything is sent. Safe for concurrent use.
func Label(ctx context.Context, ocm clusterclient.Interface, wec string, labels map[string]string) (*clusterv1.ManagedCluster, error) {
	if len(labels) == 0 {
		return getCluster(ctx, ocm, wec)
	}
	var errs []error
	patch := make(map[string]any, len(labels))
	for k, v := range labels {
		errs = append(errs, validateLabelKey(k))
		if msgs := validation.IsValidLabelValue(v); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%w: value %q of %q: %s", ErrInvalidLabel, v, k, strings.Join(msgs, "; ")))
		}
		patch[k] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return patchLabels(ctx, ocm, wec, patch)
}

// Unlabel removes label keys from WEC wec's ManagedCluster with one JSON merge patch; keys that
// are absent are ignored. No keys is a no-op. Safe for concurrent use.
func Unlabel(ctx context.Context, ocm clusterclient.Interface, wec string, keys ...string) (*clusterv1.ManagedCluster, error) {
	if len(keys) == 0 {
		return getCluster(ctx, ocm, wec)
	}
	var errs []error
	patch := make(map[string]any, len(keys))
	for _, k := range keys {
		errs = append(errs, validateLabelKey(k))
		patch[k] = nil
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return patchLabels(ctx, ocm, wec, patch)
}

func validateLabelKey(k string) error {
	if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
		return fmt.Errorf("%w: key %q: %s", ErrInvalidLabel, k, strings.Join(msgs, "; "))
	}
	return nil
}

func patchLabels(ctx context.Context, ocm clusterclient.Interface, wec string, labels map[string]any) (*clusterv1.ManagedCluster, error) {
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels}})
	if err != nil {
		return nil, fmt.Errorf("encode label patch: %w", err)
	}
	mc, err := ocm.ClusterV1().ManagedClusters().Patch(ctx, wec, types.MergePatchType, body, metav1.PatchOptions{})
	if err != nil {
		return nil, fmt.Errorf("patch labels of ManagedCluster %s: %w", wec, err)
	}
	return mc, nil
}

func getCluster(ctx context.Context, ocm clusterclient.Interface, wec string) (*clusterv1.ManagedCluster, error) {
	mc, err := ocm.ClusterV1().ManagedClusters().Get(ctx, wec, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("get ManagedCluster %s: %w", wec, err)
	}
	return mc, nil
}

// DeregisterOptions tunes [Deregister]. The zero value deletes the ManagedCluster and the
// properties ConfigMap.
type DeregisterOptions struct {
	// KeepProperties leaves the WEC's properties ConfigMap in place.
	KeepProperties bool
}

// Deregister removes WEC wec from the hub: it withdraws acceptance (spec.hubAcceptsClient
// false, so OCM's hub controller stops trusting the agent), deletes the ManagedCluster and,
// unless told otherwise, its properties ConfigMap. Objects already gone are not an error, so it
// is idempotent. OCM's hub controller, where it runs, finishes the cleanup through the
// ManagedCluster's finalizers. Safe for concurrent use.
func Deregister(ctx context.Context, kube kubernetes.Interface, ocm clusterclient.Interface, wec string, opts DeregisterOptions) error {
	if err := setHubAcceptsClient(ctx, ocm, wec, false); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	err := ocm.ClusterV1().ManagedClusters().Delete(ctx, wec, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete ManagedCluster %s: %w", wec, err)
	}
	if opts.KeepProperties {
		return nil
	}
	err = kube.CoreV1().ConfigMaps(customization.PropertiesNamespace).Delete(ctx, wec, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete properties ConfigMap of %s: %w", wec, err)
	}
	return nil
}
