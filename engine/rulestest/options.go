package rulestest

import (
	"flag"
	"github.com/wecforge/wecforge/transform/manifests"
	"os"

	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
)

// UpdateEnv is the environment variable that, set to 1, makes every comparison of this
// package rewrite its expected files instead ([Options.Update] for a whole test run, without a
// flag): `WECFORGE_UPDATE=1 go test ./...`.
const UpdateEnv = "WECFORGE_UPDATE"

// Options configure [Run], [RunAll] and [Golden]. The zero value compares.
type Options struct {
	// Update rewrites the expected files from what the case renders now, instead of comparing
	// (review the rewrite with git diff). WECFORGE_UPDATE=1 in the environment does the same.
	Update bool
	// RuleOptions are passed to the rule compiler (cost limit, template limits of rules).
	RuleOptions []rules.Option
	// TemplateLimits bound KubeStellar template expansion (zero fields take the defaults).
	TemplateLimits templates.Limits
	// Extensions add inputs and expected outputs to every case (see [Extension]); nil adds
	// none.
	Extensions []Extension
	// SkipValidation turns off the schema check of rendered objects. By default every
	// rendered object is checked against its kind's schema (built-in kinds, and the CRDs among
	// the case's inputs; package transform/validate), and a pair whose object does not match
	// fails, naming the field, the expected type and the rule or template that wrote it. A
	// violation that came with the input rather than the render is a warning instead; kinds
	// without a schema are not checked.
	SkipValidation bool
}

// Updating reports whether comparisons rewrite expected files: [Options.Update] or
// WECFORGE_UPDATE=1.
func (o Options) Updating() bool {
	return o.Update || os.Getenv(UpdateEnv) == "1"
}

// UpdateFlag registers a boolean flag called name on fs, for a package whose tests want a
// flag of their own (`go test ./mypkg -args -update-rules`), and returns its value; pass it as
// [Options.Update] when the tests run (after flags are parsed):
//
//	var update = rulestest.UpdateFlag(flag.CommandLine, "update")
//	…
//	rulestest.RunAll(t, "testdata/rules", rulestest.Options{Update: *update})
//
// The package registers no flag itself: a flag of its own would collide with its users'.
// name defaults to "update" when empty. Like [flag.FlagSet.Bool], it panics when fs already
// has a flag of that name.
func UpdateFlag(fs *flag.FlagSet, name string) *bool {
	if name == "" {
		name = "update"
	}
	return fs.Bool(name, false, "rewrite the expected files of the rule tests from the current output (also: "+UpdateEnv+"=1)")
}

// Extension adds a kind of input and a kind of expected output to every case: it claims the
// input documents it understands (they are then neither configuration nor workloads) and
// computes, from the rendered case, files that are compared with the case's expected
// directory as text ([Golden]). It is the place for what the engine adds after the rules:
// returned statuses (claim the status documents, output the combined status per object) and
// status collectors (claim the collectors, output what each WEC's status yields).
//
// An Extension must be safe for concurrent use: [RunAll] may run cases in parallel.
type Extension interface {
	// Claim reports whether the extension takes doc as its input. It is called once per
	// input document, in input order, before the engine is compiled; the first extension
	// that claims a document gets it ([Case.Claimed]).
	Claim(doc manifests.Document) bool
	// Outputs returns the extension's outputs for the rendered case: file names relative to
	// the case's expected directory (`status.yaml`), mapped to their contents. An empty
	// content means the file must not exist. index is the extension's position in
	// [Options.Extensions], for [Case.Claimed].
	Outputs(c *Case, index int) (map[string][]byte, error)
}
