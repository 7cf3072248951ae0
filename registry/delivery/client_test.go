package delivery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

func TestClientConfig(t *testing.T) {
	limiter := flowcontrol.NewFakeAlwaysRateLimiter()
	for _, tc := range []struct {
		name       string
		in         *rest.Config
		qps        float32
		burst      int
		hasLimiter bool
		reason     string
	}{
		{name: "defaults", in: &rest.Config{Host: "h"}, qps: DefaultClientQPS, burst: DefaultClientBurst,
			reason: "client-go's 5/10 would bound a fleet-wide change"},
		{name: "caller's limits", in: &rest.Config{QPS: 20, Burst: 30}, qps: 20, burst: 30,
			reason: "limits the caller chose are kept"},
		{name: "only burst set", in: &rest.Config{Burst: 7}, qps: DefaultClientQPS, burst: 7,
			reason: "each limit defaults on its own"},
		{name: "rate limiting off", in: &rest.Config{QPS: -1}, qps: -1, burst: DefaultClientBurst,
			reason: "a negative QPS turns client-side limiting off and stays so"},
		{name: "own limiter", in: &rest.Config{RateLimiter: limiter}, hasLimiter: true,
			reason: "a RateLimiter overrides QPS and Burst, so they are left alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := rest.CopyConfig(tc.in)
			out := ClientConfig(tc.in)
			assert.Equal(t, in, tc.in, "input not modified")
			assert.Equal(t, tc.qps, out.QPS, tc.reason)
			assert.Equal(t, tc.burst, out.Burst, tc.reason)
			assert.Equal(t, tc.hasLimiter, out.RateLimiter != nil, tc.reason)
		})
	}
	assert.Nil(t, ClientConfig(nil))
}
