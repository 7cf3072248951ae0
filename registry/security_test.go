package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// identity is who plays the agent in a case.
type identity func(t *testing.T) clients

func bootstrapSA(name string) identity {
	return func(t *testing.T) clients {
		return newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, name))
	}
}

func user(name string, groups ...string) identity {
	return func(t *testing.T) clients {
		return newClients(t, agentsim.Impersonate(adminConfig, name, append(groups, "system:authenticated")...))
	}
}

// attempt is one CSR an identity makes during a case.
type attempt struct {
	as      identity
	req     agentsim.Request
	approve bool // whether the CSR must end up approved
	deny    bool // whether the CSR must end up denied
}

// TestAcceptSecurity registers CSRs as various identities and checks which ones Accept approves;
// every case asserts every CSR's conditions afterwards, and whether the WEC got accepted.
func TestAcceptSecurity(t *testing.T) {
	hub := admin(t)
	good := func(wec, agent string) agentsim.Request { return agentsim.Request{Cluster: wec, Agent: agent} }
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	keyed := func(wec, agent string) agentsim.Request {
		return agentsim.Request{Cluster: wec, Agent: agent, Key: key}
	}
	cases := []struct {
		name     string
		wec      string
		attempts []attempt
		opts     registry.AcceptOptions
		wantErr  error
		accepted bool
	}{{
		name:     "the OCM bootstrap ServiceAccount is trusted",
		wec:      "sec-ok-sa",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-ok-sa", "a1"), approve: true}},
		accepted: true,
	}, {
		name:     "clusteradm's bootstrap ServiceAccount is trusted",
		wec:      "sec-ok-clusteradm",
		attempts: []attempt{{as: bootstrapSA(agentsim.ClusteradmSA), req: good("sec-ok-clusteradm", "a1"), approve: true}},
		accepted: true,
	}, {
		name: "a bootstrap token user in the managed-cluster group is trusted",
		wec:  "sec-ok-token",
		attempts: []attempt{{as: user("system:bootstrap:abc123", "system:bootstrappers", agentsim.BootstrapTokenGroup),
			req: good("sec-ok-token", "a1"), approve: true}},
		accepted: true,
	}, {
		name:     "a non-bootstrap requester is refused",
		wec:      "sec-mallory",
		attempts: []attempt{{as: user("mallory", "system:masters"), req: good("sec-mallory", "a1")}},
		wantErr:  registry.ErrNoCSR,
	}, {
		name:     "a bootstrap token user outside the managed-cluster group is refused",
		wec:      "sec-token-nogroup",
		attempts: []attempt{{as: user("system:bootstrap:abc123", "system:masters"), req: good("sec-token-nogroup", "a1")}},
		wantErr:  registry.ErrNoCSR,
	}, {
		name: "a CN for another cluster is refused",
		wec:  "sec-cn",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-cn", Agent: "a1",
			CommonName: agentsim.SubjectPrefix + "victim:a1"}}},
		wantErr: registry.ErrNoCSR,
	}, {
		name: "an organization for another cluster is refused",
		wec:  "sec-org",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-org", Agent: "a1",
			Organization: []string{agentsim.SubjectPrefix + "victim"}}}},
		wantErr: registry.ErrNoCSR,
	}, {
		name: "an extra organization is refused",
		wec:  "sec-masters",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-masters", Agent: "a1",
			Organization: []string{agentsim.SubjectPrefix + "sec-masters", "cluster-admins"}}}},
		wantErr: registry.ErrNoCSR,
	}, {
		name: "a CSR without the cluster-name label is never considered",
		wec:  "sec-nolabel",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-nolabel", Agent: "a1",
			Labels: map[string]string{}}}},
		wantErr: registry.ErrNoCSR,
	}, {
		name: "a label naming another cluster than the subject is refused",
		wec:  "sec-relabel",
		attempts: []attempt{{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-other", Agent: "a1",
			Labels: map[string]string{clusterv1.ClusterNameLabelKey: "sec-relabel"}}},
			{as: bootstrapSA(agentsim.BootstrapSA), req: agentsim.Request{Cluster: "sec-relabel",
				CommonName: agentsim.SubjectPrefix + "sec-relabel:a1", Organization: []string{agentsim.SubjectPrefix + "sec-other"}}}},
		wantErr: registry.ErrNoCSR,
	}, {
		name: "two agents for one name are refused",
		wec:  "sec-two",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two", "a1")},
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two", "a2")},
		},
		wantErr: registry.ErrAmbiguous,
	}, {
		name: "two requesters for one name are refused",
		wec:  "sec-two-requesters",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-requesters", "a1")},
			{as: user("system:bootstrap:abc123", agentsim.BootstrapTokenGroup), req: good("sec-two-requesters", "a1")},
		},
		wantErr: registry.ErrAmbiguous,
	}, {
		name: "naming the agent resolves two agents",
		wec:  "sec-two-named",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-named", "a1"), approve: true},
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-named", "a2")},
		},
		opts:     registry.AcceptOptions{Agent: "a1"},
		accepted: true,
	}, {
		name: "naming the requester resolves two requesters",
		wec:  "sec-two-requesters-named",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-requesters-named", "a1")},
			{as: user("system:bootstrap:abc123", agentsim.BootstrapTokenGroup), req: good("sec-two-requesters-named", "a1"), approve: true},
		},
		opts:     registry.AcceptOptions{Requester: "system:bootstrap:abc123"},
		accepted: true,
	}, {
		name: "a retry by the same agent with the same key is approved too",
		wec:  "sec-retry",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: keyed("sec-retry", "a1"), approve: true},
			{as: bootstrapSA(agentsim.BootstrapSA), req: keyed("sec-retry", "a1"), approve: true},
		},
		accepted: true,
	}, {
		name: "one agent name with two keys is refused",
		wec:  "sec-two-keys",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-keys", "a1")},
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-two-keys", "a1")},
		},
		wantErr: registry.ErrAmbiguous,
	}, {
		name: "naming the requester and denying the others resolves a competing bootstrap token",
		wec:  "sec-deny-others",
		attempts: []attempt{
			{as: bootstrapSA(agentsim.BootstrapSA), req: good("sec-deny-others", "a1"), approve: true},
			{as: user("system:bootstrap:abc123", agentsim.BootstrapTokenGroup), req: good("sec-deny-others", "a1"), deny: true},
			// Not acceptable at all: left untouched, never denied by Accept.
			{as: user("mallory", "system:masters"), req: good("sec-deny-others", "a1")},
		},
		opts:     registry.AcceptOptions{Requester: "system:serviceaccount:open-cluster-management:agent-registration-bootstrap", DenyOthers: true},
		accepted: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			names := make([]string, len(tc.attempts))
			for i, a := range tc.attempts {
				c := a.as(t)
				name, err := agentsim.Register(ctx, c.kube, c.ocm, a.req)
				require.NoError(t, err)
				names[i] = name
			}
			res, err := registry.Accept(ctx, hub.kube, hub.ocm, tc.wec, tc.opts)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.accepted, res.Accepted)
			for i, a := range tc.attempts {
				assertApproved(t, hub, names[i], a.approve)
				assertDenied(t, hub, names[i], a.deny)
			}
			st, err := registry.GetStatus(ctx, hub.ocm, tc.wec)
			if apierrors.IsNotFound(err) {
				require.False(t, tc.accepted)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.accepted, st.Accepted)
			}

			// Accepting again never approves what was refused.
			_, _ = registry.Accept(ctx, hub.kube, hub.ocm, tc.wec, registry.AcceptOptions{})
			for i, a := range tc.attempts {
				assertApproved(t, hub, names[i], a.approve)
			}
		})
	}
}

// TestAcceptSkipsDenied checks that a denied CSR stays denied and is not approved.
func TestAcceptSkipsDenied(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	agent := newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, agentsim.BootstrapSA))
	name, err := agentsim.Register(ctx, agent.kube, agent.ocm, agentsim.Request{Cluster: "sec-denied", Agent: "a1"})
	require.NoError(t, err)
	csr, err := hub.kube.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
		Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue, Reason: "Test",
	})
	_, err = hub.kube.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, name, csr, metav1.UpdateOptions{})
	require.NoError(t, err)

	res, err := registry.Accept(ctx, hub.kube, hub.ocm, "sec-denied", registry.AcceptOptions{})
	require.ErrorIs(t, err, registry.ErrNoCSR)
	require.ErrorIs(t, res.Rejected[name], registry.ErrCSRDenied)
	assertApproved(t, hub, name, false)
}

// TestAcceptMissingCluster passes the API server's NotFound through and approves nothing.
func TestAcceptMissingCluster(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	agent := newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, agentsim.BootstrapSA))
	name, err := agentsim.Register(ctx, agent.kube, agent.ocm, agentsim.Request{Cluster: "sec-nocluster", Agent: "a1", SkipManagedCluster: true})
	require.NoError(t, err)
	_, err = registry.Accept(ctx, hub.kube, hub.ocm, "sec-nocluster", registry.AcceptOptions{})
	require.True(t, apierrors.IsNotFound(err), "got %v", err)
	assertApproved(t, hub, name, false)
}

// assertDenied checks whether a CSR carries the Denied condition that Accept writes.
func assertDenied(t *testing.T, c clients, name string, want bool) {
	t.Helper()
	csr, err := c.kube.CertificatesV1().CertificateSigningRequests().Get(context.Background(), name, metav1.GetOptions{})
	require.NoError(t, err)
	denied := false
	for _, cond := range csr.Status.Conditions {
		if cond.Type == certificatesv1.CertificateDenied {
			denied = true
			assert.Equal(t, registry.DenyReason, cond.Reason)
		}
	}
	assert.Equal(t, want, denied, "CSR %s conditions %+v", name, csr.Status.Conditions)
}
