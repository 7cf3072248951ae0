// Package consumer holds the test that plays a new user of wecforge: it builds a throwaway module
// that imports the engine packages (customization, transform and rules) and checks which modules
// that pulls into the user's module graph. It has no code of its own.
//
// # What it guards
//
// Test-only and tool-only dependencies of wecforge — kind, controller-runtime, the etcd and
// kube-apiserver builds — live outside the library's requirements, so a user's `go list -m all`
// never names kind or controller-runtime. etcd, OpenTelemetry and cobra modules are listed only
// because k8s.io/apiserver's go.mod requires them (rules uses Kubernetes' CEL libraries from
// that module; none of their packages is built into a consumer); the test fails if any other
// module brings them in.
package consumer
