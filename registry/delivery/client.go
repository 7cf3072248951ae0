package delivery

import (
	"k8s.io/client-go/rest"
)

// Client-side rate limits that [ClientConfig] sets on a hub config that has none.
//
// client-go's own defaults (5 requests per second, bursts of 10) would let a fleet-wide change
// to 5,000 WECs take at least 15 minutes, since one Apply makes a list and a write per changed
// ManifestWork. These limits are high enough that the hub's API server, not the client, is
// what bounds delivery (see benchmarks/README.md for the measurements), and still finite, so
// a transport that loops on errors cannot flood the hub without limit. API Priority and
// Fairness on the hub remains the server-side bound.
const (
	DefaultClientQPS   = 500
	DefaultClientBurst = 1000
)

// ClientConfig returns a copy of cfg for the work clientset given to [New]: a QPS and Burst
// left at zero (client-go's "use my defaults") become [DefaultClientQPS] and
// [DefaultClientBurst]. Limits the caller set — including a negative QPS, which turns
// client-side rate limiting off, and a RateLimiter — are kept. cfg is not modified; nil
// returns nil.
func ClientConfig(cfg *rest.Config) *rest.Config {
	if cfg == nil {
		return nil
	}
	out := rest.CopyConfig(cfg)
	if out.RateLimiter != nil {
		return out
	}
	if out.QPS == 0 {
		out.QPS = DefaultClientQPS
	}
	if out.Burst == 0 {
		out.Burst = DefaultClientBurst
	}
	return out
}
