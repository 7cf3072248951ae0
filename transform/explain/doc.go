// Package explain formats what a render did and what it read, as wecforge's preview prints it
// with --explain, for any tool that shows renders to people (a controller's events, a CLI, a
// test's failure message).
//
// [Trace] formats the changes of one render ([transform.Trace]), one line each, in the order
// they were made:
//
//	.spec.replicas  rule replicas-from-properties: spec.actions[0]  1 → 3
//	.metadata.labels.tier  rule labels: spec.actions[1]  added "edge"
//
// [Dependencies] formats a [customization.Dependencies] report:
//
//	properties replicas, imageTag; labels location-group; annotations *
//
// where `*` stands for a whole map. [Write] writes both the way --explain does, each line
// behind a prefix (the preview uses `#   `, so its output stays valid YAML).
//
// Values are shown as compact JSON on one line, without HTML escaping, cut to
// [Options.MaxValue] runes with a trailing `…`. The formatters do not mask anything: a caller
// that shows Secret values must mask them first. Everything here is safe for concurrent use and
// never modifies its inputs.
package explain
