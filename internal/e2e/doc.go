// Package e2e runs Open Cluster Management's own hub controller and agents on loopback, with a
// real etcd, kube-apiserver and kube-controller-manager per plane, for wecforge's end-to-end
// tests (the TestE2E* tests of this package).
//
// # Binaries
//
// Every binary is built by hack/tools.sh from the Go module proxy. [New] finds them in
// WECFORGE_BIN_DIR, else in hack/bin of the repository. When one is missing the test is
// skipped — or fails when WECFORGE_REQUIRE_E2E is set, as `make test` sets it. CRDs come from the
// open-cluster-management.io/ocm v1.0.0 module source that hack/tools/ocm pins.
//
// # Planes
//
// [Env.StartHub] starts the hub: etcd, kube-apiserver, a kube-controller-manager signing CSRs
// with the hub CA (which is also the API server's client CA, so signed agent certificates are
// trusted), OCM's hub CRDs, the bootstrap ServiceAccount and ClusterRole that `clusteradm init`
// makes, and OCM's registration controller. [Env.StartSpoke] starts a WEC: etcd,
// kube-apiserver, OCM's spoke CRDs and the agent namespace; [Spoke.StartRegistrationAgent] and
// [Spoke.StartWorkAgent] run OCM's agents on it. Every plane starts from empty data directories
// with certificates made in Go ([NewCA]), on its own free loopback ports.
//
// # Transport replicas
//
// TestE2ESharding needs transport replicas it can kill, so the test binary doubles as the
// transport: when the environment variable WECFORGE_E2E_TRANSPORT holds a JSON array of
// arguments, TestMain runs examples/transport's app with them (SIGTERM or an interrupt cancels
// it) and exits with its exit code instead of running tests. The test starts two such processes
// with a short lease (4 s, renewed every second, 1 s of skew), SIGKILLs the owner of a WEC and
// measures the takeover. TestE2EStatusReturn runs its two replicas in process.
//
// # Shutdown
//
// An [Env] records every process in a shutdown tier and stops them from t.Cleanup — OCM
// processes and controller managers first, then API servers, then etcd — each with SIGTERM and,
// after a grace period, SIGKILL, so a failed or panicking test leaks no process. Children also
// get SIGKILL from the kernel if the test binary dies. The output of every process goes to a
// log file in the test's temporary directory; when the test failed, the tail of every log is
// written to the test log before shutdown.
package e2e
