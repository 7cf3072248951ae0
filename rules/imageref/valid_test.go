package imageref

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The grammar of registries and tags as regular expressions, the reference the hand-written
// validators must agree with.
var (
	registryRE = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?$`)
	tagRE      = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
)

// The hand-written validators must agree with the regular expressions they replace.
func TestValidatorsAgreeWithRegexps(t *testing.T) {
	for _, s := range []string{"", "a", "registry.example", "registry.example:5000", "localhost:", "localhost:x",
		"-bad.example", "bad-.example", "a..b", "UPPER.case:1", "has space", "r:1:2", ":5000", "a_b", "é.example"} {
		assert.Equal(t, registryRE.MatchString(s), ValidRegistry(s), "registry %q", s)
	}
	long := strings.Repeat("a", 129)
	for _, s := range []string{"", "v1.2.3", "_x", ".x", "-x", "1.4.2-rc.1", "a:b", "a/b", long, long[:128], "Ünï"} {
		assert.Equal(t, tagRE.MatchString(s), ValidTag(s), "tag %q", s)
	}
}

func TestValidParts(t *testing.T) {
	tests := []struct {
		reason string
		valid  func(string) bool
		in     string
		want   bool
	}{
		{"a host with a port", ValidRegistry, "registry.example:5000", true},
		{"a port must be a number", ValidRegistry, "registry.example:x", false},
		{"repository components are lower case", ValidRepository, "library/nginx", true},
		{"upper case is not a repository", ValidRepository, "Library/nginx", false},
		{"a repository component cannot be empty", ValidRepository, "a//b", false},
		{"dashes may repeat inside a component", ValidRepository, "a--b/c__d", true},
		{"a tag may contain dots and dashes", ValidTag, "1.4.2-rc.1", true},
		{"a tag cannot start with a dot", ValidTag, ".x", false},
		{"a sha256 digest", ValidDigest, "sha256:0123456789abcdef0123456789abcdef", true},
		{"a digest needs 32 characters of hash", ValidDigest, "sha256:ab", false},
		{"a digest needs an algorithm", ValidDigest, ":0123456789abcdef0123456789abcdef", false},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.valid(tc.in), tc.in)
		})
	}
}
