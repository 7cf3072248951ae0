// Package testenv runs one real kube-apiserver and etcd for a package's integration tests, with
// CRDs from open-cluster-management.io/api. The processes are started by the project's own
// starter, [kubeplane], which the end-to-end planes share; the API server authorizes with RBAC,
// signs service-account tokens and trusts an admin client certificate in system:masters.
//
// [kubeplane]: github.com/wecforge/wecforge/internal/kubeplane
//
// # Skip or fail
//
// Without the binaries (in the folder KUBEBUILDER_ASSETS names, the variable envtest users know,
// else in hack/bin/assets from hack/tools.sh) the integration tests skip — unless
// WECFORGE_REQUIRE_ENVTEST is set, as `make test` sets it: then the package fails. Fuzzing
// processes never start a server.
//
// # Usage
//
//	var server testenv.Server
//
//	func TestMain(m *testing.M) { os.Exit(server.Run(m, "delivery", testenv.Options{OCMCRDs: []string{"work/v1"}})) }
//
//	func TestX(t *testing.T) { cfg := server.Config(t) ... }
package testenv
