package imageref_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wecforge/wecforge/rules/imageref"
)

func TestParseFollowsDockerRules(t *testing.T) {
	tests := []struct {
		in, registry, repository, tag, digest string
	}{
		{"nginx", "", "nginx", "", ""},
		{"nginx:1.25", "", "nginx", "1.25", ""},
		{"library/nginx", "", "library/nginx", "", ""},
		{"docker.io/library/nginx:1", "docker.io", "library/nginx", "1", ""},
		{"localhost/app", "localhost", "app", "", ""},
		{"localhost:5000/a/b:c", "localhost:5000", "a/b", "c", ""},
		{"registry:443/x", "registry:443", "x", "", ""},
		{"team/app@sha256:ab", "", "team/app", "", "sha256:ab"},
		{"host.example/x:v1@sha256:ab", "host.example", "x", "v1", "sha256:ab"},
		{"[::1]:5000/x", "[::1]:5000", "x", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r := imageref.Parse(tc.in)
			assert.Equal(t, []string{tc.registry, tc.repository, tc.tag, tc.digest}, []string{r.Registry, r.Repository, r.Tag, r.Digest})
			assert.Equal(t, tc.in, r.String())
		})
	}
}

func TestStringKeepsEmptyParts(t *testing.T) {
	r := imageref.Parse("x:@")
	assert.True(t, r.HasTag)
	assert.True(t, r.HasDigest)
	assert.Equal(t, "x:@", r.String())
	assert.Equal(t, "", imageref.Ref{}.String())
}

func TestStringAllocatesOnce(t *testing.T) {
	r := imageref.Parse("registry.example:5000/team/app:v1@sha256:0123456789abcdef0123456789abcdef")
	r.Tag = "v2"
	var s string
	allocs := testing.AllocsPerRun(100, func() { s = r.String() })
	assert.Equal(t, 1.0, allocs)
	assert.Equal(t, "registry.example:5000/team/app:v2@sha256:0123456789abcdef0123456789abcdef", s)
}

// FuzzParse checks that splitting an image reference and joining it back is lossless, so the
// image action changes nothing but the parts it names.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"nginx", "nginx:1.25", "docker.io/library/nginx:1", "localhost:5000/a/b:c@sha256:00",
		"registry:443/x", "a/b/c", "host.example/x@sha256:ab", ":", "@", "/", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := imageref.Parse(s)
		if got := r.String(); got != s {
			t.Fatalf("%q → %+v → %q", s, r, got)
		}
		if strings.ContainsAny(r.Tag, "/@") || strings.Contains(r.Registry, "/") {
			t.Fatalf("%q split badly: %+v", s, r)
		}
	})
}
