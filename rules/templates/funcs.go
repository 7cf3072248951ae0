package templates

import (
	"fmt"
	"text/template"
)

// boundedFuncs returns replacements for the builtin functions whose result can be larger than
// their arguments. Each fails when its result exceeds max bytes, so that chains such as
// {{ js (js (js .x)) }} or {{ printf "%0999999d" 1 }} cannot build large values that are never
// written (and so escape the output limit).
func boundedFuncs(max int) template.FuncMap {
	check := func(s string) (string, error) {
		if len(s) > max {
			return "", &LimitError{Kind: LimitStringBytes, Max: max}
		}
		return s, nil
	}
	return template.FuncMap{
		"print":    func(args ...any) (string, error) { return check(fmt.Sprint(args...)) },
		"printf":   func(f string, args ...any) (string, error) { return check(fmt.Sprintf(f, args...)) },
		"println":  func(args ...any) (string, error) { return check(fmt.Sprintln(args...)) },
		"html":     func(args ...any) (string, error) { return check(template.HTMLEscaper(args...)) },
		"js":       func(args ...any) (string, error) { return check(template.JSEscaper(args...)) },
		"urlquery": func(args ...any) (string, error) { return check(template.URLQueryEscaper(args...)) },
	}
}
