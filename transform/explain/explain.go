package explain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform"
)

// DefaultMaxValue is how many runes of a value a line shows when [Options.MaxValue] is 0.
const DefaultMaxValue = 72

// Options tune the formatters. The zero value is what --explain uses.
type Options struct {
	// MaxValue bounds how many runes of an old or new value a line shows (0: DefaultMaxValue;
	// negative: no bound).
	MaxValue int
}

func (o Options) max() int {
	if o.MaxValue == 0 {
		return DefaultMaxValue
	}
	return o.MaxValue
}

// Change formats what one change did: `old → new`, `added new`, `removed old`, `no change`
// or `no change: reason`.
func Change(c transform.Change, opts Options) string {
	switch c.Kind {
	case transform.ChangeAdd:
		return "added " + Value(c.New, opts)
	case transform.ChangeRemove:
		return "removed " + Value(c.Old, opts)
	case transform.ChangeNoop:
		if c.Message == "" {
			return "no change"
		}
		return "no change: " + c.Message
	default:
		return Value(c.Old, opts) + " → " + Value(c.New, opts)
	}
}

// Value formats a value as compact JSON on one line (no HTML escaping), cut to
// opts.MaxValue runes with a trailing `…`. A value JSON cannot encode is shown with %v.
func Value(v any, opts Options) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	s := ""
	if err := enc.Encode(v); err != nil {
		s = fmt.Sprintf("%v", v)
	} else {
		s = strings.TrimSuffix(buf.String(), "\n")
	}
	if max := opts.max(); max > 0 {
		if r := []rune(s); len(r) > max {
			s = string(r[:max-1]) + "…"
		}
	}
	return s
}

// Line formats one change as --explain prints it: `path  by  what`.
func Line(c transform.Change, opts Options) string {
	return c.Path + "  " + c.By + "  " + Change(c, opts)
}

// Trace writes one [Line] per change, in order, each behind prefix and ended by a newline, or
// a single `no changes` line when the trace is empty.
func Trace(w io.Writer, prefix string, t transform.Trace, opts Options) error {
	if len(t) == 0 {
		_, err := fmt.Fprintf(w, "%sno changes\n", prefix)
		return err
	}
	for _, c := range t {
		if _, err := fmt.Fprintf(w, "%s%s\n", prefix, Line(c, opts)); err != nil {
			return err
		}
	}
	return nil
}

// Dependencies formats what a render read of its WEC: `properties a, b; labels c;
// annotations *; configMap k`, in that order, `*` standing for a whole map. It returns "" when
// the render read nothing.
func Dependencies(d customization.Dependencies) string {
	var parts []string
	add := func(what string, all bool, keys []string) {
		switch {
		case all:
			parts = append(parts, what+" *")
		case len(keys) > 0:
			parts = append(parts, what+" "+strings.Join(keys, ", "))
		}
	}
	add("properties", d.AllProperties, d.Properties)
	add("labels", d.AllLabels, d.Labels)
	add("annotations", d.AllAnnotations, d.Annotations)
	add("configMap", d.AllConfigMap, d.ConfigMap)
	return strings.Join(parts, "; ")
}

// Write writes the explanation of one render as --explain does, each line behind prefix: its
// [Trace], then, when it read anything, `reads: ` and its [Dependencies].
func Write(w io.Writer, prefix string, t transform.Trace, d customization.Dependencies, opts Options) error {
	if err := Trace(w, prefix, t, opts); err != nil {
		return err
	}
	if r := Dependencies(d); r != "" {
		_, err := fmt.Fprintf(w, "%sreads: %s\n", prefix, r)
		return err
	}
	return nil
}
