package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules/combine"
)

// statusFile is the file -o DIR gets when the inputs evaluate status return.
const statusFile = "status.yaml"

// The kind of the status.yaml documents that carry one object's reported state.
const reportedStateKind = "ReportedState"

// isStatusCollector reports whether a document's type is a StatusCollector; the engine
// compiles it with the other configuration (an invalid one stops the run: exit 2).
func isStatusCollector(gvk schema.GroupVersionKind) bool {
	return gvk.Group == combine.Group && gvk.Kind == combine.Kind
}

// statusRun is the status return of a run: nil when the inputs hold no StatusCollector and no
// ReturnedStatus, or no BindingPolicy or Binding (nothing asks for status then).
type statusRun struct {
	report *engine.StatusReport
}

// evaluateStatus evaluates status return over the run's placement and the ReturnedStatus
// documents. A malformed ReturnedStatus, or one naming no object its WEC receives, is bad
// input (exit 2). Row and aggregation errors, and singleton requests no single WEC meets, are
// output (in status.yaml) and warnings.
func evaluateStatus(b *built, in *inputs) (*statusRun, []string, error) {
	if b.placed.Everywhere() || (len(b.engine.Collectors()) == 0 && len(in.returned) == 0) {
		return nil, nil, nil
	}
	var errs []error
	var returned []engine.ReturnedStatus
	for _, d := range in.returned {
		rs, err := engine.ParseReturnedStatus(d.where(), d.Object)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		returned = append(returned, rs)
	}
	rep, err := b.engine.CombineStatus(b.placed, returned)
	errs = append(errs, problems(err)...)
	if err := joinSorted(errs); err != nil {
		return nil, nil, err
	}
	var warnings []string
	for _, o := range rep.Objects {
		if o.Outcome.Err != nil {
			warnings = append(warnings, o.Outcome.Err.Error())
		}
	}
	for _, cs := range rep.CombinedStatuses {
		for _, r := range cs.Results {
			for _, e := range r.Errors() {
				warnings = append(warnings, fmt.Sprintf("%s/%s: %v", cs.Metadata.Namespace, cs.Metadata.Name, e))
			}
		}
	}
	return &statusRun{report: rep}, warnings, nil
}

// reportedState is one object's entry in status.yaml.
type reportedState struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	Spec       reportedSpec      `json:"spec"`
}

type reportedSpec struct {
	Object struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Namespace  string `json:"namespace,omitempty"`
		Name       string `json:"name"`
	} `json:"object"`
	Action       string         `json:"action"`
	WECs         []string       `json:"wecs"`
	Write        bool           `json:"write"`
	Status       map[string]any `json:"status,omitempty"`
	SetLabel     string         `json:"setLabel,omitempty"`
	RemoveLabels []string       `json:"removeLabels,omitempty"`
	Error        string         `json:"error,omitempty"`
}

// statusFiles returns DIR/status.yaml: one ReportedState document per object that asks for
// reported state, then the CombinedStatus objects. A WEC named "status" would own the same
// file name: that is an error (nothing is written).
func statusFiles(r *rendered) ([]outFile, error) {
	if r.status == nil {
		return nil, nil
	}
	for _, wo := range r.wecs {
		if wo.wec.Name()+".yaml" == statusFile {
			return nil, fmt.Errorf("WEC %q would be written to %s, which holds the status return; rename the WEC or leave out the StatusCollectors and ReturnedStatus documents", wo.wec.Name(), statusFile)
		}
	}
	var docs []any
	for _, o := range r.status.report.Objects {
		rs := reportedState{APIVersion: engine.ReturnedStatusAPIVersion, Kind: reportedStateKind,
			Metadata: map[string]string{"name": o.Ref.Name}}
		if o.Ref.Namespace != "" {
			rs.Metadata["namespace"] = o.Ref.Namespace
		}
		s := &rs.Spec
		s.Object.APIVersion = schema.GroupVersion{Group: o.Ref.Group, Version: o.Ref.Version}.String()
		s.Object.Kind, s.Object.Namespace, s.Object.Name = o.Ref.Kind, o.Ref.Namespace, o.Ref.Name
		s.Action, s.WECs, s.Write = string(o.Outcome.Decision.Action), o.Outcome.Decision.WECs, o.Outcome.Write
		s.SetLabel, s.RemoveLabels = o.Outcome.SetLabel, o.Outcome.RemoveLabels
		if o.Outcome.Write {
			s.Status = o.Outcome.Status
		}
		if o.Outcome.Err != nil {
			s.Error = o.Outcome.Err.Error()
		}
		docs = append(docs, rs)
	}
	for _, cs := range r.status.report.CombinedStatuses {
		docs = append(docs, cs)
	}
	var buf bytes.Buffer
	for i, d := range docs {
		// Through JSON first: the Values' raw JSON becomes YAML structure.
		j, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", statusFile, err)
		}
		y, err := yaml.JSONToYAML(j)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", statusFile, err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(y)
	}
	if len(docs) == 0 {
		return nil, nil // nothing to write: no file
	}
	return []outFile{{name: statusFile, data: buf.Bytes()}}, nil
}

// evaluateStatusWarn is evaluateStatus with its warnings appended to warnings.
func evaluateStatusWarn(b *built, in *inputs, warnings []string) (*statusRun, []string, error) {
	st, w, err := evaluateStatus(b, in)
	return st, append(warnings, w...), err
}
