package combine

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzParseCollector: any document either fails with CollectorErrors or gives a collector
// whose evaluation over a few WECs neither panics nor hangs.
func FuzzParseCollector(f *testing.F) {
	for _, s := range []string{
		"{select: [{name: a, def: inventory.name}]}",
		"{filter: returned.status.ok, groupBy: [{name: g, def: returned.status.g}], combinedFields: [{name: c, type: COUNT}, {name: s, type: AVG, subject: returned.status.v}], limit: 2}",
		"{combinedFields: [{name: c, type: MIN, subject: obj.spec.replicas}]}",
		"{limit: 1e300}",
	} {
		f.Add(s, "{ok: true, g: x, v: '3'}")
	}
	f.Fuzz(func(t *testing.T, spec, status string) {
		var s, st map[string]any
		if yaml.Unmarshal([]byte(spec), &s) != nil || yaml.Unmarshal([]byte(status), &st) != nil {
			return
		}
		c, err := ParseCollector(map[string]any{"apiVersion": APIVersion, "kind": Kind, "metadata": map[string]any{"name": "f"}, "spec": s})
		if err != nil {
			return
		}
		res := c.Combine(map[string]any{"spec": map[string]any{"replicas": int64(2)}}, []WECStatus{
			{WEC: "a", Returned: Returned{Reported: true, Status: st}}, {WEC: "b"},
		})
		if len(res.Rows) > c.Limit() {
			t.Fatalf("%d rows over limit %d", len(res.Rows), c.Limit())
		}
	})
}
