// Package transform is wecforge's rendering core: the object being edited, the transform
// abstraction, and the pipeline that renders one object for many WECs.
//
// # Objects
//
// An [Object] is a JSON-shaped tree (map[string]any, []any, scalars, as in unstructured
// Kubernetes objects) edited copy-on-write: it never modifies the tree it starts from, copies a
// map or list only on the first write below it, and records every write in a [Trace] under the
// current author (a stage, or a rule and action). Paths are [jsonpath] paths.
//
// # Transforms
//
// A [Transform] edits one object for one WEC ([Env] carries the WEC, the context and sinks for
// warnings and [customization.Dependencies]); [Func] adapts a function, [Chain] and [When]
// combine them, [Named] makes a pipeline [Stage]. A per-WEC transform that can do per-object
// work once (parse templates, select rules) implements [Preparer].
//
// # Pipeline
//
// [Pipeline.Prepare] runs the WEC-independent stages once per object, on a private copy of the
// input (inputs are never modified). [Pipeline.Render] runs the per-WEC stages once per (object,
// WEC) pair on a copy-on-write view and returns a [Result]: the rendered object (read-only: it
// shares untouched subtrees with the prepared object and with other WECs' results; DeepCopy it
// for a private copy), a [*RenderError] naming the WEC, the object, the author and the field
// path, the trace of every change (Result.ObjectChanges, recorded once per object and shared
// by every WEC's result, then the pair's own Result.WECChanges), warnings, and the
// dependencies the render read.
// [Pipeline.WithoutTrace] skips the per-WEC trace for controllers that do not explain.
//
// The built-in stages live in subpackages: generic, kinds, customtransform (with resources
// for kind → resource mapping), assembled in KubeStellar's order by kubestellar; fleet keeps a
// whole fleet rendered incrementally; kustomize runs a pipeline as a kio.Filter.
//
// # Budget
//
// Every render has a [Budget] of the pipeline's [Limits] (steps, bytes produced, object size
// and depth), shared by all its per-WEC stages through [Env.Budget]; the [Object] checks
// every write against it. [SizeOf] measures a value within a limit. Exceeding a limit fails
// that pair alone with a [*BudgetError]; a panicking stage fails it with a [*PanicError].
// docs/limits.md in the repository lists every limit and its default.
//
// # Concurrency
//
// Pipelines and Prepared objects are immutable and safe for concurrent use; Render may be
// called from many goroutines. An Object and an Env belong to one render: the pipeline reuses
// them for later renders, so a Transform must not keep them after it returns.
package transform
