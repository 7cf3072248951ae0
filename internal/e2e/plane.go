package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/internal/kubeplane"
)

// The process, tier and certificate types of the shared starter, under the names this package's
// callers use.
type (
	// Process is one child process; see [kubeplane.Process].
	Process = kubeplane.Process
	// Tier orders shutdown; see [kubeplane.Tier].
	Tier = kubeplane.Tier
	// CA is a certificate authority made in Go; see [kubeplane.CA].
	CA = kubeplane.CA
	// KeyPair is a PEM certificate and key; see [kubeplane.KeyPair].
	KeyPair = kubeplane.KeyPair
)

// The shutdown tiers: lower tiers stop first.
const (
	TierAgent     = kubeplane.TierAgent
	TierAPIServer = kubeplane.TierAPIServer
	TierEtcd      = kubeplane.TierEtcd
)

// NewCA makes a self-signed CA valid for a day; see [kubeplane.NewCA].
func NewCA(name string) (*CA, error) { return kubeplane.NewCA(name) }

// FreePort returns a loopback port not handed out before; see [kubeplane.FreePort].
func FreePort() (int, error) { return kubeplane.FreePort() }

// ControlPlane is one etcd and one kube-apiserver on loopback started by the shared starter
// ([kubeplane.Start]) with its processes recorded in the [Env]. Fields are set by
// [Env.StartControlPlane] and read-only afterwards.
type ControlPlane struct {
	*kubeplane.Plane

	saKeyFile string
}

// StartControlPlane starts etcd and kube-apiserver for a plane named name from empty data
// directories, and waits until the API server is ready. The Env stops both.
func (e *Env) StartControlPlane(ctx context.Context, name string) (*ControlPlane, error) {
	dir, err := e.mkdir(name)
	if err != nil {
		return nil, err
	}
	p, err := kubeplane.Start(ctx, kubeplane.Options{
		Name:      name,
		Dir:       dir,
		Etcd:      filepath.Join(e.bins, "etcd"),
		APIServer: filepath.Join(e.bins, "kube-apiserver"),
		Start: func(name string, tier Tier, binary string, args ...string) (*Process, error) {
			return e.Start(name, tier, filepath.Base(binary), args...)
		},
	})
	if err != nil {
		return nil, err
	}
	return &ControlPlane{Plane: p, saKeyFile: p.SAKeyFile}, nil
}

// InstallCRDs creates the CRDs in files and waits up to two minutes until they are established.
func (cp *ControlPlane) InstallCRDs(files []string) error {
	return cp.Plane.InstallCRDs(context.Background(), files, 2*time.Minute)
}

// EnsureNamespace creates namespace ns unless it exists.
func (cp *ControlPlane) EnsureNamespace(ctx context.Context, ns string) error {
	_, err := cp.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s on %s: %w", ns, cp.Name, err)
	}
	return nil
}

// globFiles returns the files in dir matching pattern, or an error when there are none.
func globFiles(dir, pattern string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s in %s", pattern, dir)
	}
	if _, err := os.Stat(files[0]); err != nil {
		return nil, err
	}
	return files, nil
}
