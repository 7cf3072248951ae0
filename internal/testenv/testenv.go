package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wecforge/wecforge/internal/kubeplane"
)

// RequireEnvVar, when set, turns missing binaries into a failure instead of a skip.
const RequireEnvVar = "WECFORGE_REQUIRE_ENVTEST"

// stopGrace is how long the server gets after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

// Options configures [Server.Run].
type Options struct {
	// OCMCRDs are folders of open-cluster-management.io/api whose CRDs are installed, such as
	// "cluster/v1" (ManagedCluster) or "work/v1" (ManifestWork).
	OCMCRDs []string
	// Setup, when set, runs once before the tests with the admin config and kubeconfig.
	Setup func(cfg *rest.Config, kubeconfig []byte) error
}

// Server is the API server shared by one package's tests. Its zero value is ready for Run; it
// is read-only (safe for concurrent use) while the tests run.
type Server struct {
	cfg        *rest.Config
	kubeconfig []byte
	skip       string
}

// Run starts the server, runs the tests, stops the server and returns the exit code for
// os.Exit. name prefixes its messages.
func (s *Server) Run(m *testing.M, name string, opts Options) int {
	if fuzzing() {
		s.skip = "fuzzing"
		return m.Run()
	}
	assets, err := AssetsDir()
	if err != nil {
		if os.Getenv(RequireEnvVar) != "" {
			fmt.Fprintf(os.Stderr, "%s: %s is set but kube-apiserver and etcd are unavailable: %v\n", name, RequireEnvVar, err)
			return 1
		}
		s.skip = err.Error()
		return m.Run()
	}
	crds, err := ocmCRDFiles(opts.OCMCRDs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "wecforge-testenv-"+name+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	plane, err := kubeplane.Start(ctx, kubeplane.Options{
		Name:      name,
		Dir:       dir,
		Etcd:      filepath.Join(assets, "etcd"),
		APIServer: filepath.Join(assets, "kube-apiserver"),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: start kube-apiserver and etcd: %v\n", name, err)
		return 1
	}
	defer plane.Stop(stopGrace)
	if len(crds) > 0 {
		if err := plane.InstallCRDs(ctx, crds, 2*time.Minute); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 1
		}
	}
	cfg, kubeconfig := plane.Config, plane.AdminKubeconfigData
	if opts.Setup != nil {
		if err := opts.Setup(rest.CopyConfig(cfg), kubeconfig); err != nil {
			fmt.Fprintf(os.Stderr, "%s: setup: %v\n", name, err)
			return 1
		}
	}
	s.cfg, s.kubeconfig = cfg, kubeconfig
	return m.Run()
}

// Config returns a copy of the admin (system:masters) config, or skips t when the server
// could not start for lack of binaries.
func (s *Server) Config(t testing.TB) *rest.Config {
	t.Helper()
	if s.cfg == nil {
		t.Skip("kube-apiserver and etcd unavailable: " + s.skip)
	}
	return rest.CopyConfig(s.cfg)
}

// Kubeconfig returns the admin kubeconfig, or skips t like Config.
func (s *Server) Kubeconfig(t testing.TB) []byte {
	t.Helper()
	s.Config(t)
	return s.kubeconfig
}

// AssetsDir finds the folder holding kube-apiserver and etcd: KUBEBUILDER_ASSETS, else
// hack/bin/assets of the repository the tests run in.
func AssetsDir() (string, error) {
	dir := os.Getenv("KUBEBUILDER_ASSETS")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(root, "hack", "bin", "assets")
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return "", fmt.Errorf("%s missing in %s (run hack/tools.sh)", b, dir)
		}
	}
	return filepath.Abs(dir)
}

// repoRoot walks up from the working directory to the folder holding hack/tools.sh.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "tools.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no hack/tools.sh above the working directory")
		}
		dir = parent
	}
}

// ocmCRDFiles lists the CRD files (*.crd.yaml) in folders of open-cluster-management.io/api in
// the module cache; a folder without any is an error.
func ocmCRDFiles(sub []string) ([]string, error) {
	if len(sub) == 0 {
		return nil, nil
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "open-cluster-management.io/api").Output()
	if err != nil {
		return nil, fmt.Errorf("locate open-cluster-management.io/api: %w", err)
	}
	root := strings.TrimSpace(string(out))
	var files []string
	for _, s := range sub {
		dir := filepath.Join(root, filepath.FromSlash(s))
		found, err := filepath.Glob(filepath.Join(dir, "*.crd.yaml"))
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no *.crd.yaml in %s", dir)
		}
		files = append(files, found...)
	}
	return files, nil
}

// fuzzing reports whether the binary runs as a fuzz coordinator or worker.
func fuzzing() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzz=") || strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}
