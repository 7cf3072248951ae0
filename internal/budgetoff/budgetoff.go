// Package budgetoff lets the project's own benchmarks render pairs without a per-pair budget,
// to measure what the budget's bookkeeping costs. Nothing outside the module can import it,
// and nothing in the module but benchmarks should.
package budgetoff

import "context"

type key struct{}

// Context returns a context under which transform.Pipeline renders without a budget: no
// step, byte, size or depth accounting and no limit. For benchmarks only.
func Context(ctx context.Context) context.Context { return context.WithValue(ctx, key{}, true) }

// Off reports whether ctx asks for renders without a budget.
func Off(ctx context.Context) bool {
	v, _ := ctx.Value(key{}).(bool)
	return v
}
