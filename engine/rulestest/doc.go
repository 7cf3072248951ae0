// Package rulestest tests CustomizationRules (and the CustomTransforms, templates, placement
// and CRDs around them) the way wecforge renders them: a directory of inputs, rendered through
// the one engine assembly (package engine), compared with what each WEC is expected to
// receive.
//
// It lives under engine, not under rules, because it renders through the engine: imports
// point down (rules ← engine ← rulestest).
//
// # A case
//
//	testdata/rules/edge-replicas/
//	  *.yaml            inputs: workloads, ManagedClusters and their properties ConfigMaps
//	                    (namespace customization-properties), CustomizationRules,
//	                    CustomTransforms, BindingPolicies, Bindings, CRDs
//	  expected/<wec>.yaml  what WEC <wec> receives, as rendered (multi-document YAML)
//	  expected/errors.txt  documents left out and failed pairs, one per line (absent: none)
//	  expected/warnings.txt  warnings of the compilers, placement and renders (absent: none)
//
// A WEC file is compared object by object and field by field, so its order, formatting and
// comments do not matter and it can be written by hand. A difference names the WEC, the
// object and its input document, the field path, the expected and the rendered value, and the
// explain trace of that field: every change of the render at, above or below the path, with
// the rule or stage that made it, and what the render read of the WEC.
//
// Every rendered object is also checked against its kind's schema (package
// transform/validate: built-in kinds, and the CRDs among the inputs), so a rule that writes
// "3" into spec.replicas fails its pair in errors.txt, naming the field, the expected type
// and the rule; [Options.SkipValidation] turns the check off.
//
// # Running and regenerating
//
//	func TestRules(t *testing.T) {
//		rulestest.RunAll(t, "testdata/rules", rulestest.Options{})
//	}
//
// WECFORGE_UPDATE=1 go test ./… rewrites every expected directory from the current output;
// [Options.Update] does the same from code, and [UpdateFlag] registers a flag for packages
// that want one. The package registers no flag of its own: a global -update would collide with
// its users' flags.
//
// [Golden], [GoldenOrAbsent] and [LineDiff] are the comparison of one file, for tests whose
// output has a format of their own.
//
// # Extending
//
// An [Extension] claims input documents of its own and adds expected files: the place for
// returned statuses and status collectors as the engine gains them.
//
// # Concurrency
//
// Cases share nothing: [RunAll] runs them in parallel. A [Case] is read-only once loaded.
package rulestest
