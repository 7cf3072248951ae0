package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestImageActionChangesOnlyNamedParts(t *testing.T) {
	tests := []struct {
		name, action, image, want string
	}{
		{"prepend registry", `{"registry":"r.example"}`, "nginx:1", "r.example/nginx:1"},
		{"replace registry", `{"registry":"r.example"}`, "localhost:5000/a/b:1", "r.example/a/b:1"},
		{"tag keeps digest", `{"tag":"v2"}`, "x/y:v1@sha256:0123456789abcdef0123456789abcdef", "x/y:v2@sha256:0123456789abcdef0123456789abcdef"},
		{"add tag", `{"tag":"v2"}`, "x/y", "x/y:v2"},
		{"repository", `{"repository":"mirror/y"}`, "r.example:80/x/y:v1", "r.example:80/mirror/y:v1"},
		{"digest", `{"digest":"sha256:0123456789abcdef0123456789abcdef"}`, "x:v1", "x:v1@sha256:0123456789abcdef0123456789abcdef"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := compileAction(t, "image", tc.action)
			assert.NoError(t, err)
			got, err := applyOurs(t, a, `{"kind":"Pod","spec":{"containers":[{"name":"c","image":"`+tc.image+`"}]}}`)
			assert.NoError(t, err)
			assert.JSONEq(t, `{"kind":"Pod","spec":{"containers":[{"name":"c","image":"`+tc.want+`"}]}}`, got)
		})
	}
}
