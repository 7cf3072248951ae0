package registry_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/internal/testenv"
)

// server is the package's real kube-apiserver and etcd with OCM's ManagedCluster CRD.
var server testenv.Server

// adminConfig is the shared API server's system:masters config; nil when skipped.
var adminConfig *rest.Config

// TestMain starts one API server for the whole package and installs the bootstrap identity as
// clusteradm init would.
func TestMain(m *testing.M) {
	os.Exit(server.Run(m, "registry", testenv.Options{
		OCMCRDs: []string{"cluster/v1"},
		Setup: func(cfg *rest.Config, _ []byte) error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			kube, err := kubernetes.NewForConfig(cfg)
			if err == nil {
				err = agentsim.InstallBootstrap(ctx, kube)
			}
			if err != nil {
				return fmt.Errorf("install bootstrap identity: %w", err)
			}
			adminConfig = cfg
			return nil
		},
	}))
}

// clients are typed clients for one identity.
type clients struct {
	cfg  *rest.Config
	kube kubernetes.Interface
	ocm  clusterclient.Interface
}

func newClients(t *testing.T, cfg *rest.Config) clients {
	t.Helper()
	kube, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	ocm, err := clusterclient.NewForConfig(cfg)
	require.NoError(t, err)
	return clients{cfg: cfg, kube: kube, ocm: ocm}
}

// admin returns system:masters clients, or skips the test when envtest is unavailable.
func admin(t *testing.T) clients {
	t.Helper()
	return newClients(t, server.Config(t))
}

// testContext is a context that ends with the test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
