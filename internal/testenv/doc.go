// Package testenv runs one real kube-apiserver and etcd (controller-runtime envtest) for a
// package's integration tests, with CRDs from open-cluster-management.io/api.
//
// # Skip or fail
//
// Without the binaries (KUBEBUILDER_ASSETS, else hack/bin/assets from hack/tools.sh) the
// integration tests skip — unless WECFORGE_REQUIRE_ENVTEST is set, as the README test command
// sets it: then the package fails. Fuzzing processes never start a server.
//
// # Usage
//
//	var server testenv.Server
//
//	func TestMain(m *testing.M) { os.Exit(server.Run(m, "delivery", testenv.Options{OCMCRDs: []string{"work/v1"}})) }
//
//	func TestX(t *testing.T) { cfg := server.Config(t) ... }
package testenv
