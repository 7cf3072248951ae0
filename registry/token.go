package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
// it). It logs the issue (never the token) through the logr.Logger in ctx. Safe for concurrent
// use; the API server's errors pass through wrapped.
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
	logr.FromContextOrDiscard(ctx).WithName("bootstrap-token").Info("token issued",
		"serviceAccount", ns+"/"+sa, "expires", got.Status.ExpirationTimestamp.Time)
	return Token{
		Value:     got.Status.Token,
		ExpiresAt: got.Status.ExpirationTimestamp.Time,
		Source:    "serviceaccount/" + ns + "/" + sa,
	}, nil
}

// DefaultBootstrapTokenID is the token id of the bootstrap-token Secret that OCM's
// cluster-manager creates in bootstrap-token mode (Secret kube-system/bootstrap-token-ocmhub).
const DefaultBootstrapTokenID = "ocmhub"

// BootstrapTokenFromSecret reads the bootstrap-token Secrets kube-system/bootstrap-token-<id>
// for the given token ids (default: [DefaultBootstrapTokenID]) and returns the newest that can
// authenticate, has not expired at now, and adds the group [BootstrapTokenGroup]; the token is
// "<token-id>.<token-secret>". It reads each Secret by name, never lists, so the joining role
// needs get on those names only. Missing Secrets are skipped; it returns an error wrapping
// [ErrNoBootstrapToken] when none is usable, and the API server's error (wrapped) for anything
// else, e.g. Forbidden. Safe for concurrent use.
func BootstrapTokenFromSecret(ctx context.Context, kube kubernetes.Interface, now time.Time, ids ...string) (Token, error) {
	if len(ids) == 0 {
		ids = []string{DefaultBootstrapTokenID}
	}
	log := logr.FromContextOrDiscard(ctx).WithName("bootstrap-token")
	var best *corev1.Secret
	var bestExpiry time.Time
	for _, id := range ids {
		name := "bootstrap-token-" + id
		s, err := kube.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			log.V(1).Info("bootstrap-token Secret not found", "secret", name)
			continue
		}
		if err != nil {
			return Token{}, fmt.Errorf("get bootstrap-token secret %s/%s: %w", metav1.NamespaceSystem, name, err)
		}
		expiry, ok := usableBootstrapSecret(s, now)
		if !ok {
			log.V(1).Info("bootstrap-token Secret unusable", "secret", name)
			continue
		}
		if best == nil || s.CreationTimestamp.After(best.CreationTimestamp.Time) ||
			(s.CreationTimestamp.Equal(&best.CreationTimestamp) && s.Name > best.Name) {
			best, bestExpiry = s, expiry
		}
	}
	if best == nil {
		return Token{}, fmt.Errorf("%w among %s/bootstrap-token-{%s} with group %s", ErrNoBootstrapToken,
			metav1.NamespaceSystem, strings.Join(ids, ","), BootstrapTokenGroup)
	}
	log.Info("bootstrap token read", "secret", best.Name)
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
