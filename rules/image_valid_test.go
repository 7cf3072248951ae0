package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The hand-written validators must agree with the regular expressions they replace.
func TestImageValidatorsAgreeWithRegexps(t *testing.T) {
	for _, s := range []string{"", "a", "registry.example", "registry.example:5000", "localhost:", "localhost:x",
		"-bad.example", "bad-.example", "a..b", "UPPER.case:1", "has space", "r:1:2", ":5000", "a_b", "é.example"} {
		assert.Equal(t, registryRE.MatchString(s), validRegistry(s), "registry %q", s)
	}
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	for _, s := range []string{"", "v1.2.3", "_x", ".x", "-x", "1.4.2-rc.1", "a:b", "a/b", string(long), string(long[:128]), "Ünï"} {
		assert.Equal(t, tagRE.MatchString(s), validTag(s), "tag %q", s)
	}
}
