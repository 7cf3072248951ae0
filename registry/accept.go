package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/go-logr/logr"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

var (
	// ErrAmbiguous means more than one claim (requester, agent name and key) competes for one
	// WEC; Accept approves nothing and leaves hubAcceptsClient alone. The error is an
	// [*AmbiguousError] listing the claims; name the CSR, requester or agent in [AcceptOptions]
	// to choose, optionally with DenyOthers.
	ErrAmbiguous = errors.New("more than one agent claims the WEC")
	// ErrNoCSR means no acceptable CSR (pending or approved) exists for the WEC yet; retry once
	// the agent has made one.
	ErrNoCSR = errors.New("no acceptable CSR for the WEC")
)

// AmbiguousError lists the competing claims for one WEC. It matches [ErrAmbiguous].
type AmbiguousError struct {
	WEC string
	// Claims are the competing CSRs, sorted by CSR name.
	Claims []Claim
}

// Error names the WEC and every claim.
func (e *AmbiguousError) Error() string {
	parts := make([]string, len(e.Claims))
	for i, c := range e.Claims {
		parts[i] = c.String()
	}
	return fmt.Sprintf("%v %s: %s; name one CSR, requester or agent to choose", ErrAmbiguous, e.WEC, strings.Join(parts, "; "))
}

// Is reports whether target is [ErrAmbiguous].
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

// AcceptOptions narrows [Accept]. The zero value accepts the single claim on the WEC under the
// default [CSRPolicy].
type AcceptOptions struct {
	// CSRPolicy says which CSRs are acceptable at all.
	CSRPolicy
	// CSR, when set, is the only CSR (by name) considered.
	CSR string
	// Requester, when set, is the only CSR requester (spec.username) considered.
	Requester string
	// Agent, when set, is the only agent name (the last field of the subject CN) considered.
	Agent string
	// DenyOthers, when the choice leaves a single claim, denies the pending CSRs that are
	// acceptable but were not chosen (the competing claims), so that nobody approves them
	// later. CSRs rejected for any other reason are left untouched.
	DenyOthers bool
}

// AcceptResult says what [Accept] did. Names are sorted.
type AcceptResult struct {
	// Approved are the CSRs this call approved.
	Approved []string
	// AlreadyApproved are acceptable CSRs that were approved before this call.
	AlreadyApproved []string
	// Denied are the competing CSRs this call denied (with DenyOthers).
	Denied []string
	// Rejected maps each labelled CSR that was not approved to why: a [*CSRError].
	Rejected map[string]error
	// Accepted reports that spec.hubAcceptsClient is true after the call.
	Accepted bool
}

// ApproveReason and DenyReason are the reasons [Accept] writes on the conditions it adds.
const (
	ApproveReason = "WecforgeAccepted"
	DenyReason    = "WecforgeCompetingClaim"
)

// candidate is a labelled CSR that passed every check, as listed.
type candidate struct {
	csr   *certificatesv1.CertificateSigningRequest
	claim Claim
}

// claimant is what must be unique among the candidates: one requester, one agent, one key.
func (c candidate) claimant() string {
	return c.claim.Requester + "\x00" + c.claim.Agent + "\x00" + c.claim.KeyFingerprint
}

// Accept lets WEC wec in: it lists the CSRs labelled open-cluster-management.io/cluster-name=wec,
// approves those that pass [CheckCSR] under opts.CSRPolicy and the caller's choice (CSR,
// Requester, Agent), and then sets spec.hubAcceptsClient on the ManagedCluster. CSRs already
// denied or failed are never approved. It is idempotent and retries on update conflicts; each
// approval is an update of the approval subresource that carries the UID and resourceVersion
// as listed, and after a conflict the re-read CSR must have the same UID and pass the checks
// again, so a CSR deleted and re-created under the same name between list and approval is not
// approved ([ErrCSRReplaced]).
//
// Every acceptable CSR, approved or pending, is a claim of one requester, agent name and key;
// when pending CSRs exist and the claims are not all the same, Accept returns an
// [*AmbiguousError] (matching [ErrAmbiguous]) and changes nothing: one key per agent name, one
// agent per WEC. It returns an error wrapping [ErrNoCSR] (nothing changed) when there is no
// acceptable CSR at all. A missing ManagedCluster is an error for which apierrors.IsNotFound is
// true, and then no CSR is approved. The result is filled as far as the call got.
//
// Accept logs through the logr.Logger in ctx (logr.FromContextOrDiscard): approvals, denials
// and acceptance at level 0, rejected CSRs at level 1. Safe for concurrent use.
func Accept(ctx context.Context, kube kubernetes.Interface, ocm clusterclient.Interface, wec string, opts AcceptOptions) (AcceptResult, error) {
	log := logr.FromContextOrDiscard(ctx).WithName("accept").WithValues("wec", wec)
	res := AcceptResult{Rejected: map[string]error{}}
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
	var pending, approved, others []candidate
	for i := range list.Items {
		csr := &list.Items[i]
		claim, err := CheckCSR(csr, wec, opts.CSRPolicy)
		switch {
		case err != nil:
			res.Rejected[csr.Name] = err
		case isDenied(csr):
			res.Rejected[csr.Name] = &CSRError{CSR: csr.Name, UID: csr.UID, WEC: wec, Field: "status.conditions", Reason: ErrCSRDenied}
		case !opts.chooses(claim):
			res.Rejected[csr.Name] = &CSRError{CSR: csr.Name, UID: csr.UID, WEC: wec, Field: "spec", Reason: ErrCSRNotChosen,
				Detail: "requester " + claim.Requester + ", agent " + claim.Agent}
			if !isApproved(csr) {
				others = append(others, candidate{csr: csr, claim: claim})
			}
		case isApproved(csr):
			approved = append(approved, candidate{csr: csr, claim: claim})
		default:
			pending = append(pending, candidate{csr: csr, claim: claim})
		}
	}
	for name, why := range res.Rejected {
		log.V(1).Info("CSR not approved", "csr", name, "reason", why.Error())
	}
	for _, c := range approved {
		res.AlreadyApproved = append(res.AlreadyApproved, c.csr.Name)
	}
	sort.Strings(res.AlreadyApproved)
	if len(pending) == 0 && len(approved) == 0 {
		return res, fmt.Errorf("%w %s (%d labelled CSRs rejected)", ErrNoCSR, wec, len(res.Rejected))
	}
	if len(pending) > 0 {
		if amb := ambiguity(wec, slices.Concat(pending, approved)); amb != nil {
			log.Info("competing claims, nothing approved", "claims", len(amb.Claims))
			return res, amb
		}
	}
	if opts.DenyOthers {
		for _, c := range others {
			did, err := decide(ctx, kube, c, wec, opts.CSRPolicy, certificatesv1.CertificateDenied)
			if err != nil {
				return res, err
			}
			if did {
				log.Info("denied competing CSR", "csr", c.csr.Name, "requester", c.claim.Requester, "agent", c.claim.Agent)
				res.Denied = append(res.Denied, c.csr.Name)
			}
		}
		sort.Strings(res.Denied)
	}
	for _, c := range pending {
		did, err := decide(ctx, kube, c, wec, opts.CSRPolicy, certificatesv1.CertificateApproved)
		if err != nil {
			return res, err
		}
		if did {
			log.Info("approved CSR", "csr", c.csr.Name, "requester", c.claim.Requester, "agent", c.claim.Agent, "key", c.claim.KeyFingerprint)
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
	log.Info("accepted", "approved", res.Approved)
	res.Accepted = true
	return res, nil
}

// chooses reports whether the caller's choice (CSR, Requester, Agent) admits claim.
func (o AcceptOptions) chooses(c Claim) bool {
	return (o.CSR == "" || c.CSR == o.CSR) &&
		(o.Requester == "" || c.Requester == o.Requester) &&
		(o.Agent == "" || c.Agent == o.Agent)
}

// ambiguity returns the competing claims when cands hold more than one claimant, else nil.
func ambiguity(wec string, cands []candidate) *AmbiguousError {
	claimants := map[string]bool{}
	for _, c := range cands {
		claimants[c.claimant()] = true
	}
	if len(claimants) < 2 {
		return nil
	}
	claims := make([]Claim, len(cands))
	for i, c := range cands {
		claims[i] = c.claim
	}
	sort.Slice(claims, func(i, j int) bool { return claims[i].CSR < claims[j].CSR })
	return &AmbiguousError{WEC: wec, Claims: claims}
}
