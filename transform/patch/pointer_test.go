package patch

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePointer(t *testing.T) {
	tests := []struct {
		in     string
		tokens []string
		off    int
		err    string
	}{
		{"/a/b", []string{"a", "b"}, 0, ""},
		{"/", []string{""}, 0, ""},
		{"/a~1b/c~0d", []string{"a/b", "c~d"}, 0, ""},
		{"/a//b", []string{"a", "", "b"}, 0, ""},
		{"", nil, 0, `the pointer "" is the whole object, which a patch may not replace`},
		{"a", nil, 0, `invalid JSON pointer "a": it must start with /`},
		{"/a~", nil, 2, `invalid JSON pointer "/a~" at position 2: ~ must be followed by 0 or 1`},
		{"/~2", nil, 1, `invalid JSON pointer "/~2" at position 1: ~ must be followed by 0 or 1`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePointer(tc.in)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				var pe *PointerError
				require.True(t, errors.As(err, &pe))
				assert.Equal(t, tc.off, pe.Offset)
				assert.Equal(t, tc.in, pe.Pointer)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.tokens, p.tokens)
			assert.Equal(t, tc.in, p.String())
		})
	}
}

func TestPointerLocation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/spec/replicas", ".spec.replicas"},
		{"/spec/containers/0/image", ".spec.containers[0].image"},
		{"/a/01", `.a["01"]`},
		{"/a/-", `.a["-"]`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePointer(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Location().String())
		})
	}
}

func TestIsAncestorOf(t *testing.T) {
	tests := []struct {
		reason, p, q string
		want         bool
	}{
		{"a child", "/a", "/a/b", true},
		{"a grandchild", "/a", "/a/b/c", true},
		{"the pointer itself", "/a", "/a", false},
		{"a sibling sharing a prefix of text", "/a", "/ab", false},
		{"the parent", "/a/b", "/a", false},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			p, err := ParsePointer(tc.p)
			require.NoError(t, err)
			q, err := ParsePointer(tc.q)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.IsAncestorOf(q))
		})
	}
}

func TestNormalize(t *testing.T) {
	got, err := Normalize(map[string]any{"i": 1, "j": int32(2), "u": uint64(3), "f": 1.5, "l": []any{nil, true, "s"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"i": int64(1), "j": int64(2), "u": int64(3), "f": 1.5, "l": []any{nil, true, "s"}}, got)

	for _, bad := range []any{uint64(1 << 63), []any{struct{}{}}} {
		_, err := Normalize(bad)
		assert.Error(t, err, "%#v", bad)
	}
}
