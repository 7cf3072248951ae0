package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Provisioner manages the clusters that become WECs. Implementations are safe for concurrent
// use unless they say otherwise.
type Provisioner interface {
	// Create makes cluster name exist; a cluster that already exists is left as it is.
	Create(ctx context.Context, name string) error
	// Kubeconfig returns a kubeconfig (YAML) for cluster name, reachable from the host; the
	// caller owns the bytes. A missing cluster yields an error wrapping [ErrNotFound].
	Kubeconfig(ctx context.Context, name string) ([]byte, error)
	// Delete removes cluster name; a missing cluster is not an error.
	Delete(ctx context.Context, name string) error
}

// ErrNotFound means the named cluster does not exist.
var ErrNotFound = errors.New("cluster not found")

// Runner runs an external command and returns its standard output. A non-zero exit is an error
// that includes the command's standard error. Implementations must be safe for concurrent use.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
}

// RunnerFunc adapts a function to [Runner].
type RunnerFunc func(ctx context.Context, name string, args ...string) ([]byte, error)

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return f(ctx, name, args...)
}

// ExecRunner is the [Runner] that runs real commands with os/exec; the process is killed when
// ctx ends. The zero value is ready to use.
type ExecRunner struct{}

// Run runs the command and returns its standard output.
func (ExecRunner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return stdout.Bytes(), nil
}
