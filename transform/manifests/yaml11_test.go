package manifests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestJSONKeyAgreesWithReader holds every shortcut of jsonKey to what kubectl's reader makes of
// the same plain key.
func TestJSONKeyAgreesWithReader(t *testing.T) {
	for _, k := range []string{
		"0", "7", "42", "0777", "09", "-1", "+1", "1_000", "0x1F", "0b11", "1.0", "1e3", ".5",
		"123456789012345678", "1234567890123456789", "99999999999999999999",
		"y", "Yes", "OFF", "true", "False", "name", "2024-01-02", ".inf", "-.inf", ".nan",
	} {
		got, ok := jsonKey(&kyaml.Node{Kind: kyaml.ScalarNode, Value: k})
		assert.True(t, ok, k)
		assert.Equal(t, viaReader(k), got, "plain key %s", k)
	}
}
