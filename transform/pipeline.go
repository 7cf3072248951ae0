package transform

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/internal/budgetoff"
	"github.com/wecforge/wecforge/internal/workers"
)

// Pipeline renders objects for WECs: WEC-independent stages run once per object
// ([Pipeline.Prepare]), per-WEC stages once per (object, WEC) pair ([Pipeline.Render]).
//
// A Pipeline is immutable and safe for concurrent use; so are the [Prepared] objects it returns.
type Pipeline struct {
	shared  []Stage
	perWEC  []Stage
	noTrace bool
	lim     Limits // normalized
}

// Option configures a [Pipeline].
type Option func(*Pipeline)

// WithLimits sets the limits of every render's [Budget] (zero fields take the defaults).
func WithLimits(lim Limits) Option { return func(p *Pipeline) { p.lim = lim.normalized() } }

// WithoutTrace returns a pipeline with the same stages whose renders record no per-WEC changes:
// Result.WECChanges is then empty (Result.ObjectChanges, recorded once per object, stays), while
// objects, errors, warnings and dependencies are exactly as with p. It is for controllers that
// deliver at fleet scale and do not explain; recording costs about a fifth of a render.
func (p *Pipeline) WithoutTrace() *Pipeline {
	cp := *p
	cp.noTrace = true
	return &cp
}

// NewPipeline returns a pipeline running shared stages (WEC-independent, env.WEC is nil) then
// perWEC stages. Stages run in the order given. The slices are copied.
//
// Every render, and every object's WEC-independent stages, get a [Budget] of the pipeline's
// [Limits] (the defaults unless [WithLimits] is given): exceeding it fails that pair alone
// with a [*RenderError] wrapping a [*BudgetError].
func NewPipeline(shared, perWEC []Stage, opts ...Option) *Pipeline {
	p := &Pipeline{shared: append([]Stage(nil), shared...), perWEC: append([]Stage(nil), perWEC...), lim: Limits{}.normalized()}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Limits returns the limits of the pipeline's renders, defaults filled in.
func (p *Pipeline) Limits() Limits { return p.lim }

// Prepared is one object after the WEC-independent stages, ready to render for any WEC. It is
// immutable and safe for concurrent use.
type Prepared struct {
	// Ref identifies the object (after the WEC-independent stages).
	Ref ObjectRef
	// Err is set when the WEC-independent stages failed; every render of it then fails.
	Err error
	// Warnings were raised by the WEC-independent stages.
	Warnings []string

	base  map[string]any
	size  int64 // base's size (SizeOf)
	trace Trace
	bound []boundStage
	paths pathCache
	// traceLen is the longest per-WEC trace a render of this object recorded so far: the
	// next render allocates its trace at that size once instead of growing it.
	traceLen atomic.Int32
	// rendered counts the bytes produced by all renders of the object (MaxBytesPerObject).
	rendered atomic.Int64
}

// Object returns the object after the WEC-independent stages. Read-only.
func (p *Prepared) Object() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: p.base}
}

// Trace returns the changes made by the WEC-independent stages. Read-only.
func (p *Prepared) Trace() Trace { return p.trace }

type boundStage struct {
	name string
	t    Transform
}

// Prepare runs the WEC-independent stages on a private deep copy of in (in is never modified;
// values of types other than maps and []any are treated as scalars and shared, never modified)
// and prepares the per-WEC stages for this object. Failures are reported in Prepared.Err.
//
// An input larger than MaxObjectBytes or nested deeper than MaxDepth fails before it is
// copied (By [InputStage]); a stage that panics fails the object with a [*PanicError].
func (p *Pipeline) Prepare(ctx context.Context, in *unstructured.Unstructured) *Prepared {
	if ctx == nil {
		ctx = context.Background()
	}
	var root map[string]any
	if in != nil {
		root = in.Object
	}
	var ref ObjectRef
	if root != nil {
		ref = RefOf(root)
	}
	env := &Env{Context: ctx, Deps: &customization.Dependencies{}, Object: ref, Budget: NewBudget(p.lim)}
	prep := &Prepared{Ref: ref}
	fail := func(stage string, err error) *Prepared {
		prep.Err = wrapRenderError(err, "", prep.Ref, stage)
		prep.Warnings = env.warnings
		return prep
	}
	// Measure before copying: a tree that shares subtrees (built in Go) may be far larger
	// than its memory, and a copy would multiply it.
	size := SizeOf(root, p.lim.MaxObjectBytes, p.lim.MaxDepth)
	switch {
	case size.TooDeep:
		return fail(InputStage, &BudgetError{Kind: LimitDepth, Max: int64(p.lim.MaxDepth)})
	case size.Over:
		return fail(InputStage, &BudgetError{Kind: LimitObjectBytes, Max: p.lim.MaxObjectBytes})
	}
	if root != nil {
		// DeepCopyValue, not in.DeepCopy: the latter panics on Go values such as int that
		// callers building objects in code easily leave in a tree.
		root = DeepCopyValue(root).(map[string]any)
	}
	obj := NewObject(root)
	obj.budget, obj.size = env.Budget, size.Bytes
	for _, s := range p.shared {
		obj.SetBy(s.Name)
		if err := runStage(s.Transform, env, obj); err != nil {
			return fail(s.Name, err)
		}
	}
	prep.base = obj.Root()
	prep.size = obj.size
	prep.Ref = RefOf(prep.base)
	prep.trace = obj.Trace()
	env.Object = prep.Ref
	view := NewObject(prep.base)
	for _, s := range p.perWEC {
		t := s.Transform
		if pr, ok := t.(Preparer); ok {
			view.SetBy(s.Name)
			bound, err := runPrepare(pr, env, view)
			if err != nil {
				return fail(s.Name, err)
			}
			if bound == nil {
				continue
			}
			t = bound
		}
		prep.bound = append(prep.bound, boundStage{name: s.Name, t: t})
	}
	prep.Warnings = env.warnings
	return prep
}

// Result is the outcome of one (object, WEC) pair.
type Result struct {
	// WEC is the cluster's name.
	WEC string
	// Ref identifies the object.
	Ref ObjectRef
	// Object is the rendered object, nil when Err is set. It is read-only: it shares unchanged
	// subtrees with the Prepared object and with other WECs' results. Call DeepCopy for a
	// private copy.
	Object *unstructured.Unstructured
	// Err is a *RenderError when the pair failed.
	Err error
	// ObjectChanges lists the WEC-independent stages' changes. They were recorded once per
	// object and are shared, read-only, by every WEC's result of that object.
	ObjectChanges Trace
	// WECChanges lists the per-WEC stages' changes for this WEC.
	WECChanges Trace
	// Warnings were raised while rendering (WEC-independent ones included).
	Warnings []string
	// Deps records what the render read of the WEC.
	Deps customization.Dependencies

	// prep and charged record what the render charged to prep's per-object budget
	// (MaxBytesPerObject), so that Release can give it back.
	prep    *Prepared
	charged int64
}

// Release gives back to the per-object budget (MaxBytesPerObject) what this render charged to
// it. A caller that keeps results — a controller holding the latest render of every pair —
// releases a result when it replaces it with a newer render of the same pair or drops it, so
// that the budget bounds what the object's current variants hold, not how often it was
// rendered. Release the one Result you keep: it zeroes its own record, so a second call on it
// does nothing, but a copy made before the call would give the same bytes back again. A nil
// Result, or one that charged nothing, is a no-op. Not safe for concurrent calls on the same
// Result.
func (r *Result) Release() {
	if r == nil || r.prep == nil || r.charged == 0 {
		return
	}
	r.prep.rendered.Add(-r.charged)
	r.prep, r.charged = nil, 0
}

// Changes returns every change of the pair in order: ObjectChanges, then WECChanges. The result
// is read-only when either part is empty (it is then that part); otherwise it is a new slice.
func (r *Result) Changes() Trace {
	switch {
	case len(r.WECChanges) == 0:
		return r.ObjectChanges
	case len(r.ObjectChanges) == 0:
		return r.WECChanges
	}
	all := make(Trace, 0, len(r.ObjectChanges)+len(r.WECChanges))
	return append(append(all, r.ObjectChanges...), r.WECChanges...)
}

// Render runs the per-WEC stages for one WEC on a copy-on-write view of prep. It never
// modifies prep and is safe to call concurrently.
func (p *Pipeline) Render(ctx context.Context, prep *Prepared, wec *customization.WEC) Result {
	res := Result{Ref: prep.Ref}
	if wec != nil {
		res.WEC = wec.Name()
	}
	res.Warnings = append(res.Warnings, prep.Warnings...)
	if prep.Err != nil {
		res.Err = withWEC(prep.Err, res.WEC)
		return res
	}
	res.ObjectChanges = prep.trace[:len(prep.trace):len(prep.trace)] // appends copy
	if len(prep.bound) == 0 {
		// No per-WEC stage applies to this object: every WEC gets the prepared object itself.
		res.Object = &unstructured.Unstructured{Object: prep.base}
		return res
	}
	if ctx == nil {
		ctx = context.Background()
	}
	st := getRenderState(ctx, prep, wec, p.noTrace)
	defer putRenderState(st)
	if !budgetoff.Off(ctx) {
		st.budget = Budget{lim: p.lim}
		st.obj.budget, st.obj.size, st.env.Budget = &st.budget, prep.size, &st.budget
	}
	obj, env := &st.obj, &st.env
	for _, s := range prep.bound {
		if err := ctx.Err(); err != nil {
			res.Err = wrapRenderError(err, res.WEC, prep.Ref, s.name)
			break
		}
		obj.SetBy(s.name)
		if err := runStage(s.t, env, obj); err != nil {
			res.Err = wrapRenderError(err, res.WEC, prep.Ref, s.name)
			break
		}
	}
	if res.Err == nil && obj.budget != nil {
		res.charged, res.Err = p.chargeObject(prep, res.WEC, st.budget.bytes, obj.size-prep.size)
		if res.charged != 0 {
			res.prep = prep
		}
	}
	res.Warnings = append(res.Warnings, env.warnings...)
	res.Deps = st.deps
	res.WECChanges = obj.trace
	if n := int32(len(obj.trace)); n > prep.traceLen.Load() {
		prep.traceLen.Store(n) // a racing render may store a smaller n: it is only a hint
	}
	if res.Err == nil {
		res.Object = obj.Unstructured()
	}
	return res
}

// renderState is the scratch state of one render, pooled: a render's garbage is mostly its
// copied containers, and the Object (with its inline owned list and write cursor), the Env
// and the dependencies need not add to it. Stages must not keep obj or env after Transform
// returns (see [Transform]).
type renderState struct {
	obj    Object
	env    Env
	deps   customization.Dependencies
	budget Budget
}

var renderStates = sync.Pool{New: func() any { return new(renderState) }}

func getRenderState(ctx context.Context, prep *Prepared, wec *customization.WEC, noTrace bool) *renderState {
	st := renderStates.Get().(*renderState)
	st.obj.root, st.obj.owned, st.obj.noTrace, st.obj.paths = prep.base, st.obj.small[:0], noTrace, &prep.paths
	st.obj.traceHint = int(prep.traceLen.Load())
	st.env = Env{Context: ctx, WEC: wec, Deps: &st.deps, Object: prep.Ref}
	return st
}

// putRenderState clears everything st refers to (the result owns it now) and pools st.
func putRenderState(st *renderState) {
	st.obj = Object{}
	st.env = Env{}
	st.deps = customization.Dependencies{}
	st.budget = Budget{}
	renderStates.Put(st)
}

// RenderAll prepares every object once and renders it for every WEC, using up to GOMAXPROCS
// goroutines. Results are ordered by WEC (as given), then object (as given). Once ctx is done
// no further pair is started: the pairs not rendered carry ctx's error.
func (p *Pipeline) RenderAll(ctx context.Context, objs []*unstructured.Unstructured, wecs []*customization.WEC) []Result {
	if ctx == nil {
		ctx = context.Background()
	}
	preps := make([]*Prepared, len(objs))
	_ = workers.DoContext(ctx, len(objs), func(i int) { preps[i] = p.Prepare(ctx, objs[i]) })
	out := make([]Result, len(objs)*len(wecs))
	started := make([]bool, len(out))
	_ = workers.DoContext(ctx, len(out), func(i int) {
		w, o := i/len(objs), i%len(objs)
		if preps[o] == nil {
			return
		}
		started[i] = true
		out[i] = p.Render(ctx, preps[o], wecs[w])
	})
	for i := range out {
		if !started[i] {
			w, o := i/len(objs), i%len(objs)
			out[i] = Result{Err: &RenderError{Object: refOrEmpty(preps[o], objs[o]), Err: ctx.Err()}}
			if wecs[w] != nil {
				out[i].WEC = wecs[w].Name()
				out[i].Err.(*RenderError).WEC = out[i].WEC
			}
			out[i].Ref = out[i].Err.(*RenderError).Object
		}
	}
	return out
}

func refOrEmpty(prep *Prepared, in *unstructured.Unstructured) ObjectRef {
	switch {
	case prep != nil:
		return prep.Ref
	case in != nil && in.Object != nil:
		return RefOf(in.Object)
	}
	return ObjectRef{}
}

// chargeObject adds what one render produced to its object's total over all WECs: the bytes
// its stages produced, or what the object grew by when a stage wrote without producing. It
// returns what it charged (also when the total is then over the limit), for [Result.Release].
func (p *Pipeline) chargeObject(prep *Prepared, wec string, produced, grown int64) (int64, error) {
	n := max(produced, grown)
	if n <= 0 {
		return 0, nil
	}
	if prep.rendered.Add(n) > p.lim.MaxBytesPerObject {
		return n, &RenderError{WEC: wec, Object: prep.Ref, Err: &BudgetError{Kind: LimitBytesPerObject, Max: p.lim.MaxBytesPerObject}}
	}
	return n, nil
}

// wrapRenderError turns a stage's error into a *RenderError, keeping the author and path a
// stage already gave.
func wrapRenderError(err error, wec string, ref ObjectRef, stage string) error {
	var re *RenderError
	if errors.As(err, &re) {
		cp := *re
		if cp.WEC == "" {
			cp.WEC = wec
		}
		if cp.Object.Kind == "" {
			cp.Object = ref
		}
		if cp.By == "" {
			cp.By = stage
		}
		return &cp
	}
	out := &RenderError{WEC: wec, Object: ref, By: stage, Err: err}
	var pe *PathError
	if errors.As(err, &pe) {
		out.Path, out.Err = pe.Path, pe.Err
	}
	return out
}

func withWEC(err error, wec string) error {
	var re *RenderError
	if errors.As(err, &re) && re.WEC == "" {
		cp := *re
		cp.WEC = wec
		return &cp
	}
	return err
}
