package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// ErrInput is wrapped by every error about the tool's input files: unreadable files, malformed
// YAML, documents that are not Kubernetes objects, inconsistent inventory.
var ErrInput = errors.New("bad input")

// document is one non-empty YAML document of an input file.
type document struct {
	// Source is `file#index`: the file as named on the command line (or found under a directory
	// named there) and the 0-based index of the document among the file's `---`-separated
	// documents, empty ones included, so that the index matches what a reader counts.
	Source string
	// Line is the 1-based line of the file where the document starts.
	Line int
	// Object is the decoded document: JSON-shaped (map[string]any, []any, string, int64,
	// float64, bool, nil), exactly as unstructured.Unstructured holds objects.
	Object map[string]any
}

// where names the document for messages: `file#index (line N)`.
func (d document) where() string { return fmt.Sprintf("%s (line %d)", d.Source, d.Line) }

// inputError is a problem with one input file or document.
type inputError struct {
	// Where is `file`, or `file#index (line N)` for a document.
	Where string
	// Err is the cause.
	Err error
}

func (e *inputError) Error() string { return e.Where + ": " + e.Err.Error() }

// Unwrap returns the cause and [ErrInput].
func (e *inputError) Unwrap() []error { return []error{ErrInput, e.Err} }

// yamlExtensions are the file name extensions read from directories. A file named explicitly
// with -f is read whatever its name.
var yamlExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// loadPaths reads every path: a file is read as is; a directory is walked recursively in
// lexical order, skipping hidden directories (.git), and its .yaml, .yml and .json files are
// read. It returns every document it
// could decode, in order, and every problem found (joined); the caller must not use the
// documents for output when the error is not nil, only to look for more problems.
func loadPaths(paths []string) ([]document, error) {
	var docs []document
	var errs []error
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, &inputError{Where: f, Err: unwrapPathError(err)})
				continue
			}
			d, err := parseDocuments(f, data)
			errs = append(errs, err)
			docs = append(docs, d...)
		}
	}
	return docs, errors.Join(errs...)
}

// expand returns the files path stands for.
func expand(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, &inputError{Where: path, Err: unwrapPathError(err)}
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return &inputError{Where: p, Err: unwrapPathError(err)}
		}
		if d.IsDir() && p != path && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // .git and the like
		}
		if !d.IsDir() && yamlExtensions[strings.ToLower(filepath.Ext(p))] {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, &inputError{Where: path, Err: errors.New("directory holds no .yaml, .yml or .json file")}
	}
	return files, nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose path the message already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseDocuments splits data into `---`-separated YAML documents and decodes each non-empty
// one. Every problem is returned (joined), each naming `file#index (line N)`.
func parseDocuments(file string, data []byte) ([]document, error) {
	var docs []document
	var errs []error
	for i, chunk := range splitDocuments(data) {
		d := document{Source: fmt.Sprintf("%s#%d", file, i), Line: chunk.line}
		obj, err := decodeDocument(chunk.text, chunk.line)
		if err != nil {
			errs = append(errs, &inputError{Where: d.where(), Err: err})
			continue
		}
		if obj == nil {
			continue // empty document (comments, blank lines)
		}
		d.Object = obj
		docs = append(docs, d)
	}
	return docs, errors.Join(errs...)
}

type chunk struct {
	text []byte
	line int
}

// splitDocuments cuts data at document markers: a line that is `---` (optionally followed by
// blanks, a comment or the document's first value) starts a new document, a line that is `...`
// ends one. Markers only count at the start of a line, which YAML guarantees cannot be inside a
// block scalar. A leading chunk holding only blanks and comments is not a document.
func splitDocuments(data []byte) []chunk {
	var out []chunk
	var cur bytes.Buffer
	start, line := 1, 0
	ended := false // the previous marker was `...`: a following `---` opens no empty document
	flush := func(next int) {
		if ended && cur.Len() == 0 {
			start = next
			return
		}
		if len(out) > 0 || !onlyComments(cur.Bytes()) {
			out = append(out, chunk{text: bytes.Clone(cur.Bytes()), line: start})
		}
		cur.Reset()
		start = next
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for sc.Scan() {
		line++
		text := sc.Text()
		switch {
		case isMarker(text, "---"):
			flush(line + 1)
			ended = false
			if rest := strings.TrimSpace(text[3:]); rest != "" && !strings.HasPrefix(rest, "#") {
				// `--- value`: the document's content starts on the marker line.
				cur.WriteString(rest)
				cur.WriteByte('\n')
				start = line
			}
		case isMarker(text, "..."):
			flush(line + 1)
			ended = true
		default:
			cur.WriteString(text)
			cur.WriteByte('\n')
		}
	}
	if !onlyComments(cur.Bytes()) {
		ended = false
		flush(0)
	}
	return out
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

func isMarker(line, marker string) bool {
	if !strings.HasPrefix(line, marker) {
		return false
	}
	rest := line[len(marker):]
	return rest == "" || rest[0] == ' ' || rest[0] == '\t'
}

// decodeDocument decodes one YAML document, which starts at line first of its file, into a
// JSON-shaped object. It returns nil for an empty document, and an error for malformed YAML,
// duplicate keys, or a document that is not a mapping.
func decodeDocument(text []byte, first int) (map[string]any, error) {
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, nil
	}
	js, err := yaml.YAMLToJSONStrict(text)
	if err != nil {
		return nil, fmt.Errorf("malformed YAML: %s", yamlMessage(err.Error(), first))
	}
	js = bytes.TrimSpace(js)
	if bytes.Equal(js, []byte("null")) {
		return nil, nil
	}
	if len(js) == 0 || js[0] != '{' {
		return nil, errors.New("the document is not a mapping (a Kubernetes object needs apiVersion, kind and metadata)")
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil { // integers stay int64, like unstructured
		return nil, fmt.Errorf("malformed document: %w", err)
	}
	return obj, nil
}

// yamlLine finds the line numbers the YAML decoder puts in its messages.
var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// yamlMessage makes a YAML decoder message fit for a user: prefixes dropped, one line, and
// line numbers counted from the start of the file rather than of the document.
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
