package rules

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wecforge/wecforge/transform"
)

func TestResourceGroupWildcard(t *testing.T) {
	deploy := transform.ObjectRef{Group: "apps", Kind: "Deployment", Namespace: "a", Name: "web"}
	svc := transform.ObjectRef{Kind: "Service", Namespace: "a", Name: "web"}
	cases := []struct {
		reason string
		r      resource
		want   []bool // deploy, svc
	}{
		{"group * and a kind match that kind in any group", resource{group: "*", kind: "Service"}, []bool{false, true}},
		{"group * and kind * match everything", resource{group: "*", kind: "*"}, []bool{true, true}},
		{"the empty group is the core group only", resource{group: "", kind: "*"}, []bool{false, true}},
		{"a named group matches only itself", resource{group: "apps", kind: "*"}, []bool{true, false}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			m := objectMatch{resources: []resource{c.r}}
			assert.Equal(t, c.want, []bool{m.identity(deploy), m.identity(svc)})
		})
	}
}
