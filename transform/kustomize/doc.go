// Package kustomize runs a wecforge [transform.Pipeline] inside kustomize-style tooling: a
// [Filter] is a kio.Filter that renders every resource of a kio pipeline for one WEC.
//
// # Usage
//
//	err := kio.Pipeline{
//		Inputs:  []kio.Reader{&kio.ByteReader{Reader: in}},
//		Filters: []kio.Filter{kustomize.Filter{Pipeline: p, WEC: wec}},
//		Outputs: []kio.Writer{&kio.ByteWriter{Writer: out}},
//	}.Execute()
//
// # Conversion
//
// Resources cross from kyaml's RNode to wecforge's map-based objects once on the way in and
// once on the way out (through JSON, so integers stay int64 as from an API server), and the
// output is put in the conventional field order (apiVersion, kind, metadata, ...); comments and
// YAML styles of the input are not kept. kio's bookkeeping annotations
// (config.kubernetes.io/path, index) pass through unchanged.
//
// # Concurrency
//
// A Filter is a value holding shared, immutable parts; it is safe for concurrent use.
package kustomize
