package loop

import (
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wecforge/wecforge/examples/transport/statusloop"
	"github.com/wecforge/wecforge/internal/joinerr"
	"github.com/wecforge/wecforge/rules/combine"
)

// statusCollectorsResource is where the WDS keeps StatusCollectors.
var statusCollectorsResource = schema.GroupVersionResource{Group: combine.Group, Version: "v1alpha1", Resource: "statuscollectors"}

// CollectorSink is a status loop that takes StatusCollectors read live from the source
// (*statusloop.Controller is one). With Config.LiveConfig and a Config.Status that is a
// CollectorSink, the source's StatusCollectors replace the status loop's collectors on every
// change, together with the configuration files' ones, and each live collector's status gets
// its validation errors.
type CollectorSink interface {
	SetCollectors(collectors []*combine.Collector, statuses []statusloop.CollectorStatus)
}

// applyCollectors hands the configuration files' and the source's StatusCollectors to the
// status loop when the source's set changed since the last call; live are the source's
// StatusCollector objects. A collector defined in both is the file's, and the live one's status
// says so.
func (c *Controller) applyCollectors(live []*unstructured.Unstructured) {
	sink, ok := c.cfg.Status.(CollectorSink)
	if !ok {
		return
	}
	var key strings.Builder
	for _, o := range live {
		key.WriteString(o.GetName() + "/" + string(o.GetUID()) + "/" + strconv.FormatInt(o.GetGeneration(), 10) + "/" + o.GetResourceVersion() + ";")
	}
	c.live.mu.Lock()
	same := c.live.collectorsKey == key.String() && c.live.collectorsSet
	c.live.collectorsKey, c.live.collectorsSet = key.String(), true
	c.live.mu.Unlock()
	if same {
		return
	}
	var collectors []*combine.Collector
	files := map[string]bool{}
	for _, d := range c.cfg.ConfigDocuments {
		if d.GroupVersionKind().GroupKind() != statusCollectorGK {
			continue
		}
		if col, err := combine.ParseCollector(d.Object); err == nil {
			collectors = append(collectors, col)
			files[col.Name()] = true
		}
	}
	statuses := make([]statusloop.CollectorStatus, 0, len(live))
	for _, o := range live {
		st := statusloop.CollectorStatus{Name: o.GetName(), Generation: o.GetGeneration(), Errors: []string{}}
		if files[o.GetName()] {
			st.Errors = append(st.Errors, (&ConfigError{Kind: combine.Kind, Name: o.GetName(), Err: ErrDefinedTwice}).Error())
		} else if col, err := combine.ParseCollector(o.Object); err != nil {
			for _, e := range joinerr.Split(err) {
				st.Errors = append(st.Errors, e.Error())
			}
		} else {
			collectors = append(collectors, col)
		}
		statuses = append(statuses, st)
	}
	slices.SortFunc(collectors, func(a, b *combine.Collector) int { return strings.Compare(a.Name(), b.Name()) })
	sink.SetCollectors(collectors, statuses)
}
