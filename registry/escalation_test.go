package registry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// escalationCSR is the certificate the chain is after: a client certificate in the group
// kubeadm:cluster-admins, which kubeadm binds to cluster-admin.
func escalationCSR(t *testing.T) *certificatesv1.CertificateSigningRequest {
	csr, err := agentsim.NewCSR(agentsim.Request{Cluster: "escalation", CommonName: "mallory", Organization: []string{"kubeadm:cluster-admins"}})
	require.NoError(t, err)
	return csr
}

// approveDirectly adds the Approved condition through the approval subresource, as anyone with
// the right would, bypassing Accept's checks.
func approveDirectly(ctx context.Context, kube kubernetes.Interface, csr *certificatesv1.CertificateSigningRequest) error {
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Escalation",
	})
	_, err := kube.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
	return err
}

// TestEscalationChain runs the chain that the old single registry identity could complete —
// (1) mint a bootstrap token, (2) create a CSR for kubeadm:cluster-admins with it, (3) approve
// that CSR — step by step under each split role, and asserts where it stops. A step that
// fails leaves the next one to the role's own identity, so every step is tried.
func TestEscalationChain(t *testing.T) {
	installRBAC(t)
	hub := admin(t)
	cases := []struct {
		role registry.Role
		// forbidden are the steps (1, 2, 3) the role must be refused.
		forbidden []int
	}{
		// Joining mints the token and, as the bootstrap identity, creates the CSR; it cannot approve.
		{registry.RoleJoining, []int{3}},
		// Accepting can approve, but neither mints a token nor creates a CSR itself.
		{registry.RoleAccepting, []int{1, 2}},
		// Operating does none of the three.
		{registry.RoleOperating, []int{1, 2, 3}},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			ctx := testContext(t)
			self := as(t, tc.role)
			var got []int
			step := func(n int, err error) bool {
				if err == nil {
					return true
				}
				require.True(t, apierrors.IsForbidden(err), "step %d: want Forbidden, got %v", n, err)
				got = append(got, n)
				return false
			}

			// (1) A token for the bootstrap ServiceAccount.
			tok, err := registry.BootstrapToken(ctx, self.kube, registry.TokenOptions{})
			creator := self.kube
			if step(1, err) {
				cfg := rest.AnonymousClientConfig(adminConfig)
				cfg.BearerToken = tok.Value
				creator = newClients(t, cfg).kube
			}
			// (2) The CSR, as the bootstrap identity when (1) worked, else as the role itself.
			csr, err := creator.CertificatesV1().CertificateSigningRequests().Create(ctx, escalationCSR(t), metav1.CreateOptions{})
			if !step(2, err) {
				// Someone else made it (the chain's attacker): can this role approve it?
				csr, err = hub.kube.CertificatesV1().CertificateSigningRequests().Create(ctx, escalationCSR(t), metav1.CreateOptions{})
				require.NoError(t, err)
			}
			// (3) The approval.
			err = approveDirectly(ctx, self.kube, csr)
			if step(3, err) {
				// The role may approve CSRs at all, but Accept itself would never approve this one.
				_, cerr := registry.CheckCSR(csr, "escalation", registry.CSRPolicy{})
				require.ErrorIs(t, cerr, registry.ErrCSRRejected)
			}
			t.Cleanup(func() {
				_ = hub.kube.CertificatesV1().CertificateSigningRequests().Delete(context.Background(), csr.Name, metav1.DeleteOptions{})
			})
			assert.Equal(t, tc.forbidden, got, "steps refused to %s", tc.role)
			assert.NotEmpty(t, got, "the whole chain ran under %s", tc.role)
		})
	}
}
