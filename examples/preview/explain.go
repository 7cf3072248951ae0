package main

import (
	"fmt"
	"io"

	"github.com/wecforge/wecforge/transform/explain"
)

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
	return explain.Write(w, "#   ", maskChanges(p.w.ref, p.res.Changes()), p.res.Deps, explain.Options{})
}
