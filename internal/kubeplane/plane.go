package kubeplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configures [Start].
type Options struct {
	// Name names the plane in messages and prefixes its processes' names ("hub", "registry").
	Name string
	// Dir is an existing directory that receives the plane's certificates, kubeconfig, etcd data
	// and, unless Start is set, its processes' logs. The caller removes it.
	Dir string
	// Etcd and APIServer are the paths of the etcd and kube-apiserver binaries.
	Etcd, APIServer string
	// Start, when set, starts each process instead of [StartProcess] (with logs under
	// Dir/logs); an end-to-end environment uses it to record the processes it must stop. It
	// receives the process name, its tier, the binary path and the arguments.
	Start func(name string, tier Tier, binary string, args ...string) (*Process, error)
	// Ready bounds the wait for /readyz; zero means three minutes.
	Ready time.Duration
}

// Plane is one etcd and one kube-apiserver on loopback, with certificates made in Go, RBAC
// authorization, service-account token signing and an admin (system:masters) identity. Fields
// are set by [Start] and read-only afterwards; the methods are safe for concurrent use.
type Plane struct {
	// Name is the plane's name.
	Name string
	// Dir holds the plane's certificates, kubeconfigs and etcd data.
	Dir string
	// URL is the API server, https://127.0.0.1:PORT.
	URL string
	// CA signs the serving and client certificates and is the API server's client CA.
	CA *CA
	// CAFile, CAKeyFile and SAKeyFile are the CA's PEM files and the service-account signing key.
	CAFile, CAKeyFile, SAKeyFile string
	// Admin is the system:masters client certificate.
	Admin KeyPair
	// AdminKubeconfig is the path of a kubeconfig for Admin; AdminKubeconfigData is its content.
	AdminKubeconfig     string
	AdminKubeconfigData []byte
	// Config and Kube are the admin REST config and clientset; copy Config before changing it.
	Config *rest.Config
	Kube   kubernetes.Interface
	// Etcd and APIServer are the processes.
	Etcd, APIServer *Process
}

// Start starts etcd and kube-apiserver from empty data directories under opts.Dir and waits until
// the API server answers /readyz with ok. On error every process it started is stopped. The
// caller stops a returned plane with [Plane.Stop] (or through its own Start hook).
func Start(ctx context.Context, opts Options) (_ *Plane, err error) {
	if opts.Name == "" || opts.Dir == "" || opts.Etcd == "" || opts.APIServer == "" {
		return nil, errors.New("kubeplane: Name, Dir, Etcd and APIServer are required")
	}
	start := opts.Start
	if start == nil {
		logs := filepath.Join(opts.Dir, "logs")
		if err := os.MkdirAll(logs, 0o700); err != nil {
			return nil, err
		}
		start = func(name string, tier Tier, bin string, args ...string) (*Process, error) {
			return StartProcess(name, filepath.Join(logs, name+".log"), tier, bin, args...)
		}
	}
	cp := &Plane{Name: opts.Name, Dir: opts.Dir}
	// On error, stop what was started here (a caller's Start hook owns its processes).
	defer func() {
		if err != nil && opts.Start == nil {
			cp.Stop(5 * time.Second)
		}
	}()
	if err := cp.writeCertificates(); err != nil {
		return nil, fmt.Errorf("%s: certificates: %w", opts.Name, err)
	}
	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	f := func(n string) string { return filepath.Join(cp.Dir, n) }
	clientURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	cp.Etcd, err = start(opts.Name+"-etcd", TierEtcd, opts.Etcd,
		"--name", "default",
		"--data-dir", f("etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync")
	if err != nil {
		return nil, err
	}
	cp.URL = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	cp.APIServer, err = start(opts.Name+"-kube-apiserver", TierAPIServer, opts.APIServer,
		"--etcd-servers", clientURL,
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(ports[2]),
		"--tls-cert-file", f("serving.crt"), "--tls-private-key-file", f("serving.key"),
		"--client-ca-file", f("ca.crt"),
		"--authorization-mode", "RBAC",
		"--service-account-key-file", f("sa.pub"),
		"--service-account-signing-key-file", f("sa.key"),
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--api-audiences", "https://kubernetes.default.svc",
		"--service-cluster-ip-range", "10.0.0.0/24",
		"--requestheader-client-ca-file", f("ca.crt"),
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", f("proxy.crt"), "--proxy-client-key-file", f("proxy.key"),
		"--allow-privileged=true",
		"--cert-dir", f("certs"))
	if err != nil {
		return nil, err
	}
	if cp.AdminKubeconfigData, err = cp.Kubeconfig(cp.Admin); err != nil {
		return nil, err
	}
	cp.AdminKubeconfig = f("admin.kubeconfig")
	if err := os.WriteFile(cp.AdminKubeconfig, cp.AdminKubeconfigData, 0o600); err != nil {
		return nil, err
	}
	cp.Config = &rest.Config{
		Host:            cp.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.CA.CertPEM, CertData: cp.Admin.CertPEM, KeyData: cp.Admin.KeyPEM},
		QPS:             100, Burst: 200,
	}
	if cp.Kube, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return nil, err
	}
	wait := opts.Ready
	if wait <= 0 {
		wait = 3 * time.Minute
	}
	if err := cp.waitReady(ctx, wait); err != nil {
		return nil, err
	}
	return cp, nil
}

// writeCertificates makes the CA, serving, admin, front-proxy and service-account keys and
// writes them into Dir.
func (cp *Plane) writeCertificates() error {
	var err error
	if cp.CA, err = NewCA(cp.Name + "-ca"); err != nil {
		return err
	}
	serving, err := cp.CA.Serving(cp.Name + "-apiserver")
	if err != nil {
		return err
	}
	if cp.Admin, err = cp.CA.Client("wecforge-admin", "system:masters"); err != nil {
		return err
	}
	proxy, err := cp.CA.Client("front-proxy-client")
	if err != nil {
		return err
	}
	saKey, saPub, err := ServiceAccountKey()
	if err != nil {
		return err
	}
	if err := writeFiles(cp.Dir, map[string][]byte{
		"ca.crt": cp.CA.CertPEM, "ca.key": cp.CA.KeyPEM,
		"serving.crt": serving.CertPEM, "serving.key": serving.KeyPEM,
		"proxy.crt": proxy.CertPEM, "proxy.key": proxy.KeyPEM,
		"sa.key": saKey, "sa.pub": saPub,
	}); err != nil {
		return err
	}
	cp.CAFile = filepath.Join(cp.Dir, "ca.crt")
	cp.CAKeyFile = filepath.Join(cp.Dir, "ca.key")
	cp.SAKeyFile = filepath.Join(cp.Dir, "sa.key")
	return nil
}

// Kubeconfig returns a kubeconfig for this plane that authenticates with user's client
// certificate.
func (cp *Plane) Kubeconfig(user KeyPair) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["default"] = &clientcmdapi.Cluster{Server: cp.URL, CertificateAuthorityData: cp.CA.CertPEM}
	cfg.AuthInfos["default"] = &clientcmdapi.AuthInfo{ClientCertificateData: user.CertPEM, ClientKeyData: user.KeyPEM}
	cfg.Contexts["default"] = &clientcmdapi.Context{Cluster: "default", AuthInfo: "default"}
	cfg.CurrentContext = "default"
	return clientcmd.Write(*cfg)
}

// WriteKubeconfig writes [Plane.Kubeconfig] for user to path with mode 0600.
func (cp *Plane) WriteKubeconfig(path string, user KeyPair) error {
	b, err := cp.Kubeconfig(user)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// Stop stops the API server, then etcd (an API server whose etcd died first hangs in shutdown),
// each with SIGTERM and, after grace, SIGKILL. It is idempotent.
func (cp *Plane) Stop(grace time.Duration) {
	for _, p := range []*Process{cp.APIServer, cp.Etcd} {
		if p != nil {
			p.Stop(grace)
		}
	}
}

// waitReady polls /readyz until it answers ok, a process exits, or wait passes.
func (cp *Plane) waitReady(ctx context.Context, wait time.Duration) error {
	rc := cp.Kube.Discovery().RESTClient()
	return Poll(ctx, cp.Name+" kube-apiserver /readyz", wait, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		if cp.APIServer.Exited() || cp.Etcd.Exited() {
			return false, &ExitedError{Plane: cp.Name, Etcd: cp.Etcd.Tail(20), APIServer: cp.APIServer.Tail(20)}
		}
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", err
	})
}

// ExitedError reports that a plane's etcd or kube-apiserver ended while it was awaited, with
// the last lines of both logs.
type ExitedError struct {
	Plane, Etcd, APIServer string
}

func (e *ExitedError) Error() string {
	return fmt.Sprintf("%s control plane exited:\n%s\n%s", e.Plane, e.Etcd, e.APIServer)
}

// ErrTimeout is wrapped by the errors of [Poll] when its time runs out.
var ErrTimeout = errors.New("timed out")

// Poll calls cond every interval until it returns true, returns an [*ExitedError], or timeout
// passes (or ctx ends); the error then wraps [ErrTimeout] and the last error cond returned.
func Poll(ctx context.Context, what string, timeout, interval time.Duration, cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond(ctx)
		if ok {
			return nil
		}
		var exited *ExitedError
		if errors.As(err, &exited) {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w after %s waiting for %s: last error: %w", ErrTimeout, timeout, what, last)
			}
			return fmt.Errorf("%w after %s waiting for %s", ErrTimeout, timeout, what)
		case <-time.After(interval):
		}
	}
}
