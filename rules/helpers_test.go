package rules

import (
	"errors"
	"strings"
)

// goldenDir holds the rule cases (see golden_test.go); the fuzz tests seed from them.
const goldenDir = "../testdata/rules"

// flatten returns the *CompileErrors an error joins (err itself when it joins none).
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			var ce *CompileError
			if errors.As(e, &ce) {
				out = append(out, e)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return []error{err}
}

// splitYAML splits a multi-document YAML file at its `---` lines, dropping documents that
// hold only comments or blanks.
func splitYAML(s string) []string {
	var out []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	out = append(out, strings.Join(cur, "\n"))
	var docs []string
	for _, d := range out {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
