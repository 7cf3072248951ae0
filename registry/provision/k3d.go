package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// K3dOptions tunes [NewK3d]. The zero value runs "k3d" from PATH with os/exec.
type K3dOptions struct {
	// Runner runs the commands; nil means [ExecRunner] (tests inject a fake).
	Runner Runner
	// Binary is the k3d command; defaults to "k3d".
	Binary string
	// CreateArgs are appended to `k3d cluster create`, e.g. "--servers", "1", "--image", "...".
	CreateArgs []string
}

// K3d is the [Provisioner] for k3d clusters, driving the k3d command line. Create it with
// [NewK3d].
type K3d struct {
	run    Runner
	binary string
	extra  []string
}

var _ Provisioner = (*K3d)(nil)

// NewK3d returns a k3d provisioner; opts is copied.
func NewK3d(opts K3dOptions) *K3d {
	r := opts.Runner
	if r == nil {
		r = ExecRunner{}
	}
	bin := opts.Binary
	if bin == "" {
		bin = "k3d"
	}
	return &K3d{run: r, binary: bin, extra: slices.Clone(opts.CreateArgs)}
}

// Create runs `k3d cluster create NAME --wait` unless the cluster exists, leaving the default
// kubeconfig untouched.
func (k *K3d) Create(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || exists {
		return err
	}
	args := append([]string{"cluster", "create", name, "--wait",
		"--kubeconfig-update-default=false", "--kubeconfig-switch-context=false"}, k.extra...)
	if _, err := k.run.Run(ctx, k.binary, args...); err != nil {
		return fmt.Errorf("k3d: create cluster %s: %w", name, err)
	}
	return nil
}

// Kubeconfig runs `k3d kubeconfig get NAME`.
func (k *K3d) Kubeconfig(ctx context.Context, name string) ([]byte, error) {
	exists, err := k.exists(ctx, name)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("k3d: %w: %s", ErrNotFound, name)
	}
	out, err := k.run.Run(ctx, k.binary, "kubeconfig", "get", name)
	if err != nil {
		return nil, fmt.Errorf("k3d: kubeconfig of %s: %w", name, err)
	}
	return out, nil
}

// Delete runs `k3d cluster delete NAME` when the cluster exists.
func (k *K3d) Delete(ctx context.Context, name string) error {
	exists, err := k.exists(ctx, name)
	if err != nil || !exists {
		return err
	}
	if _, err := k.run.Run(ctx, k.binary, "cluster", "delete", name); err != nil {
		return fmt.Errorf("k3d: delete cluster %s: %w", name, err)
	}
	return nil
}

// exists reads `k3d cluster list -o json`, a JSON array of objects with a "name".
func (k *K3d) exists(ctx context.Context, name string) (bool, error) {
	out, err := k.run.Run(ctx, k.binary, "cluster", "list", "-o", "json")
	if err != nil {
		return false, fmt.Errorf("k3d: list clusters: %w", err)
	}
	var clusters []k3dCluster
	if err := json.Unmarshal(out, &clusters); err != nil {
		return false, fmt.Errorf("k3d: list clusters: decode: %w", err)
	}
	return slices.ContainsFunc(clusters, func(c k3dCluster) bool { return c.Name == name }), nil
}

// k3dCluster is the part of a `k3d cluster list -o json` entry that K3d reads.
type k3dCluster struct {
	Name string `json:"name"`
}
