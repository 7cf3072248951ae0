package dnsname

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestSlug(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"bindingpolicy/web", 40, "bindingpolicy-web"},
		{"Transport/Default", 40, "transport-default"},
		{"--a__b--", 40, "a-b"},
		{"é/é", 40, "x"},
		{"", 40, "x"},
		{strings.Repeat("ab-", 10), 8, "ab-ab-ab"},
		{"abcdefg/h", 8, "abcdefg"}, // cut at the dash: no trailing dash
	} {
		got := Slug(tc.in, tc.max, "x")
		assert.Equal(t, tc.want, got, tc.in)
		assert.Empty(t, validation.IsDNS1123Label(got), got)
	}
}

func TestHash(t *testing.T) {
	assert.Len(t, Hash("a"), 10)
	assert.Equal(t, Hash("a"), Hash("a"))
	assert.NotEqual(t, Hash("a/b"), Hash("a-b"), "same slug, different hash")
	assert.Empty(t, validation.IsValidLabelValue(Hash("anything")))
}
