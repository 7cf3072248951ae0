package transform

import (
	"errors"
	"fmt"
	"strconv"
)

// Limits bound what one (object, WEC) render may do and produce. A zero field takes its
// default (the Default* constants); a negative field is treated as zero too. Limits is a plain
// value: copy it freely.
//
// Every per-WEC stage of a [Pipeline] draws from one [Budget] per pair built from these
// limits: template execution, CEL evaluation, patches and the writes of custom stages alike.
type Limits struct {
	// MaxSteps caps the work of one pair: CEL cost units, template steps (writes, loop
	// iterations and calls), patch operations and the nodes walked to size written values.
	// Default 10,000,000.
	MaxSteps int64
	// MaxBytes caps the bytes one pair's stages produce: template output, CEL results as
	// converted to JSON values, patch values and copied subtrees. Default 4 MiB.
	MaxBytes int64
	// MaxObjectBytes caps the size of the rendered object, measured as its JSON encoding
	// without string escapes. Default 400 KiB, below the 500 KiB one OCM ManifestWork can
	// carry. An input object already larger fails every pair.
	MaxObjectBytes int64
	// MaxDepth caps the nesting of maps and lists in the rendered object. Default 256.
	MaxDepth int
	// MaxBytesPerObject caps the bytes produced by all renders of one [Prepared] object, for
	// every WEC together: subtrees shared with the prepared object are counted once (in the
	// object itself), only what each render produces is added. [Result.Release] gives a kept
	// result's share back when the caller replaces or drops it. Default 1 GiB.
	MaxBytesPerObject int64
}

// The default limits.
const (
	DefaultMaxSteps          int64 = 10_000_000
	DefaultMaxBytes          int64 = 4 << 20
	DefaultMaxObjectBytes    int64 = 400 << 10
	DefaultMaxDepth                = 256
	DefaultMaxBytesPerObject int64 = 1 << 30
)

// normalized returns lim with zero and negative fields replaced by the defaults.
func (lim Limits) normalized() Limits {
	if lim.MaxSteps <= 0 {
		lim.MaxSteps = DefaultMaxSteps
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxObjectBytes <= 0 {
		lim.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if lim.MaxBytesPerObject <= 0 {
		lim.MaxBytesPerObject = DefaultMaxBytesPerObject
	}
	return lim
}

// ErrBudget is wrapped by every [*BudgetError].
var ErrBudget = errors.New("render budget exceeded")

// LimitKind names the limit a [BudgetError] hit: the [Limits] field of the same name.
type LimitKind uint8

// The limits of [Limits].
const (
	LimitSteps LimitKind = iota + 1
	LimitBytes
	LimitObjectBytes
	LimitDepth
	LimitBytesPerObject
)

// String returns the name of the matching [Limits] field.
func (k LimitKind) String() string {
	switch k {
	case LimitSteps:
		return "MaxSteps"
	case LimitBytes:
		return "MaxBytes"
	case LimitObjectBytes:
		return "MaxObjectBytes"
	case LimitDepth:
		return "MaxDepth"
	case LimitBytesPerObject:
		return "MaxBytesPerObject"
	}
	return "LimitKind(" + strconv.Itoa(int(k)) + ")"
}

// BudgetError reports that a render exceeded one of its [Limits]. The [Pipeline] wraps it in
// a [*RenderError] naming the WEC, the object, the stage or rule and the field path.
type BudgetError struct {
	// Kind is the limit that was exceeded.
	Kind LimitKind
	// Max is the limit's value.
	Max int64
}

// Error names the limit and its value.
func (e *BudgetError) Error() string {
	switch e.Kind {
	case LimitSteps:
		return fmt.Sprintf("%s: more than %d steps for one object and WEC (%s)", ErrBudget, e.Max, e.Kind)
	case LimitBytes:
		return fmt.Sprintf("%s: more than %d bytes produced for one object and WEC (%s)", ErrBudget, e.Max, e.Kind)
	case LimitObjectBytes:
		return fmt.Sprintf("%s: the object would exceed %d bytes (%s)", ErrBudget, e.Max, e.Kind)
	case LimitDepth:
		return fmt.Sprintf("%s: the object would nest deeper than %d levels (%s)", ErrBudget, e.Max, e.Kind)
	case LimitBytesPerObject:
		return fmt.Sprintf("%s: more than %d bytes rendered for this object over all WECs (%s)", ErrBudget, e.Max, e.Kind)
	}
	return fmt.Sprintf("%s: %s (%d)", ErrBudget, e.Kind, e.Max)
}

// Unwrap returns [ErrBudget].
func (e *BudgetError) Unwrap() error { return ErrBudget }

// Budget is what is left of one render's [Limits]. A [Pipeline] gives each (object, WEC)
// render one Budget, reachable from [Env.Budget]; stages charge it for their work (steps) and
// for the values they create (bytes), and the render's [Object] checks the size and depth of
// every value written ([Object.SetBudget]). A Budget belongs to one render and is not safe for concurrent use.
//
// Every method is safe on a nil *Budget, which charges nothing and never fails: stages run
// outside a Pipeline (or by a caller that budgets otherwise) see a nil Budget.
type Budget struct {
	lim   Limits
	steps int64 // used
	bytes int64 // produced
}

// NewBudget returns a budget with the given limits (zero fields take the defaults).
func NewBudget(lim Limits) *Budget { return &Budget{lim: lim.normalized()} }

// Limits returns the limits of b (the defaults for a nil Budget).
func (b *Budget) Limits() Limits {
	if b == nil {
		return Limits{}.normalized()
	}
	return b.lim
}

// Charge takes n steps. Once the steps are exhausted every further Charge fails too.
func (b *Budget) Charge(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if n > b.lim.MaxSteps-b.steps {
		b.steps = b.lim.MaxSteps
		return &BudgetError{Kind: LimitSteps, Max: b.lim.MaxSteps}
	}
	b.steps += n
	return nil
}

// Produce takes n bytes of output. Once the bytes are exhausted every further Produce fails
// too.
func (b *Budget) Produce(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if n > b.lim.MaxBytes-b.bytes {
		b.bytes = b.lim.MaxBytes
		return &BudgetError{Kind: LimitBytes, Max: b.lim.MaxBytes}
	}
	b.bytes += n
	return nil
}

// StepsLeft returns the steps not yet used (math.MaxInt64 for a nil Budget).
func (b *Budget) StepsLeft() int64 {
	if b == nil {
		return 1<<63 - 1
	}
	return b.lim.MaxSteps - b.steps
}

// BytesLeft returns the bytes that may still be produced (math.MaxInt64 for a nil Budget).
func (b *Budget) BytesLeft() int64 {
	if b == nil {
		return 1<<63 - 1
	}
	return b.lim.MaxBytes - b.bytes
}

// Used returns the steps used and the bytes produced so far.
func (b *Budget) Used() (steps, bytes int64) {
	if b == nil {
		return 0, 0
	}
	return b.steps, b.bytes
}

// ProduceValue charges the size of a value about to be created (copied, converted) in bytes
// and the nodes walked to size it in steps, without walking further than the budget allows:
// call it before building a large value, so that a value over the budget is never built.
func (b *Budget) ProduceValue(v any) error {
	if b == nil {
		return nil
	}
	s := SizeOf(v, b.BytesLeft(), b.lim.MaxDepth)
	if err := b.Charge(s.Nodes); err != nil {
		return err
	}
	if s.Over {
		b.bytes = b.lim.MaxBytes
		return &BudgetError{Kind: LimitBytes, Max: b.lim.MaxBytes}
	}
	return b.Produce(s.Bytes)
}

// account checks and records, against o's budget, replacing old (absent when !hadOld) by new
// (absent when !hasNew) as the member key of a map (key is "" for a list item or the root)
// at depth depth (the number of steps of its location): o's size changes by the difference,
// and new must fit in MaxObjectBytes and must not nest below MaxDepth. Walking both values is
// charged in steps. Without a budget it does nothing.
func (o *Object) account(depth int, key string, old any, hadOld bool, new any, hasNew bool) error {
	b := o.budget
	if b == nil {
		return nil
	}
	if ns, ok := new.(string); ok && hasNew && depth <= b.lim.MaxDepth {
		// The commonest write (a template leaf, a label): a string over a scalar or nothing.
		if os, ok := old.(string); ok || !hadOld {
			delta := int64(len(ns)) - int64(len(os))
			if !hadOld {
				delta += 2 + memberSize(key)
			}
			if o.size+delta > b.lim.MaxObjectBytes {
				return &BudgetError{Kind: LimitObjectBytes, Max: b.lim.MaxObjectBytes}
			}
			o.size += delta
			return b.Charge(1)
		}
	}
	var oldSize, newSize int64
	if hadOld {
		s := SizeOf(old, o.size, b.lim.MaxDepth)
		if err := b.Charge(s.Nodes); err != nil {
			return err
		}
		oldSize = s.Bytes + memberSize(key)
	}
	if hasNew {
		room := b.lim.MaxObjectBytes - o.size + oldSize - memberSize(key)
		s := SizeOf(new, max(room, 0), b.lim.MaxDepth-depth)
		if err := b.Charge(s.Nodes); err != nil {
			return err
		}
		switch {
		case s.TooDeep:
			return &BudgetError{Kind: LimitDepth, Max: int64(b.lim.MaxDepth)}
		case s.Over:
			return &BudgetError{Kind: LimitObjectBytes, Max: b.lim.MaxObjectBytes}
		}
		newSize = s.Bytes + memberSize(key)
	}
	o.size += newSize - oldSize
	return nil
}

// memberSize is what a map member or list item adds besides its value: a quoted key and a
// colon for members, a separating comma for both.
func memberSize(key string) int64 {
	if key == "" {
		return 1
	}
	return int64(len(key)) + 4
}
