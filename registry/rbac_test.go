package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/registry"
)

func TestRBACObjects(t *testing.T) {
	rb, err := registry.RBACObjects()
	require.NoError(t, err)
	assert.Len(t, rb.ClusterRoles, 4)
	require.Len(t, rb.ClusterRoleBindings, 1)
	assert.Equal(t, "wecforge:registry", rb.ClusterRoleBindings[0].RoleRef.Name)
	namespaces := map[string]string{}
	for _, b := range rb.RoleBindings {
		namespaces[b.Name] = b.Namespace
		require.Len(t, b.Subjects, 1)
		assert.Equal(t, registry.RBACSubjectName, b.Subjects[0].Name)
	}
	assert.Equal(t, map[string]string{
		"wecforge:registry:properties":              customization.PropertiesNamespace,
		"wecforge:registry:bootstrap-token":         registry.BootstrapNamespace,
		"wecforge:registry:bootstrap-token-secrets": metav1.NamespaceSystem,
	}, namespaces)
	assert.Contains(t, string(registry.RBACManifest()), "kind: ClusterRole")
}

// TestLeastPrivilege runs the whole lifecycle as a ServiceAccount bound exactly as rbac.yaml
// says, with a real token, and checks that the same identity cannot reach beyond it.
func TestLeastPrivilege(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	for _, ns := range []string{registry.RBACSubjectNamespace, customization.PropertiesNamespace} {
		_, err := hub.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if !apierrors.IsAlreadyExists(err) {
			require.NoError(t, err)
		}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: registry.RBACSubjectName, Namespace: registry.RBACSubjectNamespace}}
	_, err := hub.kube.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{})
	require.NoError(t, err)
	rb, err := registry.RBACObjects()
	require.NoError(t, err)
	for i := range rb.ClusterRoles {
		_, err := hub.kube.RbacV1().ClusterRoles().Create(ctx, &rb.ClusterRoles[i], metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for i := range rb.ClusterRoleBindings {
		_, err := hub.kube.RbacV1().ClusterRoleBindings().Create(ctx, &rb.ClusterRoleBindings[i], metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for i := range rb.RoleBindings {
		b := &rb.RoleBindings[i]
		_, err := hub.kube.RbacV1().RoleBindings(b.Namespace).Create(ctx, b, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	tr, err := hub.kube.CoreV1().ServiceAccounts(sa.Namespace).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	require.NoError(t, err)
	cfg := rest.AnonymousClientConfig(adminConfig)
	cfg.BearerToken = tr.Status.Token
	limited := newClients(t, cfg)
	require.Eventually(t, func() bool { // RBAC reaches the authorizer through its own informers
		_, err := registry.ListStatus(ctx, limited.ocm, "")
		return err == nil
	}, 10*time.Second, 100*time.Millisecond)

	runLifecycle(t, limited, "rbac-1")

	t.Run("bootstrap token secret", func(t *testing.T) {
		createBootstrapSecret(t, hub, "rbac01", time.Time{}, agentGroups)
		tok, err := registry.BootstrapTokenFromSecret(ctx, limited.kube, time.Now())
		require.NoError(t, err)
		assert.Contains(t, tok.Source, "secret/kube-system/bootstrap-token-")
	})

	denied := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"configmaps elsewhere", func(ctx context.Context) error {
			_, err := limited.kube.CoreV1().ConfigMaps(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"secrets read", func(ctx context.Context) error {
			_, err := limited.kube.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, "bootstrap-token-rbac01", metav1.GetOptions{})
			return err
		}},
		{"token for another ServiceAccount", func(ctx context.Context) error {
			_, err := registry.BootstrapToken(ctx, limited.kube, registry.TokenOptions{ServiceAccount: "default"})
			return err
		}},
		{"namespace creation", func(ctx context.Context) error {
			return registry.EnsurePropertiesNamespace(ctx, limited.kube)
		}},
		{"ManagedCluster status", func(ctx context.Context) error {
			_, err := limited.ocm.ClusterV1().ManagedClusters().UpdateStatus(ctx,
				&clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "rbac-1"}}, metav1.UpdateOptions{})
			return err
		}},
	}
	for _, tc := range denied {
		t.Run("forbidden "+tc.name, func(t *testing.T) {
			err := tc.call(ctx)
			assert.True(t, apierrors.IsForbidden(err), "got %v", err)
		})
	}
}
