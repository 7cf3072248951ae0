package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// KindOptions tunes [NewKind]. The zero value runs "kind" from PATH with os/exec, with kind's
// detected container engine and default node image, and waits up to five minutes for the
// control plane.
type KindOptions struct {
	// Runner runs the commands; nil means [ExecRunner] (tests inject a fake).
	Runner Runner
	// Binary is the kind command; defaults to "kind".
	Binary string
	// NodeImage, when set, is the node image, e.g. kindest/node:v1.35.0 (--image).
	NodeImage string
	// RawConfig, when set, is a kind Cluster configuration (YAML), passed as a private
	// temporary file to --config.
	RawConfig []byte
	// Wait is how long Create waits for the control plane (--wait); zero means five minutes.
	Wait time.Duration
	// Internal makes Kubeconfig return the address reachable from inside the kind network
	// (--internal).
	Internal bool
}

// Kind is the [Provisioner] for kind clusters, driving the kind command line (kind's Go
// library is not a dependency of wecforge). Create it with [NewKind].
type Kind struct {
	run    Runner
	binary string
	opts   KindOptions
}

var _ Provisioner = (*Kind)(nil)

// NewKind returns a kind provisioner; opts is copied.
func NewKind(opts KindOptions) *Kind {
	r := opts.Runner
	if r == nil {
		r = ExecRunner{}
	}
	bin := opts.Binary
	if bin == "" {
		bin = "kind"
	}
	if opts.Wait <= 0 {
		opts.Wait = 5 * time.Minute
	}
	opts.RawConfig = slices.Clone(opts.RawConfig)
	opts.Runner = nil
	return &Kind{run: r, binary: bin, opts: opts}
}

// Create runs `kind create cluster --name NAME --wait WAIT` unless the cluster exists. kind's
// kubeconfig entry goes to a private temporary file (--kubeconfig) that is removed afterwards,
// so the user's kubeconfig is never edited.
func (k *Kind) Create(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || exists {
		return err
	}
	return withTempDir(func(dir string) error {
		args := []string{"create", "cluster", "--name", name,
			"--kubeconfig", filepath.Join(dir, "kubeconfig"), "--wait", k.opts.Wait.String()}
		if k.opts.NodeImage != "" {
			args = append(args, "--image", k.opts.NodeImage)
		}
		if len(k.opts.RawConfig) > 0 {
			cfg := filepath.Join(dir, "kind-config.yaml")
			if err := os.WriteFile(cfg, k.opts.RawConfig, 0o600); err != nil {
				return fmt.Errorf("kind: create cluster %s: write config: %w", name, err)
			}
			args = append(args, "--config", cfg)
		}
		if _, err := k.run.Run(ctx, k.binary, args...); err != nil {
			return fmt.Errorf("kind: create cluster %s: %w", name, err)
		}
		return nil
	})
}

// Kubeconfig runs `kind get kubeconfig --name NAME`.
func (k *Kind) Kubeconfig(ctx context.Context, name string) ([]byte, error) {
	exists, err := k.exists(ctx, name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("kind: %w: %s", ErrNotFound, name)
	}
	args := []string{"get", "kubeconfig", "--name", name}
	if k.opts.Internal {
		args = append(args, "--internal")
	}
	out, err := k.run.Run(ctx, k.binary, args...)
	if err != nil {
		return nil, fmt.Errorf("kind: kubeconfig of %s: %w", name, err)
	}
	return out, nil
}

// Delete runs `kind delete cluster --name NAME` when the cluster exists, with a private
// temporary --kubeconfig so the user's kubeconfig is never edited.
func (k *Kind) Delete(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || !exists {
		return err
	}
	return withTempDir(func(dir string) error {
		_, err := k.run.Run(ctx, k.binary, "delete", "cluster", "--name", name, "--kubeconfig", filepath.Join(dir, "kubeconfig"))
		if err != nil {
			return fmt.Errorf("kind: delete cluster %s: %w", name, err)
		}
		return nil
	})
}

// exists reads `kind get clusters`: one name per line, nothing when there are none.
func (k *Kind) exists(ctx context.Context, name string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	out, err := k.run.Run(ctx, k.binary, "get", "clusters")
	if err != nil {
		return false, fmt.Errorf("kind: list clusters: %w", err)
	}
	for line := range strings.Lines(string(out)) {
		if strings.TrimSpace(line) == name {
			return true, nil
		}
	}
	return false, nil
}

// withTempDir gives fn a fresh private directory, removed after.
func withTempDir(fn func(dir string) error) error {
	dir, err := os.MkdirTemp("", "wecforge-kind-")
	if err != nil {
		return fmt.Errorf("kind: temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	return fn(dir)
}
