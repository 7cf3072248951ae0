package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/wecforge/wecforge/engine"
	"github.com/wecforge/wecforge/rules/placement"
)

// placedObject is one entry of a WEC's "placement" in report.json: an object the WEC
// receives, the documents that deliver it there, and the merged modulation.
type placedObject struct {
	Object string   `json:"object"`
	By     []string `json:"by"`
	placement.Modulation
}

// policyReport is one BindingPolicy or Binding in report.json.
type policyReport struct {
	Kind string `json:"kind"`
	// WECs are the WECs it delivers to, sorted.
	WECs []string `json:"wecs"`
	// Objects are the objects it selects, sorted by group, resource, namespace and name.
	Objects []string `json:"objects"`
	// Errors are the rendered pairs of its objects on its WECs that failed.
	Errors []policyError `json:"errors"`
}

type policyError struct {
	WEC string `json:"wec"`
	reportError
}

// exclusion is an object of a kind KubeStellar never delivers.
type exclusion struct {
	Object string `json:"object"`
	Reason string `json:"reason"`
}

// placementReport fills the placement parts of report.json: per WEC what it receives and why,
// and per document what it binds. It does nothing when every object goes everywhere (the
// report then reads as it does without placement). errs are the failed pairs, per WEC.
func placementReport(rep *report, r *rendered, errs map[string][]reportError) {
	if r.placed == nil || r.placed.Everywhere() {
		return
	}
	res := r.placed.Result()
	objs := r.placed.Objects()
	name := func(i int) string { return objs[i].Ref.String() }
	rep.Policies = map[string]policyReport{}
	for _, d := range res.Documents() {
		pr := policyReport{Kind: d.Kind, WECs: d.WECs, Objects: make([]string, 0, len(d.Objects)), Errors: []policyError{}}
		selected := map[string]bool{}
		for _, i := range d.Objects {
			pr.Objects = append(pr.Objects, name(i))
			selected[name(i)] = true
		}
		for _, wec := range d.WECs {
			for _, e := range errs[wec] {
				if selected[e.Object] {
					pr.Errors = append(pr.Errors, policyError{WEC: wec, reportError: e})
				}
			}
		}
		rep.Policies[d.Name] = pr
	}
	unbound := []string{}
	for _, i := range res.Unbound() {
		unbound = append(unbound, name(i))
	}
	rep.Unbound = &unbound
	excluded := []exclusion{}
	for _, x := range res.Excluded() {
		excluded = append(excluded, exclusion{Object: name(x.Object), Reason: x.Reason})
	}
	rep.Excluded = &excluded
}

// wecPlacement lists what one WEC receives, in output order.
func wecPlacement(wo wecOutput) []placedObject {
	out := make([]placedObject, 0, len(wo.pairs))
	for _, p := range wo.pairs {
		po := placedObject{Object: p.w.ref.String(), By: make([]string, 0, len(p.placed.By)), Modulation: p.placed.Modulation}
		if po.StatusCollectors == nil {
			po.StatusCollectors = []string{}
		}
		for _, b := range p.placed.By {
			po.By = append(po.By, b.String())
		}
		out = append(out, po)
	}
	return out
}

// writePlacedBy writes, under an object's --explain header, one line per document that
// delivers it to the WEC: `#   placed by bindingpolicy NAME (spec.downsync[i])`.
func writePlacedBy(w io.Writer, d engine.Delivery) error {
	for _, b := range d.By {
		where := make([]string, len(b.Clauses))
		for i, c := range b.Clauses {
			if b.Kind == placement.BindingPolicyKind {
				where[i] = fmt.Sprintf("spec.downsync[%d]", c)
			} else {
				where[i] = fmt.Sprintf("workload entry %d", c)
			}
		}
		if _, err := fmt.Fprintf(w, "#   placed by %s %s (%s)\n", strings.ToLower(b.Kind), b.Name, strings.Join(where, ", ")); err != nil {
			return err
		}
	}
	return nil
}
