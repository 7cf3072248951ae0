package rulestest_test

import (
	"testing"

	"github.com/wecforge/wecforge/engine/rulestest"
)

// TestSamples runs the sample cases of testdata/rulestest.
func TestSamples(t *testing.T) {
	rulestest.RunAll(t, "../../testdata/rulestest", rulestest.Options{})
}
