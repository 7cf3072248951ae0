// Package crds ships the project's own structural CustomResourceDefinitions (each with a
// status subresource) for the control objects the transport reads from a WDS: KubeStellar's
// BindingPolicy, Binding and CustomTransform, and wecforge's CustomizationRule. They are
// written from the APIs' shapes. Every *.yaml file of this directory is embedded, so adding a
// CRD is adding a file.
//
// [Install] creates the CRDs on an API server and keeps the ones it created current; a CRD of
// the same name that it did not create (KubeStellar's own, say) is never overwritten.
package crds
