package templates_test

import (
	"context"
	"errors"
	"testing"

	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
)

// FuzzExecuteBudget executes arbitrary templates, named templates and self-calls included,
// under a small pair budget, with a budget oracle rather than only "no panic":
//   - a success charged at least the output's length in bytes (and a step when it wrote
//     anything), and never more than the budget's limits;
//   - a failure of the pair budget has exhausted the limit it names;
//   - a success under the small budget gives the same output under a budget ten times larger
//     (the budget changes whether a template finishes, never what it writes).
func FuzzExecuteBudget(f *testing.F) {
	for _, s := range []string{
		"{{ .region }}-x", `{{define "f"}}{{template "f" .}}{{template "f" .}}{{end}}{{template "f" .}}`,
		`{{define "a"}}{{.region}}{{end}}{{template "a" .}}{{template "a" .}}`,
		`{{define "d"}}{{if .}}{{template "d" ""}}{{end}}x{{end}}{{template "d" "y"}}`,
		"{{ range 1000 }}{{ $.region }}{{ end }}", `{{ printf "%0900d" 1 }}`, "{{ range 10 }}{{ range 10 }}.{{ end }}{{ end }}",
		`{{ len (printf "%s%s" .region .region) }}`, "{{ .zone }}{{ .zone }}{{ .zone }}",
	} {
		f.Add(s)
	}
	small := transform.Limits{MaxSteps: 5_000, MaxBytes: 2_000}
	large := transform.Limits{MaxSteps: 50_000, MaxBytes: 20_000}
	f.Fuzz(func(t *testing.T, text string) {
		tm, err := templates.Parse(text, fuzzLimits)
		if err != nil {
			return
		}
		for _, w := range fuzzWECs(t) {
			b := transform.NewBudget(small)
			out, err := tm.ExecuteBudget(context.Background(), w, nil, b)
			steps, bytes := b.Used()
			if steps > small.MaxSteps || bytes > small.MaxBytes {
				t.Fatalf("charged %d steps and %d bytes, over the limits", steps, bytes)
			}
			var be *transform.BudgetError
			switch {
			case err == nil:
				if !tm.Literal() && (bytes < int64(len(out)) || (len(out) > 0 && steps < 1)) {
					t.Fatalf("%q: %d bytes of output, charged %d steps and %d bytes", text, len(out), steps, bytes)
				}
				out2, err2 := tm.ExecuteBudget(context.Background(), w, nil, transform.NewBudget(large))
				if err2 != nil || out2 != out {
					t.Fatalf("a larger budget changed the result: %q/%v vs %q", out2, err2, out)
				}
			case errors.As(err, &be):
				if !errors.Is(err, transform.ErrBudget) {
					t.Fatalf("BudgetError not wrapping ErrBudget: %v", err)
				}
				switch be.Kind {
				case transform.LimitSteps:
					if steps != small.MaxSteps {
						t.Fatalf("steps error with %d of %d steps used", steps, small.MaxSteps)
					}
				case transform.LimitBytes:
					if bytes != small.MaxBytes {
						t.Fatalf("bytes error with %d of %d bytes used", bytes, small.MaxBytes)
					}
				default:
					t.Fatalf("unexpected limit %v", be.Kind)
				}
			case errors.Is(err, templates.ErrExecution), errors.Is(err, templates.ErrLimit):
			default:
				t.Fatalf("unexpected error %T: %v", err, err)
			}
		}
	})
}
