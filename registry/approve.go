package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
)

const (
	// subjectPrefix starts every OCM agent identity.
	subjectPrefix = "system:open-cluster-management:"
	// ManagedClustersGroup is the optional organization every OCM agent certificate may carry.
	ManagedClustersGroup = "system:open-cluster-management:managed-clusters"
	// maxDecideAttempts bounds the update retries of one approval or denial.
	maxDecideAttempts = 5
)

// isBootstrapRequester reports whether a CSR requester is trusted to start a registration.
func isBootstrapRequester(user string, groups, extra []string) bool {
	switch user {
	case "system:serviceaccount:" + BootstrapNamespace + ":" + BootstrapServiceAccount,
		"system:serviceaccount:" + BootstrapNamespace + ":" + ClusteradmBootstrapServiceAccount:
		return true
	}
	if strings.HasPrefix(user, bootstrapTokenUserPrefix) && len(user) > len(bootstrapTokenUserPrefix) &&
		slices.Contains(groups, BootstrapTokenGroup) {
		return true
	}
	return user != "" && slices.Contains(extra, user)
}

func isApproved(csr *certificatesv1.CertificateSigningRequest) bool {
	return hasCondition(csr, certificatesv1.CertificateApproved)
}

func isDenied(csr *certificatesv1.CertificateSigningRequest) bool {
	return hasCondition(csr, certificatesv1.CertificateDenied) || hasCondition(csr, certificatesv1.CertificateFailed)
}

func hasCondition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == t && c.Status != corev1.ConditionFalse {
			return true
		}
	}
	return false
}

// decide adds the Approved or Denied condition to the candidate's CSR through the approval
// subresource. The update carries the UID and resourceVersion of the object last read, so the
// API server refuses it for any other object of that name. After a conflict the CSR is read
// again and must keep the listed UID and claim and still pass [CheckCSR]. It reports false
// when the CSR already carries the condition, and refuses to approve one denied meanwhile.
func decide(ctx context.Context, kube kubernetes.Interface, c candidate, wec string, policy CSRPolicy, t certificatesv1.RequestConditionType) (bool, error) {
	csrs := kube.CertificatesV1().CertificateSigningRequests()
	name := c.csr.Name
	verb, reason, msg := "approve", ApproveReason, "approved by wecforge for WEC "+wec
	if t == certificatesv1.CertificateDenied {
		verb, reason, msg = "deny", DenyReason, "denied by wecforge: another claim on WEC "+wec+" was chosen"
	}
	cur := c.csr.DeepCopy()
	for range maxDecideAttempts {
		switch {
		case hasCondition(cur, t):
			return false, nil
		case isDenied(cur):
			return false, &CSRError{CSR: name, UID: cur.UID, WEC: wec, Field: "status.conditions", Reason: ErrCSRDenied, Detail: "denied meanwhile"}
		case isApproved(cur):
			return false, nil // approved meanwhile: nothing to deny
		}
		cur.Status.Conditions = append(cur.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type:           t,
			Status:         corev1.ConditionTrue,
			Reason:         reason,
			Message:        msg,
			LastUpdateTime: metav1.Now(),
		})
		_, err := csrs.UpdateApproval(ctx, name, cur, metav1.UpdateOptions{})
		if err == nil {
			return true, nil
		}
		if !apierrors.IsConflict(err) {
			return false, fmt.Errorf("%s CSR %s of WEC %s: %w", verb, name, wec, err)
		}
		fresh, err := csrs.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, &CSRError{CSR: name, UID: c.claim.UID, WEC: wec, Field: "metadata.uid", Reason: ErrCSRReplaced, Detail: "deleted before " + verb + "al", Err: err}
		}
		if err != nil {
			return false, fmt.Errorf("%s CSR %s of WEC %s: re-read: %w", verb, name, wec, err)
		}
		if fresh.UID != c.claim.UID {
			return false, &CSRError{CSR: name, UID: c.claim.UID, WEC: wec, Field: "metadata.uid", Reason: ErrCSRReplaced,
				Detail: fmt.Sprintf("listed uid %s, now %s", c.claim.UID, fresh.UID)}
		}
		claim, err := CheckCSR(fresh, wec, policy)
		if err != nil {
			return false, err
		}
		if claim != c.claim {
			return false, &CSRError{CSR: name, UID: c.claim.UID, WEC: wec, Field: "spec", Reason: ErrCSRReplaced, Detail: "claim changed: " + claim.String()}
		}
		cur = fresh
	}
	return false, fmt.Errorf("%s CSR %s of WEC %s: still conflicting after %d attempts", verb, name, wec, maxDecideAttempts)
}

// setHubAcceptsClient writes spec.hubAcceptsClient, re-reading on conflict; no write when it
// already has the value.
func setHubAcceptsClient(ctx context.Context, ocm clusterclient.Interface, wec string, accept bool) error {
	mcs := ocm.ClusterV1().ManagedClusters()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		mc, err := mcs.Get(ctx, wec, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if mc.Spec.HubAcceptsClient == accept {
			return nil
		}
		mc.Spec.HubAcceptsClient = accept
		_, err = mcs.Update(ctx, mc, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("set hubAcceptsClient=%t on ManagedCluster %s: %w", accept, wec, err)
	}
	return nil
}
