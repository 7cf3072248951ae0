package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wecforge/wecforge/internal/kubeplane"
)

// Binaries every end-to-end environment needs, as named in the binaries folder.
var requiredBinaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "registration", "work"}

// DefaultGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const DefaultGrace = 15 * time.Second

// Env owns every process of one end-to-end test and stops them, tier by tier, when the test
// ends — passed, failed or panicked. Create it with [New]. Its methods may be called from the
// test's goroutine and from helpers it starts; they are safe for concurrent use.
type Env struct {
	t      testing.TB
	bins   string
	root   string // repository root
	dir    string // per-test working directory (data, certificates, logs)
	grace  time.Duration
	mu     sync.Mutex
	procs  [kubeplane.NumTiers][]*Process
	ocmDir string
}

// New prepares an Env for t. When a binary is missing the test is skipped, or fails when
// WECFORGE_REQUIRE_E2E is set (as `make test` does). Binaries come from WECFORGE_BIN_DIR, else
// hack/bin of the repository.
func New(t testing.TB) *Env {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	bins := os.Getenv("WECFORGE_BIN_DIR")
	if bins == "" {
		bins = filepath.Join(root, "hack", "bin")
	}
	var missing []string
	for _, b := range requiredBinaries {
		if st, err := os.Stat(filepath.Join(bins, b)); err != nil || st.IsDir() {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("e2e: binaries %s missing in %s (run hack/tools.sh)", strings.Join(missing, ", "), bins)
		if os.Getenv("WECFORGE_REQUIRE_E2E") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	e := &Env{t: t, bins: bins, root: root, dir: t.TempDir(), grace: DefaultGrace}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(e.StopAll)
	return e
}

// Dir returns the Env's working directory (removed after the test).
func (e *Env) Dir() string { return e.dir }

// Root returns the repository root.
func (e *Env) Root() string { return e.root }

// mkdir makes a directory under the working directory and returns its path.
func (e *Env) mkdir(parts ...string) (string, error) {
	p := filepath.Join(append([]string{e.dir}, parts...)...)
	return p, os.MkdirAll(p, 0o700)
}

// Start runs binary name from the binaries folder in the given shutdown tier; its output goes
// to a log file under the working directory.
func (e *Env) Start(name string, tier Tier, binary string, args ...string) (*Process, error) {
	logs, err := e.mkdir("logs")
	if err != nil {
		return nil, err
	}
	p, err := kubeplane.StartProcess(name, filepath.Join(logs, name+".log"), tier, filepath.Join(e.bins, binary), args...)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.procs[tier] = append(e.procs[tier], p)
	e.mu.Unlock()
	return p, nil
}

// Processes returns every process started so far, lowest tier first.
func (e *Env) Processes() []*Process {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*Process
	for _, tier := range e.procs {
		out = append(out, tier...)
	}
	return out
}

// StopAll stops every process, tier by tier (the processes of one tier in parallel), each with
// SIGTERM and, after the grace period, SIGKILL. When the test failed it first logs the tail of
// every process's log. It is idempotent; New registers it with t.Cleanup.
func (e *Env) StopAll() {
	if e.t.Failed() {
		for _, p := range e.Processes() {
			state := "running"
			if err := p.ExitError(); err != nil {
				state = err.Error()
			}
			e.t.Logf("=== log of %s (%s), last lines:\n%s", p.Name, state, p.Tail(40))
		}
	}
	start := time.Now()
	for tier := range kubeplane.NumTiers {
		e.mu.Lock()
		procs := append([]*Process(nil), e.procs[tier]...)
		e.mu.Unlock()
		var wg sync.WaitGroup
		for _, p := range procs {
			wg.Go(func() {
				if p.Stop(e.grace) {
					e.t.Logf("e2e: %s needed SIGKILL", p.Name)
				}
			})
		}
		wg.Wait()
	}
	e.t.Logf("e2e: stopped %d processes in %s", len(e.Processes()), time.Since(start).Round(10*time.Millisecond))
}

// OCMModuleDir returns the folder of open-cluster-management.io/ocm v1.0.0 in the module cache
// (its manifests hold the hub and spoke CRDs), as resolved by the hack/tools/ocm wrapper module.
func (e *Env) OCMModuleDir() (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ocmDir != "" {
		return e.ocmDir, nil
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/ocm")
	cmd.Dir = filepath.Join(e.root, "hack", "tools", "ocm")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-buildvcs=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locate the ocm module: %w: %s", err, stderr.String())
	}
	e.ocmDir = strings.TrimSpace(string(out))
	return e.ocmDir, nil
}

// RepoRoot walks up from the working directory to the wecforge module root.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/wecforge/wecforge\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the wecforge repository")
		}
		dir = parent
	}
}

// Eventually polls cond every interval until it returns true, returns an error, or the timeout
// passes; it returns the last error (or a timeout error naming what) otherwise. Processes that
// exited meanwhile are reported, since they usually explain a timeout.
func (e *Env) Eventually(ctx context.Context, what string, timeout, interval time.Duration, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			var dead []string
			for _, p := range e.Processes() {
				if p.Exited() {
					dead = append(dead, fmt.Sprintf("%s (%v)", p.Name, p.ExitError()))
				}
			}
			msg := fmt.Sprintf("timed out after %s waiting for %s", timeout, what)
			if len(dead) > 0 {
				msg += "; exited processes: " + strings.Join(dead, ", ")
			}
			if last != nil {
				return fmt.Errorf("%s: last error: %w", msg, last)
			}
			return errors.New(msg)
		case <-time.After(interval):
		}
	}
}
