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

// RBACSubjectNamespace and RBACSubjectName name the ServiceAccount that rbac.yaml binds.
const (
	RBACSubjectNamespace = "wecforge-system"
	RBACSubjectName      = "wecforge-registry"
)

// RBAC is the least privilege the hub-side helpers need, as typed objects: ClusterRoles, the
// ClusterRoleBinding for the cluster-scoped rights, and one RoleBinding per namespace for the
// namespaced rights. A fresh value each call; the caller owns it.
type RBAC struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	RoleBindings        []rbacv1.RoleBinding
}

// RBACManifest returns a copy of rbac.yaml, the multi-document YAML of [RBACObjects], for
// kubectl apply.
func RBACManifest() []byte { return bytes.Clone(rbacYAML) }

// RBACObjects decodes rbac.yaml. Bindings name the ServiceAccount
// [RBACSubjectNamespace]/[RBACSubjectName]; rewrite their subjects to bind someone else.
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
