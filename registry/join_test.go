package registry_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/wecforge/wecforge/registry"
)

var testHub = registry.Hub{URL: "https://hub.example:6443", CA: []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")}

func TestJoinCommand(t *testing.T) {
	cases := []struct {
		name    string
		hub     registry.Hub
		token   string
		wec     string
		opts    registry.JoinOptions
		want    string
		wantErr bool
	}{{
		name: "plain", hub: testHub, token: "tok", wec: "wec1",
		want: "clusteradm join --hub-token tok --hub-apiserver https://hub.example:6443 --cluster-name wec1",
	}, {
		name: "options", hub: testHub, token: "a b'c", wec: "wec1",
		opts: registry.JoinOptions{Binary: "/usr/local/bin/clusteradm", CAFile: "/tmp/ca.crt", Wait: true, Extra: []string{"--singleton"}},
		want: `/usr/local/bin/clusteradm join --hub-token 'a b'"'"'c' --hub-apiserver https://hub.example:6443 --cluster-name wec1 --ca-file /tmp/ca.crt --wait --singleton`,
	}, {
		name: "http hub", hub: registry.Hub{URL: "http://hub:80"}, token: "t", wec: "w", wantErr: true,
	}, {
		name: "no token", hub: testHub, wec: "w", wantErr: true,
	}, {
		name: "bad name", hub: testHub, token: "t", wec: "Not_A_Name", wantErr: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, err := registry.JoinCommand(tc.hub, tc.token, tc.wec, tc.opts)
			if tc.wantErr {
				require.ErrorIs(t, err, registry.ErrInvalidJoin)
				_, err = registry.BootstrapKubeconfig(tc.hub, tc.token, tc.wec)
				require.ErrorIs(t, err, registry.ErrInvalidJoin)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, registry.ShellQuote(args))
		})
	}
}

func TestShellQuote(t *testing.T) {
	assert.Equal(t, `a '' 'x y' '$HOME' 'it'"'"'s' k=v`, registry.ShellQuote([]string{"a", "", "x y", "$HOME", "it's", "k=v"}))
}

func TestBootstrapKubeconfig(t *testing.T) {
	raw, err := registry.BootstrapKubeconfig(testHub, "secret-token", "wec1")
	require.NoError(t, err)
	cfg, err := clientcmd.Load(raw)
	require.NoError(t, err)
	assert.Equal(t, "bootstrap", cfg.CurrentContext)
	assert.Equal(t, testHub.URL, cfg.Clusters["bootstrap"].Server)
	assert.Equal(t, testHub.CA, cfg.Clusters["bootstrap"].CertificateAuthorityData)
	assert.Equal(t, "secret-token", cfg.AuthInfos["bootstrap"].Token)
}

func TestHubFromRESTConfig(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	require.NoError(t, os.WriteFile(caFile, testHub.CA, 0o600))
	cases := []struct {
		name    string
		cfg     *rest.Config
		want    registry.Hub
		wantErr bool
	}{
		{"ca data", &rest.Config{Host: "https://h:6443", TLSClientConfig: rest.TLSClientConfig{CAData: testHub.CA}}, registry.Hub{URL: "https://h:6443", CA: testHub.CA}, false},
		{"ca file, bare host", &rest.Config{Host: "h:6443", TLSClientConfig: rest.TLSClientConfig{CAFile: caFile}}, registry.Hub{URL: "https://h:6443", CA: testHub.CA}, false},
		{"missing ca file", &rest.Config{Host: "h", TLSClientConfig: rest.TLSClientConfig{CAFile: caFile + ".missing"}}, registry.Hub{}, true},
		{"nil", nil, registry.Hub{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := registry.HubFromRESTConfig(tc.cfg)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
