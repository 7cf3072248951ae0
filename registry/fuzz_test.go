package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubefake "k8s.io/client-go/kubernetes/fake"
	ocmfake "open-cluster-management.io/api/client/cluster/clientset/versioned/fake"
	clusterv1 "open-cluster-management.io/api/cluster/v1"

	"github.com/wecforge/wecforge/registry"
)

// fuzzKey signs every generated request: key generation would dominate the run.
var fuzzKey = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

var fuzzUsages = []certificatesv1.KeyUsage{
	certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment, certificatesv1.UsageClientAuth,
	certificatesv1.UsageServerAuth, certificatesv1.UsageAny, certificatesv1.UsageCertSign,
}

var fuzzRequesters = []string{
	"system:serviceaccount:open-cluster-management:agent-registration-bootstrap",
	"system:serviceaccount:open-cluster-management:cluster-bootstrap",
	"system:bootstrap:abcdef",
	"system:serviceaccount:open-cluster-management:default",
	"mallory",
}

// FuzzAccept generates CSRs from fuzzed subjects, SANs, usages, expirations, requesters and raw
// request bytes, runs Accept on them (fake clientsets: the API server is not what is fuzzed),
// and checks with an independent parse that every CSR Accept approved is exactly what OCM's
// agent would ask for: one PEM request, the WEC's agent CN, only the WEC's organizations, no
// SANs, the three usages, a bounded expiration, a bootstrap requester.
func FuzzAccept(f *testing.F) {
	f.Add("system:open-cluster-management:w1:a1", "system:open-cluster-management:w1", "", uint8(0b000111), int32(0), uint8(0), []byte(nil), false)
	f.Add("system:open-cluster-management:w1:a1", "kubeadm:cluster-admins", "", uint8(0b000111), int32(0), uint8(0), []byte(nil), false)
	f.Add("system:open-cluster-management:w1:a1", "system:open-cluster-management:w1,system:open-cluster-management:managed-clusters", "x.example", uint8(0b001111), int32(3600), uint8(2), []byte(nil), false)
	f.Add("admin", "system:masters", "", uint8(0b000111), int32(1<<30), uint8(4), []byte("-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n"), true)
	f.Fuzz(func(t *testing.T, cn, orgs, dns string, usageMask uint8, expiration int32, requester uint8, raw []byte, useRaw bool) {
		csr := &certificatesv1.CertificateSigningRequest{
			ObjectMeta: metav1.ObjectMeta{Name: "csr-1", UID: "uid-1", Labels: map[string]string{clusterv1.ClusterNameLabelKey: "w1"}},
			Spec: certificatesv1.CertificateSigningRequestSpec{
				SignerName: certificatesv1.KubeAPIServerClientSignerName,
				Username:   fuzzRequesters[int(requester)%len(fuzzRequesters)],
				Groups:     []string{registry.BootstrapTokenGroup},
			},
		}
		for i, u := range fuzzUsages {
			if usageMask&(1<<i) != 0 {
				csr.Spec.Usages = append(csr.Spec.Usages, u)
			}
		}
		if expiration != 0 {
			csr.Spec.ExpirationSeconds = &expiration
		}
		if useRaw {
			csr.Spec.Request = raw
		} else {
			tmpl := &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn, Organization: strings.Split(orgs, ",")}}
			if dns != "" {
				tmpl.DNSNames = []string{dns}
			}
			der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, fuzzKey())
			if err != nil {
				return // not representable (e.g. invalid UTF-8 in a name)
			}
			csr.Spec.Request = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
		}
		kube := kubefake.NewClientset(csr.DeepCopy())
		//lint:ignore SA1019 OCM's generated fake has no NewClientset (it generates no apply configurations)
		ocm := ocmfake.NewSimpleClientset(&clusterv1.ManagedCluster{ObjectMeta: metav1.ObjectMeta{Name: "w1"}})
		res, err := registry.Accept(context.Background(), kube, ocm, "w1", registry.AcceptOptions{})
		if len(res.Approved) == 0 {
			if err == nil {
				t.Fatalf("nothing approved but no error")
			}
			if !errors.Is(err, registry.ErrNoCSR) {
				t.Fatalf("unexpected error %v", err)
			}
			if !errors.Is(res.Rejected["csr-1"], registry.ErrCSRRejected) {
				t.Fatalf("rejected without a CSRError: %v", res.Rejected["csr-1"])
			}
			return
		}
		if err != nil || !res.Accepted || !slices.Equal(res.Approved, []string{"csr-1"}) {
			t.Fatalf("approved %v accepted %t err %v", res.Approved, res.Accepted, err)
		}
		oracle(t, csr)
	})
}

// oracle fails t unless csr is exactly an OCM agent's registration request for WEC w1.
func oracle(t *testing.T, csr *certificatesv1.CertificateSigningRequest) {
	t.Helper()
	block, rest := pem.Decode(csr.Spec.Request)
	if block == nil || strings.TrimSpace(string(rest)) != "" {
		t.Fatalf("approved a request that is not one PEM block: %q", csr.Spec.Request)
	}
	cr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || cr.CheckSignature() != nil {
		t.Fatalf("approved an unparsable or unsigned request: %v", err)
	}
	if !strings.HasPrefix(cr.Subject.CommonName, "system:open-cluster-management:w1:") || strings.Count(cr.Subject.CommonName, ":") != 3 {
		t.Fatalf("approved CN %q", cr.Subject.CommonName)
	}
	for _, o := range cr.Subject.Organization {
		if o != "system:open-cluster-management:w1" && o != registry.ManagedClustersGroup {
			t.Fatalf("approved organization %q", o)
		}
	}
	if len(cr.DNSNames)+len(cr.IPAddresses)+len(cr.EmailAddresses)+len(cr.URIs) > 0 || len(cr.Extensions) > 0 {
		t.Fatalf("approved a request with extensions")
	}
	if len(csr.Spec.Usages) != 3 || !slices.Contains(csr.Spec.Usages, certificatesv1.UsageClientAuth) ||
		slices.Contains(csr.Spec.Usages, certificatesv1.UsageServerAuth) || slices.Contains(csr.Spec.Usages, certificatesv1.UsageAny) {
		t.Fatalf("approved usages %v", csr.Spec.Usages)
	}
	if e := csr.Spec.ExpirationSeconds; e != nil && (*e <= 0 || *e > 365*24*3600) {
		t.Fatalf("approved expiration %d", *e)
	}
	if strings.HasSuffix(csr.Spec.Username, ":default") || csr.Spec.Username == "mallory" {
		t.Fatalf("approved requester %q", csr.Spec.Username)
	}
}
