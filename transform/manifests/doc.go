// Package manifests reads Kubernetes objects from multi-document YAML the way `kubectl apply`
// reads them, and says where each one came from.
//
// # Inputs
//
// [Load] takes paths: a file is read whatever its name; a directory is walked recursively in
// lexical order, skipping hidden directories, reading its *.yaml, *.yml and *.json files; `-`
// is the reader [Options.Stdin] (once per call). Every input counts against
// [Options.MaxBytes]. [Parse] reads one stream already in memory.
//
// # Framing
//
// A stream is cut into documents as kustomize's kio.ByteReader cuts it: at a line that starts
// with `---` followed by nothing, blanks or a comment (a line such as `--- value` is an error,
// `---x: 1` is content). A line `...` ends a document; a leading block of blanks and comments
// is not a document; CRLF line ends are accepted. Documents are numbered from 0 in file order,
// empty ones included, so an index matches what a reader counts; empty documents yield no
// object.
//
// A document whose kind ends in `List` and whose `items` is a sequence (`kind: List`,
// `kind: ConfigMapList`, …) is unpacked: each item becomes a [Document] of its own that keeps
// the line it starts on and its position in the list. As the API server does for typed
// lists, an item of a `FooList` without a kind is a `Foo` of the list's apiVersion.
//
// # Values
//
// Values are what kubectl's reader (sigs.k8s.io/yaml, with go-yaml v2's YAML 1.1 rules) makes
// of them, because that is what a cluster receives: a plain `yes`, `no`, `on`, `off`, `y` or
// `n` (in any of the spellings y, Y, yes, Yes, YES, n, N, no, No, NO, on, On, ON, off, Off, OFF)
// is a boolean, as a value and as a key (where it becomes the key "true" or "false"). Each such
// plain token yields a [Warning] naming the file and line and suggesting quotes, because YAML
// 1.2 readers (kustomize, editors) read it as a string. Two keys of one mapping that end up as
// the same JSON key — `data: {y: "1", yes: "2"}`, `1: a` beside `"1": b`, or a plain duplicate —
// are a [*KeyCollisionError]: kubectl would keep one of them silently.
//
// Objects are JSON-shaped, exactly as unstructured.Unstructured holds them: map[string]any,
// []any, string, bool, nil, int64 for every integral number that fits, float64 otherwise.
//
// # Errors
//
// Every problem is a [*Error] naming the file or the document (`file#index (line N)`), wrapping
// one of the sentinels ([ErrRead], [ErrSyntax], [ErrNotObject], [ErrTooLarge], [ErrKeyCollision])
// and the cause; [Load] and [Parse] report every problem they find, joined, together with
// the documents they could read.
//
// Everything here is safe for concurrent use; results are fresh values the caller owns.
package manifests
