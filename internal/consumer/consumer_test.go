package consumer_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// consumerMain imports the three engine packages the way an application does.
const consumerMain = `package main

import (
	"fmt"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/transform"
)

func main() {
	var w customization.WEC
	set, err := rules.Compile(nil)
	p := transform.NewPipeline(nil, nil)
	fmt.Println(w.Name, set != nil, p != nil, err)
}
`

// forbidden lists module path prefixes that must never be in a consumer's module graph, and
// via, when set, the only module whose go.mod may name them.
var forbidden = []struct {
	prefix, reason, via string
}{
	{"sigs.k8s.io/kind", "kind is a test tool; registry/provision runs its CLI", ""},
	{"sigs.k8s.io/controller-runtime", "tests start their own kube-apiserver (internal/kubeplane)", ""},
	{"github.com/spf13/cobra", "only k8s.io/apiserver's go.mod may name cobra", "k8s.io/apiserver"},
	{"go.etcd.io/", "only k8s.io/apiserver's go.mod may name etcd", "k8s.io/apiserver"},
	{"go.opentelemetry.io/", "only k8s.io/apiserver's go.mod may name OpenTelemetry", "k8s.io/apiserver"},
}

// TestConsumerModuleGraph builds a module importing customization, transform and rules (with a
// replace to this repository), tidies it, and checks its `go list -m all` and `go mod graph`.
func TestConsumerModuleGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on a throwaway module")
	}
	root := repoRoot(t)
	dir := t.TempDir()
	gomod := "module example.com/consumer\n\ngo 1.26.0\n\nrequire github.com/wecforge/wecforge v0.0.0\n\n" +
		"replace github.com/wecforge/wecforge => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(consumerMain), 0o600))
	// The repository's checksums cover every module the consumer can need: no checksum
	// database lookups, so the test runs from a warm module cache alone.
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o600))

	goCmd(t, dir, "mod", "tidy")
	gomodAfter, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(gomodAfter), "\ngo 1.26.0\n", "importing wecforge must not raise the consumer's go directive")

	var modules []string
	for line := range strings.Lines(goCmd(t, dir, "list", "-m", "all")) {
		if f := strings.Fields(line); len(f) > 0 {
			modules = append(modules, f[0])
		}
	}
	require.Contains(t, modules, "github.com/google/cel-go", "the graph was read")
	t.Logf("consumer module graph: %d modules", len(modules))

	// requirers maps each module path to the module paths whose go.mod requires it.
	requirers := map[string][]string{}
	for line := range strings.Lines(goCmd(t, dir, "mod", "graph")) {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		from, to := modPath(f[0]), modPath(f[1])
		if !slices.Contains(requirers[to], from) {
			requirers[to] = append(requirers[to], from)
		}
	}
	for _, m := range modules {
		for _, f := range forbidden {
			if !strings.HasPrefix(m, f.prefix) {
				continue
			}
			if f.via == "" {
				t.Errorf("consumer graph lists %s (required by %v): %s", m, requirers[m], f.reason)
				continue
			}
			for _, r := range requirers[m] {
				if r != f.via && !strings.HasPrefix(r, f.prefix) {
					t.Errorf("consumer graph lists %s, required by %s: %s", m, r, f.reason)
				}
			}
		}
	}
}

// modPath strips the @version of a `go mod graph` node.
func modPath(node string) string {
	path, _, _ := strings.Cut(node, "@")
	return path
}

// goCmd runs the go command in dir, outside any workspace and without network access to the
// checksum database, and returns its standard output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false", "GONOSUMDB=*")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// repoRoot walks up from the working directory to the wecforge module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for range 64 {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/wecforge/wecforge\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	t.Fatal(errors.New("not inside the wecforge repository"))
	return ""
}
