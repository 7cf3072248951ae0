package manifests

import (
	"bytes"
	"fmt"
)

// chunk is the text of one document of a stream and where it starts.
type chunk struct {
	text []byte
	// line is the 1-based line of the stream where the document's text starts.
	line int
	// err is set when the separator that opened the document is invalid.
	err error
}

// split cuts a stream into documents (see the package documentation, Framing). It never
// fails: an invalid separator line is reported on the document it opens, so that the other
// documents are still read. CRLF line ends must already be normalized to LF. header is the
// leading block of blanks and comments that is not a document (for the caller to check).
func split(data []byte) (out []chunk, header []byte) {
	var cur bytes.Buffer
	start, line := 1, 0
	var pending error // an invalid separator opened the current document
	ended := false    // the previous marker was `...`: a following `---` opens no empty document
	flush := func(next int) {
		if ended && cur.Len() == 0 && pending == nil {
			start = next
			return
		}
		if len(out) > 0 || pending != nil || !onlyComments(cur.Bytes()) {
			out = append(out, chunk{text: bytes.Clone(cur.Bytes()), line: start, err: pending})
		} else if len(out) == 0 {
			header = append(header, cur.Bytes()...)
		}
		cur.Reset()
		pending = nil
		start = next
	}
	for l := range bytes.Lines(data) {
		line++
		text := bytes.TrimSuffix(l, []byte("\n"))
		switch {
		case isMarker(text, "---"):
			flush(line + 1)
			ended = false
			if rest := bytes.TrimSpace(text[3:]); len(rest) > 0 && rest[0] != '#' {
				pending = fmt.Errorf("line %d: invalid document separator %q: nothing but a comment may follow --- (write the content on the next line)", line, text)
			}
		case isMarker(text, "..."):
			flush(line + 1)
			ended = true
		default:
			cur.Write(l) // as is: a last line without a newline stays without (block scalars)
		}
	}
	if pending != nil || !onlyComments(cur.Bytes()) {
		ended = false
		flush(0)
	} else if len(out) == 0 {
		header = append(header, cur.Bytes()...)
	}
	return out, header
}

// onlyComments reports whether text holds nothing but blank lines and comments.
func onlyComments(text []byte) bool {
	for l := range bytes.Lines(text) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && l[0] != '#' {
			return false
		}
	}
	return true
}

// isMarker reports whether line is marker, alone or followed by a blank.
func isMarker(line []byte, marker string) bool {
	if !bytes.HasPrefix(line, []byte(marker)) {
		return false
	}
	rest := line[len(marker):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t'
}
