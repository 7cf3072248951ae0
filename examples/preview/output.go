package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
)

// options are the output switches of a run.
type options struct {
	outDir    string
	explain   bool
	diff      bool
	maxOutput int64 // --max-output-bytes; 0 or less: no limit
	validate  bool  // --validate
}

// report is DIR/report.json.
// The placement fields are present when the inputs hold a BindingPolicy or Binding.
type report struct {
	WECs     map[string]wecReport    `json:"wecs"`
	Policies map[string]policyReport `json:"policies,omitempty"`
	Unbound  *[]string               `json:"unbound,omitempty"`
	Excluded *[]exclusion            `json:"excluded,omitempty"`
	Warnings []string                `json:"warnings"`
}

// wecReport is one WEC's entry of report.json. Lists are never null.
type wecReport struct {
	// Objects counts the objects written to DIR/<wec>.yaml.
	Objects int `json:"objects"`
	// Errors are the pairs that failed; their objects are not in the file.
	Errors []reportError `json:"errors"`
	// Changes are every change of every rendered object, in file order, each object's changes
	// in the order they were made (WEC-independent stages first).
	Changes []transform.Change `json:"changes"`
	// Reads are, per rendered object that read anything of the WEC, the inputs it read.
	Reads []reads `json:"reads"`
	// Placement lists every object the WEC receives (rendered or failed) and why; present
	// when the inputs hold a BindingPolicy or Binding.
	Placement *[]placedObject `json:"placement,omitempty"`
}

type reportError struct {
	Object  string `json:"object"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

type reads struct {
	Object string `json:"object"`
	customization.Dependencies
}

// marshalObject renders one object as a YAML document (keys sorted, so output is stable).
func marshalObject(obj map[string]any) ([]byte, error) {
	return yaml.Marshal(obj)
}

// streamBytes returns what the run prints on stdout: per WEC (name order) a `# wec: NAME` line, then per
// rendered object its explanation (with --explain, as YAML comments), the object as a YAML
// document (unless -o or --diff is given) and its diff against the input (with --diff).
func streamBytes(r *rendered, opts options) ([]byte, error) {
	var buf bytes.Buffer
	for _, wo := range r.wecs {
		fmt.Fprintf(&buf, "# wec: %s\n", wo.wec.Name())
		for _, p := range wo.pairs {
			if p.err != nil {
				continue
			}
			if opts.explain {
				if err := writeExplain(&buf, p); err != nil {
					return nil, err
				}
			}
			if opts.outDir == "" && !opts.diff {
				y, err := marshalObject(p.res.Object.Object)
				if err != nil {
					return nil, fmt.Errorf("wec %s: %s: %w", wo.wec.Name(), p.w.ref, err)
				}
				buf.WriteString("---\n")
				buf.Write(y)
			}
			if opts.diff {
				if err := writeDiff(&buf, wo.wec.Name(), p); err != nil {
					return nil, err
				}
			}
		}
	}
	return buf.Bytes(), nil
}

// writeDiff writes the unified diff of the input object against the rendered one, Secret
// values masked.
func writeDiff(w io.Writer, wec string, p pair) error {
	b, a := maskedPair(p.w.ref, p.w.obj.Object, p.res.Object.Object)
	before, err := marshalObject(b)
	if err != nil {
		return fmt.Errorf("%s: %w", p.w.doc.where(), err)
	}
	after, err := marshalObject(a)
	if err != nil {
		return fmt.Errorf("wec %s: %s: %w", wec, p.w.ref, err)
	}
	return unifiedDiff(w, p.w.doc.Source+" "+p.w.ref.String(), "wec/"+wec+" "+p.w.ref.String(), string(before), string(after))
}

// buildDir marshals DIR/<wec>.yaml for every WEC and DIR/report.json, Secret values masked
// in the report. A WEC file holding a Secret is private (0600), and so is the report when it
// lists a change to a Secret or an error about one.
func buildDir(r *rendered) ([]outFile, error) {
	var files []outFile
	rep := report{WECs: map[string]wecReport{}, Warnings: nonNil(r.warnings)}
	reportPrivate := false
	failures := map[string][]reportError{}
	for _, wo := range r.wecs {
		var buf bytes.Buffer
		private := false
		wr := wecReport{Errors: []reportError{}, Changes: []transform.Change{}, Reads: []reads{}}
		for _, p := range wo.pairs {
			if p.err != nil {
				e := reportError{Object: p.w.ref.String(), Path: p.err.Path, Message: message(p.err)}
				wr.Errors = append(wr.Errors, e)
				failures[wo.wec.Name()] = append(failures[wo.wec.Name()], e)
				reportPrivate = reportPrivate || isSecret(p.w.ref) // a message may quote a value
				continue
			}
			y, err := marshalObject(p.res.Object.Object)
			if err != nil {
				return nil, fmt.Errorf("wec %s: %s: %w", wo.wec.Name(), p.w.ref, err)
			}
			if wr.Objects > 0 {
				buf.WriteString("---\n")
			}
			buf.Write(y)
			wr.Objects++
			private = private || isSecret(p.w.ref)
			for _, c := range maskChanges(p.w.ref, p.res.Changes()) {
				c.Object = p.w.ref.String()
				wr.Changes = append(wr.Changes, c)
				reportPrivate = reportPrivate || isSecret(p.w.ref)
			}
			if !p.res.Deps.Empty() {
				wr.Reads = append(wr.Reads, reads{Object: p.w.ref.String(), Dependencies: p.res.Deps})
			}
		}
		files = append(files, outFile{name: wo.wec.Name() + ".yaml", data: buf.Bytes(), private: private})
		if r.placed != nil && !r.placed.Everywhere() {
			pl := wecPlacement(wo)
			wr.Placement = &pl
		}
		rep.WECs[wo.wec.Name()] = wr
	}
	placementReport(&rep, r, failures)
	js, err := marshalReport(rep)
	if err != nil {
		return nil, err
	}
	return append(files, outFile{name: reportFile, data: js, private: reportPrivate}), nil
}

// marshalReport encodes the report as indented JSON without HTML escaping (paths such as
// `[?@.name=='app']` stay readable).
func marshalReport(rep report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return nil, fmt.Errorf("encoding report.json: %w", err)
	}
	return buf.Bytes(), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// writeExplain writes, as YAML comment lines, why one rendered object looks the way it does:
// every change (path, the stage or rule and action that made it, old → new) in the order the
// changes were made, then what the render read of the WEC (formatted by transform/explain).
// Secret values are masked.
//
//	# explain Deployment.apps demo/web (from testdata/demo/workload.yaml#0)
//	#   .spec.replicas  rule edge-replicas: spec.actions[0]  1 → 3
//	#   reads: properties replicas; labels location-group
func writeExplain(w io.Writer, p pair) error {
	if _, err := fmt.Fprintf(w, "# explain %s (from %s)\n", p.w.ref, p.w.doc.Source); err != nil {
		return err
	}
	if err := writePlacedBy(w, p.placed); err != nil {
		return err
	}
	return explain.Write(w, "#   ", maskChanges(p.w.ref, p.res.Changes()), p.res.Deps, explain.Options{})
}
