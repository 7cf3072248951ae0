// Package customization is the WEC model: what wecforge knows about one Workload Execution
// Cluster when it renders objects for it.
//
// # Building a WEC
//
// A [WEC] is built by pure functions ([FromManagedCluster], [New]) from the WEC's
// ManagedCluster object on the ITS and its optional properties ConfigMap (the ConfigMap named
// after the WEC in namespace [PropertiesNamespace]). No client code lives here; the registry
// package builds WEC values from live objects.
//
// # Properties
//
// Templates and rules see a flat map of string properties. Its precedence, highest first, is
// KubeStellar's: the ConfigMap's data, then its binaryData (as raw bytes), then the
// ManagedCluster's annotations, then its labels, then the built-in clusterName (the WEC's name).
// Only keys that are valid Go identifiers become properties; the raw labels, annotations and
// ConfigMap data stay available unfiltered.
//
// # Change propagation
//
// [Diff] tells which keys changed between two snapshots of one WEC, and [Dependencies] records
// what a render read, so a controller re-renders only the (object, WEC) pairs whose inputs
// changed ([Dependencies.Affected]).
//
// # Concurrency
//
// A WEC is immutable once built and safe for concurrent use. The maps its accessors return are
// shared: callers must not modify them.
package customization
