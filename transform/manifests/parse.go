package manifests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// Document is one object read from a stream.
type Document struct {
	// File is the file as named by the caller (`-` for stdin).
	File string
	// Index is the 0-based index of the document among the file's documents, empty ones
	// included.
	Index int
	// Items is the object's position in the List document it was unpacked from (one index
	// per level of nesting), nil when the document is the object itself.
	Items []int
	// Line is the 1-based line of the file where the object starts.
	Line int
	// Object is the object, JSON-shaped (see the package documentation, Values).
	Object map[string]any
}

// Where names the document for messages: `file#index (line N)`, or
// `file#index.items[i] (line N)` for an object unpacked from a List.
func (d Document) Where() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s#%d", d.File, d.Index)
	for _, i := range d.Items {
		fmt.Fprintf(&b, ".items[%d]", i)
	}
	fmt.Fprintf(&b, " (line %d)", d.Line)
	return b.String()
}

// Parse reads the stream data, named file in messages. It returns every object it could
// read, in order, the warnings, and every problem found (joined [*Error] values); the
// objects are complete and usable whatever the error, but a caller that must not act on
// partial input checks the error first.
func Parse(file string, data []byte) ([]Document, []Warning, error) {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	var docs []Document
	var warns []Warning
	var errs []error
	chunks, header := split(data)
	if len(header) > 0 {
		// Not a document, but kubectl's reader still reads it: it must be well-formed.
		if _, err := yaml.YAMLToJSON(header); err != nil {
			errs = append(errs, &Error{Where: file, Kind: ErrSyntax, Err: errors.New("malformed YAML: " + yamlMessage(err.Error(), 1))})
		}
	}
	for i, c := range chunks {
		d := Document{File: file, Index: i, Line: c.line}
		if c.err != nil {
			errs = append(errs, &Error{Where: d.Where(), Kind: ErrSyntax, Err: c.err})
			continue
		}
		obj, root, w, err := decode(file, c)
		warns = append(warns, w...)
		if err != nil {
			errs = append(errs, &Error{Where: d.Where(), Kind: kindOf(err), Err: err})
			continue
		}
		if obj == nil {
			continue // empty document
		}
		d.Object = obj
		out, err := unpack(d, root, c.line-1)
		docs = append(docs, out...)
		errs = append(errs, err)
	}
	return docs, warns, errors.Join(errs...)
}

// errNotMapping is the cause of a document that is not a mapping.
var errNotMapping = errors.New("the document is not a mapping (a Kubernetes object needs apiVersion, kind and metadata)")

// kindOf returns the sentinel an error of decode belongs to.
func kindOf(err error) error {
	switch {
	case errors.Is(err, ErrKeyCollision):
		return ErrKeyCollision
	case errors.Is(err, errNotMapping):
		return ErrNotObject
	}
	return ErrSyntax
}

// decode reads one document: its value as kubectl reads it (sigs.k8s.io/yaml) and its node
// tree (for lines, warnings and key collisions). It returns a nil object for an empty
// document.
func decode(file string, c chunk) (map[string]any, *kyaml.Node, []Warning, error) {
	// kubectl's reader first, so that its verdict and message are the ones users see.
	js, err := yaml.YAMLToJSON(c.text)
	if err != nil {
		return nil, nil, nil, errors.New("malformed YAML: " + yamlMessage(err.Error(), c.line))
	}
	var root kyaml.Node
	if err := kyaml.NewDecoder(bytes.NewReader(c.text)).Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, nil, errors.New("malformed YAML: " + yamlMessage(err.Error(), c.line))
	}
	js = bytes.TrimSpace(js)
	if bytes.Equal(js, []byte("null")) {
		return nil, nil, nil, nil
	}
	if len(js) == 0 || js[0] != '{' {
		return nil, nil, nil, errNotMapping
	}
	node := &root
	if node.Kind == kyaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	s := scan{file: file, offset: c.line - 1}
	s.node(node, ".")
	if err := errors.Join(s.errs...); err != nil {
		return nil, nil, s.warns, err
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil { // integral numbers become int64
		return nil, nil, s.warns, fmt.Errorf("malformed document: %w", err)
	}
	return obj, node, s.warns, nil
}

// unpack returns the objects a document stands for: the document itself, or the items of a
// List (recursively: the recursion is as deep as the document's own nesting, which the YAML
// parser bounds). node is the document's node (nil when unknown); its lines count from
// offset+1.
func unpack(d Document, node *kyaml.Node, offset int) ([]Document, error) {
	kind, _ := d.Object["kind"].(string)
	items, isList := d.Object["items"].([]any)
	if !strings.HasSuffix(kind, "List") || !isList {
		return []Document{d}, nil
	}
	itemNodes := listItemNodes(node)
	itemKind := strings.TrimSuffix(kind, "List")
	apiVersion, _ := d.Object["apiVersion"].(string)
	var out []Document
	var errs []error
	for i, it := range items {
		item := Document{File: d.File, Index: d.Index, Items: append(append([]int(nil), d.Items...), i), Line: d.Line}
		var itemNode *kyaml.Node
		if i < len(itemNodes) {
			itemNode = itemNodes[i]
			item.Line = itemNode.Line + offset
		}
		obj, ok := it.(map[string]any)
		if !ok {
			errs = append(errs, &Error{Where: item.Where(), Kind: ErrNotObject, Err: fmt.Errorf("an item of a %s is not a mapping", kind)})
			continue
		}
		if _, has := obj["kind"]; !has && itemKind != "" {
			obj["kind"] = itemKind
			if _, has := obj["apiVersion"]; !has && apiVersion != "" {
				obj["apiVersion"] = apiVersion
			}
		}
		item.Object = obj
		sub, err := unpack(item, itemNode, offset)
		out = append(out, sub...)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// listItemNodes returns the nodes of a List document's items, or nil.
func listItemNodes(node *kyaml.Node) []*kyaml.Node {
	if node == nil || node.Kind != kyaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		if k := node.Content[i]; k.Kind == kyaml.ScalarNode && k.Value == "items" && node.Content[i+1].Kind == kyaml.SequenceNode {
			return node.Content[i+1].Content
		}
	}
	return nil
}

// yamlLine finds the line numbers the YAML decoders put in their messages.
var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// yamlMessage makes a YAML decoder message fit for a user: prefixes dropped, one line, and
// line numbers counted from the start of the file rather than of the document, which starts
// at line first.
func yamlMessage(msg string, first int) string {
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	msg = strings.Join(strings.Fields(msg), " ")
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("line "):])
		if err != nil {
			return m
		}
		return fmt.Sprintf("line %d", n+first-1)
	})
}

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
