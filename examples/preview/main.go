package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/customization"
)

// Exit statuses (the tool's contract).
const (
	exitOK       = 0 // every (object, WEC) pair rendered
	exitPairs    = 1 // some pairs failed; the rest are written
	exitBadInput = 2 // bad input, configuration or usage; nothing is written
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*l = append(*l, v)
	return nil
}

const usage = `usage: preview -f PATH [-f PATH ...] [-o DIR] [--wec NAME ...] [--explain] [--diff] [--validate=false]
       preview --before PATH --after PATH [-f PATH ...] [-o DIR] [--progress] [--validate=false]

Renders, offline, exactly what each WEC receives, the way KubeStellar would deliver it.
-f takes files, directories (read recursively: *.yaml, *.yml, *.json) or - (stdin) of
multi-document YAML, read as kubectl reads it (a kind: List stands for its items):
ManagedCluster → WEC inventory; ConfigMap in namespace customization-properties → WEC
properties; CustomTransform → WEC-independent removals; CustomizationRule → rules;
BindingPolicy, Binding → placement (without any, every object goes to every WEC);
StatusCollector, ReturnedStatus → status return (with -o, DIR/status.yaml); anything
else → a workload (a CustomResourceDefinition is also added to the kind → resource mapping).

Exit status: 0 all rendered, 1 some (object, WEC) pairs failed (the rest are written),
2 bad input or configuration (nothing is written).
With --before and --after, the -f inputs are shared and each side adds or replaces
documents; the run compares the two renders of every (object, WEC) pair, prints a summary,
and with -o writes DIR/review.json and DIR/review.html (exit 1: a pair failed on a side).

Flags:
`

// run is the whole tool: it parses args, reads `-f -` from stdin, writes the result to stdout
// (or -o DIR) and problems to stderr, and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files, wecNames listFlag
	var opts options
	fs.Var(&files, "f", "a file or directory of YAML documents, or - for stdin (repeatable, at least one)")
	fs.StringVar(&opts.outDir, "o", "", "write DIR/<wec>.yaml and DIR/report.json instead of printing the objects")
	fs.Var(&wecNames, "wec", "render only this WEC (repeatable); an unknown name is an error (exit 2)")
	fs.BoolVar(&opts.explain, "explain", false, "print, per rendered object, every changed path, who changed it, old → new, and the WEC inputs read")
	fs.BoolVar(&opts.diff, "diff", false, "print a unified diff of each rendered object against its input instead of the object")
	fs.BoolVar(&opts.validate, "validate", true, validateFlagUsage)
	review := addReviewFlags(fs)
	fs.Int64Var(&opts.maxOutput, "max-output-bytes", defaultMaxOutput, "refuse (exit 2, nothing written) a run whose files and stdout would exceed this many bytes (0: no limit)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "error: unexpected argument %q (input files are given with -f)\n", fs.Arg(0))
		return exitBadInput
	}
	if review.active() {
		return runReview(review, files, opts, wecNames, stdin, stdout, stderr)
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "error: no input: give at least one -f PATH")
		return exitBadInput
	}

	if opts.outDir != "" {
		if err := checkOutDir(opts.outDir, files); err != nil {
			if errors.Is(err, ErrOutputFormat) {
				fmt.Fprintln(stderr, err) // the message is the whole answer
			} else {
				fmt.Fprintf(stderr, "error: %v\n", err)
				fmt.Fprintln(stderr, "preview: nothing written")
			}
			return exitBadInput
		}
	}

	r, loadWarnings, err := prepareRun(files, wecNames, stdin)
	if err != nil {
		for _, w := range loadWarnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		reportInputError(stderr, err)
		return exitBadInput
	}
	if opts.validate {
		checkSchemas(r)
	}
	for _, n := range r.notices {
		fmt.Fprintf(stderr, "notice: %s\n", n)
	}
	for _, w := range r.warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	for _, wo := range r.wecs {
		for _, p := range wo.pairs {
			if p.err != nil {
				fmt.Fprintf(stderr, "error: %s\n", p.err)
			}
		}
	}
	if err := writeOutput(r, opts, stdout); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		fmt.Fprintln(stderr, "preview: nothing written")
		return exitBadInput
	}
	if r.failed > 0 {
		fmt.Fprintf(stderr, "preview: %d (object, WEC) pair(s) failed; their objects are left out\n", r.failed)
		return exitPairs
	}
	return exitOK
}

// defaultMaxOutput is the default of --max-output-bytes: 1 GiB, some thousand times what the
// largest real fleets render, small enough to stop a runaway run before it fills a disk.
const defaultMaxOutput = 1 << 30

// writeOutput marshals everything the run writes (the -o tree, stdout), checks it against the
// byte budget, and only then writes: DIR first, then stdout.
func writeOutput(r *rendered, opts options, stdout io.Writer) error {
	var files []outFile
	var stream []byte
	var err error
	if opts.outDir != "" {
		if files, err = buildDir(r); err != nil {
			return err
		}
		sf, err := statusFiles(r)
		if err != nil {
			return err
		}
		files = append(files, sf...)
	}
	if opts.outDir == "" || opts.explain || opts.diff {
		if stream, err = streamBytes(r, opts); err != nil {
			return err
		}
	}
	total := int64(len(stream))
	for _, f := range files {
		total += int64(len(f.data))
	}
	if opts.maxOutput > 0 && total > opts.maxOutput {
		return fmt.Errorf("%w: the run would write %d bytes, more than --max-output-bytes=%d", ErrOutputBudget, total, opts.maxOutput)
	}
	if opts.outDir != "" {
		if err := replaceDir(opts.outDir, files); err != nil {
			return &outputError{Dir: opts.outDir, Err: err}
		}
	}
	_, err = stdout.Write(stream)
	return err
}

// prepareRun loads, routes and compiles the inputs and renders every pair. Any error is a
// configuration error: nothing may be written. The loader's warnings are returned whatever
// the error, and are also the first of the run's warnings.
func prepareRun(files, wecNames []string, stdin io.Reader) (*rendered, []string, error) {
	// Route what could be read even when some files or documents could not, so that one run
	// reports every problem.
	docs, loadWarnings, loadErr := loadPaths(files, stdin)
	in, err := route(docs)
	if err := joinSorted(append(problems(loadErr), problems(err)...)); err != nil {
		return nil, loadWarnings, err
	}
	wecs, errW := selectWECs(in.wecs, wecNames)
	b, errB := buildPipeline(in)
	if err := joinSorted(append(problems(errW), problems(errB)...)); err != nil {
		return nil, loadWarnings, err
	}
	r, err := render(context.Background(), b, in.workloads, wecs)
	if err != nil {
		return nil, loadWarnings, err
	}
	r.placed = b.placed
	if r.status, r.warnings, err = evaluateStatusWarn(b, in, r.warnings); err != nil {
		return nil, loadWarnings, err
	}
	r.crds = in.crds
	r.notices = b.notices
	r.warnings = slices.Concat(loadWarnings, b.warnings, r.warnings)
	if len(in.wecs) == 0 {
		r.warnings = append(r.warnings, "no ManagedCluster among the inputs: there is no WEC to render for")
	}
	return r, loadWarnings, nil
}

// selectWECs keeps the WECs --wec names (all when none is named), in name order. A name that
// no ManagedCluster has is an error listing the known names.
func selectWECs(all []*customization.WEC, names []string) ([]*customization.WEC, error) {
	if len(names) == 0 {
		return all, nil
	}
	var out []*customization.WEC
	known := make([]string, len(all))
	for i, w := range all {
		known[i] = w.Name()
		if slices.Contains(names, w.Name()) {
			out = append(out, w)
		}
	}
	var errs []error
	for _, n := range names {
		if !slices.Contains(known, n) {
			errs = append(errs, fmt.Errorf("--wec %s: no ManagedCluster named %q among the inputs (known WECs: %s)", n, n, listOrNone(known)))
		}
	}
	return out, errors.Join(errs...)
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// reportInputError writes every problem as an `error:` line (continuation lines of a
// multi-line message indented), then says that nothing was written.
func reportInputError(w io.Writer, err error) {
	for _, e := range problems(err) {
		msg := strings.ReplaceAll(strings.TrimRight(e.Error(), "\n"), "\n", "\n  ")
		fmt.Fprintf(w, "error: %s\n", msg)
	}
	fmt.Fprintln(w, "preview: bad input; nothing written")
}
