package e2e_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/internal/e2e"
	"github.com/wecforge/wecforge/registry"
)

// roles are the hub clients of the registry's split roles: each impersonates the
// ServiceAccount that registry's rbac.yaml binds to its role, so the join below runs with
// exactly the rights each step's role has.
type roles struct {
	joining, accepting, operating roleClients
}

type roleClients struct {
	Kube kubernetes.Interface
	OCM  clusterclient.Interface
}

// splitRoles installs registry's rbac.yaml on the hub and returns clients for each role.
func splitRoles(t *testing.T, ctx context.Context, hub *e2e.Hub) roles {
	t.Helper()
	require.NoError(t, agentsim.InstallRBAC(ctx, hub.Kube))
	mk := func(role registry.Role) roleClients {
		cfg := agentsim.ImpersonateRole(hub.Config, role)
		kube, err := kubernetes.NewForConfig(cfg)
		require.NoError(t, err)
		ocm, err := clusterclient.NewForConfig(cfg)
		require.NoError(t, err)
		return roleClients{Kube: kube, OCM: ocm}
	}
	r := roles{joining: mk(registry.RoleJoining), accepting: mk(registry.RoleAccepting), operating: mk(registry.RoleOperating)}
	// RBAC reaches the authorizer through its own informers.
	require.NoError(t, waitAllowed(ctx, r))
	return r
}

// waitAllowed waits until each role can do a read of its own job.
func waitAllowed(ctx context.Context, r roles) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, err1 := r.accepting.Kube.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{Limit: 1})
		_, err2 := r.operating.OCM.ClusterV1().ManagedClusters().List(ctx, metav1.ListOptions{Limit: 1})
		_, err3 := r.operating.Kube.CoreV1().ConfigMaps(customization.PropertiesNamespace).List(ctx, metav1.ListOptions{Limit: 1})
		if errors.Join(err1, err2, err3) == nil {
			return nil
		}
		for _, err := range []error{err1, err2, err3} {
			if err != nil && !apierrors.IsForbidden(err) {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// bootstrapKubeconfig makes a WEC's bootstrap kubeconfig with wecforge's helpers, as the
// joining role.
func bootstrapKubeconfig(t *testing.T, ctx context.Context, f *fleet, wec string) []byte {
	t.Helper()
	return bootstrapKubeconfigAs(t, ctx, f.roles.joining.Kube, f.hub, wec)
}

// bootstrapKubeconfigAs mints the bootstrap kubeconfig for wec with the identity behind joining.
func bootstrapKubeconfigAs(t *testing.T, ctx context.Context, joining kubernetes.Interface, hub *e2e.Hub, wec string) []byte {
	t.Helper()
	token, err := registry.BootstrapToken(ctx, joining, registry.TokenOptions{ServiceAccount: registry.ClusteradmBootstrapServiceAccount})
	require.NoError(t, err)
	info, err := registry.HubFromRESTConfig(hub.Config)
	require.NoError(t, err)
	kc, err := registry.BootstrapKubeconfig(info, token.Value, wec)
	require.NoError(t, err)
	return kc
}

func csrsOf(ctx context.Context, f *fleet, wec string) (map[string]certificatesv1.CertificateSigningRequest, error) {
	list, err := f.hub.Kube.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{
		LabelSelector: clusterv1.ClusterNameLabelKey + "=" + wec,
	})
	if err != nil {
		return nil, err
	}
	out := map[string]certificatesv1.CertificateSigningRequest{}
	for _, csr := range list.Items {
		// spec.username is the bootstrap identity both agents share; the agent id is the last
		// field of the request's subject CN.
		agent, err := agentOf(csr.Spec.Request, wec)
		if err != nil {
			return nil, err
		}
		out[agent] = csr
	}
	return out, nil
}

func conditionTypes(csr certificatesv1.CertificateSigningRequest) []string {
	var out []string
	for _, c := range csr.Status.Conditions {
		out = append(out, string(c.Type)+"="+string(c.Status))
	}
	return out
}

func testAcceptNeedsTheAgentNamed(t *testing.T, ctx context.Context, f *fleet) {
	f.roles = splitRoles(t, ctx, f.hub)
	kc := bootstrapKubeconfig(t, ctx, f, "cluster1")
	s1 := f.spokes["cluster1"]
	real, err := s1.StartRegistrationAgent(kc, "agent-cluster1", "hub-kubeconfig-secret")
	require.NoError(t, err)
	f.agents["cluster1"] = real
	intruder, err := s1.StartRegistrationAgent(kc, "intruder", "intruder-hub-kubeconfig-secret")
	require.NoError(t, err)
	defer intruder.Stop(e2e.DefaultGrace)

	var csrs map[string]certificatesv1.CertificateSigningRequest
	require.NoError(t, f.env.Eventually(ctx, "CSRs of both agents of cluster1", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		csrs, err = csrsOf(ctx, f, "cluster1")
		return len(csrs) == 2, err
	}))
	require.Contains(t, csrs, "agent-cluster1")
	require.Contains(t, csrs, "intruder")
	require.NoError(t, f.env.Eventually(ctx, "ManagedCluster cluster1", time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := f.hub.OCM.ClusterV1().ManagedClusters().Get(ctx, "cluster1", metav1.GetOptions{})
		return err == nil, nil
	}))

	// Two agents claim cluster1: accepting without naming one approves nothing.
	res, err := registry.Accept(ctx, f.roles.accepting.Kube, f.roles.accepting.OCM, "cluster1", registry.AcceptOptions{})
	require.ErrorIs(t, err, registry.ErrAmbiguous)
	var amb *registry.AmbiguousError
	require.ErrorAs(t, err, &amb)
	assert.Len(t, amb.Claims, 2)
	assert.Empty(t, res.Approved)
	assert.Contains(t, err.Error(), "agent-cluster1")
	assert.Contains(t, err.Error(), "intruder")
	csrs, err = csrsOf(ctx, f, "cluster1")
	require.NoError(t, err)
	for agent, csr := range csrs {
		assert.Empty(t, csr.Status.Conditions, "CSR of %s must stay pending", agent)
	}
	mc, err := f.hub.OCM.ClusterV1().ManagedClusters().Get(ctx, "cluster1", metav1.GetOptions{})
	require.NoError(t, err)
	assert.False(t, mc.Spec.HubAcceptsClient)

	// Naming the agent approves exactly its CSR.
	res, err = registry.Accept(ctx, f.roles.accepting.Kube, f.roles.accepting.OCM, "cluster1", registry.AcceptOptions{Agent: "agent-cluster1"})
	require.NoError(t, err)
	assert.True(t, res.Accepted)
	assert.Equal(t, []string{csrs["agent-cluster1"].Name}, res.Approved)
	require.ErrorIs(t, res.Rejected[csrs["intruder"].Name], registry.ErrCSRNotChosen)
	assert.ErrorContains(t, res.Rejected[csrs["intruder"].Name], "intruder")
	csrs, err = csrsOf(ctx, f, "cluster1")
	require.NoError(t, err)
	assert.Equal(t, []string{"Approved=True"}, conditionTypes(csrs["agent-cluster1"]))
	assert.Empty(t, conditionTypes(csrs["intruder"]), "the intruder's CSR is neither approved nor denied")
	assert.Equal(t, registry.ApproveReason, csrs["agent-cluster1"].Status.Conditions[0].Reason)

	// The kube-controller-manager signs the approved CSR with the hub CA; the intruder's stays
	// unsigned.
	require.NoError(t, f.env.Eventually(ctx, "cluster1's certificate", time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		csrs, err = csrsOf(ctx, f, "cluster1")
		return err == nil && len(csrs["agent-cluster1"].Status.Certificate) > 0, err
	}))
	assert.Empty(t, csrs["intruder"].Status.Certificate)
}

func testJoin(t *testing.T, ctx context.Context, f *fleet) {
	s2 := f.spokes["cluster2"]
	a2, err := s2.StartRegistrationAgent(bootstrapKubeconfig(t, ctx, f, "cluster2"), "agent-cluster2", "hub-kubeconfig-secret")
	require.NoError(t, err)
	f.agents["cluster2"] = a2
	require.NoError(t, f.env.Eventually(ctx, "accept cluster2", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
		_, err := registry.Accept(ctx, f.roles.accepting.Kube, f.roles.accepting.OCM, "cluster2", registry.AcceptOptions{})
		if errors.Is(err, registry.ErrNoCSR) || apierrors.IsNotFound(err) {
			return false, err
		}
		require.NoError(t, err)
		return true, nil
	}))

	for name, region := range map[string]string{"cluster1": "east", "cluster2": "west"} {
		_, err := registry.Label(ctx, f.roles.operating.OCM, name, map[string]string{"region": region})
		require.NoError(t, err)
		_, err = registry.SetProperties(ctx, f.roles.operating.Kube, name, map[string]string{"zone": region[:1] + "1"})
		require.NoError(t, err)
		_, err = f.spokes[name].StartWorkAgent(ctx, f.agents[name])
		require.NoError(t, err)
	}
	for _, name := range []string{"cluster1", "cluster2"} {
		require.NoError(t, f.env.Eventually(ctx, name+" Available", 3*time.Minute, 250*time.Millisecond, func(ctx context.Context) (bool, error) {
			st, err := registry.GetStatus(ctx, f.roles.operating.OCM, name)
			return err == nil && st.Ready(), err
		}))
		st, err := registry.GetStatus(ctx, f.roles.operating.OCM, name)
		require.NoError(t, err)
		t.Logf("%s", st)
		assert.Equal(t, metav1.ConditionTrue, st.Available)
	}
	t.Logf("MEASURE cold start to both ManagedClusters Available: %s", time.Since(f.start).Round(100*time.Millisecond))
}
