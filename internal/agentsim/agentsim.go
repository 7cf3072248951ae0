// Package agentsim plays OCM's registration agent against a real hub API server, for tests and
// examples where the agent itself (a klusterlet in a container) cannot run. It does what the
// agent does with the bootstrap identity — creates the ManagedCluster with hubAcceptsClient
// false and a CSR labelled with the cluster name, signed for kubernetes.io/kube-apiserver-client
// with CN=system:open-cluster-management:<cluster>:<agent> — and what the hub controller and
// agent lease would later report (Joined, Available), which here must be written by hand.
//
// # Hub setup
//
// [InstallBootstrap] creates the bootstrap identity as clusteradm init does: namespace
// open-cluster-management, the ServiceAccounts agent-registration-bootstrap and
// cluster-bootstrap, and ClusterRole open-cluster-management:bootstrap bound to them and to the
// group system:bootstrappers:managedcluster.
//
// Nothing here is safe to use against a production hub; it is test scaffolding.
package agentsim

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// Subject prefix and group of OCM agent identities.
const (
	SubjectPrefix        = "system:open-cluster-management:"
	ManagedClustersGroup = "system:open-cluster-management:managed-clusters"
)

// Request describes one registration attempt. Only Cluster and Agent are needed; the other
// fields let security tests forge a bad CSR.
type Request struct {
	// Cluster is the WEC name the agent registers.
	Cluster string
	// Agent is the agent name (the last CN field); OCM generates a random one.
	Agent string
	// HubURL and HubCA go into spec.managedClusterClientConfigs, as the agent reports its own
	// API server; optional.
	HubURL string
	HubCA  []byte
	// CommonName and Organization override the subject; empty means OCM's.
	CommonName   string
	Organization []string
	// Labels override the CSR labels; nil means open-cluster-management.io/cluster-name=<Cluster>.
	Labels map[string]string
	// SkipManagedCluster does not create the ManagedCluster.
	SkipManagedCluster bool
	// Key signs the request; nil means a fresh ECDSA P-256 key, as OCM's agent makes. Reuse
	// one key to play an agent that retries with the key it already has.
	Key crypto.Signer
	// DNSNames, IPAddresses, EmailAddresses and ExtraExtensions go into the request as asked.
	DNSNames        []string
	IPAddresses     []net.IP
	EmailAddresses  []string
	ExtraExtensions []pkix.Extension
	// ExtraNames are appended to the subject (e.g. an organizational unit, a second CN).
	ExtraNames []pkix.AttributeTypeAndValue
	// RawRequest, when set, is spec.request verbatim: no key or request is made.
	RawRequest []byte
	// Usages override spec.usages; nil means OCM's (digital signature, key encipherment,
	// client auth).
	Usages []certificatesv1.KeyUsage
	// SignerName overrides spec.signerName; empty means kubernetes.io/kube-apiserver-client.
	SignerName string
	// ExpirationSeconds is spec.expirationSeconds; nil, as OCM's agent sends by default.
	ExpirationSeconds *int32
}

// OCMUsages are the usages OCM's registration agent (v1.0.0) requests, in its order.
func OCMUsages() []certificatesv1.KeyUsage {
	return []certificatesv1.KeyUsage{
		certificatesv1.UsageDigitalSignature,
		certificatesv1.UsageKeyEncipherment,
		certificatesv1.UsageClientAuth,
	}
}

// NewCSR builds, without a client, the CSR object r describes, as OCM's agent would create it
// (spec.username and groups are for the API server to set). The result is the caller's.
func NewCSR(r Request) (*certificatesv1.CertificateSigningRequest, error) {
	pemReq := r.RawRequest
	if pemReq == nil {
		cn := r.CommonName
		if cn == "" {
			cn = SubjectPrefix + r.Cluster + ":" + r.Agent
		}
		orgs := r.Organization
		if orgs == nil {
			orgs = []string{SubjectPrefix + r.Cluster, ManagedClustersGroup}
		}
		var err error
		pemReq, err = certificateRequest(r, pkix.Name{CommonName: cn, Organization: orgs, ExtraNames: r.ExtraNames})
		if err != nil {
			return nil, err
		}
	}
	labels := r.Labels
	if labels == nil {
		labels = map[string]string{clusterv1.ClusterNameLabelKey: r.Cluster}
	}
	usages := r.Usages
	if usages == nil {
		usages = OCMUsages()
	}
	signer := r.SignerName
	if signer == "" {
		signer = certificatesv1.KubeAPIServerClientSignerName
	}
	return &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: r.Cluster + "-", Labels: labels},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:           pemReq,
			SignerName:        signer,
			Usages:            usages,
			ExpirationSeconds: r.ExpirationSeconds,
		},
	}, nil
}

// Register creates the ManagedCluster (unless it exists) and a CSR through the given clients,
// which must act as the bootstrap identity; it returns the CSR's name.
func Register(ctx context.Context, kube kubernetes.Interface, ocm clusterclient.Interface, r Request) (string, error) {
	if !r.SkipManagedCluster {
		mc := &clusterv1.ManagedCluster{
			ObjectMeta: metav1.ObjectMeta{Name: r.Cluster},
			Spec:       clusterv1.ManagedClusterSpec{HubAcceptsClient: false, LeaseDurationSeconds: 60},
		}
		if r.HubURL != "" {
			mc.Spec.ManagedClusterClientConfigs = []clusterv1.ClientConfig{{URL: r.HubURL, CABundle: r.HubCA}}
		}
		_, err := ocm.ClusterV1().ManagedClusters().Create(ctx, mc, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("agent %s: create ManagedCluster: %w", r.Agent, err)
		}
	}
	csr, err := NewCSR(r)
	if err != nil {
		return "", err
	}
	got, err := kube.CertificatesV1().CertificateSigningRequests().Create(ctx, csr, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("agent %s: create CSR: %w", r.Agent, err)
	}
	return got.Name, nil
}

func certificateRequest(r Request, subject pkix.Name) ([]byte, error) {
	key := r.Key
	if key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		key = k
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         subject,
		DNSNames:        r.DNSNames,
		IPAddresses:     r.IPAddresses,
		EmailAddresses:  r.EmailAddresses,
		ExtraExtensions: r.ExtraExtensions,
	}, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate request: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// MarkJoined writes the conditions OCM's hub controller and the agent's lease would set once the
// cluster is accepted and its agent holds a hub credential: HubAccepted, Joined, Available. The
// client needs rights on managedclusters/status.
func MarkJoined(ctx context.Context, ocm clusterclient.Interface, cluster string) error {
	mc, err := ocm.ClusterV1().ManagedClusters().Get(ctx, cluster, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get ManagedCluster %s: %w", cluster, err)
	}
	for _, t := range []string{
		clusterv1.ManagedClusterConditionHubAccepted,
		clusterv1.ManagedClusterConditionJoined,
		clusterv1.ManagedClusterConditionAvailable,
	} {
		meta.SetStatusCondition(&mc.Status.Conditions, metav1.Condition{
			Type: t, Status: metav1.ConditionTrue, Reason: "Simulated", Message: "set by agentsim",
		})
	}
	if _, err := ocm.ClusterV1().ManagedClusters().UpdateStatus(ctx, mc, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of ManagedCluster %s: %w", cluster, err)
	}
	return nil
}
