package combine

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/rules/placement"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/status")

// goldenCase is testdata/status/<case>/input.yaml.
type goldenCase struct {
	// Reason says which KubeStellar rule the case follows, or where wecforge differs.
	Reason     string                  `json:"reason"`
	Object     map[string]any          `json:"object"`
	Resource   string                  `json:"resource"`
	Request    placement.StatusRequest `json:"request"`
	Policies   []Policy                `json:"policies"`
	Collectors []map[string]any        `json:"collectors"`
	// Returned maps WEC names to what they returned; a WEC absent here has not reported.
	Returned map[string]struct {
		Status      map[string]any `json:"status"`
		LastUpdated *time.Time     `json:"lastUpdated"`
	} `json:"returned"`
}

// goldenOutcome is the serialized form of an Outcome.
type goldenOutcome struct {
	Action       placement.StatusAction `json:"action"`
	WECs         []string               `json:"wecs"`
	Write        bool                   `json:"write"`
	Status       any                    `json:"status,omitempty"` // set when Write
	SetLabel     string                 `json:"setLabel,omitempty"`
	RemoveLabels []string               `json:"removeLabels,omitempty"`
	Error        string                 `json:"error,omitempty"`
}

type goldenOutput struct {
	Outcome          goldenOutcome     `json:"outcome"`
	CombinedStatuses []*CombinedStatus `json:"combinedStatuses,omitempty"`
	RowErrorCauses   []string          `json:"rowErrorCauses,omitempty"`
}

func (g *goldenCase) spec(t *testing.T) ObjectSpec {
	u := &unstructured.Unstructured{Object: g.Object}
	gv := u.GroupVersionKind()
	return ObjectSpec{
		Object: Object{
			Key:        placement.Key{Group: gv.Group, Resource: g.Resource, Namespace: u.GetNamespace(), Name: u.GetName()},
			APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), UID: string(u.GetUID()),
		},
		Content:  g.Object,
		Labels:   u.GetLabels(),
		Request:  g.Request,
		Policies: g.Policies,
	}
}

func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("../../testdata/status/*")
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			require.NoError(t, err)
			var g goldenCase
			require.NoError(t, yaml.UnmarshalStrict(raw, &g))
			require.NotEmpty(t, g.Reason, "every case says which KubeStellar rule it follows")
			var cs []*Collector
			for _, d := range g.Collectors {
				c, err := ParseCollector(d)
				require.NoError(t, err)
				cs = append(cs, c)
			}
			spec := g.spec(t)
			before, err := json.Marshal(g)
			require.NoError(t, err)

			// Incremental: the object first, then one WEC at a time.
			inc := NewCombiner(cs)
			inc.SetObject(spec)
			for wec, r := range g.Returned {
				ret := Returned{Reported: true, Status: r.Status}
				if r.LastUpdated != nil {
					ret.LastUpdated = *r.LastUpdated
				}
				inc.SetReturned(spec.Key, wec, ret)
			}
			// Batch: every WEC at once.
			batch := NewCombiner(cs)
			batch.SetObject(spec)
			var all []WECStatus
			for wec, r := range g.Returned {
				ret := Returned{Reported: true, Status: r.Status}
				if r.LastUpdated != nil {
					ret.LastUpdated = *r.LastUpdated
				}
				all = append(all, WECStatus{WEC: wec, Returned: ret})
			}
			batch.SetReturnedMany(spec.Key, all)
			// Fresh: the object set after its statuses are known.
			fresh := NewCombiner(cs)
			fresh.SetObject(spec)
			fresh.SetReturnedMany(spec.Key, all)
			fresh.SetObject(spec)

			out := output(t, inc, spec.Key)
			assert.Equal(t, out, output(t, batch, spec.Key), "incremental and batch evaluation must agree")
			assert.Equal(t, out, output(t, fresh, spec.Key), "incremental and from-scratch evaluation must agree")
			after, err := json.Marshal(g)
			require.NoError(t, err)
			assert.JSONEq(t, string(before), string(after), "inputs must not be modified")

			got, err := yaml.Marshal(out)
			require.NoError(t, err)
			golden(t, filepath.Join(dir, "want.yaml"), string(got))
		})
	}
}

func output(t *testing.T, cb *Combiner, key placement.Key) goldenOutput {
	o, ok := cb.Status(key)
	require.True(t, ok)
	out := goldenOutput{Outcome: goldenOutcome{Action: o.Decision.Action, WECs: o.Decision.WECs, Write: o.Write,
		SetLabel: o.SetLabel, RemoveLabels: o.RemoveLabels}}
	if o.Write {
		out.Outcome.Status = o.Status
	}
	if o.Err != nil {
		out.Outcome.Error = o.Err.Error()
	}
	out.CombinedStatuses = cb.CombinedStatuses(key)
	for _, c := range out.CombinedStatuses {
		for _, r := range c.Results {
			for _, e := range r.Errors() {
				out.RowErrorCauses = append(out.RowErrorCauses, causeName(e))
			}
		}
	}
	return out
}

// causeName names the sentinel an error wraps, so goldens pin the error's type, not only
// its text.
func causeName(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{{"ErrFilterResult", ErrFilterResult}, {"ErrNotAtomic", ErrNotAtomic}, {"ErrNoValues", ErrNoValues},
		{"ErrSubject", ErrSubject}, {"ErrRow", ErrRow}, {"ErrAggregation", ErrAggregation}} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "other"
}

// golden compares got with the file at path, or rewrites the file with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "%s is missing; run go test ./rules/combine -run TestGolden -update and review it", path)
	assert.Equal(t, string(want), got, "%s differs; run go test ./rules/combine -run TestGolden -update and review the diff", path)
}
