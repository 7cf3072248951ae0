package registry

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

//go:embed rbac.yaml
var rbacYAML []byte

// RBACSubjectNamespace is the namespace of the ServiceAccounts that rbac.yaml binds.
const RBACSubjectNamespace = "wecforge-system"

// RBACRoleLabel is the label every object of rbac.yaml carries, valued with its [Role].
const RBACRoleLabel = "registry.wecforge.io/role"

// Role is one of the separate duties of the registry helpers; rbac.yaml grants each its own
// rights, to be bound to different identities.
type Role string

// The roles. No role both obtains bootstrap credentials and approves CSRs.
const (
	// RoleJoining issues bootstrap credentials: [BootstrapToken], [BootstrapTokenFromSecret].
	RoleJoining Role = "joining"
	// RoleAccepting approves registration CSRs and sets hubAcceptsClient: [Accept].
	RoleAccepting Role = "accepting"
	// RoleOperating runs the accepted WECs: labels, properties, status, [Inventory],
	// [Deregister] and delivery of ManifestWorks.
	RoleOperating Role = "operating"
)

// Roles returns every role, in the order of the join.
func Roles() []Role { return []Role{RoleJoining, RoleAccepting, RoleOperating} }

// ServiceAccount is the name of the ServiceAccount in [RBACSubjectNamespace] that rbac.yaml
// binds to r: "wecforge-" and the role.
func (r Role) ServiceAccount() string { return "wecforge-" + string(r) }

// RBAC is the least privilege the hub-side helpers need, as typed objects: ClusterRoles and
// their ClusterRoleBindings for cluster-scoped rights, Roles and their RoleBindings for the
// namespaced ones (only in their own namespaces). A fresh value each call; the caller owns it.
type RBAC struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
}

// For returns the objects of one role (by [RBACRoleLabel]); they share memory with r.
func (r RBAC) For(role Role) RBAC {
	var out RBAC
	is := func(m metav1.ObjectMeta) bool { return m.Labels[RBACRoleLabel] == string(role) }
	for _, o := range r.ClusterRoles {
		if is(o.ObjectMeta) {
			out.ClusterRoles = append(out.ClusterRoles, o)
		}
	}
	for _, o := range r.ClusterRoleBindings {
		if is(o.ObjectMeta) {
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, o)
		}
	}
	for _, o := range r.Roles {
		if is(o.ObjectMeta) {
			out.Roles = append(out.Roles, o)
		}
	}
	for _, o := range r.RoleBindings {
		if is(o.ObjectMeta) {
			out.RoleBindings = append(out.RoleBindings, o)
		}
	}
	return out
}

// RBACManifest returns a copy of rbac.yaml, the multi-document YAML of [RBACObjects], for
// kubectl apply.
func RBACManifest() []byte { return bytes.Clone(rbacYAML) }

// RBACObjects decodes rbac.yaml. Bindings name the ServiceAccounts
// [RBACSubjectNamespace]/[Role.ServiceAccount]; rewrite their subjects to bind someone else.
func RBACObjects() (RBAC, error) {
	var out RBAC
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(rbacYAML)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return RBAC{}, fmt.Errorf("read rbac.yaml: %w", err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return RBAC{}, fmt.Errorf("decode rbac.yaml: %w", err)
		}
		switch tm.Kind {
		case "":
			continue
		case "ClusterRole":
			var o rbacv1.ClusterRole
			err = yaml.UnmarshalStrict(doc, &o)
			out.ClusterRoles = append(out.ClusterRoles, o)
		case "ClusterRoleBinding":
			var o rbacv1.ClusterRoleBinding
			err = yaml.UnmarshalStrict(doc, &o)
			out.ClusterRoleBindings = append(out.ClusterRoleBindings, o)
		case "Role":
			var o rbacv1.Role
			err = yaml.UnmarshalStrict(doc, &o)
			out.Roles = append(out.Roles, o)
		case "RoleBinding":
			var o rbacv1.RoleBinding
			err = yaml.UnmarshalStrict(doc, &o)
			out.RoleBindings = append(out.RoleBindings, o)
		default:
			err = fmt.Errorf("unexpected kind %q", tm.Kind)
		}
		if err != nil {
			return RBAC{}, fmt.Errorf("decode rbac.yaml: %w", err)
		}
	}
}
