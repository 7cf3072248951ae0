package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumNames are the names a Chromium binary goes by, looked up in WECFORGE_BIN_DIR (where
// hack/tools.sh links it), hack/bin, then PATH.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"}

// findChromium returns the Chromium to drive, or skips the test (fails it when
// WECFORGE_REQUIRE_E2E is set, as `make test` does).
func findChromium(t *testing.T, root string) string {
	t.Helper()
	dirs := []string{os.Getenv("WECFORGE_BIN_DIR"), filepath.Join(root, "hack", "bin")}
	for _, dir := range dirs {
		for _, n := range chromiumNames {
			if p := filepath.Join(dir, n); dir != "" && isExecutable(p) {
				return p
			}
		}
	}
	for _, n := range chromiumNames {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	msg := "e2e: no Chromium in WECFORGE_BIN_DIR, hack/bin or PATH (run hack/tools.sh chromium)"
	if os.Getenv("WECFORGE_REQUIRE_E2E") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// artifactDir is where the test keeps its screenshot: WECFORGE_ARTIFACTS when set; else, with
// `go test -artifacts`, the test's artifact directory; else a fresh directory under the system's
// temporary directory that the test does not remove.
func artifactDir(t *testing.T) string {
	if dir := os.Getenv("WECFORGE_ARTIFACTS"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		return dir
	}
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	dir, err := os.MkdirTemp("", "wecforge-review-artifacts-")
	require.NoError(t, err)
	return dir
}

// TestE2EReportInBrowser builds the preview, reviews the demo change of testdata/review
// (doubled replicas, a new label), loads the review.html it writes in headless Chromium,
// checks the matrix the page draws, clicks a cell as a user does and checks the drill-down
// (changes with who made them, the diff, the traces), and keeps a screenshot.
func TestE2EReportInBrowser(t *testing.T) {
	root := moduleRoot(t)
	chromium := findChromium(t, root)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a loaded 2-core machine
	defer cancel()

	bin := filepath.Join(dir, "preview")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/preview")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "building the preview: %s", out)
	report := filepath.Join(dir, "review")
	cmd := exec.CommandContext(ctx, bin, "-f", "testdata/demo",
		"--before", "testdata/review/demo-change/before", "--after", "testdata/review/demo-change/after", "-o", report)
	cmd.Dir = root
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "the review: %s", out)

	logFile, err := os.Create(filepath.Join(dir, "chromium.log"))
	require.NoError(t, err)
	defer logFile.Close()
	browser, err := startChromium(chromium, filepath.Join(dir, "profile"), logFile)
	require.NoError(t, err)
	defer func() {
		if err := browser.Close(30 * time.Second); err != nil {
			t.Logf("closing chromium: %v", err)
		}
		if t.Failed() {
			if log, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("chromium log (tail):\n%s", tail(string(log), 4000))
			}
		}
	}()
	page, err := browser.openPage(ctx)
	require.NoError(t, err)
	require.NoError(t, browser.call(ctx, page, "Page.navigate", map[string]any{"url": "file://" + filepath.Join(report, "review.html")}, nil))
	waitFor(t, ctx, browser, page, `document.body && document.body.dataset.ready === "true"`, "the page draws its matrix")

	// The matrix: one row per changed object, one cell per variant.
	var matrix struct {
		Summary string
		Rows    []struct {
			Object string
			Cells  []string
		}
	}
	require.NoError(t, browser.eval(ctx, page, `({
		Summary: document.getElementById("summary").textContent,
		Rows: Array.from(document.querySelectorAll("#matrix tbody tr")).map(tr => ({
			Object: tr.querySelector("td.object").textContent,
			Cells: Array.from(tr.querySelectorAll("button.cell")).map(b => b.innerText.replace(/\s+/g, " ").trim()),
		})),
	})`, &matrix))
	assert.Equal(t, "4 objects changed on 3 WECs of 3, 12 (object, WEC) pairs.", matrix.Summary)
	require.Len(t, matrix.Rows, 4)
	cells := map[string][]string{}
	for _, r := range matrix.Rows {
		cells[r.Object] = r.Cells
	}
	assert.Equal(t, []string{"3 WECs core-eu-1, edge-east-1, … 1 change"}, cells["ConfigMap demo/web-config"])
	assert.Equal(t, []string{"1 WEC core-eu-1 2 changes", "1 WEC edge-east-1 2 changes", "1 WEC edge-west-1 2 changes"}, cells["Deployment.apps demo/web"])
	require.Contains(t, cells, "Job.batch demo/migrate-7xk2p")
	require.Contains(t, cells, "Service demo/web")

	// A real click (mouse events at the cell's centre) on the Deployment's edge-east-1 cell.
	var box struct{ X, Y float64 }
	require.NoError(t, browser.eval(ctx, page, `(() => {
		const b = Array.from(document.querySelectorAll("button.cell")).find(b => b.innerText.includes("edge-east-1") && b.closest("tr").querySelector("td.object").textContent === "Deployment.apps demo/web");
		b.scrollIntoView({block: "center"});
		const r = b.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, &box))
	require.NoError(t, browser.click(ctx, page, box.X, box.Y))
	waitFor(t, ctx, browser, page, `!document.getElementById("detail").hidden`, "the click opens the drill-down")

	var detail struct {
		Title, WECs, Diff, ExplainAfter string
		Changes                         [][]string
	}
	require.NoError(t, browser.eval(ctx, page, `({
		Title: document.getElementById("detail-title").textContent,
		WECs: document.getElementById("detail-wecs").textContent,
		Diff: document.getElementById("detail-diff").textContent,
		ExplainAfter: document.getElementById("detail-explain-after").textContent,
		Changes: Array.from(document.querySelectorAll("#detail-changes tbody tr")).map(tr => Array.from(tr.children).map(td => td.textContent)),
	})`, &detail))
	assert.Equal(t, "Deployment.apps demo/web — variant 2 of 3", detail.Title)
	assert.Equal(t, "1 WEC: edge-east-1", detail.WECs)
	assert.Equal(t, [][]string{
		{`.metadata.labels["example.com/team"]`, "null", `"payments"`, "rule placement-labels: spec.actions[0]"},
		{".spec.replicas", "2", "4", "rule replicas-from-properties: spec.actions[0]"},
	}, detail.Changes)
	assert.Contains(t, detail.Diff, "\n-  replicas: 2\n+  replicas: 4\n")
	assert.Contains(t, detail.Diff, "+    example.com/team: payments\n")
	assert.Contains(t, detail.ExplainAfter, ".spec.replicas  rule replicas-from-properties: spec.actions[0]  1 → 4")

	var shot struct {
		Data string `json:"data"`
	}
	require.NoError(t, browser.call(ctx, page, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot))
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG screenshot")
	path := filepath.Join(artifactDir(t), "review.png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot of the report with the drill-down open: %s", path)
}

// waitFor polls a JavaScript condition every 200ms until it holds (the page is drawn by a
// script; a loaded machine may take seconds), failing the test after two minutes.
func waitFor(t *testing.T, ctx context.Context, c *cdp, page, cond, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		var ok bool
		if last = c.eval(ctx, page, cond, &ok); last == nil && ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within 2 minutes (%v)", what, errors.Join(last, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("…%s", s[len(s)-n:])
}
