package registry_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
	"github.com/wecforge/wecforge/registry/sharding"
)

// rulesOf returns every rule granted to role, with the namespace it applies in ("" for
// cluster-wide).
func rulesOf(rb registry.RBAC, role registry.Role) map[string][]rbacv1.PolicyRule {
	mine := rb.For(role)
	out := map[string][]rbacv1.PolicyRule{}
	for _, b := range mine.ClusterRoleBindings {
		for _, r := range mine.ClusterRoles {
			if r.Name == b.RoleRef.Name {
				out[""] = append(out[""], r.Rules...)
			}
		}
	}
	for _, b := range mine.RoleBindings {
		for _, r := range mine.Roles {
			if r.Name == b.RoleRef.Name && r.Namespace == b.Namespace && b.RoleRef.Kind == "Role" {
				out[b.Namespace] = append(out[b.Namespace], r.Rules...)
			}
		}
	}
	return out
}

func grants(rules map[string][]rbacv1.PolicyRule, resource string, verbs ...string) bool {
	for _, rs := range rules {
		for _, r := range rs {
			if slices.Contains(r.Resources, resource) && slices.ContainsFunc(verbs, func(v string) bool { return slices.Contains(r.Verbs, v) }) {
				return true
			}
		}
	}
	return false
}

// TestRBACObjects checks the shipped roles statically: one identity per role, no wildcard, no
// role that both obtains bootstrap credentials and approves CSRs, Secrets only by name.
func TestRBACObjects(t *testing.T) {
	rb, err := registry.RBACObjects()
	require.NoError(t, err)
	assert.Contains(t, string(registry.RBACManifest()), "kind: ClusterRole")
	total := 0
	for _, role := range registry.Roles() {
		mine := rb.For(role)
		total += len(mine.ClusterRoles) + len(mine.ClusterRoleBindings) + len(mine.Roles) + len(mine.RoleBindings)
		for _, s := range slices.Concat(subjectsOf(mine)...) {
			assert.Equal(t, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: role.ServiceAccount(), Namespace: registry.RBACSubjectNamespace}, s, "role %s", role)
		}
		rules := rulesOf(rb, role)
		require.NotEmpty(t, rules, "role %s grants nothing", role)
		credentials := grants(rules, "serviceaccounts/token", "create") || grants(rules, "secrets", "get", "list", "watch")
		approves := grants(rules, "certificatesigningrequests/approval", "update", "patch") || grants(rules, "signers", "approve")
		assert.False(t, credentials && approves, "role %s both obtains bootstrap credentials and approves CSRs", role)
		assert.False(t, grants(rules, "certificatesigningrequests", "create"), "role %s creates CSRs", role)
		for ns, rs := range rules {
			for _, r := range rs {
				for _, f := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
					assert.NotContains(t, f, "*", "role %s in %q: %+v", role, ns, r)
				}
				if slices.Contains(r.Resources, "secrets") {
					assert.NotEmpty(t, r.ResourceNames, "role %s reads Secrets not by name", role)
					assert.Equal(t, []string{"get"}, r.Verbs)
					assert.Equal(t, metav1.NamespaceSystem, ns)
				}
				if slices.Contains(r.Resources, "serviceaccounts/token") {
					assert.Equal(t, []string{registry.BootstrapServiceAccount, registry.ClusteradmBootstrapServiceAccount}, r.ResourceNames)
					assert.Equal(t, registry.BootstrapNamespace, ns)
				}
				if slices.Contains(r.Resources, "configmaps") {
					assert.Equal(t, customization.PropertiesNamespace, ns)
				}
			}
		}
	}
	assert.Equal(t, len(rb.ClusterRoles)+len(rb.ClusterRoleBindings)+len(rb.Roles)+len(rb.RoleBindings), total,
		"every object belongs to exactly one role")
	assert.True(t, grants(rulesOf(rb, registry.RoleJoining), "serviceaccounts/token", "create"))
	assert.True(t, grants(rulesOf(rb, registry.RoleAccepting), "signers", "approve"))
	assert.True(t, grants(rulesOf(rb, registry.RoleOperating), "manifestworks", "create"))
	// The transport's replicas coordinate through Leases in wecforge-system, and only there.
	ops := rulesOf(rb, registry.RoleOperating)
	for _, verb := range []string{"get", "list", "watch", "create", "update", "delete"} {
		assert.True(t, grants(map[string][]rbacv1.PolicyRule{"": ops[registry.RBACSubjectNamespace]}, "leases", verb), verb)
	}
	for ns, rs := range ops {
		if ns != registry.RBACSubjectNamespace {
			assert.False(t, grants(map[string][]rbacv1.PolicyRule{ns: rs}, "leases", "get", "list", "create", "update", "delete"), "leases in %q", ns)
		}
	}
}

// TestLeastPrivilegeSharding runs a sharding.Sharder as the operating ServiceAccount: it can
// take, renew and release its Leases in wecforge-system, and cannot touch Leases elsewhere.
func TestLeastPrivilegeSharding(t *testing.T) {
	installRBAC(t)
	ctx := testContext(t)
	operating := as(t, registry.RoleOperating)
	leases := operating.kube.CoordinationV1().Leases(registry.RBACSubjectNamespace)
	require.Eventually(t, func() bool {
		_, err := leases.List(ctx, metav1.ListOptions{})
		return err == nil
	}, 10*time.Second, 100*time.Millisecond)

	s, err := sharding.New(sharding.Options{Client: operating.kube, Namespace: registry.RBACSubjectNamespace,
		Group: "rbac-test", Identity: "replica-1", Shards: 4, LeaseDuration: 4 * time.Second})
	require.NoError(t, err)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	require.Eventually(t, s.HasSynced, 10*time.Second, 10*time.Millisecond)
	st := s.Snapshot()
	assert.Equal(t, []int{0, 1, 2, 3}, st.Owned)
	assert.True(t, st.Leader)
	assert.True(t, s.Owns("cluster1"))
	cancel()
	require.NoError(t, <-done)
	assert.False(t, s.Owns("cluster1"))
	got, err := leases.List(ctx, metav1.ListOptions{LabelSelector: sharding.GroupLabel})
	require.NoError(t, err)
	assert.Len(t, got.Items, 5, "four shard Leases and the leader Lease remain; the member Lease is deleted")
	for _, l := range got.Items {
		assert.Nil(t, l.Spec.HolderIdentity, "%s released", l.Name)
	}

	_, err = operating.kube.CoordinationV1().Leases(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
	assert.True(t, apierrors.IsForbidden(err), "leases elsewhere: %v", err)
}

func subjectsOf(rb registry.RBAC) [][]rbacv1.Subject {
	var out [][]rbacv1.Subject
	for _, b := range rb.ClusterRoleBindings {
		out = append(out, b.Subjects)
	}
	for _, b := range rb.RoleBindings {
		out = append(out, b.Subjects)
	}
	return out
}

var installRBACOnce sync.Once

// installRBAC applies rbac.yaml to the package's API server once, with the ServiceAccounts it
// binds and the namespaces it needs.
func installRBAC(t *testing.T) {
	hub := admin(t)
	installRBACOnce.Do(func() {
		ctx := testContext(t)
		require.NoError(t, agentsim.InstallRBAC(ctx, hub.kube))
		// RBAC reaches the authorizer through its own informers: wait for the last binding.
		op := as(t, registry.RoleOperating)
		require.Eventually(t, func() bool {
			_, err := registry.GetProperties(ctx, op.kube, "absent")
			return apierrors.IsNotFound(err)
		}, 10*time.Second, 100*time.Millisecond)
	})
}

// as returns clients impersonating the ServiceAccount rbac.yaml binds to role.
func as(t *testing.T, role registry.Role) clients {
	return newClients(t, agentsim.ImpersonateRole(adminConfig, role))
}

// TestLeastPrivilege runs the whole lifecycle with each step done by the ServiceAccount of its
// role, bound exactly as rbac.yaml says, and checks what each identity must not do.
func TestLeastPrivilege(t *testing.T) {
	installRBAC(t)
	hub := admin(t)
	ctx := testContext(t)
	joining, accepting, operating := as(t, registry.RoleJoining), as(t, registry.RoleAccepting), as(t, registry.RoleOperating)

	runLifecycle(t, team{joining: joining, accepting: accepting, operating: operating}, "rbac-1")

	t.Run("bootstrap token secret by name", func(t *testing.T) {
		createBootstrapSecret(t, hub, registry.DefaultBootstrapTokenID, time.Time{}, agentGroups)
		tok, err := registry.BootstrapTokenFromSecret(ctx, joining.kube, time.Now())
		require.NoError(t, err)
		assert.Equal(t, "secret/kube-system/bootstrap-token-ocmhub", tok.Source)
	})

	denied := []struct {
		name string
		who  clients
		call func(ctx context.Context, c clients) error
	}{
		{"joining: other Secrets by name", joining, func(ctx context.Context, c clients) error {
			_, err := registry.BootstrapTokenFromSecret(ctx, c.kube, time.Now(), "rbac01")
			return err
		}},
		{"joining: list Secrets", joining, func(ctx context.Context, c clients) error {
			_, err := c.kube.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"joining: token for another ServiceAccount", joining, func(ctx context.Context, c clients) error {
			_, err := registry.BootstrapToken(ctx, c.kube, registry.TokenOptions{ServiceAccount: "default"})
			return err
		}},
		{"joining: accept", joining, func(ctx context.Context, c clients) error {
			_, err := registry.Accept(ctx, c.kube, c.ocm, "rbac-1", registry.AcceptOptions{})
			return err
		}},
		{"joining: labels", joining, func(ctx context.Context, c clients) error {
			_, err := registry.Label(ctx, c.ocm, "rbac-1", map[string]string{"a": "b"})
			return err
		}},
		{"accepting: bootstrap token", accepting, func(ctx context.Context, c clients) error {
			_, err := registry.BootstrapToken(ctx, c.kube, registry.TokenOptions{})
			return err
		}},
		{"accepting: bootstrap token Secret", accepting, func(ctx context.Context, c clients) error {
			_, err := registry.BootstrapTokenFromSecret(ctx, c.kube, time.Now())
			return err
		}},
		{"accepting: properties", accepting, func(ctx context.Context, c clients) error {
			_, err := registry.SetProperties(ctx, c.kube, "rbac-1", map[string]string{"a": "b"})
			return err
		}},
		{"operating: bootstrap token", operating, func(ctx context.Context, c clients) error {
			_, err := registry.BootstrapToken(ctx, c.kube, registry.TokenOptions{})
			return err
		}},
		{"operating: list CSRs", operating, func(ctx context.Context, c clients) error {
			_, err := c.kube.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
			return err
		}},
		{"operating: ConfigMaps elsewhere", operating, func(ctx context.Context, c clients) error {
			_, err := c.kube.CoreV1().ConfigMaps(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{})
			return err
		}},
		{"operating: namespace creation", operating, func(ctx context.Context, c clients) error {
			return registry.EnsurePropertiesNamespace(ctx, c.kube)
		}},
		{"operating: ManagedCluster status", operating, func(ctx context.Context, c clients) error {
			_, err := c.ocm.ClusterV1().ManagedClusters().UpdateStatus(ctx,
				&clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "rbac-1"}}, metav1.UpdateOptions{})
			return err
		}},
	}
	for _, tc := range denied {
		t.Run("forbidden "+tc.name, func(t *testing.T) {
			err := tc.call(ctx, tc.who)
			assert.True(t, apierrors.IsForbidden(err), "got %v", err)
		})
	}
}
