package validate_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorePackagesDoNotImportValidation checks that importing the core packages (and the
// assembly) never pulls in this package or the schema machinery it brings: client-go's
// apply configurations, and apiextensions.
func TestCorePackagesDoNotImportValidation(t *testing.T) {
	goBin, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is needed to list dependencies")
	pkgs := []string{"customization", "transform", "rules", "engine"}
	args := []string{"list", "-deps"}
	for _, p := range pkgs {
		args = append(args, "github.com/wecforge/wecforge/"+p)
	}
	out, err := exec.Command(goBin, args...).Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/wecforge/wecforge/transform", "go list answered")
	for _, forbidden := range []string{
		"github.com/wecforge/wecforge/transform/validate",
		"k8s.io/client-go/applyconfigurations",
		"k8s.io/apiextensions-apiserver",
	} {
		for _, d := range deps {
			assert.False(t, d == forbidden || strings.HasPrefix(d, forbidden+"/"), "%s is imported by one of %v", d, pkgs)
		}
	}
}
