package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/engine"
)

// TestREADMESample checks that README.md's Go block is exactly Example_readme as a program:
// the example file's imports and the body between its README markers, inside func main.
func TestREADMESample(t *testing.T) {
	src, err := os.ReadFile("readme_example_test.go")
	require.NoError(t, err)
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)

	s := string(src)
	imports := regexp.MustCompile(`(?s)\nimport \(.*?\n\)\n`).FindString(s)
	require.NotEmpty(t, imports, "the example file has an import block")
	_, afterBegin, ok := strings.Cut(s, "// README:begin\n")
	require.True(t, ok, "README:begin marker")
	body, _, ok := strings.Cut(afterBegin, "\t// README:end")
	require.True(t, ok, "README:end marker")

	want := "```go\npackage main\n" + imports + "\nfunc main() {\n" + body + "}\n```\n"
	assert.Contains(t, string(readme), want, "README.md's Go sample differs from Example_readme; copy it over")

	_, output, ok := strings.Cut(s, "// Output:\n")
	require.True(t, ok)
	var printed strings.Builder
	for _, l := range strings.Split(strings.TrimRight(output, "}\n"), "\n") {
		printed.WriteString(strings.TrimPrefix(strings.TrimSpace(l), "// ") + "\n")
	}
	assert.Contains(t, string(readme), "prints\n\n```\n"+printed.String()+"```\n", "README.md shows what the sample prints")
}

// TestREADMEQuickStart checks the quick start's promises: exactly two commands, the first runs
// this tool on the demo data (the Makefile's preview target), the second is `make test`, which
// is what .ci/run runs.
func TestREADMEQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, quick, ok := strings.Cut(string(readme), "## Quick start")
	require.True(t, ok)
	_, block, ok := strings.Cut(quick, "```sh\n")
	require.True(t, ok)
	block, _, _ = strings.Cut(block, "```")
	assert.Equal(t, "go run ./examples/preview -f testdata/demo\nmake test\n", block)

	makefile, err := os.ReadFile("../../Makefile")
	require.NoError(t, err)
	assert.Contains(t, string(makefile), "preview:\n\t$(GO) run ./examples/preview -f testdata/demo\n")
	ci, err := os.ReadFile("../../.ci/run")
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^make test$`, string(ci))
}

// TestDemoRendersCleanly keeps the quick start's first command exiting 0 with no warnings (only
// the notice that, without placement documents, every object goes to every WEC): the demo
// shows features, failing cases live in testdata/preview.
func TestDemoRendersCleanly(t *testing.T) {
	var stdout, stderr strings.Builder
	code := run([]string{"-f", "../../testdata/demo"}, nil, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Equal(t, "notice: "+engine.NoPlacementNotice+"\n", stderr.String())
	for _, wec := range []string{"core-eu-1", "edge-east-1", "edge-west-1"} {
		assert.Contains(t, stdout.String(), "# wec: "+wec+"\n")
	}
}
