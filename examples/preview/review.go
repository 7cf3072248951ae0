package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/wecforge/wecforge/transform"
)

// ErrReviewUsage is wrapped by every misuse of --before and --after (exit 2).
var ErrReviewUsage = errors.New("bad review usage")

// reviewFlags are the flags of a review run (`--before PATH --after PATH`).
type reviewFlags struct {
	before, after listFlag
	progress      bool
}

// addReviewFlags registers --before, --after and --progress on fs.
func addReviewFlags(fs *flag.FlagSet) *reviewFlags {
	rf := &reviewFlags{}
	fs.Var(&rf.before, "before", "review a change: a file or directory whose documents add to or replace the -f inputs before the change (repeatable; with --after)")
	fs.Var(&rf.after, "after", "review a change: a file or directory whose documents add to or replace the -f inputs after the change (repeatable; with --before)")
	fs.BoolVar(&rf.progress, "progress", false, "report a review's progress on stderr even when stderr is not a terminal")
	return rf
}

// active reports whether the run is a review.
func (rf *reviewFlags) active() bool { return len(rf.before) > 0 || len(rf.after) > 0 }

// side names one side of a review in messages.
type side string

const (
	sideBefore side = "before"
	sideAfter  side = "after"
)

// sideError is a problem with one side's inputs or configuration.
type sideError struct {
	Side side
	Err  error
}

func (e *sideError) Error() string { return string(e.Side) + ": " + e.Err.Error() }
func (e *sideError) Unwrap() error { return e.Err }

// runReview is a review run: it renders the shared inputs plus each side, compares every
// (object, WEC) pair, prints a summary on stdout and, with -o, writes DIR/review.json and
// DIR/review.html. It returns the exit status.
func runReview(rf *reviewFlags, files []string, opts options, wecNames []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if err := checkReviewUsage(rf, opts, wecNames); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return exitBadInput
	}
	prog := newProgress(stderr, rf.progress)
	if opts.outDir != "" {
		if err := checkOutDir(opts.outDir, slices.Concat(files, rf.before, rf.after)); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			fmt.Fprintln(stderr, "preview: nothing written")
			return exitBadInput
		}
	}
	prog.say("reading the inputs")
	shared, sharedWarn, sharedErr := loadPaths(files, stdin)
	sides := [2]side{sideBefore, sideAfter}
	paths := [2][]string{rf.before, rf.after}
	var results [2]*sideResult
	var warns [2][]string
	var errs []error
	for i, s := range sides {
		docs, w, err := loadPaths(paths[i], nil)
		warns[i] = w
		if err != nil || sharedErr != nil {
			for _, e := range problems(err) {
				errs = append(errs, &sideError{Side: s, Err: e})
			}
			continue
		}
		prog.say("rendering the %s side", s)
		r, err := renderDocs(overlay(shared, docs))
		if err != nil {
			for _, e := range problems(err) {
				errs = append(errs, &sideError{Side: s, Err: e})
			}
			continue
		}
		results[i] = r
	}
	if opts.validate {
		for _, s := range results {
			if s != nil {
				checkSchemas(s.r)
			}
		}
	}
	printSideMessages(stderr, "warning", sharedWarn, warns)
	if err := joinSorted(append(problems(sharedErr), errs...)); err != nil {
		reportInputError(stderr, err)
		return exitBadInput
	}
	printSideMessages(stderr, "notice", nil, [2][]string{results[0].r.notices, results[1].r.notices})
	printSideMessages(stderr, "warning", nil, [2][]string{results[0].r.warnings, results[1].r.warnings})
	failed := 0
	for i, s := range results {
		for _, wo := range s.r.wecs {
			for _, p := range wo.pairs {
				if p.err != nil {
					fmt.Fprintf(stderr, "error: %s: %s\n", sides[i], p.err)
				}
			}
		}
		failed += s.r.failed
	}

	prog.say("comparing the two sides")
	rev := compare(context.Background(), results[0], results[1])
	for _, n := range rev.fleetNotes() {
		fmt.Fprintf(stderr, "warning: %s\n", n)
	}
	if err := writeReview(rev, opts, stdout, prog); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		fmt.Fprintln(stderr, "preview: nothing written")
		return exitBadInput
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "preview: %d (object, WEC) pair(s) failed on either side; see the errors above\n", failed)
		return exitPairs
	}
	return exitOK
}

// checkReviewUsage refuses flag combinations a review does not support.
func checkReviewUsage(rf *reviewFlags, opts options, wecNames []string) error {
	switch {
	case len(rf.before) == 0:
		return fmt.Errorf("%w: --after needs --before (the side to compare with)", ErrReviewUsage)
	case len(rf.after) == 0:
		return fmt.Errorf("%w: --before needs --after (the side to compare with)", ErrReviewUsage)
	case slices.Contains(rf.before, "-") || slices.Contains(rf.after, "-"):
		return fmt.Errorf("%w: --before and --after name files or directories; standard input (-) is only for -f", ErrReviewUsage)
	case opts.explain || opts.diff:
		return fmt.Errorf("%w: --explain and --diff do not apply to a review (its report shows both for every changed object)", ErrReviewUsage)
	case len(wecNames) > 0:
		return fmt.Errorf("%w: --wec does not apply to a review (it compares the whole fleet)", ErrReviewUsage)
	}
	return nil
}

// overlay returns the shared documents with side's documents added: a side document of the
// same API group, kind, namespace and name as a shared one replaces it in place, the others
// follow in their order. A side naming one object twice keeps both, so the router reports the
// duplicate. Neither input is modified.
func overlay(shared, side []document) []document {
	out := slices.Clone(shared)
	at := make(map[transform.ObjectRef]int, len(shared))
	for i, d := range shared {
		if ref := identity(d); ref.Name != "" {
			at[ref] = i
		}
	}
	replaced := map[int]bool{}
	for _, d := range side {
		ref := identity(d)
		if i, ok := at[ref]; ok && ref.Name != "" && !replaced[i] {
			out[i] = d
			replaced[i] = true
			continue
		}
		out = append(out, d)
	}
	return out
}

// identity is what makes two documents the same object: group, kind, namespace, name (the
// version is not part of it: apps/v1 and apps/v1beta1 name one object).
func identity(d document) transform.ObjectRef {
	ref := transform.RefOf(d.Object)
	ref.Version = ""
	return ref
}

// renderDocs routes, compiles and renders one side, the way a plain run does, for every WEC.
func renderDocs(docs []document) (*sideResult, error) {
	in, err := route(docs)
	if err != nil {
		return nil, err
	}
	b, err := buildPipeline(in)
	if err != nil {
		return nil, err
	}
	r, err := render(context.Background(), b, in.workloads, in.wecs)
	if err != nil {
		return nil, err
	}
	r.placed, r.notices = b.placed, b.notices
	r.crds = in.crds
	r.warnings = slices.Concat(b.warnings, r.warnings)
	if len(in.wecs) == 0 {
		r.warnings = append(r.warnings, "no ManagedCluster among the inputs: there is no WEC to render for")
	}
	objects := make(map[transform.ObjectRef]bool, len(in.workloads))
	for _, w := range in.workloads {
		objects[w.ref] = true
	}
	return &sideResult{r: r, objects: objects}, nil
}

// printSideMessages prints shared messages as they are, then each side's: a message both
// sides have once, unprefixed, the others behind `before:` or `after:`.
func printSideMessages(w io.Writer, label string, shared []string, sides [2][]string) {
	for _, m := range shared {
		fmt.Fprintf(w, "%s: %s\n", label, m)
	}
	inAfter := map[string]bool{}
	for _, m := range sides[1] {
		inAfter[m] = true
	}
	both := map[string]bool{}
	for _, m := range sides[0] {
		if inAfter[m] {
			both[m] = true
			fmt.Fprintf(w, "%s: %s\n", label, m)
		}
	}
	for i, s := range []side{sideBefore, sideAfter} {
		for _, m := range sides[i] {
			if !both[m] {
				fmt.Fprintf(w, "%s: %s: %s\n", label, s, m)
			}
		}
	}
}

// progress reports a review's stages on stderr when stderr is a terminal or --progress asks
// for it, and says nothing otherwise.
type progress struct {
	w  io.Writer
	on bool
}

func newProgress(stderr io.Writer, forced bool) *progress {
	return &progress{w: stderr, on: forced || isTerminal(stderr)}
}

func (p *progress) say(format string, args ...any) {
	if p.on {
		fmt.Fprintf(p.w, "review: "+format+"…\n", args...)
	}
}

// isTerminal reports whether w is a character device (a terminal), without any dependency.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
