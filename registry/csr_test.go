package registry_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/utils/ptr"

	"github.com/wecforge/wecforge/internal/agentsim"
	"github.com/wecforge/wecforge/registry"
)

// bootstrapUser is the requester the API server records for OCM's bootstrap ServiceAccount.
const bootstrapUser = "system:serviceaccount:open-cluster-management:agent-registration-bootstrap"

// keys are generated once: RSA generation is slow under -race.
var keys = sync.OnceValue(func() map[string]crypto.Signer {
	out := map[string]crypto.Signer{}
	for name, gen := range map[string]func() (crypto.Signer, error){
		"p224":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P224(), rand.Reader) },
		"p384":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) },
		"p521":    func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) },
		"rsa1024": func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 1024) },
		"rsa2048": func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
		"ed25519": func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err },
	} {
		k, err := gen()
		if err != nil {
			panic(err)
		}
		out[name] = k
	}
	return out
})

// csrCase is one CSR and what CheckCSR must say about it.
type csrCase struct {
	name   string
	req    agentsim.Request
	edit   func(*certificatesv1.CertificateSigningRequest)
	policy registry.CSRPolicy
	// want is the reason sentinel, nil for acceptable.
	want  error
	field string
}

// pemOf returns a fresh, valid PEM request for wec.
func pemOf(t testing.TB, wec string) []byte {
	csr, err := agentsim.NewCSR(agentsim.Request{Cluster: wec, Agent: "a1"})
	require.NoError(t, err)
	return csr.Spec.Request
}

// csrCases are the malformed and unusual CSRs for WEC wec; the same table runs against the
// real API server in TestAcceptMalformed.
func csrCases(t testing.TB, wec string) []csrCase {
	k := keys()
	good := agentsim.Request{Cluster: wec, Agent: "a1"}
	with := func(f func(*agentsim.Request)) agentsim.Request { r := good; f(&r); return r }
	valid := pemOf(t, wec)
	block, _ := pem.Decode(valid)
	tampered := append([]byte(nil), block.Bytes...)
	tampered[len(tampered)-1] ^= 0xff
	basicConstraints, _ := asn1.Marshal(struct{ CA bool }{true})
	return []csrCase{
		{name: "OCM's own request", req: good},
		{name: "usages in another order", req: with(func(r *agentsim.Request) {
			r.Usages = []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth, certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment}
		})},
		{name: "usage server auth added", want: registry.ErrCSRUsages, field: "spec.usages", req: with(func(r *agentsim.Request) {
			r.Usages = append(agentsim.OCMUsages(), certificatesv1.UsageServerAuth)
		})},
		{name: "usage client auth missing", want: registry.ErrCSRUsages, field: "spec.usages", req: with(func(r *agentsim.Request) {
			r.Usages = agentsim.OCMUsages()[:2]
		})},
		{name: "usage key encipherment swapped for any", want: registry.ErrCSRUsages, field: "spec.usages", req: with(func(r *agentsim.Request) {
			r.Usages = []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageAny, certificatesv1.UsageClientAuth}
		})},
		{name: "signer kubelet", want: registry.ErrCSRSigner, field: "spec.signerName", req: with(func(r *agentsim.Request) {
			r.SignerName = certificatesv1.KubeAPIServerClientKubeletSignerName
		})},
		{name: "expiration of one year", req: with(func(r *agentsim.Request) { r.ExpirationSeconds = ptr.To[int32](365 * 24 * 3600) })},
		{name: "expiration of a year and a second", want: registry.ErrCSRExpiration, field: "spec.expirationSeconds",
			req: with(func(r *agentsim.Request) { r.ExpirationSeconds = ptr.To[int32](365*24*3600 + 1) })},
		{name: "expiration of ten years", want: registry.ErrCSRExpiration, field: "spec.expirationSeconds",
			req: with(func(r *agentsim.Request) { r.ExpirationSeconds = ptr.To[int32](10 * 365 * 24 * 3600) })},
		{name: "expiration within a stricter policy", policy: registry.CSRPolicy{MaxExpiration: 24 * time.Hour},
			req: with(func(r *agentsim.Request) { r.ExpirationSeconds = ptr.To[int32](24 * 3600) })},
		{name: "expiration beyond a stricter policy", policy: registry.CSRPolicy{MaxExpiration: 24 * time.Hour},
			want: registry.ErrCSRExpiration, field: "spec.expirationSeconds",
			req: with(func(r *agentsim.Request) { r.ExpirationSeconds = ptr.To[int32](24*3600 + 1) })},
		{name: "DNS SAN", want: registry.ErrCSRExtensions, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.DNSNames = []string{"kubernetes.default.svc"} })},
		{name: "IP SAN", want: registry.ErrCSRExtensions, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.IPAddresses = []net.IP{net.IPv4(10, 0, 0, 1)} })},
		{name: "email SAN", want: registry.ErrCSRExtensions, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.EmailAddresses = []string{"root@example.com"} })},
		{name: "CA basic constraints requested", want: registry.ErrCSRExtensions, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: basicConstraints}}
			})},
		{name: "junk PEM", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.RawRequest = []byte("-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n")
			})},
		{name: "not PEM at all", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.RawRequest = []byte("hello") })},
		{name: "two PEM blocks", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.RawRequest = append(append([]byte(nil), valid...), pemOf(t, wec)...) })},
		{name: "text before the PEM block", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.RawRequest = append([]byte("hidden\n"), valid...) })},
		{name: "PEM block of another type", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.RawRequest = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: block.Bytes})
			})},
		{name: "tampered signature", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.RawRequest = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: tampered})
			})},
		{name: "oversized request", want: registry.ErrCSRRequest, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.RawRequest = append(append([]byte(nil), valid...), strings.Repeat(" ", registry.MaxRequestBytes)...)
			})},
		{name: "ECDSA P-384 key", req: with(func(r *agentsim.Request) { r.Key = k["p384"] })},
		{name: "ECDSA P-521 key", req: with(func(r *agentsim.Request) { r.Key = k["p521"] })},
		{name: "Ed25519 key", req: with(func(r *agentsim.Request) { r.Key = k["ed25519"] })},
		{name: "RSA-2048 key", req: with(func(r *agentsim.Request) { r.Key = k["rsa2048"] })},
		{name: "RSA-1024 key", want: registry.ErrCSRKey, field: "spec.request", req: with(func(r *agentsim.Request) { r.Key = k["rsa1024"] })},
		{name: "ECDSA P-224 key", want: registry.ErrCSRKey, field: "spec.request", req: with(func(r *agentsim.Request) { r.Key = k["p224"] })},
		{name: "organizational unit in the subject", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "ops"}}
			})},
		{name: "second common name", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.ExtraNames = []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "admin"}}
			})},
		{name: "organization kubeadm:cluster-admins", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) {
				r.Organization = []string{agentsim.SubjectPrefix + wec, "kubeadm:cluster-admins"}
			})},
		{name: "organization system:masters only", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.Organization = []string{"system:masters"} })},
		{name: "agent name with a colon", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.Agent = "a:b" })},
		{name: "agent name with a space", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.Agent = "a b" })},
		{name: "CN of another WEC", want: registry.ErrCSRSubject, field: "spec.request",
			req: with(func(r *agentsim.Request) { r.CommonName = agentsim.SubjectPrefix + wec + "x:a1" })},
		{name: "label of another WEC", req: good, want: registry.ErrCSRLabel, field: "metadata.labels[open-cluster-management.io/cluster-name]",
			edit: func(c *certificatesv1.CertificateSigningRequest) {
				c.Labels = map[string]string{"open-cluster-management.io/cluster-name": wec + "x"}
			}},
		{name: "requester not a bootstrap identity", req: good, want: registry.ErrCSRRequester, field: "spec.username",
			edit: func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Username = "mallory" }},
		{name: "bootstrap token user without the managed-cluster group", req: good, want: registry.ErrCSRRequester, field: "spec.username",
			edit: func(c *certificatesv1.CertificateSigningRequest) {
				c.Spec.Username, c.Spec.Groups = "system:bootstrap:abcdef", []string{"system:bootstrappers"}
			}},
		{name: "bootstrap token user in the managed-cluster group", req: good,
			edit: func(c *certificatesv1.CertificateSigningRequest) {
				c.Spec.Username, c.Spec.Groups = "system:bootstrap:abcdef", []string{"system:bootstrappers", registry.BootstrapTokenGroup}
			}},
		{name: "a user the policy trusts", req: good, policy: registry.CSRPolicy{ExtraBootstrapUsers: []string{"joiner"}},
			edit: func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Username = "joiner" }},
	}
}

// TestCheckCSR runs every case through the pure check.
func TestCheckCSR(t *testing.T) {
	for _, tc := range csrCases(t, "w1") {
		t.Run(tc.name, func(t *testing.T) {
			csr, err := agentsim.NewCSR(tc.req)
			require.NoError(t, err)
			csr.Name, csr.UID, csr.Spec.Username = "csr-1", "uid-1", bootstrapUser
			if tc.edit != nil {
				tc.edit(csr)
			}
			before := csr.DeepCopy()
			claim, err := registry.CheckCSR(csr, "w1", tc.policy)
			assert.Equal(t, before, csr, "CheckCSR must not modify its input")
			if tc.want == nil {
				require.NoError(t, err)
				assert.Equal(t, "csr-1", claim.CSR)
				assert.Equal(t, csr.Spec.Username, claim.Requester)
				assert.Equal(t, "a1", claim.Agent)
				assert.True(t, strings.HasPrefix(claim.KeyFingerprint, "SHA256:"), claim.KeyFingerprint)
				return
			}
			require.ErrorIs(t, err, registry.ErrCSRRejected)
			require.ErrorIs(t, err, tc.want)
			var ce *registry.CSRError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, "csr-1", ce.CSR)
			assert.Equal(t, "w1", ce.WEC)
			assert.Contains(t, err.Error(), "CSR csr-1 of WEC w1")
			assert.Equal(t, registry.Claim{}, claim)
		})
	}
}

// TestCheckCSRKeyFingerprint: one key, one fingerprint; another key, another.
func TestCheckCSRKeyFingerprint(t *testing.T) {
	key := keys()["p384"]
	fp := func(k crypto.Signer) string {
		csr, err := agentsim.NewCSR(agentsim.Request{Cluster: "w1", Agent: "a1", Key: k})
		require.NoError(t, err)
		csr.Spec.Username = bootstrapUser
		c, err := registry.CheckCSR(csr, "w1", registry.CSRPolicy{})
		require.NoError(t, err)
		return c.KeyFingerprint
	}
	assert.Equal(t, fp(key), fp(key))
	assert.NotEqual(t, fp(key), fp(nil))
}

func TestCheckCSRNil(t *testing.T) {
	_, err := registry.CheckCSR(nil, "w1", registry.CSRPolicy{})
	require.ErrorIs(t, err, registry.ErrCSRRequest)
}
