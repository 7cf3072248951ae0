package registry

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// ApproveReason is the reason [Accept] writes on the Approved condition of a CSR.
const ApproveReason = "WecforgeAccepted"

var (
	// ErrAmbiguous means more than one agent (requester and agent name) claims one WEC; Accept
	// approves nothing and leaves hubAcceptsClient alone. Name the requester and/or agent in
	// [AcceptOptions] to choose.
	ErrAmbiguous = errors.New("more than one agent claims the WEC")
	// ErrNoCSR means no acceptable CSR (pending or approved) exists for the WEC yet; retry once
	// the agent has made one.
	ErrNoCSR = errors.New("no acceptable CSR for the WEC")
)

// AcceptOptions narrows [Accept]. The zero value accepts the single agent that claims the WEC.
type AcceptOptions struct {
	// Requester, when set, is the only CSR requester (spec.username) considered.
	Requester string
	// Agent, when set, is the only agent name (the last field of the subject CN) considered.
	Agent string
	// ExtraBootstrapUsers are more user names trusted as bootstrap identities, e.g.
	// "system:serviceaccount:my-ns:my-bootstrap".
	ExtraBootstrapUsers []string
}

// AcceptResult says what [Accept] did. Names are sorted.
type AcceptResult struct {
	// Approved are the CSRs this call approved.
	Approved []string
	// AlreadyApproved are acceptable CSRs that were approved before this call.
	AlreadyApproved []string
	// Rejected maps each labelled CSR that was not approved to why (it is left untouched).
	Rejected map[string]string
	// Accepted reports that spec.hubAcceptsClient is true after the call.
	Accepted bool
}

// candidate is a labelled CSR that passed every check.
type candidate struct {
	csr   *certificatesv1.CertificateSigningRequest
	agent string
}

func (c candidate) claimant() string { return c.csr.Spec.Username + " agent " + c.agent }

// Accept lets WEC wec in: it lists the CSRs labelled open-cluster-management.io/cluster-name=wec,
// approves those that a bootstrap identity made for exactly that WEC (see the package
// documentation), skips CSRs already approved or denied, and then sets spec.hubAcceptsClient on
// the ManagedCluster. It is idempotent and retries on update conflicts. It returns an error
// wrapping [ErrAmbiguous] (nothing changed) when acceptable CSRs come from more than one
// requester/agent pair, and [ErrNoCSR] (nothing changed) when there is no acceptable CSR at
// all. A missing ManagedCluster is an error for which apierrors.IsNotFound is true, and then no
// CSR is approved. The result is filled as far as the call got. Safe for concurrent use.
func Accept(ctx context.Context, kube kubernetes.Interface, ocm clusterclient.Interface, wec string, opts AcceptOptions) (AcceptResult, error) {
	res := AcceptResult{Rejected: map[string]string{}}
	// No CSR is approved for a WEC that has no ManagedCluster yet.
	if _, err := getCluster(ctx, ocm, wec); err != nil {
		return res, err
	}
	list, err := kube.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{
		LabelSelector: clusterv1.ClusterNameLabelKey + "=" + wec,
	})
	if err != nil {
		return res, fmt.Errorf("list CSRs of WEC %s: %w", wec, err)
	}
	var pending, approved []candidate
	for i := range list.Items {
		csr := &list.Items[i]
		c, why := checkCSR(csr, wec, opts)
		switch {
		case why != "":
			res.Rejected[csr.Name] = why
		case isDenied(csr):
			res.Rejected[csr.Name] = "denied or failed before"
		case isApproved(csr):
			approved = append(approved, c)
		default:
			pending = append(pending, c)
		}
	}
	for _, c := range approved {
		res.AlreadyApproved = append(res.AlreadyApproved, c.csr.Name)
	}
	sort.Strings(res.AlreadyApproved)
	if len(pending) == 0 && len(approved) == 0 {
		return res, fmt.Errorf("%w %s (%d labelled CSRs rejected)", ErrNoCSR, wec, len(res.Rejected))
	}
	if len(pending) > 0 {
		claimants := map[string]bool{}
		for _, c := range slices.Concat(pending, approved) {
			claimants[c.claimant()] = true
		}
		if len(claimants) > 1 {
			names := make([]string, 0, len(claimants))
			for k := range claimants {
				names = append(names, k)
			}
			sort.Strings(names)
			return res, fmt.Errorf("%w %s: %s", ErrAmbiguous, wec, strings.Join(names, "; "))
		}
	}
	for _, c := range pending {
		did, err := approveCSR(ctx, kube, c.csr.Name, wec)
		if err != nil {
			return res, err
		}
		if did {
			res.Approved = append(res.Approved, c.csr.Name)
		} else {
			res.AlreadyApproved = append(res.AlreadyApproved, c.csr.Name)
		}
	}
	sort.Strings(res.Approved)
	sort.Strings(res.AlreadyApproved)
	if err := setHubAcceptsClient(ctx, ocm, wec, true); err != nil {
		return res, err
	}
	res.Accepted = true
	return res, nil
}

// checkCSR returns the candidate for csr, or why it must not be approved for wec.
func checkCSR(csr *certificatesv1.CertificateSigningRequest, wec string, opts AcceptOptions) (candidate, string) {
	if csr.Labels[clusterv1.ClusterNameLabelKey] != wec {
		return candidate{}, "label does not name the WEC"
	}
	if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName {
		return candidate{}, "signer " + csr.Spec.SignerName + " is not " + certificatesv1.KubeAPIServerClientSignerName
	}
	if !isBootstrapRequester(csr.Spec.Username, csr.Spec.Groups, opts.ExtraBootstrapUsers) {
		return candidate{}, "requester " + csr.Spec.Username + " is not a bootstrap identity"
	}
	if opts.Requester != "" && csr.Spec.Username != opts.Requester {
		return candidate{}, "requester " + csr.Spec.Username + " is not the one named by the caller"
	}
	agent, err := agentFromRequest(csr.Spec.Request, wec)
	if err != nil {
		return candidate{}, err.Error()
	}
	if opts.Agent != "" && agent != opts.Agent {
		return candidate{}, "agent " + agent + " is not the one named by the caller"
	}
	return candidate{csr: csr, agent: agent}, ""
}

const (
	// subjectPrefix starts every OCM agent identity.
	subjectPrefix = "system:open-cluster-management:"
	// ManagedClustersGroup is the optional organization every OCM agent certificate may carry.
	ManagedClustersGroup = "system:open-cluster-management:managed-clusters"
)

// agentFromRequest parses a PEM certificate request and returns the agent name when its subject
// is exactly CN=system:open-cluster-management:<wec>:<agent> with O=system:open-cluster-management:<wec>
// (and optionally [ManagedClustersGroup]); otherwise an error saying what is wrong.
func agentFromRequest(request []byte, wec string) (string, error) {
	block, _ := pem.Decode(request)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return "", errors.New("request is not a PEM CERTIFICATE REQUEST")
	}
	cr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", fmt.Errorf("request does not parse: %w", err)
	}
	if err := cr.CheckSignature(); err != nil {
		return "", fmt.Errorf("request signature: %w", err)
	}
	clusterOrg := subjectPrefix + wec
	agent, ok := strings.CutPrefix(cr.Subject.CommonName, clusterOrg+":")
	if !ok || agent == "" || strings.Contains(agent, ":") {
		return "", fmt.Errorf("subject CN %q is not %s:<agent>", cr.Subject.CommonName, clusterOrg)
	}
	hasClusterOrg := false
	for _, o := range cr.Subject.Organization {
		switch o {
		case clusterOrg:
			hasClusterOrg = true
		case ManagedClustersGroup:
		default:
			return "", fmt.Errorf("subject organization %q is not allowed", o)
		}
	}
	if !hasClusterOrg {
		return "", fmt.Errorf("subject organization lacks %s", clusterOrg)
	}
	if len(cr.DNSNames)+len(cr.IPAddresses)+len(cr.EmailAddresses)+len(cr.URIs) > 0 {
		return "", errors.New("request carries subject alternative names")
	}
	return agent, nil
}

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
	return slices.Contains(extra, user)
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

// approveCSR adds the Approved condition, re-reading on conflict. It reports false when the CSR
// turned out approved already, and refuses one that got denied meanwhile.
func approveCSR(ctx context.Context, kube kubernetes.Interface, name, wec string) (bool, error) {
	csrs := kube.CertificatesV1().CertificateSigningRequests()
	did := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		csr, err := csrs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if isApproved(csr) {
			did = false
			return nil
		}
		if isDenied(csr) {
			return fmt.Errorf("CSR %s was denied meanwhile", name)
		}
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type:           certificatesv1.CertificateApproved,
			Status:         corev1.ConditionTrue,
			Reason:         ApproveReason,
			Message:        "approved by wecforge for WEC " + wec,
			LastUpdateTime: metav1.Now(),
		})
		_, err = csrs.UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
		did = err == nil
		return err
	})
	if err != nil {
		return false, fmt.Errorf("approve CSR %s of WEC %s: %w", name, wec, err)
	}
	return did, nil
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
