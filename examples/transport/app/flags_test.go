package app

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wecforge/wecforge/registry/sharding"
)

// TestParseFlagsValidation: every invalid command line is refused with ErrUsage before anything
// is contacted, and a valid one parses to the values given.
func TestParseFlagsValidation(t *testing.T) {
	base := []string{"--hub-kubeconfig=/nonexistent/hub", "-f=/nonexistent/objs.yaml"}
	shard := append(append([]string{}, base...), "--shard-namespace=transport-system")
	for _, tc := range []struct {
		name   string
		args   []string
		reason string // why the line is bad; empty: it is valid
	}{
		{"minimal", base, ""},
		{"sharded defaults", shard, ""},
		{"sharded all given", append(shard, "--identity=r1", "--shards=8", "--lease-duration=6s", "--lease-renew=1s", "--lease-skew=2s"), ""},
		{"unknown flag", append(base, "--nope"), "unknown flags are refused"},
		{"positional argument", append(base, "extra"), "inputs are flags only"},
		{"no hub", []string{"-f=x.yaml"}, "the hub is required"},
		{"no input", []string{"--hub-kubeconfig=h"}, "files or a source are required"},
		{"crds without source", append(base, "--install-crds"), "CRDs go to the source"},
		{"empty source key", append(base, "--source-key="), "the source key names the works"},
		{"shards without namespace", append(base, "--shards=4"), "sharding flags need --shard-namespace"},
		{"identity without namespace", append(base, "--identity=r1"), "sharding flags need --shard-namespace"},
		{"zero shards", append(shard, "--shards=0"), "at least one shard"},
		{"negative shards", append(shard, "--shards=-3"), "at least one shard"},
		{"too many shards", append(shard, "--shards=100000"), "shards are bounded"},
		{"identity too long", append(shard, "--identity="+strings.Repeat("x", sharding.MaxIdentityLength+1)), "the identity is a Lease holder"},
		{"shards not a number", append(shard, "--shards=many"), "parse error"},
		{"empty identity", append(shard, "--identity= "), "identity names the member Lease"},
		{"zero lease", append(shard, "--lease-duration=0s"), "a lease must last"},
		{"negative renew", append(shard, "--lease-renew=-1s"), "renew is not negative"},
		{"renew not below duration", append(shard, "--lease-duration=10s", "--lease-renew=10s"), "renew before expiry"},
		{"skew half the duration", append(shard, "--lease-duration=10s", "--lease-skew=5s"), "skew below duration/2"},
		{"skew above", append(shard, "--lease-duration=4s", "--lease-skew=3s"), "skew below duration/2"},
		{"negative skew", append(shard, "--lease-skew=-1s"), "skew not negative"},
		{"renew plus skew too long", append(shard, "--lease-duration=10s", "--lease-renew=7s", "--lease-skew=4s"), "a live replica would lapse between renewals"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, io.Discard)
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err, tc.reason)
			assert.ErrorIs(t, err, ErrUsage, tc.reason)
		})
	}

	f, err := parseFlags(append(shard, "--identity=r1", "--shards=8", "--lease-duration=6s", "--lease-renew=1s", "--lease-skew=2s"), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "transport-system", f.shardNamespace)
	assert.Equal(t, "r1", f.identity)
	assert.Equal(t, 8, f.shards)
	assert.Equal(t, 6*time.Second, f.leaseDuration)
	assert.Equal(t, time.Second, f.leaseRenew)
	assert.Equal(t, 2*time.Second, f.leaseSkew)

	f, err = parseFlags(shard, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, sharding.DefaultShards, f.shards)
	assert.Equal(t, sharding.DefaultLeaseDuration, f.leaseDuration)
	assert.Equal(t, sharding.DefaultSkewTolerance, f.leaseSkew)
	assert.NotEmpty(t, f.identity, "the default identity is hostname-pid")
}

// TestMainExitCodes: Main returns 2 with the reason on stderr for a bad command line, 0 for -h,
// and 1 when running fails (here: an unreadable hub kubeconfig).
func TestMainExitCodes(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	assert.Equal(t, 2, Main(ctx, []string{"--hub-kubeconfig=h", "-f=x", "--shard-namespace=ns", "--shards=0"}, &out))
	assert.Contains(t, out.String(), "--shards=0")

	out.Reset()
	assert.Equal(t, 2, Main(ctx, []string{"--bogus"}, &out))
	assert.Contains(t, out.String(), "bogus")

	out.Reset()
	assert.Equal(t, 0, Main(ctx, []string{"-h"}, &out))
	assert.Contains(t, out.String(), "-shard-namespace", "the usage lists the sharding flags")

	out.Reset()
	assert.Equal(t, 2, Main(ctx, []string{"--hub-kubeconfig=h", "-f=x", "--clusters=a in (b"}, &out), "a bad selector is a usage error")

	out.Reset()
	assert.Equal(t, 1, Main(ctx, []string{"--hub-kubeconfig=/nonexistent/hub.kubeconfig", "-f=/nonexistent/objs.yaml"}, &out))
	assert.Contains(t, out.String(), "transport failed")
}
