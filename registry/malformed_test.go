package registry_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	certclientv1 "k8s.io/client-go/kubernetes/typed/certificates/v1"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// serverRefuses are the cases the API server itself rejects at creation, with how it refuses
// them: malformed requests are Invalid, and the kube-apiserver-client signer is Forbidden for
// the system:masters group. Every other case is created and must meet Accept's verdict.
var serverRefuses = map[string]func(error) bool{
	"junk PEM":                         apierrors.IsInvalid,
	"not PEM at all":                   apierrors.IsInvalid,
	"PEM block of another type":        apierrors.IsInvalid,
	"tampered signature":               apierrors.IsInvalid,
	"organization system:masters only": apierrors.IsForbidden,
}

// TestAcceptMalformed creates every CSR of the shared table on the real API server as the
// bootstrap identity, each for a WEC of its own, and runs Accept (as the accepting role): the
// acceptable ones are approved and their WEC accepted; every other one is left pending with
// the reason asserted, and its WEC is not accepted.
func TestAcceptMalformed(t *testing.T) {
	installRBAC(t)
	accepting := as(t, registry.RoleAccepting)
	agent := newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, agentsim.BootstrapSA))
	for i, tc := range csrCases(t, "mal") {
		if tc.edit != nil {
			continue // requester and label cases: TestAcceptSecurity makes them for real
		}
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			wec := fmt.Sprintf("mal-%d", i)
			req := retarget(t, tc.req, "mal", wec)
			name, err := agentsim.Register(ctx, agent.kube, agent.ocm, req)
			if refused, ok := serverRefuses[tc.name]; ok {
				require.True(t, refused(err), "the API server must refuse it, got %v", err)
				require.NotNil(t, tc.want)
				return
			}
			require.NoError(t, err)
			res, err := registry.Accept(ctx, accepting.kube, accepting.ocm, wec, registry.AcceptOptions{CSRPolicy: tc.policy})
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, []string{name}, res.Approved)
				assert.True(t, res.Accepted)
				assertApproved(t, accepting, name, true)
				return
			}
			require.ErrorIs(t, err, registry.ErrNoCSR)
			require.ErrorIs(t, res.Rejected[name], tc.want)
			assert.False(t, res.Accepted)
			assertApproved(t, accepting, name, false)
			st, err := registry.GetStatus(ctx, admin(t).ocm, wec)
			require.NoError(t, err)
			assert.False(t, st.Accepted)
		})
	}
}

// retarget moves a table request from WEC from to WEC to: the cluster name, and whatever names
// the subject after it.
func retarget(t *testing.T, r agentsim.Request, from, to string) agentsim.Request {
	t.Helper()
	r.Cluster = to
	if r.CommonName != "" {
		r.CommonName = agentsim.SubjectPrefix + to + "x:a1"
	}
	for i, o := range r.Organization {
		if o == agentsim.SubjectPrefix+from {
			r.Organization = append([]string(nil), r.Organization...)
			r.Organization[i] = agentsim.SubjectPrefix + to
		}
	}
	// Raw requests fail to parse before their subject is looked at: no renaming needed.
	return r
}

// swapKube is a kubernetes.Interface whose first CSR approval runs before() first: the test
// deletes and re-creates the CSR there, between Accept's list and its approval.
type swapKube struct {
	kubernetes.Interface
	before func(ctx context.Context, name string)
	once   *sync.Once
}

func (s swapKube) CertificatesV1() certclientv1.CertificatesV1Interface {
	return swapCerts{CertificatesV1Interface: s.Interface.CertificatesV1(), s: s}
}

type swapCerts struct {
	certclientv1.CertificatesV1Interface
	s swapKube
}

func (c swapCerts) CertificateSigningRequests() certclientv1.CertificateSigningRequestInterface {
	return swapCSRs{CertificateSigningRequestInterface: c.CertificatesV1Interface.CertificateSigningRequests(), s: c.s}
}

type swapCSRs struct {
	certclientv1.CertificateSigningRequestInterface
	s swapKube
}

func (c swapCSRs) UpdateApproval(ctx context.Context, name string, csr *certificatesv1.CertificateSigningRequest, opts metav1.UpdateOptions) (*certificatesv1.CertificateSigningRequest, error) {
	c.s.once.Do(func() { c.s.before(ctx, name) })
	return c.CertificateSigningRequestInterface.UpdateApproval(ctx, name, csr, opts)
}

// TestAcceptUIDSwap replaces the listed CSR, between Accept's list and its approval, by another
// of the same name made by the same bootstrap identity: once with a different key for the same
// agent (acceptable on its own), once asking for kubeadm:cluster-admins. Accept must refuse
// with ErrCSRReplaced and approve neither.
func TestAcceptUIDSwap(t *testing.T) {
	installRBAC(t)
	hub := admin(t)
	accepting := as(t, registry.RoleAccepting)
	agent := newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, agentsim.BootstrapSA))
	for _, tc := range []struct {
		name string
		swap agentsim.Request
	}{
		{"same agent, another key", agentsim.Request{Agent: "a1"}},
		{"cluster-admins", agentsim.Request{Agent: "a1", Organization: []string{"kubeadm:cluster-admins"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			wec := fmt.Sprintf("swap-%d", len(tc.name))
			name, err := agentsim.Register(ctx, agent.kube, agent.ocm, agentsim.Request{Cluster: wec, Agent: "a1"})
			require.NoError(t, err)
			var replacement *certificatesv1.CertificateSigningRequest
			kube := swapKube{Interface: accepting.kube, once: &sync.Once{}, before: func(ctx context.Context, name string) {
				csrs := hub.kube.CertificatesV1().CertificateSigningRequests()
				require.NoError(t, csrs.Delete(ctx, name, metav1.DeleteOptions{}))
				r := tc.swap
				r.Cluster = wec
				csr, err := agentsim.NewCSR(r)
				require.NoError(t, err)
				csr.GenerateName, csr.Name = "", name
				replacement, err = agent.kube.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
				require.NoError(t, err)
			}}
			res, err := registry.Accept(ctx, kube, accepting.ocm, wec, registry.AcceptOptions{})
			require.ErrorIs(t, err, registry.ErrCSRReplaced)
			require.ErrorIs(t, err, registry.ErrCSRRejected)
			require.NotNil(t, replacement)
			assert.Empty(t, res.Approved)
			assert.False(t, res.Accepted)
			assertApproved(t, hub, name, false)
			got, err := hub.kube.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, replacement.UID, got.UID)
			st, err := registry.GetStatus(ctx, hub.ocm, wec)
			require.NoError(t, err)
			assert.False(t, st.Accepted)
		})
	}
}
