package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	// BootstrapNamespace is the hub namespace that holds OCM's bootstrap ServiceAccount.
	BootstrapNamespace = "open-cluster-management"
	// BootstrapServiceAccount is the default bootstrap ServiceAccount a WEC's agent joins with.
	BootstrapServiceAccount = "agent-registration-bootstrap"
	// ClusteradmBootstrapServiceAccount is the bootstrap ServiceAccount that clusteradm init
	// creates; [Accept] trusts it as well.
	ClusteradmBootstrapServiceAccount = "cluster-bootstrap"
	// BootstrapTokenGroup is the group that a bootstrap token must add for [Accept] to trust
	// CSRs its user creates (clusteradm's --use-bootstrap-token mode).
	BootstrapTokenGroup = "system:bootstrappers:managedcluster"
	// bootstrapTokenUserPrefix is the user name prefix of bootstrap-token users.
	bootstrapTokenUserPrefix = "system:bootstrap:"
	// DefaultTokenTTL is the lifetime [BootstrapToken] asks for when none is given.
	DefaultTokenTTL = time.Hour
)

// ErrNoBootstrapToken means no usable bootstrap-token Secret exists in kube-system.
var ErrNoBootstrapToken = errors.New("no usable bootstrap token")

// Token is a hub credential for a WEC's registration agent. It is a plain value.
type Token struct {
	// Value is the bearer token.
	Value string
	// ExpiresAt is when the token stops working; zero when it does not expire.
	ExpiresAt time.Time
	// Source names where it came from: "serviceaccount/<ns>/<name>" or "secret/kube-system/<name>".
	Source string
}

// TokenOptions tunes [BootstrapToken]. The zero value asks for a one-hour token for
// open-cluster-management/agent-registration-bootstrap.
type TokenOptions struct {
	// Namespace of the ServiceAccount; defaults to [BootstrapNamespace].
	Namespace string
	// ServiceAccount name; defaults to [BootstrapServiceAccount].
	ServiceAccount string
	// TTL is the requested lifetime; defaults to [DefaultTokenTTL]. The API server may shorten it
	// (the result's ExpiresAt is what it granted) and rejects less than ten minutes.
	TTL time.Duration
	// Audiences, when set, are the token's audiences; empty means the API server's defaults.
	Audiences []string
}

// BootstrapToken issues a time-bound token for the bootstrap ServiceAccount through the
// TokenRequest API. The ServiceAccount must exist (clusteradm init or the hub's installer makes
// it). Safe for concurrent use; the API server's errors pass through wrapped.
func BootstrapToken(ctx context.Context, kube kubernetes.Interface, opts TokenOptions) (Token, error) {
	ns := defaultString(opts.Namespace, BootstrapNamespace)
	sa := defaultString(opts.ServiceAccount, BootstrapServiceAccount)
	ttl := opts.TTL
	if ttl <= 0 {
		ttl = DefaultTokenTTL
	}
	seconds := int64(ttl / time.Second)
	req := &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			Audiences:         slices.Clone(opts.Audiences),
			ExpirationSeconds: &seconds,
		},
	}
	got, err := kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return Token{}, fmt.Errorf("request a token for serviceaccount %s/%s: %w", ns, sa, err)
	}
	return Token{
		Value:     got.Status.Token,
		ExpiresAt: got.Status.ExpirationTimestamp.Time,
		Source:    "serviceaccount/" + ns + "/" + sa,
	}, nil
}

// BootstrapTokenFromSecret returns the newest bootstrap-token Secret in kube-system that can
// authenticate, has not expired at now, and adds the group [BootstrapTokenGroup]; the token is
// "<token-id>.<token-secret>". It returns an error wrapping [ErrNoBootstrapToken] when there is
// none. Safe for concurrent use.
func BootstrapTokenFromSecret(ctx context.Context, kube kubernetes.Interface, now time.Time) (Token, error) {
	list, err := kube.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: "type=" + string(corev1.SecretTypeBootstrapToken),
	})
	if err != nil {
		return Token{}, fmt.Errorf("list bootstrap-token secrets: %w", err)
	}
	var best *corev1.Secret
	var bestExpiry time.Time
	for i := range list.Items {
		s := &list.Items[i]
		expiry, ok := usableBootstrapSecret(s, now)
		if !ok {
			continue
		}
		if best == nil || s.CreationTimestamp.After(best.CreationTimestamp.Time) ||
			(s.CreationTimestamp.Equal(&best.CreationTimestamp) && s.Name > best.Name) {
			best, bestExpiry = s, expiry
		}
	}
	if best == nil {
		return Token{}, fmt.Errorf("%w in namespace %s with group %s", ErrNoBootstrapToken, metav1.NamespaceSystem, BootstrapTokenGroup)
	}
	return Token{
		Value:     string(best.Data["token-id"]) + "." + string(best.Data["token-secret"]),
		ExpiresAt: bestExpiry,
		Source:    "secret/" + metav1.NamespaceSystem + "/" + best.Name,
	}, nil
}

// usableBootstrapSecret reports whether s is a complete, unexpired bootstrap token for managed
// clusters, and when it expires (zero for never).
func usableBootstrapSecret(s *corev1.Secret, now time.Time) (time.Time, bool) {
	if s.Type != corev1.SecretTypeBootstrapToken || s.DeletionTimestamp != nil {
		return time.Time{}, false
	}
	id, secret := string(s.Data["token-id"]), string(s.Data["token-secret"])
	if id == "" || secret == "" || s.Name != "bootstrap-token-"+id {
		return time.Time{}, false
	}
	if string(s.Data["usage-bootstrap-authentication"]) != "true" {
		return time.Time{}, false
	}
	groups := strings.Split(string(s.Data["auth-extra-groups"]), ",")
	if !slices.Contains(groups, BootstrapTokenGroup) {
		return time.Time{}, false
	}
	var expiry time.Time
	if raw := string(s.Data["expiration"]); raw != "" {
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil || !now.Before(t) {
			return time.Time{}, false
		}
		expiry = t
	}
	return expiry, true
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
