package loop

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/client-go/util/workqueue"

	"github.com/wecforge/wecforge/registry/delivery"
)

// QueueName names the controller's workqueue in the workqueue_* series.
const QueueName = "transport"

// Write actions, the values of the "action" label of transport_manifestwork_writes_total.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Error kinds, the values of the "kind" label of transport_errors_total.
const (
	// ErrorRender counts pairs that failed to render at a delivery of their WEC (the object
	// keeps its last good version; the WEC's other objects are delivered).
	ErrorRender = "render"
	// ErrorDelivery counts failed ManifestWork writes (each is retried).
	ErrorDelivery = "delivery"
)

// Metrics are the transport's Prometheus metrics, in a registry of their own (never the
// global default one). Create them with [NewMetrics] and hand them to [Config.Metrics]; one
// Metrics serves one [Controller] (the workqueue series of a second controller would collide).
// All methods are safe for concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg *prometheus.Registry

	renders  prometheus.Counter
	skipped  prometheus.Counter
	writes   *prometheus.CounterVec
	errors   *prometheus.CounterVec
	failing  prometheus.Gauge
	process  prometheus.Histogram
	delivery prometheus.Histogram
	queue    workqueue.MetricsProvider

	// several replicas (Config.Ownership)
	owned     prometheus.Gauge
	leader    prometheus.Gauge
	takeovers prometheus.Counter
	fenced    prometheus.Counter
}

// NewMetrics creates the transport's metrics and registers them, with the Go runtime and
// process collectors, in a new registry.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "transport_pairs_rendered_total",
			Help: "(object, WEC) pairs rendered, initially or again after a change.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "transport_pairs_skipped_total",
			Help: "(object, WEC) pairs left alone after a WEC change because they read nothing that changed.",
		}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "transport_manifestwork_writes_total",
			Help: "ManifestWorks written on the hub, by action (create, update, delete).",
		}, []string{"action"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "transport_errors_total",
			Help: "Errors by kind: render (a pair failed; its last good version was kept) or delivery (retried).",
		}, []string{"kind"}),
		failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "transport_failing_pairs",
			Help: "(object, WEC) pairs that currently fail to render (each keeps its last good version).",
		}),
		process: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "transport_change_duration_seconds",
			Help:    "Time to process one queued change (a WEC, the objects, a retry or the sweep).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		delivery: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "transport_wec_delivery_duration_seconds",
			Help:    "Time to deliver one WEC's ManifestWorks, including a confirmed shrink.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "transport_owned_wecs",
			Help: "WECs this replica owned at the last ownership change among several replicas (0 for a single replica, which owns every WEC).",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "transport_leader",
			Help: "1 while this replica writes status to the source API server (the leader), else 0.",
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "transport_takeovers_total",
			Help: "WECs this replica gained from another replica (or an expired Lease) after it started.",
		}),
		fenced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "transport_fenced_total",
			Help: "Deliveries and deletions stopped by fencing: another replica owns the WEC, or this replica's hold lapsed.",
		}),
	}
	for _, a := range []string{ActionCreate, ActionUpdate, ActionDelete} {
		m.writes.WithLabelValues(a) // export zeros, so rates exist before the first write
	}
	for _, k := range []string{ErrorRender, ErrorDelivery} {
		m.errors.WithLabelValues(k)
	}
	reg.MustRegister(m.renders, m.skipped, m.writes, m.errors, m.failing, m.process, m.delivery,
		m.owned, m.leader, m.takeovers, m.fenced,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.queue = newQueueMetrics(reg)
	return m
}

// Registry returns the registry holding every metric, for serving (promhttp.HandlerFor) or
// gathering in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// queueProvider returns the workqueue metrics provider, nil for nil Metrics.
func (m *Metrics) queueProvider() workqueue.MetricsProvider {
	if m == nil {
		return nil
	}
	return m.queue
}

func (m *Metrics) rendered(rendered, skipped int) {
	if m == nil {
		return
	}
	m.renders.Add(float64(rendered))
	m.skipped.Add(float64(skipped))
}

func (m *Metrics) wrote(rep delivery.Report) {
	if m == nil {
		return
	}
	m.writes.WithLabelValues(ActionCreate).Add(float64(len(rep.Created)))
	m.writes.WithLabelValues(ActionUpdate).Add(float64(len(rep.Updated)))
	m.writes.WithLabelValues(ActionDelete).Add(float64(len(rep.Deleted)))
}

func (m *Metrics) failed(kind string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(kind).Inc()
}

func (m *Metrics) failingPairs(n int) {
	if m == nil {
		return
	}
	m.failing.Set(float64(n))
}

func (m *Metrics) processed(d time.Duration) {
	if m == nil {
		return
	}
	m.process.Observe(d.Seconds())
}

func (m *Metrics) delivered(d time.Duration) {
	if m == nil {
		return
	}
	m.delivery.Observe(d.Seconds())
}

func (m *Metrics) ownership(owned int, leader bool) {
	if m == nil {
		return
	}
	m.owned.Set(float64(owned))
	if leader {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

func (m *Metrics) tookOver() {
	if m == nil {
		return
	}
	m.takeovers.Inc()
}

func (m *Metrics) fence() {
	if m == nil {
		return
	}
	m.fenced.Inc()
}

// Handler serves the registry in the Prometheus exposition format; errors while gathering are
// reported in the response, never by panicking.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
