package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/wecforge/wecforge/transform/explain"
)

// reviewPage is the HTML report: one self-contained page (styles and script inline, no
// network: its Content-Security-Policy allows nothing else). Its script draws the matrix from
// the data between <script type="application/json"> tags, where {{DATA}} is replaced.
//
//go:embed review/review.html
var reviewPage []byte

// Caps of the HTML report, which must stay a page a browser opens (≤ 10 MB at 1,000 objects
// × 1,000 WECs); review.json holds everything uncut.
const (
	htmlPageSize   = 50  // objects per page of the matrix
	htmlMaxColumns = 8   // variant cells drawn per object before a "+N more" cell
	htmlMaxChanges = 100 // changes per variant in the drill-down
	htmlValueRunes = 200 // runes of a before or after value in the drill-down
	htmlDataMarker = "{{DATA}}"
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
	opts := explain.Options{MaxValue: htmlValueRunes}
	for _, o := range rev.Objects {
		ho := htmlObject{Object: o.Object, Variants: make([]htmlVariant, 0, len(o.Variants))}
		for _, v := range o.Variants {
			ranges := indexRanges(v.WECs, index)
			key := fmt.Sprint(ranges)
			set, ok := sets[key]
			if !ok {
				set = len(d.Sets)
				sets[key] = set
				d.Sets = append(d.Sets, ranges)
			}
			hv := htmlVariant{Set: set, Changes: [][4]string{}, Diff: v.diff, ExplainBefore: nonNil(v.explainBefore), ExplainAfter: nonNil(v.explainAfter)}
			for i, c := range v.Changes {
				if i == htmlMaxChanges {
					hv.More = len(v.Changes) - i
					break
				}
				hv.Changes = append(hv.Changes, [4]string{c.Path, explain.Value(c.Before, opts), explain.Value(c.After, opts), c.By})
			}
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
