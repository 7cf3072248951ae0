package registry_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// TestAcceptConcurrent runs Accept for one WEC from several goroutines: every call succeeds,
// the CSR is approved exactly once, and the WEC is accepted.
func TestAcceptConcurrent(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	agent := newClients(t, agentsim.ImpersonateServiceAccount(adminConfig, agentsim.BootstrapNamespace, agentsim.BootstrapSA))
	name, err := agentsim.Register(ctx, agent.kube, agent.ocm, agentsim.Request{Cluster: "conc-accept", Agent: "a1"})
	require.NoError(t, err)

	const n = 6
	results := make([]registry.AcceptResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = registry.Accept(ctx, hub.kube, hub.ocm, "conc-accept", registry.AcceptOptions{})
		})
	}
	wg.Wait()
	approvals := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.True(t, results[i].Accepted)
		approvals += len(results[i].Approved)
	}
	assert.Equal(t, 1, approvals, "exactly one call approves")
	csr, err := hub.kube.CertificatesV1().CertificateSigningRequests().Get(ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	count := 0
	for _, c := range csr.Status.Conditions {
		if c.Type == certificatesv1.CertificateApproved {
			count++
		}
	}
	assert.Equal(t, 1, count)
	st, err := registry.GetStatus(ctx, hub.ocm, "conc-accept")
	require.NoError(t, err)
	assert.True(t, st.Accepted)
}

// TestPropertiesConcurrent writes different keys of one new properties ConfigMap from several
// goroutines: the first writers race to create it, and no write is lost.
func TestPropertiesConcurrent(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = registry.UpdateProperties(ctx, hub.kube, "conc-props", map[string]string{fmt.Sprintf("k%d", i): "v"})
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	cm, err := registry.GetProperties(ctx, hub.kube, "conc-props")
	require.NoError(t, err)
	assert.Len(t, cm.Data, n)
	require.NoError(t, registry.DeleteProperties(ctx, hub.kube, "conc-props"))
	require.NoError(t, registry.DeleteProperties(ctx, hub.kube, "conc-props"))
}
