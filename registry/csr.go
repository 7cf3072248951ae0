package registry

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "open-cluster-management.io/api/cluster/v1"
)

// DefaultMaxExpiration is the longest spec.expirationSeconds [CheckCSR] accepts when
// [CSRPolicy].MaxExpiration is zero: one year.
const DefaultMaxExpiration = 365 * 24 * time.Hour

// MaxRequestBytes bounds spec.request: a longer request is rejected before it is parsed.
const MaxRequestBytes = 16 << 10

// ErrCSRRejected matches every [*CSRError]: the CSR must not be approved for the WEC.
var ErrCSRRejected = errors.New("CSR rejected")

// The reasons a [*CSRError] carries in Reason; errors.Is matches them through the error.
var (
	// ErrCSRLabel: the open-cluster-management.io/cluster-name label does not name the WEC.
	ErrCSRLabel = errors.New("cluster-name label does not name the WEC")
	// ErrCSRSigner: spec.signerName is not kubernetes.io/kube-apiserver-client.
	ErrCSRSigner = errors.New("wrong signer")
	// ErrCSRUsages: spec.usages is not exactly digital signature, key encipherment, client auth.
	ErrCSRUsages = errors.New("wrong key usages")
	// ErrCSRExpiration: spec.expirationSeconds exceeds the policy's maximum.
	ErrCSRExpiration = errors.New("requested expiration too long")
	// ErrCSRRequester: spec.username is not a bootstrap identity.
	ErrCSRRequester = errors.New("requester is not a bootstrap identity")
	// ErrCSRRequest: spec.request is not exactly one well-formed, correctly signed PEM
	// CERTIFICATE REQUEST of at most [MaxRequestBytes].
	ErrCSRRequest = errors.New("malformed certificate request")
	// ErrCSRSubject: the requested subject is not exactly an OCM agent identity of the WEC.
	ErrCSRSubject = errors.New("subject is not an agent identity of the WEC")
	// ErrCSRExtensions: the request asks for extensions (subject alternative names or others).
	ErrCSRExtensions = errors.New("request asks for extensions")
	// ErrCSRKey: the public key is of an unsupported type or size.
	ErrCSRKey = errors.New("unsupported public key")
	// ErrCSRDenied: the CSR was denied or failed before; it is never approved.
	ErrCSRDenied = errors.New("CSR denied or failed before")
	// ErrCSRNotChosen: the CSR is acceptable but the caller named another CSR, requester or agent.
	ErrCSRNotChosen = errors.New("not the CSR the caller chose")
	// ErrCSRReplaced: between listing and approving, the CSR of that name was deleted and
	// another one (a different UID) created in its place.
	ErrCSRReplaced = errors.New("CSR replaced between list and approval")
)

// CSRError says why one CSR is not approved for a WEC. It matches [ErrCSRRejected] and its
// Reason, and unwraps to Err when there is an underlying cause.
type CSRError struct {
	// CSR and UID identify the CertificateSigningRequest.
	CSR string
	UID types.UID
	// WEC is the WEC it was checked for.
	WEC string
	// Field is the offending field path, e.g. "spec.usages".
	Field string
	// Reason is one of the ErrCSR* sentinels.
	Reason error
	// Detail says what exactly is wrong, for people.
	Detail string
	// Err is the underlying cause (e.g. an x509 parse error), or nil.
	Err error
}

// Error names the CSR, WEC, field, reason and detail.
func (e *CSRError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CSR %s of WEC %s: %s: %v", e.CSR, e.WEC, e.Field, e.Reason)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the reason and, when set, the cause.
func (e *CSRError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// Is reports whether target is [ErrCSRRejected].
func (e *CSRError) Is(target error) bool { return target == ErrCSRRejected }

// CSRPolicy is what [CheckCSR] accepts beyond its fixed rules. The zero value trusts OCM's and
// clusteradm's bootstrap identities and allows an expiration of up to [DefaultMaxExpiration].
type CSRPolicy struct {
	// ExtraBootstrapUsers are more user names trusted as bootstrap identities, e.g.
	// "system:serviceaccount:my-ns:my-bootstrap".
	ExtraBootstrapUsers []string
	// MaxExpiration is the longest spec.expirationSeconds allowed; zero means
	// [DefaultMaxExpiration]. An absent expirationSeconds (what OCM's agent sends) is always
	// allowed: the signer's own maximum applies.
	MaxExpiration time.Duration
}

// Claim is an acceptable CSR: who asks, for which agent, with which key.
type Claim struct {
	// CSR and UID identify the CertificateSigningRequest.
	CSR string
	UID types.UID
	// Requester is spec.username, as set by the API server.
	Requester string
	// Agent is the last field of the subject CN.
	Agent string
	// KeyFingerprint is "SHA256:" and the unpadded base64 SHA-256 of the request's
	// SubjectPublicKeyInfo.
	KeyFingerprint string
}

// String renders the claim on one line.
func (c Claim) String() string {
	return fmt.Sprintf("CSR %s (uid %s) from %s for agent %s with key %s", c.CSR, c.UID, c.Requester, c.Agent, c.KeyFingerprint)
}

// Usages OCM's registration agent requests (v1.0.0), in its order.
var agentUsages = []certificatesv1.KeyUsage{
	certificatesv1.UsageDigitalSignature,
	certificatesv1.UsageKeyEncipherment,
	certificatesv1.UsageClientAuth,
}

// Subject attribute types allowed in a request: commonName and organizationName.
var (
	oidCommonName   = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOrganization = asn1.ObjectIdentifier{2, 5, 4, 10}
)

// CheckCSR reports whether csr is a registration request that OCM's agent could have made for
// WEC wec under policy, and returns its [Claim]; otherwise a [*CSRError] naming the first
// failing field. It checks, in order: the cluster-name label; the signer; the usages (exactly
// digital signature, key encipherment and client auth, each once, in any order);
// expirationSeconds (absent, or at most the policy's maximum); the requester (a bootstrap
// identity, see the package documentation); and the PEM request: exactly one CERTIFICATE
// REQUEST block with nothing but whitespace around it, a valid signature, an ECDSA P-256,
// P-384 or P-521, Ed25519, or RSA 2048–8192-bit key, no requested extensions, and a subject of
// exactly CN=system:open-cluster-management:<wec>:<agent> and O=system:open-cluster-management:<wec>
// (plus, optionally, [ManagedClustersGroup]). Conditions (approved, denied) are not looked at.
// It does not modify csr, is safe for concurrent use, and never panics on hostile input.
func CheckCSR(csr *certificatesv1.CertificateSigningRequest, wec string, policy CSRPolicy) (Claim, error) {
	if csr == nil {
		return Claim{}, &CSRError{WEC: wec, Field: "<nil>", Reason: ErrCSRRequest, Detail: "no CSR"}
	}
	fail := func(field string, reason error, detail string, cause error) (Claim, error) {
		return Claim{}, &CSRError{CSR: csr.Name, UID: csr.UID, WEC: wec, Field: field, Reason: reason, Detail: detail, Err: cause}
	}
	if got := csr.Labels[clusterv1.ClusterNameLabelKey]; got != wec || wec == "" || strings.Contains(wec, ":") {
		return fail("metadata.labels["+clusterv1.ClusterNameLabelKey+"]", ErrCSRLabel, fmt.Sprintf("%q", got), nil)
	}
	if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName {
		return fail("spec.signerName", ErrCSRSigner, fmt.Sprintf("%q is not %s", csr.Spec.SignerName, certificatesv1.KubeAPIServerClientSignerName), nil)
	}
	if !sameUsages(csr.Spec.Usages) {
		return fail("spec.usages", ErrCSRUsages, fmt.Sprintf("%q is not %q in any order", csr.Spec.Usages, agentUsages), nil)
	}
	if exp := csr.Spec.ExpirationSeconds; exp != nil {
		limit := policy.MaxExpiration
		if limit <= 0 {
			limit = DefaultMaxExpiration
		}
		if *exp <= 0 || int64(*exp) > int64(limit/time.Second) {
			return fail("spec.expirationSeconds", ErrCSRExpiration, fmt.Sprintf("%d s is not within (0, %d] s", *exp, int64(limit/time.Second)), nil)
		}
	}
	if !isBootstrapRequester(csr.Spec.Username, csr.Spec.Groups, policy.ExtraBootstrapUsers) {
		return fail("spec.username", ErrCSRRequester, fmt.Sprintf("%q", csr.Spec.Username), nil)
	}
	cr, err := parseRequest(csr.Spec.Request)
	if err != nil {
		return fail("spec.request", ErrCSRRequest, "", err)
	}
	if err := checkKey(cr.PublicKey); err != nil {
		return fail("spec.request", ErrCSRKey, err.Error(), nil)
	}
	if len(cr.Extensions) > 0 {
		oids := make([]string, len(cr.Extensions))
		for i, e := range cr.Extensions {
			oids[i] = e.Id.String()
		}
		return fail("spec.request", ErrCSRExtensions, "extension OIDs "+strings.Join(oids, ", "), nil)
	}
	agent, err := agentFromSubject(cr, wec)
	if err != nil {
		return fail("spec.request", ErrCSRSubject, err.Error(), nil)
	}
	sum := sha256.Sum256(cr.RawSubjectPublicKeyInfo)
	return Claim{
		CSR: csr.Name, UID: csr.UID, Requester: csr.Spec.Username, Agent: agent,
		KeyFingerprint: "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]),
	}, nil
}

// sameUsages reports whether usages holds exactly agentUsages, each once, in any order.
func sameUsages(usages []certificatesv1.KeyUsage) bool {
	if len(usages) != len(agentUsages) {
		return false
	}
	for _, u := range agentUsages {
		if slices.Index(usages, u) < 0 {
			return false
		}
	}
	return true
}

// parseRequest decodes exactly one PEM CERTIFICATE REQUEST with nothing but whitespace around
// it and checks its signature.
func parseRequest(request []byte) (*x509.CertificateRequest, error) {
	if len(request) > MaxRequestBytes {
		return nil, fmt.Errorf("%d bytes exceed %d", len(request), MaxRequestBytes)
	}
	block, rest := pem.Decode(request)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if block.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("PEM block %q is not a CERTIFICATE REQUEST", block.Type)
	}
	if len(block.Headers) > 0 {
		return nil, errors.New("PEM block has headers")
	}
	if len(strings.TrimSpace(string(rest))) > 0 {
		return nil, errors.New("more than one PEM block, or data after the PEM block")
	}
	if before, _, _ := strings.Cut(string(request), "-----BEGIN"); strings.TrimSpace(before) != "" {
		return nil, errors.New("data before the PEM block")
	}
	cr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, err
	}
	if err := cr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return cr, nil
}

// checkKey accepts ECDSA on P-256, P-384 and P-521, Ed25519, and RSA of 2048 to 8192 bits.
func checkKey(key any) error {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("ECDSA curve %s", k.Curve.Params().Name)
	case ed25519.PublicKey:
		return nil
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < 2048 || bits > 8192 {
			return fmt.Errorf("RSA key of %d bits is not within 2048–8192", bits)
		}
		return nil
	default:
		return fmt.Errorf("key type %T", key)
	}
}

// agentFromSubject returns the agent name when the subject is exactly
// CN=system:open-cluster-management:<wec>:<agent> with O=system:open-cluster-management:<wec>
// (and optionally [ManagedClustersGroup]) and no other attribute.
func agentFromSubject(cr *x509.CertificateRequest, wec string) (string, error) {
	cns := 0
	for _, atv := range cr.Subject.Names {
		switch {
		case atv.Type.Equal(oidCommonName):
			cns++
		case atv.Type.Equal(oidOrganization):
		default:
			return "", fmt.Errorf("subject attribute %s is not allowed", atv.Type)
		}
	}
	if cns != 1 {
		return "", fmt.Errorf("subject has %d common names, want 1", cns)
	}
	clusterOrg := subjectPrefix + wec
	agent, ok := strings.CutPrefix(cr.Subject.CommonName, clusterOrg+":")
	if !ok || !validAgentName(agent) {
		return "", fmt.Errorf("subject CN %q is not %s:<agent> (agent: 1–253 of A-Z a-z 0-9 . _ -)", cr.Subject.CommonName, clusterOrg)
	}
	hasClusterOrg := false
	for _, o := range cr.Subject.Organization {
		switch o {
		case clusterOrg:
			hasClusterOrg = true
		case ManagedClustersGroup:
		default:
			return "", fmt.Errorf("subject organization %q is not allowed", o)
		}
	}
	if !hasClusterOrg {
		return "", fmt.Errorf("subject organization lacks %s", clusterOrg)
	}
	return agent, nil
}

func validAgentName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}
