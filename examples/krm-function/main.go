package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// maxInput bounds the ResourceList read from stdin (the project loader's default bound).
const maxInput = 256 << 20

func main() {
	os.Exit(run(context.Background(), os.Stdin, os.Stdout, os.Stderr, maxInput))
}

// processor is the function as a framework.ResourceListProcessor.
type processor struct {
	ctx context.Context
	// rw is the reader the framework read from; it says whether the input was wrapped in a
	// ResourceList.
	rw *kio.ByteReadWriter
	// called is set once the framework has read the input and calls Process.
	called bool
	// notList is set when the input was read but is not a ResourceList.
	notList bool
	// results are the results Process reported.
	results framework.Results
}

// Process replaces the items with the rendered ones and records the results.
func (p *processor) Process(rl *framework.ResourceList) error {
	p.called = true
	if p.rw.WrappingKind != kio.ResourceListKind {
		p.notList = true
		rl.Items = nil
		return errFailed
	}
	if p.rw.WrappingAPIVersion == "" {
		// Answer in the ResourceList's version even when the input left it out.
		p.rw.WrappingAPIVersion = kio.ResourceListAPIVersion
	}
	rl.Items, rl.Results = function(p.ctx, rl.Items, rl.FunctionConfig)
	p.results = rl.Results
	if failed(rl.Results) {
		return errFailed
	}
	return nil
}

// run reads a ResourceList from stdin (at most limit bytes), writes the function's
// ResourceList to stdout and every error and warning to stderr, and returns the exit status:
// 0 when no result is an error, 1 otherwise. A malformed ResourceList still yields a
// ResourceList on stdout whose only result says what is wrong.
func run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, limit int64) int {
	data, err := io.ReadAll(io.LimitReader(stdin, limit+1))
	switch {
	case err != nil:
		return failInput(stdout, stderr, fmt.Errorf("%w: cannot read standard input: %w", errResourceList, err))
	case int64(len(data)) > limit:
		return failInput(stdout, stderr, fmt.Errorf("%w: larger than %d bytes", errResourceList, limit))
	}
	var out bytes.Buffer
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(data), Writer: &out, KeepReaderAnnotations: true}
	p := &processor{ctx: ctx, rw: rw}
	err = framework.Execute(p, rw)
	switch {
	case !p.called:
		// The framework could not read the input; it wrote nothing.
		return failInput(stdout, stderr, fmt.Errorf("%w: %w", errResourceList, err))
	case p.notList:
		return failInput(stdout, stderr, fmt.Errorf("%w: the input is not a ResourceList (one YAML document of kind %s with items and a functionConfig)", errResourceList, kio.ResourceListKind))
	}
	if err != nil && !errors.Is(err, errFailed) {
		return failInput(stdout, stderr, fmt.Errorf("cannot write the output ResourceList: %w", err))
	}
	if _, werr := stdout.Write(out.Bytes()); werr != nil {
		fmt.Fprintf(stderr, "wecforge: cannot write standard output: %v\n", werr)
		return 1
	}
	report(stderr, p.results)
	if err != nil {
		return 1
	}
	return 0
}

// failInput writes a ResourceList with no items and err as its only result, says err on
// stderr, and returns exit status 1.
func failInput(stdout, stderr io.Writer, err error) int {
	rs := framework.Results{{Severity: framework.Error, Message: err.Error()}}
	fmt.Fprintf(stderr, "wecforge: error: %s\n", err)
	b, merr := yaml.Marshal(rs)
	if merr != nil {
		return 1
	}
	node, perr := yaml.Parse(string(b))
	if perr != nil {
		return 1
	}
	w := kio.ByteWriter{Writer: stdout, WrappingAPIVersion: kio.ResourceListAPIVersion, WrappingKind: kio.ResourceListKind, Results: node}
	if werr := w.Write(nil); werr != nil {
		fmt.Fprintf(stderr, "wecforge: cannot write standard output: %v\n", werr)
	}
	return 1
}

// report says every error and warning result on stderr, one per line, so that kustomize, which
// shows a failing function's stderr, shows what failed.
func report(stderr io.Writer, rs framework.Results) {
	for _, r := range rs {
		if r.Severity == framework.Error || r.Severity == framework.Warning {
			fmt.Fprintf(stderr, "wecforge: %s: %s\n", r.Severity, r.Message)
		}
	}
}
