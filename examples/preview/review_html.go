package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/explain"
)

// reviewPage is the HTML report: one self-contained page (styles and script inline, no
// network: its Content-Security-Policy allows nothing else). Its script draws the matrix from
// the data between <script type="application/json"> tags, where {{DATA}} is replaced.
//
//go:embed review/review.html
var reviewPage []byte

// Caps of the HTML report, which must stay a page a browser opens (≤ 10 MB at 1,000 objects
// × 1,000 WECs, whatever the change); review.json holds everything uncut.
const (
	htmlPageSize   = 50  // objects per page of the matrix
	htmlMaxColumns = 8   // variant cells drawn per object before a "+N more" cell
	htmlMaxChanges = 100 // changes per variant in the drill-down
	htmlValueRunes = 200 // runes of a before or after value in the drill-down
	htmlDataMarker = "{{DATA}}"
	// htmlBudget bounds the bytes of variant data (WEC groups, changes, diffs, traces) the
	// page embeds: with the page's own ~10 kB, the WEC names and the object names it keeps
	// the page under 10 MB (10,000,000 bytes) at 1,000 objects × 1,000 WECs. It is shared
	// equally by the changed objects, each getting at least htmlMinShare; an object's
	// variants are taken largest first while its share lasts, the first one always (cut down
	// to fit), the rest only counted. Beyond 2,350 changed objects the page therefore grows
	// by at most htmlMinShare per object.
	htmlBudget   = 9_400_000
	htmlMinShare = 4 << 10
)

// htmlData is what the page's script reads. WEC groups are interned as index ranges into
// wecs: at 1,000 WECs a group of all of them is two numbers, not 1,000 names.
type htmlData struct {
	Summary    reviewSummary `json:"summary"`
	WECs       []string      `json:"wecs"`
	Sets       [][]int       `json:"sets"`
	Fleet      []string      `json:"fleet"`
	PageSize   int           `json:"pageSize"`
	MaxColumns int           `json:"maxColumns"`
	Objects    []htmlObject  `json:"objects"`
}

type htmlObject struct {
	Object   string        `json:"o"`
	Variants []htmlVariant `json:"v"`
	// MoreVariants and MoreWECs count the variants (and their WECs) left out of the page.
	MoreVariants int `json:"mv"`
	MoreWECs     int `json:"mw"`
}

type htmlVariant struct {
	// Set is the index of the variant's WEC group in htmlData.Sets.
	Set int `json:"s"`
	// Changes are [path, before, after, by], values formatted as compact JSON and cut.
	Changes [][4]string `json:"c"`
	// More counts the changes left out of Changes.
	More          int      `json:"cm"`
	Diff          string   `json:"d"`
	ExplainBefore []string `json:"eb"`
	ExplainAfter  []string `json:"ea"`
}

// reviewHTML renders the HTML report of rev.
func reviewHTML(rev *review) ([]byte, error) {
	d := htmlData{
		Summary: rev.Summary, WECs: nonNil(rev.wecs), Sets: [][]int{}, Fleet: nonNil(rev.fleetNotes()),
		PageSize: htmlPageSize, MaxColumns: htmlMaxColumns, Objects: make([]htmlObject, 0, len(rev.Objects)),
	}
	index := make(map[string]int, len(rev.wecs))
	for i, w := range rev.wecs {
		index[w] = i
	}
	sets := map[string]int{}
	share := htmlMinShare
	if n := len(rev.Objects); n > 0 {
		share = max(htmlMinShare, htmlBudget/n)
	}
	for _, o := range rev.Objects {
		ho := htmlObject{Object: o.Object, Variants: make([]htmlVariant, 0, min(len(o.Variants), htmlMaxColumns))}
		used := 0
		for i, v := range o.Variants {
			ranges := indexRanges(v.WECs, index)
			key := fmt.Sprint(ranges)
			set, known := sets[key]
			setBytes := 0
			if !known {
				set, setBytes = len(d.Sets), len(key)
			}
			hv := htmlVariantOf(o.ref, v, set)
			size := encodedSize(hv) + setBytes
			if i == 0 && size > share {
				size = shrink(&hv, share-setBytes) + setBytes
			}
			if i > 0 && used+size > share {
				for _, rest := range o.Variants[i:] {
					ho.MoreVariants++
					ho.MoreWECs += len(rest.WECs)
				}
				break
			}
			if !known {
				sets[key] = set
				d.Sets = append(d.Sets, ranges)
			}
			used += size
			ho.Variants = append(ho.Variants, hv)
		}
		d.Objects = append(d.Objects, ho)
	}
	// json.Marshal escapes <, > and & (as \u003c …), so no value can close the script element.
	js, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", reviewHTMLFile, err)
	}
	at := bytes.Index(reviewPage, []byte(htmlDataMarker))
	if at < 0 {
		return nil, fmt.Errorf("encoding %s: the page template has no %s marker", reviewHTMLFile, htmlDataMarker)
	}
	out := make([]byte, 0, len(reviewPage)+len(js))
	out = append(out, reviewPage[:at]...)
	out = append(out, js...)
	return append(out, reviewPage[at+len(htmlDataMarker):]...), nil
}

// htmlVariantOf is one variant's cell and drill-down, uncut by the budget.
func htmlVariantOf(ref transform.ObjectRef, v reviewVariant, set int) htmlVariant {
	diff, eb, ea := drillDown(ref, v)
	hv := htmlVariant{Set: set, Changes: [][4]string{}, Diff: diff, ExplainBefore: nonNil(eb), ExplainAfter: nonNil(ea)}
	opts := explain.Options{MaxValue: htmlValueRunes}
	for i, c := range v.Changes {
		if i == htmlMaxChanges {
			hv.More = len(v.Changes) - i
			break
		}
		hv.Changes = append(hv.Changes, [4]string{c.Path, explain.Value(c.Before, opts), explain.Value(c.After, opts), c.By})
	}
	return hv
}

// shrink cuts a variant down to about limit encoded bytes: first its diff and traces go,
// then changes from the end (one is always kept, its values cut short). It returns the new
// encoded size.
func shrink(hv *htmlVariant, limit int) int {
	const cut = "cut to keep the page small: review.json has every change"
	hv.Diff = "(" + cut + ")\n"
	hv.ExplainBefore, hv.ExplainAfter = []string{cut}, []string{cut}
	size := encodedSize(*hv)
	for size > limit && len(hv.Changes) > 1 {
		hv.Changes = hv.Changes[:len(hv.Changes)-1]
		hv.More++
		size = encodedSize(*hv)
	}
	if size > limit && len(hv.Changes) == 1 {
		c := &hv.Changes[0]
		for i := range c {
			if r := []rune(c[i]); len(r) > explainValueRune {
				c[i] = string(r[:explainValueRune-1]) + "…"
			}
		}
		size = encodedSize(*hv)
	}
	return size
}

// encodedSize is the number of bytes v takes in the page.
func encodedSize(v any) int {
	js, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(js)
}

// indexRanges encodes WEC names as inclusive [from, to] ranges of their indexes, flattened:
// [0, 999] for the first 1,000 WECs.
func indexRanges(wecs []string, index map[string]int) []int {
	idx := make([]int, len(wecs))
	for i, w := range wecs {
		idx[i] = index[w]
	}
	slices.Sort(idx)
	var out []int
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		out = append(out, idx[i], idx[j])
		i = j + 1
	}
	return out
}

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
