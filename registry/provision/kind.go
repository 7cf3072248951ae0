package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sigs.k8s.io/kind/pkg/cluster"
)

// KindProvider is the part of sigs.k8s.io/kind/pkg/cluster's *Provider that [Kind] uses; tests
// inject a fake.
type KindProvider interface {
	Create(name string, options ...cluster.CreateOption) error
	Delete(name, explicitKubeconfigPath string) error
	KubeConfig(name string, internal bool) (string, error)
	List() ([]string, error)
}

var _ KindProvider = (*cluster.Provider)(nil)

// KindOptions tunes [NewKind]. The zero value uses kind's detected container engine, its
// default node image and waits up to five minutes for the control plane.
type KindOptions struct {
	// Provider replaces kind's own provider (tests inject a fake here).
	Provider KindProvider
	// NodeImage, when set, is the node image, e.g. kindest/node:v1.35.0.
	NodeImage string
	// RawConfig, when set, is a kind Cluster configuration (YAML).
	RawConfig []byte
	// Wait is how long Create waits for the control plane; zero means five minutes.
	Wait time.Duration
	// Internal makes Kubeconfig return the address reachable from inside the kind network.
	Internal bool
}

// Kind is the [Provisioner] for kind clusters. Create it with [NewKind].
type Kind struct {
	p    KindProvider
	opts KindOptions
}

var _ Provisioner = (*Kind)(nil)

// NewKind returns a kind provisioner; opts is copied.
func NewKind(opts KindOptions) *Kind {
	p := opts.Provider
	if p == nil {
		p = cluster.NewProvider()
	}
	if opts.Wait <= 0 {
		opts.Wait = 5 * time.Minute
	}
	opts.RawConfig = slices.Clone(opts.RawConfig)
	return &Kind{p: p, opts: opts}
}

// Create makes kind cluster name unless it exists. kind's kubeconfig entry goes to a private
// temporary file that is removed afterwards.
func (k *Kind) Create(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || exists {
		return err
	}
	return withTempKubeconfig(func(path string) error {
		options := []cluster.CreateOption{
			cluster.CreateWithKubeconfigPath(path),
			cluster.CreateWithWaitForReady(k.opts.Wait),
			cluster.CreateWithDisplayUsage(false),
			cluster.CreateWithDisplaySalutation(false),
		}
		if k.opts.NodeImage != "" {
			options = append(options, cluster.CreateWithNodeImage(k.opts.NodeImage))
		}
		if len(k.opts.RawConfig) > 0 {
			options = append(options, cluster.CreateWithRawConfig(k.opts.RawConfig))
		}
		if err := k.p.Create(name, options...); err != nil {
			return fmt.Errorf("kind: create cluster %s: %w", name, err)
		}
		return nil
	})
}

// Kubeconfig returns kind cluster name's kubeconfig.
func (k *Kind) Kubeconfig(ctx context.Context, name string) ([]byte, error) {
	exists, err := k.exists(ctx, name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("kind: %w: %s", ErrNotFound, name)
	}
	cfg, err := k.p.KubeConfig(name, k.opts.Internal)
	if err != nil {
		return nil, fmt.Errorf("kind: kubeconfig of %s: %w", name, err)
	}
	return []byte(cfg), nil
}

// Delete removes kind cluster name when it exists.
func (k *Kind) Delete(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || !exists {
		return err
	}
	return withTempKubeconfig(func(path string) error {
		if err := k.p.Delete(name, path); err != nil {
			return fmt.Errorf("kind: delete cluster %s: %w", name, err)
		}
		return nil
	})
}

func (k *Kind) exists(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	names, err := k.p.List()
	if err != nil {
		return false, fmt.Errorf("kind: list clusters: %w", err)
	}
	return slices.Contains(names, name), nil
}

// withTempKubeconfig gives fn a kubeconfig path in a fresh private directory, removed after.
func withTempKubeconfig(fn func(path string) error) error {
	dir, err := os.MkdirTemp("", "wecforge-kind-")
	if err != nil {
		return fmt.Errorf("kind: temporary kubeconfig: %w", err)
	}
	defer os.RemoveAll(dir)
	return fn(filepath.Join(dir, "kubeconfig"))
}
