package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/wecforge/wecforge/transform/explain"
)

// The files a review writes under -o DIR.
const (
	reviewJSONFile = "review.json"
	reviewHTMLFile = "review.html"
)

// Caps of the text summary on stdout (review.json and the HTML report list everything).
const (
	summaryObjects  = 50 // objects listed
	summaryVariants = 5  // variants listed per object
	summaryChanges  = 5  // changes listed per variant
	summaryWECs     = 5  // WEC names listed per variant
)

// writeReview encodes the summary and, with -o, review.json and review.html, checks them
// against the byte budget, and only then writes: DIR first, then stdout.
func writeReview(rev *review, opts options, stdout io.Writer, prog *progress) error {
	summary := summaryBytes(rev, opts.outDir != "")
	var files []outFile
	if opts.outDir != "" {
		prog.say("encoding %s and %s", reviewJSONFile, reviewHTMLFile)
		js, err := marshalReview(rev)
		if err != nil {
			return err
		}
		page, err := reviewHTML(rev)
		if err != nil {
			return err
		}
		files = []outFile{
			{name: reviewJSONFile, data: js, private: rev.secret},
			{name: reviewHTMLFile, data: page, private: rev.secret},
		}
	}
	total := int64(len(summary))
	for _, f := range files {
		total += int64(len(f.data))
	}
	if opts.maxOutput > 0 && total > opts.maxOutput {
		return fmt.Errorf("%w: the run would write %d bytes, more than --max-output-bytes=%d", ErrOutputBudget, total, opts.maxOutput)
	}
	if opts.outDir != "" {
		prog.say("writing %s", opts.outDir)
		if err := replaceDir(opts.outDir, files); err != nil {
			return &outputError{Dir: opts.outDir, Err: err}
		}
	}
	_, err := stdout.Write(summary)
	return err
}

// marshalReview encodes review.json, indented, without HTML escaping.
func marshalReview(rev *review) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rev); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", reviewJSONFile, err)
	}
	return buf.Bytes(), nil
}

// summaryBytes is the text summary: the counts, then per changed object (at most
// summaryObjects) its variants, each with its WECs and changes, capped.
//
//	review: 1 object(s) changed on 2 of 3 WEC(s), 2 (object, WEC) pair(s)
//	Deployment.apps demo/web
//	  2 WEC(s): edge-east-1, edge-west-1
//	    .spec.replicas  rule edge-replicas: spec.actions[0]  2 → 3
func summaryBytes(rev *review, wroteFiles bool) []byte {
	var b bytes.Buffer
	s := rev.Summary
	fmt.Fprintf(&b, "review: %d object(s) changed on %d of %d WEC(s), %d (object, WEC) pair(s)\n", s.ObjectsChanged, s.WECsChanged, len(rev.wecs), s.PairsChanged)
	for _, n := range rev.fleetNotes() {
		fmt.Fprintf(&b, "review: %s\n", n)
	}
	opts := explain.Options{MaxValue: explainValueRune}
	for i, o := range rev.Objects {
		if i == summaryObjects {
			fmt.Fprintf(&b, "… %d more changed object(s)%s\n", len(rev.Objects)-i, seeAll(wroteFiles))
			break
		}
		fmt.Fprintln(&b, o.Object)
		for j, v := range o.Variants {
			if j == summaryVariants {
				fmt.Fprintf(&b, "  … %d more variant(s)\n", len(o.Variants)-j)
				break
			}
			fmt.Fprintf(&b, "  %d WEC(s): %s\n", len(v.WECs), listCapped(v.WECs, summaryWECs))
			for k, c := range v.Changes {
				if k == summaryChanges {
					fmt.Fprintf(&b, "    … %d more change(s)\n", len(v.Changes)-k)
					break
				}
				fmt.Fprintf(&b, "    %s  %s  %s → %s\n", c.Path, c.By, explain.Value(c.Before, opts), explain.Value(c.After, opts))
			}
		}
	}
	return b.Bytes()
}

func seeAll(wroteFiles bool) string {
	if wroteFiles {
		return "; " + reviewJSONFile + " lists them all"
	}
	return "; -o DIR writes them all to " + reviewJSONFile
}
