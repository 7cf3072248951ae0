package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// maxExplainValue bounds how much of an old or new value one explanation line shows; the
// report (-o) always holds the full values.
const maxExplainValue = 72

// writeExplain writes, as YAML comment lines, why one rendered object looks the way it does:
// every change (path, the stage or rule and action that made it, old → new) in the order the
// changes were made, then what the render read of the WEC.
//
//	# explain Deployment.apps demo/web (from testdata/demo/workload.yaml#0)
//	#   .spec.replicas  rule edge-replicas: spec.actions[0]  1 → 3
//	#   reads: properties replicas; labels location-group
func writeExplain(w io.Writer, p pair) {
	fmt.Fprintf(w, "# explain %s (from %s)\n", p.w.ref, p.w.doc.Source)
	if len(p.res.Changes()) == 0 {
		fmt.Fprintf(w, "#   no changes\n")
	}
	for _, c := range p.res.Changes() {
		fmt.Fprintf(w, "#   %s  %s  %s\n", c.Path, c.By, describeChange(c))
	}
	if r := describeReads(p.res.Deps); r != "" {
		fmt.Fprintf(w, "#   reads: %s\n", r)
	}
}

// describeChange formats what a change did: `old → new`, `added new`, `removed old`, or the
// reason of a no-op.
func describeChange(c transform.Change) string {
	switch c.Kind {
	case transform.ChangeAdd:
		return "added " + shortValue(c.New)
	case transform.ChangeRemove:
		return "removed " + shortValue(c.Old)
	case transform.ChangeNoop:
		if c.Message == "" {
			return "no change"
		}
		return "no change: " + c.Message
	default:
		return shortValue(c.Old) + " → " + shortValue(c.New)
	}
}

// shortValue formats a value as compact JSON on one line, cut to maxExplainValue runes.
func shortValue(v any) string {
	b, err := json.Marshal(v)
	s := string(b)
	if err != nil {
		s = fmt.Sprintf("%v", v)
	}
	if r := []rune(s); len(r) > maxExplainValue {
		s = string(r[:maxExplainValue-1]) + "…"
	}
	return s
}

// describeReads formats the inputs a render read: `properties a, b; labels c; annotations *`
// where `*` means the whole map. It returns "" when the render read nothing.
func describeReads(d customization.Dependencies) string {
	var parts []string
	add := func(what string, all bool, keys []string) {
		switch {
		case all:
			parts = append(parts, what+" *")
		case len(keys) > 0:
			parts = append(parts, what+" "+strings.Join(keys, ", "))
		}
	}
	add("properties", d.AllProperties, d.Properties)
	add("labels", d.AllLabels, d.Labels)
	add("annotations", d.AllAnnotations, d.Annotations)
	add("configMap", d.AllConfigMap, d.ConfigMap)
	return strings.Join(parts, "; ")
}
