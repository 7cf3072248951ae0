package registry

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrInvalidJoin means a join input (hub URL, token, WEC name) is missing or malformed.
var ErrInvalidJoin = errors.New("invalid join input")

// Hub is what a WEC's agent needs to reach the hub: its URL and the PEM CA bundle that signs
// the hub's serving certificate. It is a plain value; CA is not copied by the functions below.
type Hub struct {
	// URL is the hub API server, e.g. https://hub.example:6443.
	URL string
	// CA is the PEM bundle; empty means the system roots (kubeconfig without CA data).
	CA []byte
}

// HubFromRESTConfig takes the hub's URL and CA from a rest.Config the caller already has (the
// CA data, or the contents of its CA file). It does not contact the hub.
func HubFromRESTConfig(cfg *rest.Config) (Hub, error) {
	if cfg == nil || cfg.Host == "" {
		return Hub{}, fmt.Errorf("%w: rest config without a host", ErrInvalidJoin)
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return Hub{}, fmt.Errorf("read hub CA: %w", err)
		}
		ca = b
	}
	host := cfg.Host
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	return Hub{URL: host, CA: ca}, nil
}

// JoinOptions adds optional flags to [JoinCommand]. The zero value adds none.
type JoinOptions struct {
	// Binary is the command to run; defaults to "clusteradm".
	Binary string
	// CAFile, when set, is passed as --ca-file (a path on the WEC operator's machine).
	CAFile string
	// Wait adds --wait.
	Wait bool
	// Extra flags appended verbatim, e.g. "--singleton".
	Extra []string
}

// JoinCommand returns the `clusteradm join` argument vector that joins WEC wec to hub with
// token, binary first. The vector is freshly allocated. Use [ShellQuote] to print it.
func JoinCommand(hub Hub, token, wec string, opts JoinOptions) ([]string, error) {
	if err := validateJoin(hub, token, wec); err != nil {
		return nil, err
	}
	args := []string{defaultString(opts.Binary, "clusteradm"), "join",
		"--hub-token", token,
		"--hub-apiserver", hub.URL,
		"--cluster-name", wec,
	}
	if opts.CAFile != "" {
		args = append(args, "--ca-file", opts.CAFile)
	}
	if opts.Wait {
		args = append(args, "--wait")
	}
	return append(args, opts.Extra...), nil
}

// ShellQuote joins args into one POSIX shell command line, single-quoting every argument that
// needs it.
func ShellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, needsQuote) < 0 {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(out, " ")
}

func needsQuote(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	case strings.ContainsRune("-_./:=@,+%", r):
		return false
	}
	return true
}

// BootstrapKubeconfig renders the bootstrap kubeconfig a registration agent on WEC wec reads:
// one cluster (hub URL and CA), one user (the token) and one current context, all named
// "bootstrap". The result is YAML the caller owns.
func BootstrapKubeconfig(hub Hub, token, wec string) ([]byte, error) {
	if err := validateJoin(hub, token, wec); err != nil {
		return nil, err
	}
	const name = "bootstrap"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{
		Server:                   hub.URL,
		CertificateAuthorityData: hub.CA,
	}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	cfg.CurrentContext = name
	out, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("render bootstrap kubeconfig for %s: %w", wec, err)
	}
	return out, nil
}

func validateJoin(hub Hub, token, wec string) error {
	var errs []error
	u, err := url.Parse(hub.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		errs = append(errs, fmt.Errorf("%w: hub URL %q is not an https URL", ErrInvalidJoin, hub.URL))
	}
	if token == "" {
		errs = append(errs, fmt.Errorf("%w: empty token", ErrInvalidJoin))
	}
	if msgs := validation.IsDNS1123Subdomain(wec); len(msgs) > 0 {
		errs = append(errs, fmt.Errorf("%w: WEC name %q: %s", ErrInvalidJoin, wec, strings.Join(msgs, "; ")))
	}
	return errors.Join(errs...)
}
