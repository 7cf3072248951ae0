package app

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/examples/transport/loop"
)

// TestServeMetrics: /metrics serves the transport's named series from its own registry, and
// the server stops when the context ends.
func TestServeMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m := loop.NewMetrics()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveMetrics(ctx, ln, m) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, series := range []string{
		"transport_pairs_rendered_total",
		"transport_pairs_skipped_total",
		`transport_manifestwork_writes_total{action="create"}`,
		`transport_errors_total{kind="delivery"}`,
		"transport_change_duration_seconds_bucket",
		"transport_wec_delivery_duration_seconds_bucket",
		"go_goroutines",
	} {
		assert.Contains(t, string(body), series)
	}

	cancel()
	require.NoError(t, <-done)
	_, err = http.Get("http://" + ln.Addr().String() + "/metrics")
	assert.Error(t, err, "the server is down after the context ends")
}
