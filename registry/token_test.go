package registry_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wecforge/wecforge/registry"
)

// agentGroups are the extra groups clusteradm gives a bootstrap token.
const agentGroups = "system:bootstrappers:managedcluster,system:bootstrappers"

// createBootstrapSecret makes a bootstrap-token Secret the way kubeadm/clusteradm do.
func createBootstrapSecret(t *testing.T, c clients, id string, expires time.Time, groups string) {
	t.Helper()
	data := map[string][]byte{
		"token-id":                       []byte(id),
		"token-secret":                   []byte("0123456789abcdef"),
		"usage-bootstrap-authentication": []byte("true"),
		"usage-bootstrap-signing":        []byte("true"),
		"auth-extra-groups":              []byte(groups),
	}
	if !expires.IsZero() {
		data["expiration"] = []byte(expires.UTC().Format(time.RFC3339))
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: metav1.NamespaceSystem},
		Type:       corev1.SecretTypeBootstrapToken,
		Data:       data,
	}
	secrets := c.kube.CoreV1().Secrets(metav1.NamespaceSystem)
	_, err := secrets.Create(testContext(t), s, metav1.CreateOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = secrets.Delete(context.Background(), s.Name, metav1.DeleteOptions{}) })
}

func TestBootstrapTokenFromSecret(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	now := time.Now()
	createBootstrapSecret(t, hub, "aaaaaa", now.Add(time.Hour), agentGroups)
	time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
	createBootstrapSecret(t, hub, "bbbbbb", time.Time{}, agentGroups)
	time.Sleep(1100 * time.Millisecond)
	// Newer, but unusable: expired, or without the managed-cluster group.
	createBootstrapSecret(t, hub, "cccccc", now.Add(-time.Minute), agentGroups)
	createBootstrapSecret(t, hub, "dddddd", time.Time{}, "system:bootstrappers:kubeadm:default-node-token")

	tok, err := registry.BootstrapTokenFromSecret(ctx, hub.kube, now, "aaaaaa", "bbbbbb", "cccccc", "dddddd", "absent")
	require.NoError(t, err)
	assert.Equal(t, "bbbbbb.0123456789abcdef", tok.Value)
	assert.True(t, tok.ExpiresAt.IsZero())
	assert.Equal(t, "secret/kube-system/bootstrap-token-bbbbbb", tok.Source)

	// Two hours on, only the token without expiry is left; past every token, none.
	require.NoError(t, hub.kube.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, "bootstrap-token-bbbbbb", metav1.DeleteOptions{}))
	tok, err = registry.BootstrapTokenFromSecret(ctx, hub.kube, now, "aaaaaa", "bbbbbb", "cccccc", "dddddd", "absent")
	require.NoError(t, err)
	assert.Equal(t, "aaaaaa.0123456789abcdef", tok.Value)
	assert.WithinDuration(t, now.Add(time.Hour), tok.ExpiresAt, time.Second)
	_, err = registry.BootstrapTokenFromSecret(ctx, hub.kube, now.Add(2*time.Hour), "aaaaaa", "bbbbbb", "cccccc", "dddddd")
	assert.ErrorIs(t, err, registry.ErrNoBootstrapToken)
}

func TestBootstrapTokenErrors(t *testing.T) {
	hub := admin(t)
	ctx := testContext(t)
	_, err := registry.BootstrapToken(ctx, hub.kube, registry.TokenOptions{ServiceAccount: "missing"})
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)

	tok, err := registry.BootstrapToken(ctx, hub.kube, registry.TokenOptions{ServiceAccount: "cluster-bootstrap", Audiences: []string{"https://example"}})
	require.NoError(t, err)
	assert.Equal(t, "serviceaccount/open-cluster-management/cluster-bootstrap", tok.Source)
	assert.WithinDuration(t, time.Now().Add(registry.DefaultTokenTTL), tok.ExpiresAt, time.Minute)
}
