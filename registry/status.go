package registry

import (
	"context"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// ConditionState is the state of one ManagedCluster condition: "True", "False" or "Unknown"
// (also used when the condition is absent).
type ConditionState = metav1.ConditionStatus

// Status is a WEC's registration state as the hub sees it. It is a plain value.
type Status struct {
	// Name is the WEC (ManagedCluster) name.
	Name string
	// Accepted is spec.hubAcceptsClient: the hub admin let the WEC in.
	Accepted bool
	// HubAccepted is the HubAcceptedManagedCluster condition, set by OCM's hub controller.
	HubAccepted ConditionState
	// Joined is the ManagedClusterJoined condition, set once the agent has its hub credential.
	Joined ConditionState
	// Available is the ManagedClusterConditionAvailable condition, kept by the agent's lease.
	Available ConditionState
	// Deleting reports that the ManagedCluster is being deleted.
	Deleting bool
}

// Ready reports whether the WEC is accepted, joined and available.
func (s Status) Ready() bool {
	return s.Accepted && s.Joined == metav1.ConditionTrue && s.Available == metav1.ConditionTrue
}

// String renders the status on one line.
func (s Status) String() string {
	return fmt.Sprintf("%s accepted=%t hubAccepted=%s joined=%s available=%s deleting=%t",
		s.Name, s.Accepted, s.HubAccepted, s.Joined, s.Available, s.Deleting)
}

// StatusOf computes the [Status] of a ManagedCluster. mc is only read; nil yields a zero Status.
func StatusOf(mc *clusterv1.ManagedCluster) Status {
	if mc == nil {
		return Status{}
	}
	cond := func(t string) ConditionState {
		if c := meta.FindStatusCondition(mc.Status.Conditions, t); c != nil {
			return c.Status
		}
		return metav1.ConditionUnknown
	}
	return Status{
		Name:        mc.Name,
		Accepted:    mc.Spec.HubAcceptsClient,
		HubAccepted: cond(clusterv1.ManagedClusterConditionHubAccepted),
		Joined:      cond(clusterv1.ManagedClusterConditionJoined),
		Available:   cond(clusterv1.ManagedClusterConditionAvailable),
		Deleting:    mc.DeletionTimestamp != nil,
	}
}

// GetStatus reads WEC wec's ManagedCluster and returns its [Status]. A missing WEC is an error
// for which apierrors.IsNotFound is true.
func GetStatus(ctx context.Context, ocm clusterclient.Interface, wec string) (Status, error) {
	mc, err := getCluster(ctx, ocm, wec)
	if err != nil {
		return Status{}, err
	}
	return StatusOf(mc), nil
}

// ListStatus returns the [Status] of every ManagedCluster matching selector (a label selector
// string; empty means all), sorted by name.
func ListStatus(ctx context.Context, ocm clusterclient.Interface, selector string) ([]Status, error) {
	list, err := ocm.ClusterV1().ManagedClusters().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list ManagedClusters: %w", err)
	}
	out := make([]Status, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, StatusOf(&list.Items[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
