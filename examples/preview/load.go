package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wecforge/wecforge/transform/manifests"
)

// ErrInput is wrapped by every error about the tool's input files: unreadable files, malformed
// YAML, colliding keys, documents that are not Kubernetes objects, inconsistent inventory.
var ErrInput = errors.New("bad input")

// document is one object of the inputs, as the loader (transform/manifests) read it.
type document struct {
	// Source is `file#index`, or `file#index.items[i]` for an object of a List: the file as
	// named on the command line (or found under a directory named there, `-` for stdin) and
	// the 0-based index of the document among the file's documents, empty ones included.
	Source string
	// Line is the 1-based line of the file where the object starts.
	Line int
	// Object is the decoded object: JSON-shaped (map[string]any, []any, string, int64,
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
	// Kind is the loader's sentinel (manifests.ErrSyntax, …) when the loader found the
	// problem, nil otherwise.
	Kind error
}

func (e *inputError) Error() string { return e.Where + ": " + e.Err.Error() }

// Unwrap returns [ErrInput], the loader's sentinel (if any) and the cause.
func (e *inputError) Unwrap() []error {
	if e.Kind != nil {
		return []error{ErrInput, e.Kind, e.Err}
	}
	return []error{ErrInput, e.Err}
}

// loadPaths reads every path with the project's loader: files, directories (recursively, in
// lexical order, .yaml/.yml/.json), `-` for stdin. It returns every document it could read,
// in order, the loader's warnings, and every problem found (joined inputErrors); the caller
// must not use the documents for output when the error is not nil, only to look for more
// problems.
func loadPaths(paths []string, stdin io.Reader) ([]document, []string, error) {
	mdocs, mwarns, err := manifests.Load(paths, manifests.Options{Stdin: stdin})
	return documents(mdocs), warnings(mwarns), inputErrors(err)
}

// parseDocuments reads one stream (tests).
func parseDocuments(file string, data []byte) ([]document, error) {
	mdocs, _, err := manifests.Parse(file, data)
	return documents(mdocs), inputErrors(err)
}

func documents(mdocs []manifests.Document) []document {
	docs := make([]document, len(mdocs))
	for i, d := range mdocs {
		docs[i] = document{Source: strings.TrimSuffix(d.Where(), fmt.Sprintf(" (line %d)", d.Line)), Line: d.Line, Object: d.Object}
	}
	return docs
}

func warnings(ws []manifests.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// inputErrors turns the loader's errors into the tool's, keeping their sentinels and causes.
func inputErrors(err error) error {
	var errs []error
	for _, e := range problems(err) {
		var me *manifests.Error
		if errors.As(e, &me) {
			e = &inputError{Where: me.Where, Err: me.Err, Kind: me.Kind}
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}
