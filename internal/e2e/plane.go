package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// ControlPlane is one etcd and one kube-apiserver on loopback, with certificates made in Go and
// an admin kubeconfig. Fields are set by [Env.StartControlPlane] and read-only afterwards.
type ControlPlane struct {
	// Name is the plane's name ("hub", "cluster1").
	Name string
	// Dir holds the plane's certificates, kubeconfigs and etcd data.
	Dir string
	// URL is the API server, https://127.0.0.1:PORT.
	URL string
	// CA signs the serving and client certificates (and, on the hub, agent certificates).
	CA *CA
	// CAFile and CAKeyFile are the CA's PEM files.
	CAFile, CAKeyFile string
	// AdminKubeconfig is the path of a kubeconfig for system:masters.
	AdminKubeconfig string
	// Config and Kube are the admin REST config and clientset.
	Config *rest.Config
	Kube   kubernetes.Interface
	// Etcd and APIServer are the processes.
	Etcd, APIServer *Process

	saKeyFile string
}

// StartControlPlane starts etcd and kube-apiserver for a plane named name from empty data
// directories, and waits until the API server is ready.
func (e *Env) StartControlPlane(ctx context.Context, name string) (*ControlPlane, error) {
	dir, err := e.mkdir(name)
	if err != nil {
		return nil, err
	}
	cp := &ControlPlane{Name: name, Dir: dir}
	if cp.CA, err = NewCA(name + "-ca"); err != nil {
		return nil, err
	}
	serving, err := cp.CA.Serving(name + "-apiserver")
	if err != nil {
		return nil, err
	}
	admin, err := cp.CA.Client("wecforge-admin", "system:masters")
	if err != nil {
		return nil, err
	}
	proxy, err := cp.CA.Client("front-proxy-client")
	if err != nil {
		return nil, err
	}
	saKey, saPub, err := ServiceAccountKey()
	if err != nil {
		return nil, err
	}
	if err := writeFiles(dir, map[string][]byte{
		"ca.crt": cp.CA.CertPEM, "ca.key": cp.CA.KeyPEM,
		"serving.crt": serving.CertPEM, "serving.key": serving.KeyPEM,
		"proxy.crt": proxy.CertPEM, "proxy.key": proxy.KeyPEM,
		"sa.key": saKey, "sa.pub": saPub,
	}); err != nil {
		return nil, err
	}
	f := func(n string) string { return filepath.Join(dir, n) }
	cp.CAFile, cp.CAKeyFile, cp.saKeyFile = f("ca.crt"), f("ca.key"), f("sa.key")

	ports := make([]int, 3)
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	client, peer, secure := ports[0], ports[1], ports[2]
	clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	cp.Etcd, err = e.Start(name+"-etcd", TierEtcd, "etcd",
		"--name", "default",
		"--data-dir", f("etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL,
		"--unsafe-no-fsync")
	if err != nil {
		return nil, err
	}
	cp.URL = "https://127.0.0.1:" + strconv.Itoa(secure)
	cp.APIServer, err = e.Start(name+"-kube-apiserver", TierAPIServer, "kube-apiserver",
		"--etcd-servers", clientURL,
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(secure),
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
	cp.AdminKubeconfig = f("admin.kubeconfig")
	if err := cp.WriteKubeconfig(cp.AdminKubeconfig, admin); err != nil {
		return nil, err
	}
	cp.Config = &rest.Config{
		Host:            cp.URL,
		TLSClientConfig: rest.TLSClientConfig{CAData: cp.CA.CertPEM, CertData: admin.CertPEM, KeyData: admin.KeyPEM},
		QPS:             100, Burst: 200,
	}
	if cp.Kube, err = kubernetes.NewForConfig(cp.Config); err != nil {
		return nil, err
	}
	if err := cp.waitReady(ctx, e); err != nil {
		return nil, err
	}
	return cp, nil
}

// WriteKubeconfig writes a kubeconfig for this plane authenticating with a client certificate.
func (cp *ControlPlane) WriteKubeconfig(path string, user KeyPair) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["default"] = &clientcmdapi.Cluster{Server: cp.URL, CertificateAuthorityData: cp.CA.CertPEM}
	cfg.AuthInfos["default"] = &clientcmdapi.AuthInfo{ClientCertificateData: user.CertPEM, ClientKeyData: user.KeyPEM}
	cfg.Contexts["default"] = &clientcmdapi.Context{Cluster: "default", AuthInfo: "default"}
	cfg.CurrentContext = "default"
	return clientcmd.WriteToFile(*cfg, path)
}

// waitReady polls /readyz until it answers ok.
func (cp *ControlPlane) waitReady(ctx context.Context, e *Env) error {
	rc := cp.Kube.Discovery().RESTClient()
	return e.Eventually(ctx, cp.Name+" kube-apiserver /readyz", 3*time.Minute, 200*time.Millisecond, func(ctx context.Context) (bool, error) {
		if cp.APIServer.Exited() || cp.Etcd.Exited() {
			return false, fmt.Errorf("%s control plane exited:\n%s\n%s", cp.Name, cp.Etcd.Tail(20), cp.APIServer.Tail(20))
		}
		body, err := rc.Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", err
	})
}

// InstallCRDs creates the CRDs in files and waits until they are established.
func (cp *ControlPlane) InstallCRDs(files []string) error {
	_, err := envtest.InstallCRDs(cp.Config, envtest.CRDInstallOptions{
		Paths:              files,
		ErrorIfPathMissing: true,
		MaxTime:            2 * time.Minute,
		PollInterval:       200 * time.Millisecond,
	})
	if err != nil {
		return fmt.Errorf("install CRDs on %s: %w", cp.Name, err)
	}
	return nil
}

// EnsureNamespace creates namespace ns unless it exists.
func (cp *ControlPlane) EnsureNamespace(ctx context.Context, ns string) error {
	_, err := cp.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s on %s: %w", ns, cp.Name, err)
	}
	return nil
}

// globFiles returns the files in dir matching pattern, or an error when there are none.
func globFiles(dir, pattern string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no %s in %s", pattern, dir)
	}
	if _, err := os.Stat(files[0]); err != nil {
		return nil, err
	}
	return files, nil
}
