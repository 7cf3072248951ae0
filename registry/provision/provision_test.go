package provision_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wecforge/wecforge/registry/provision"
)

// errNoEngine is what the fake kind answers when told to fail.
var errNoEngine = errors.New("no container engine")

// fakeKind plays the kind command line: no container engine runs here.
type fakeKind struct {
	mu       sync.Mutex
	clusters []string
	calls    []string
	failList bool
	config   string // content of the --config file when Create ran
}

func (f *fakeKind) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := name + " " + strings.Join(args, " ")
	if line == "kind get clusters" {
		if f.failList {
			return nil, errNoEngine
		}
		if len(f.clusters) == 0 {
			return nil, nil // kind prints "No kind clusters found." on stderr
		}
		return []byte(strings.Join(f.clusters, "\n") + "\n"), nil
	}
	f.calls = append(f.calls, line)
	flag := func(n string) string {
		if i := slices.Index(args, n); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	switch {
	case strings.HasPrefix(line, "kind create cluster "), strings.HasPrefix(line, "kind delete cluster "):
		if flag("--kubeconfig") == "" {
			return nil, errors.New("kind would edit the default kubeconfig")
		}
		if args[0] == "delete" {
			f.clusters = slices.DeleteFunc(f.clusters, func(c string) bool { return c == flag("--name") })
			return nil, nil
		}
		if cfg := flag("--config"); cfg != "" {
			b, err := os.ReadFile(cfg)
			if err != nil {
				return nil, err
			}
			f.config = string(b)
		}
		f.clusters = append(f.clusters, flag("--name"))
	case strings.HasPrefix(line, "kind get kubeconfig "):
		return []byte("kubeconfig-of-" + flag("--name")), nil
	}
	return nil, nil
}

// maskTemp replaces the private temporary paths in kind's command lines with TMP.
func maskTemp(calls []string) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		fields := strings.Fields(c)
		for j, f := range fields {
			if strings.HasPrefix(f, os.TempDir()) {
				fields[j] = "TMP/" + filepath.Base(f)
			}
		}
		out[i] = strings.Join(fields, " ")
	}
	return out
}

// fakeK3d plays the k3d command line.
type fakeK3d struct {
	mu       sync.Mutex
	clusters []string
	calls    []string
}

func (f *fakeK3d) Run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := name + " " + strings.Join(args, " ")
	f.calls = append(f.calls, line)
	switch {
	case strings.HasPrefix(line, "k3d cluster list -o json"):
		parts := make([]string, 0, len(f.clusters))
		for _, c := range f.clusters {
			parts = append(parts, `{"name":"`+c+`","servers":1}`)
		}
		return []byte("[" + strings.Join(parts, ",") + "]"), nil
	case strings.HasPrefix(line, "k3d cluster create "):
		f.clusters = append(f.clusters, args[2])
	case strings.HasPrefix(line, "k3d cluster delete "):
		f.clusters = slices.DeleteFunc(f.clusters, func(c string) bool { return c == args[2] })
	case strings.HasPrefix(line, "k3d kubeconfig get "):
		return []byte("kubeconfig-of-" + args[2]), nil
	}
	return nil, nil
}

// TestProvisioners runs the same lifecycle through every implementation.
func TestProvisioners(t *testing.T) {
	kind := &fakeKind{}
	k3d := &fakeK3d{}
	cases := []struct {
		name  string
		p     provision.Provisioner
		calls func() []string
		want  []string
	}{{
		name:  "kind",
		p:     provision.NewKind(provision.KindOptions{Runner: kind, NodeImage: "kindest/node:test", RawConfig: []byte("kind: Cluster\n")}),
		calls: func() []string { return maskTemp(kind.calls) },
		want: []string{
			"kind create cluster --name wec1 --kubeconfig TMP/kubeconfig --wait 5m0s --image kindest/node:test --config TMP/kind-config.yaml",
			"kind get kubeconfig --name wec1",
			"kind delete cluster --name wec1 --kubeconfig TMP/kubeconfig",
		},
	}, {
		name: "k3d",
		p:    provision.NewK3d(provision.K3dOptions{Runner: k3d, CreateArgs: []string{"--servers", "1"}}),
		calls: func() []string {
			return slices.DeleteFunc(slices.Clone(k3d.calls), func(c string) bool { return strings.Contains(c, " list ") })
		},
		want: []string{
			"k3d cluster create wec1 --wait --kubeconfig-update-default=false --kubeconfig-switch-context=false --servers 1",
			"k3d kubeconfig get wec1",
			"k3d cluster delete wec1",
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			_, err := tc.p.Kubeconfig(ctx, "wec1")
			require.ErrorIs(t, err, provision.ErrNotFound)
			require.NoError(t, tc.p.Create(ctx, "wec1"))
			require.NoError(t, tc.p.Create(ctx, "wec1"), "a second create is a no-op")
			cfg, err := tc.p.Kubeconfig(ctx, "wec1")
			require.NoError(t, err)
			assert.Equal(t, "kubeconfig-of-wec1", string(cfg))
			require.NoError(t, tc.p.Delete(ctx, "wec1"))
			require.NoError(t, tc.p.Delete(ctx, "wec1"), "a second delete is a no-op")
			assert.Equal(t, tc.want, tc.calls())
		})
	}
	assert.Equal(t, "kind: Cluster\n", kind.config, "RawConfig reaches kind as its --config file")
	assert.Empty(t, kind.clusters)
}

func TestKindErrors(t *testing.T) {
	p := provision.NewKind(provision.KindOptions{Runner: &fakeKind{failList: true}})
	assert.ErrorIs(t, p.Create(context.Background(), "x"), errNoEngine)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, provision.NewKind(provision.KindOptions{Runner: &fakeKind{}}).Create(ctx, "x"), context.Canceled)
}

func TestK3dErrors(t *testing.T) {
	failing := provision.RunnerFunc(func(context.Context, string, ...string) ([]byte, error) {
		return nil, errors.New("exit status 1: docker not running")
	})
	assert.ErrorContains(t, provision.NewK3d(provision.K3dOptions{Runner: failing}).Create(context.Background(), "x"), "docker not running")
	garbage := provision.RunnerFunc(func(context.Context, string, ...string) ([]byte, error) { return []byte("nope"), nil })
	assert.ErrorContains(t, provision.NewK3d(provision.K3dOptions{Runner: garbage}).Delete(context.Background(), "x"), "decode")
}

func TestExecRunner(t *testing.T) {
	out, err := provision.ExecRunner{}.Run(context.Background(), "sh", "-c", "echo hello")
	require.NoError(t, err)
	assert.Equal(t, "hello\n", string(out))
	_, err = provision.ExecRunner{}.Run(context.Background(), "sh", "-c", "echo broken >&2; exit 3")
	assert.ErrorContains(t, err, "broken")
}

const kubeconfig = `apiVersion: v1
kind: Config
current-context: a
clusters:
- name: ca
  cluster: {server: "https://a.example:6443"}
- name: cb
  cluster: {server: "https://b.example:6443"}
users:
- name: ua
  user: {token: token-a}
- name: ub
  user: {token: token-b}
contexts:
- name: a
  context: {cluster: ca, user: ua}
- name: kind-b
  context: {cluster: cb, user: ub}
`

func TestContext(t *testing.T) {
	p, err := provision.NewContext([]byte(kubeconfig), map[string]string{"wec-b": "kind-b"})
	require.NoError(t, err)
	ctx := context.Background()
	cases := []struct {
		wec, server, token string
	}{{"a", "https://a.example:6443", "token-a"}, {"wec-b", "https://b.example:6443", "token-b"}}
	for _, tc := range cases {
		t.Run(tc.wec, func(t *testing.T) {
			require.NoError(t, p.Create(ctx, tc.wec))
			raw, err := p.Kubeconfig(ctx, tc.wec)
			require.NoError(t, err)
			cfg, err := clientcmd.Load(raw)
			require.NoError(t, err)
			require.Len(t, cfg.Clusters, 1)
			require.Len(t, cfg.AuthInfos, 1)
			rc, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig()
			require.NoError(t, err)
			assert.Equal(t, tc.server, rc.Host)
			assert.Equal(t, tc.token, rc.BearerToken)
			require.NoError(t, p.Delete(ctx, tc.wec))
		})
	}
	assert.ErrorIs(t, p.Create(ctx, "missing"), provision.ErrNotFound)
	_, err = provision.NewContext([]byte("{not yaml"), nil)
	assert.Error(t, err)
}
