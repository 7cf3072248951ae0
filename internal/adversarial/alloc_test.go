package adversarial

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The memory each case may allocate in total (runtime TotalAlloc, not resident memory): the
// budget's defaults let a pair produce 4 MiB and spend 10,000,000 CEL cost units, so no case
// should come near this. The three attacks of the issue allocated gigabytes before.
const (
	maxAllocPerCase   = 512 << 20
	maxAllocIssueCase = 64 << 20
)

var issueCases = []string{"template-self-call-twice-per-level", "cel-range-map-object", "patch-copy-doubling-via-sibling"}

// TestAllocationsPerCase builds allocprobe without the race detector (a race binary's
// shadow memory would swamp the numbers, and cannot run under an address-space cap) and
// checks what each case allocated.
func TestAllocationsPerCase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a helper binary")
	}
	bin := filepath.Join(t.TempDir(), "allocprobe")
	build := exec.Command("go", "build", "-o", bin, "./allocprobe")
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	var stdout bytes.Buffer
	run := exec.Command(bin)
	run.Stdout = &stdout
	run.Stderr = &stdout
	require.NoError(t, run.Run(), stdout.String())
	seen := map[string]uint64{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		require.Len(t, f, 3, sc.Text())
		n, err := strconv.ParseUint(f[1], 10, 64)
		require.NoError(t, err)
		seen[f[0]] = n
		t.Logf("%-45s %8.1f MiB  %s", f[0], float64(n)/(1<<20), f[2])
		assert.Less(t, n, uint64(maxAllocPerCase), f[0])
	}
	cases, err := Load()
	require.NoError(t, err)
	assert.Len(t, seen, len(cases))
	for _, name := range issueCases {
		require.Contains(t, seen, name)
		assert.Less(t, seen[name], uint64(maxAllocIssueCase), name)
	}
}
