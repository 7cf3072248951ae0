package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
)

// Caps of one variant's drill-down in the HTML report (review.json holds the changes uncut).
const (
	maxVariantDiff   = 8 << 10 // bytes of unified diff kept per variant
	maxExplainLines  = 40      // trace lines kept per side and variant
	explainValueRune = 72      // runes of a value an explain line (and the summary) shows
)

// drillDown returns what the HTML report shows for one variant, from its first WEC: the
// unified diff of the two results and both traces, Secret values masked, each cut to its cap.
func drillDown(ref transform.ObjectRef, v reviewVariant) (string, []string, []string) {
	b, a, wec := v.before, v.after, v.WECs[0]
	var bo, ao map[string]any
	if b != nil && b.err == nil {
		bo = b.res.Object.Object
	}
	if a != nil && a.err == nil {
		ao = a.res.Object.Object
	}
	if bo != nil && ao != nil {
		bo, ao = maskedPair(ref, bo, ao)
	} else if bo != nil {
		bo = maskObject(ref, bo)
	} else if ao != nil {
		ao = maskObject(ref, ao)
	}
	var diff bytes.Buffer
	by, _ := marshalMaybe(bo)
	ay, _ := marshalMaybe(ao)
	_ = unifiedDiff(&diff, "before "+wec+" "+ref.String(), "after "+wec+" "+ref.String(), by, ay)
	d := diff.String()
	if len(d) > maxVariantDiff {
		d = strings.ToValidUTF8(d[:maxVariantDiff], "") + fmt.Sprintf("\n… diff cut at %d bytes\n", maxVariantDiff)
	}
	return d, traceLines(ref, b), traceLines(ref, a)
}

func marshalMaybe(obj map[string]any) (string, error) {
	if obj == nil {
		return "", nil
	}
	y, err := marshalObject(obj)
	return string(y), err
}

// traceLines are a pair's explain lines (or its failure), masked and capped.
func traceLines(ref transform.ObjectRef, p *pair) []string {
	switch {
	case p == nil:
		return []string{"not delivered"}
	case p.err != nil:
		return []string{"failed: " + failure(p.err)}
	}
	t := maskChanges(ref, p.res.Changes())
	out := make([]string, 0, min(len(t), maxExplainLines)+1)
	for i, c := range t {
		if i == maxExplainLines {
			out = append(out, fmt.Sprintf("… %d more changes", len(t)-i))
			break
		}
		out = append(out, explain.Line(c, explain.Options{MaxValue: explainValueRune}))
	}
	if len(out) == 0 {
		out = append(out, "no changes")
	}
	if deps := explain.Dependencies(p.res.Deps); deps != "" {
		out = append(out, deps)
	}
	return out
}
