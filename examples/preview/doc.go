// Preview renders offline exactly what each WEC would receive in a KubeStellar deployment — the
// objects its BindingPolicies and Bindings bind there, each as a transport controller would
// deliver it — and explains the result. It is wecforge's preview tool and a complete example
// of embedding the library.
//
//	go run ./examples/preview -f PATH [-f PATH ...] [-o DIR] [--wec NAME ...] [--explain] [--diff] [--validate=false]
//	go run ./examples/preview --before PATH --after PATH [-f PATH ...] [-o DIR] [--progress] [--validate=false]
//
// # Inputs
//
// Each -f names a file or a directory, or is `-` for standard input; directories are read
// recursively, in lexical order, skipping hidden directories, taking *.yaml, *.yml and *.json
// files; a file named explicitly is read whatever its name. Reading is the project's loader
// (transform/manifests): files hold `---`-separated YAML documents, empty documents are
// skipped, a `kind: List` (or any `…List` with items) stands for its items, and values are read
// as `kubectl apply` reads them (YAML 1.1: an unquoted yes, no, on, off, y or n is a boolean,
// with a warning naming file and line; keys that collapse into one, such as `y` and `yes`, are
// an error). Messages name a document as `file#index (line N)`, the index counting the file's
// documents from 0, and a List item as `file#index.items[i] (line N)`.
// Documents are routed by kind:
//
//   - ManagedCluster (cluster.open-cluster-management.io) → the WEC inventory; its name is the
//     WEC's name, its labels and annotations are the WEC's.
//   - ConfigMap in namespace customization-properties → the properties of the WEC it is named
//     after; a ConfigMap naming no ManagedCluster is an error.
//   - CustomTransform (control.kubestellar.io) → WEC-independent removals.
//   - CustomizationRule (wecforge.io) → per-WEC rules.
//   - BindingPolicy and Binding (control.kubestellar.io) → placement.
//   - StatusCollector (control.kubestellar.io) and ReturnedStatus (wecforge.io) → status
//     return; with -o DIR it is written to DIR/status.yaml (docs/status.md).
//   - anything else → a workload to render. A CustomResourceDefinition is a workload too, and
//     also teaches the kind → resource mapping its kind, so CustomTransforms can target it.
//
// The configuration documents are compiled by package engine, the project's one assembly; any
// invalid one is exit 2.
//
// # Placement
//
// With BindingPolicies or Bindings among the inputs, each WEC receives exactly the objects they
// bind there (package rules/placement, judged on the whole inventory); without any, every
// object goes to every WEC and a `notice:` line on stderr says so. Placement mistakes (a
// namespaced object sent where its Namespace is not, an object nothing selects, a policy
// selecting no WEC or no object, an unknown resource, createOnly disagreement, an unknown
// Binding destination) are warnings.
//
// # Rendering
//
// Every workload goes through the standard pipeline once (generic, kind-specific and
// CustomTransform removals), then, per WEC it is placed on, template expansion and the rules. WECs are
// rendered in name order; --wec (repeatable) restricts the run to the named WECs, and a name
// that is not among the inputs is a configuration error (exit 2) listing the known ones.
//
// # Output
//
// Without -o, every WEC's objects are printed to stdout as YAML documents, each WEC introduced
// by a `# wec: NAME` line, objects sorted by group, kind, namespace and name. With -o DIR, the
// tool writes DIR/<wec>.yaml (that WEC's objects, multi-document, same order) and
// DIR/report.json:
//
//	{"wecs": {"<wec>": {"objects": N,
//	                    "errors":  [{"object": "Kind.group ns/name", "path": "…", "message": "…"}],
//	                    "changes": [{"object": "…", "path": "…", "by": "…", "kind": "set", "old": …, "new": …}],
//	                    "reads":   [{"object": "…", "properties": ["…"], "labels": ["…"]}],
//	                    "placement": [{"object": "…", "by": ["bindingpolicy/NAME"], "createOnly": false, …}]}},
//	 "policies": {"NAME": {"kind": "BindingPolicy", "wecs": […], "objects": […], "errors": […]}},
//	 "unbound": ["…"], "excluded": [{"object": "…", "reason": "…"}],
//	 "warnings": ["…"]}
//
// Lists are always present (`[]`, never null). "changes" lists every change of every rendered
// object, in output order; "reads" lists, per object that read anything of the WEC, which
// properties, labels, annotations and ConfigMap keys it read (`all…: true` for a whole map).
// An object that fails for a WEC is left out of that WEC's file and listed in "errors". The
// placement fields are present only when the inputs hold a BindingPolicy or Binding.
//
// DIR must not exist, be empty, or hold a previous output (report.json and regular *.yaml
// files, nothing else), which is replaced as a whole: the new tree is built in a sibling
// temporary directory and renamed into place, so no file of an earlier run survives. A DIR
// that is a symbolic link, a file, holds anything else or lies inside an input is exit 2, and
// so is `-o yaml` or `-o json` naming no existing directory (a request for a format). Files are
// created exclusively in the directory the run made, never through a symbolic link. A WEC file
// holding a Secret, and report.json when it lists a change to or an error about one, are
// 0600; Secret data and stringData values are masked in --explain, --diff and report.json.
// --max-output-bytes (default 1 GiB) bounds what a run writes, files and stdout together;
// over it, nothing is written. The full contract, with every rule, is docs/preview.md in the
// repository.
//
// --explain prints, per rendered object and as YAML comments (so stdout stays valid YAML),
// the documents that placed it there (`placed by bindingpolicy NAME (spec.downsync[i])`),
// every changed path with the stage or rule and action that changed it, old and new value,
// and the inputs the render read (formatted by transform/explain). --diff prints a unified
// diff of each rendered object against its input instead of the object itself. With -o,
// stdout carries only the `# wec:` lines and what --explain and --diff ask for.
//
// Every rendered object is checked against its kind's schema (built-in kinds through
// client-go's schemas, custom kinds through the CRDs among the inputs; package
// transform/validate): an object that does not match fails its pair, the error naming the
// field path, the expected type and the rule or template that wrote the value; each kind
// without a schema gets one `notice:` line. --validate=false turns the check off.
//
// Warnings (for example two CustomTransforms for one resource, naming both) go to stderr as
// `warning:` lines and into report.json; failed pairs go to stderr as `error:` lines.
//
// # Reviewing a change
//
// With --before and --after the tool reviews a change across the fleet: the -f inputs are
// shared, each side adds its documents (one with the group, kind, namespace and name of a
// shared document replaces it), both sides are rendered like a plain run, and every (object,
// WEC) pair is compared field by field. Each change names its path, the before and after
// values and who wrote the after value (from the render traces); WECs on which an object
// changes identically form a variant. Stdout gets a summary; -o DIR gets review.json (every
// change) and review.html (a self-contained page: a matrix of changed objects × variants, a
// drill-down per cell with the changes, the diff and both traces), Secret values masked. Exit 0
// when both sides rendered, 1 when a pair failed on either side, 2 for bad input on either
// side. docs/preview.md is the contract.
//
// # Exit status
//
//   - 0: every (object, WEC) pair rendered.
//   - 1: some pairs failed; the others are written.
//   - 2: bad usage, input, configuration or output directory: unreadable file, malformed YAML,
//     colliding keys, a document without apiVersion or kind, a ManagedCluster without a name
//     or whose name is not a DNS-1123 label, a properties ConfigMap for a WEC that does not
//     exist, an invalid CustomTransform, rule, BindingPolicy or Binding, a workload whose kind a CustomTransform's
//     group needs but nobody maps, an unknown --wec, any -o rule above, the output budget.
//     Every problem is reported on stderr, naming the document, and nothing is written.
package main
