package agentsim

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/registry"
)

// Bootstrap identity names, as OCM and clusteradm use them.
const (
	BootstrapNamespace   = "open-cluster-management"
	BootstrapSA          = "agent-registration-bootstrap"
	ClusteradmSA         = "cluster-bootstrap"
	BootstrapClusterRole = "open-cluster-management:bootstrap"
	BootstrapTokenGroup  = "system:bootstrappers:managedcluster"
)

// InstallBootstrap creates (or leaves in place) the hub's bootstrap identity: the namespace,
// both bootstrap ServiceAccounts, and the bootstrap ClusterRole bound to them and to
// [BootstrapTokenGroup]. The client must be allowed to create RBAC objects.
func InstallBootstrap(ctx context.Context, kube kubernetes.Interface) error {
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install bootstrap %s: %w", what, err)
		}
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: BootstrapNamespace}}
	_, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err := create("namespace", err); err != nil {
		return err
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: BootstrapTokenGroup}}
	for _, name := range []string{BootstrapSA, ClusteradmSA} {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: BootstrapNamespace}}
		_, err := kube.CoreV1().ServiceAccounts(BootstrapNamespace).Create(ctx, sa, metav1.CreateOptions{})
		if err := create("serviceaccount", err); err != nil {
			return err
		}
		subjects = append(subjects, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: BootstrapNamespace})
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapClusterRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
			{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"},
				Verbs: []string{"create", "get", "list", "watch"}},
			{APIGroups: []string{"cluster.open-cluster-management.io"}, Resources: []string{"managedclusters"},
				Verbs: []string{"get", "create", "list", "watch"}},
			{APIGroups: []string{"cluster.open-cluster-management.io"}, Resources: []string{"managedclustersets/join"},
				Verbs: []string{"create"}},
		},
	}
	_, err = kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
	if err := create("clusterrole", err); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapClusterRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: BootstrapClusterRole},
		Subjects:   subjects,
	}
	_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	return create("clusterrolebinding", err)
}

// ImpersonateServiceAccount returns a copy of admin that acts as ServiceAccount ns/name, with the
// groups the API server would give its token.
func ImpersonateServiceAccount(admin *rest.Config, ns, name string) *rest.Config {
	return Impersonate(admin, "system:serviceaccount:"+ns+":"+name,
		"system:serviceaccounts", "system:serviceaccounts:"+ns, "system:authenticated")
}

// Impersonate returns a copy of admin that acts as user with groups. admin must be allowed to
// impersonate (e.g. a system:masters client).
func Impersonate(admin *rest.Config, user string, groups ...string) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return cfg
}

// InstallRBAC applies the registry's split roles (registry.RBACObjects) to the hub: the
// namespaces they live in, one ServiceAccount per role in registry.RBACSubjectNamespace, and
// every Role, ClusterRole and binding. Objects that exist are left as they are. The client must
// be allowed to create RBAC objects (and to hold the rights it grants).
func InstallRBAC(ctx context.Context, kube kubernetes.Interface) error {
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install registry RBAC: %s: %w", what, err)
		}
		return nil
	}
	for _, ns := range []string{registry.RBACSubjectNamespace, customization.PropertiesNamespace, BootstrapNamespace} {
		_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		if err := create("namespace "+ns, err); err != nil {
			return err
		}
	}
	for _, role := range registry.Roles() {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: role.ServiceAccount(), Namespace: registry.RBACSubjectNamespace}}
		_, err := kube.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{})
		if err := create("serviceaccount "+sa.Name, err); err != nil {
			return err
		}
	}
	rb, err := registry.RBACObjects()
	if err != nil {
		return err
	}
	rbac := kube.RbacV1()
	for i := range rb.ClusterRoles {
		_, err := rbac.ClusterRoles().Create(ctx, &rb.ClusterRoles[i], metav1.CreateOptions{})
		if err := create("clusterrole "+rb.ClusterRoles[i].Name, err); err != nil {
			return err
		}
	}
	for i := range rb.ClusterRoleBindings {
		_, err := rbac.ClusterRoleBindings().Create(ctx, &rb.ClusterRoleBindings[i], metav1.CreateOptions{})
		if err := create("clusterrolebinding "+rb.ClusterRoleBindings[i].Name, err); err != nil {
			return err
		}
	}
	for i := range rb.Roles {
		_, err := rbac.Roles(rb.Roles[i].Namespace).Create(ctx, &rb.Roles[i], metav1.CreateOptions{})
		if err := create("role "+rb.Roles[i].Namespace+"/"+rb.Roles[i].Name, err); err != nil {
			return err
		}
	}
	for i := range rb.RoleBindings {
		_, err := rbac.RoleBindings(rb.RoleBindings[i].Namespace).Create(ctx, &rb.RoleBindings[i], metav1.CreateOptions{})
		if err := create("rolebinding "+rb.RoleBindings[i].Namespace+"/"+rb.RoleBindings[i].Name, err); err != nil {
			return err
		}
	}
	return nil
}

// ImpersonateRole returns a copy of admin that acts as the ServiceAccount registry's rbac.yaml
// binds to role.
func ImpersonateRole(admin *rest.Config, role registry.Role) *rest.Config {
	return ImpersonateServiceAccount(admin, registry.RBACSubjectNamespace, role.ServiceAccount())
}
