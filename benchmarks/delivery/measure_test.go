package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/examples/transport/loop"
)

// TestMeasurementLine checks the MEASURE line against the format the issue fixes, rounding
// included.
func TestMeasurementLine(t *testing.T) {
	m := Measurement{WECs: 5000, Works: 5000, Wall: 41234 * time.Millisecond, RawWritesPerSec: 140.6, RSS: 201<<20 + 600<<10}
	assert.Equal(t, "MEASURE delivery wecs=5000 works=5000 wall=41.2s writes/s=121 raw-writes/s=141 fraction=0.86 rss=202MiB", m.String())
	assert.Equal(t, "MEASURE delivery wecs=10 works=0 wall=0.0s writes/s=0 raw-writes/s=0 fraction=0.00 rss=0MiB",
		Measurement{WECs: 10}.String(), "no division by zero")
}

func TestStatusField(t *testing.T) {
	status := []byte("Name:\tbench\nVmPeak:\t  900 kB\nVmHWM:\t  204800 kB\nVmRSS:\t 1000 kB\n")
	v, err := statusField(status, "VmHWM")
	require.NoError(t, err)
	assert.Equal(t, int64(200<<20), v)
	_, err = statusField(status, "VmSwap")
	assert.ErrorIs(t, err, errNoField)
	for _, bad := range []string{"VmHWM:\t12 MB\n", "VmHWM:\tx kB\n", "VmHWM:\t-1 kB\n", "VmHWM:\n"} {
		_, err := statusField([]byte(bad), "VmHWM")
		assert.Error(t, err, bad)
	}
	own, err := peakRSS(1)
	if err == nil {
		assert.Positive(t, own)
	}
}

func TestCPUTime(t *testing.T) {
	// A command name with spaces and parentheses must not shift the fields.
	stat := []byte("42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 10 0 0")
	d, err := cpuTime(stat)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, d)
	for _, bad := range []string{"42 no-paren", "42 (x) S 1 2", "42 (x) S 1 42 42 0 -1 1 1 0 0 0 x 5"} {
		_, err := cpuTime([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestSameWorks(t *testing.T) {
	before := map[string]int64{"a": 1, "b": 1, "c": 4}
	changed := func(w string) bool { return w == "b" }
	require.NoError(t, sameWorks(before, map[string]int64{"a": 1, "b": 2, "c": 4}, 3, changed))
	assert.ErrorContains(t, sameWorks(before, map[string]int64{"a": 2, "b": 2, "c": 4}, 3, changed), "a: generation 1 → 2, want 1")
	assert.ErrorContains(t, sameWorks(before, map[string]int64{"a": 1, "b": 1, "c": 4}, 3, changed), "b: generation 1 → 1, want 2")
	assert.ErrorContains(t, sameWorks(before, map[string]int64{"a": 1, "b": 3, "c": 4}, 3, changed), "want 2", "written twice")
	assert.Error(t, sameWorks(before, map[string]int64{"a": 1, "b": 2}, 3, changed), "a work vanished")
}

func TestSumWrites(t *testing.T) {
	ev := []event{{Kind: "observed"}, {Kind: "record", Writes: 3}, {Kind: "record", Writes: 2, Cause: "wec x", Err: "boom"}, {Kind: "record", Writes: 7}}
	n, err := sumWrites(ev[:2])
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	_, err = sumWrites(ev)
	assert.ErrorContains(t, err, "wec x: boom")
}

func TestParallel(t *testing.T) {
	var calls atomic.Int64
	require.NoError(t, parallel(context.Background(), 100, 8, func(context.Context, int) error { calls.Add(1); return nil }))
	assert.Equal(t, int64(100), calls.Load())

	boom := errors.New("boom")
	calls.Store(0)
	err := parallel(context.Background(), 1000, 1, func(_ context.Context, i int) error {
		calls.Add(1)
		if i == 10 {
			return boom
		}
		return nil
	})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, int64(11), calls.Load(), "no new call after an error")
}

func TestBest(t *testing.T) {
	assert.Equal(t, rawResult{}, best(nil))
	assert.Equal(t, rawResult{Writers: 16, Rate: 300}, best([]rawResult{{1, 100}, {16, 300}, {64, 250}}))
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-sizes", "1000, 5000", "-ocm-api-dir", "/ocm"})
	require.NoError(t, err)
	assert.Equal(t, []int{1000, 5000}, o.sizes)
	assert.Len(t, o.crds, 2)
	for _, bad := range [][]string{{"-ocm-api-dir", "/ocm", "-sizes", "10"}, {"-ocm-api-dir", "/ocm", "-sizes", "x"}, {"-sizes", "1000"}} {
		_, err := parseFlags(bad)
		assert.Error(t, err, bad)
	}
}

// TestNewRecords checks that records are found again once loop.History's window slides.
func TestNewRecords(t *testing.T) {
	at := time.Unix(100, 0)
	rec := func(i int) loop.Record {
		return loop.Record{Cause: "wec w", At: at.Add(time.Duration(i) * time.Millisecond), Writes: i}
	}
	h := []loop.Record{rec(0), rec(1), rec(2)}
	assert.Equal(t, 0, newRecords(h, nil))
	last := h[1]
	assert.Equal(t, 2, newRecords(h, &last))
	slid := []loop.Record{rec(1), rec(2), rec(3), rec(4)} // the window dropped rec(0)
	assert.Equal(t, 1, newRecords(slid, &last))
	full := slid[2:] // rec(1) itself dropped: all are new
	assert.Equal(t, 0, newRecords(full, &last))
	last = h[2]
	assert.Equal(t, 3, newRecords(h, &last), "nothing new")
}
