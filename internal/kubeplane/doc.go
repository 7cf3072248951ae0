// Package kubeplane starts a real etcd and kube-apiserver on loopback for wecforge's tests: the
// one starter that both the per-package integration servers ([testenv]) and the end-to-end
// planes ([e2e]) use.
//
// # What a plane is
//
// [Start] makes a CA, serving, admin (system:masters), front-proxy and service-account keys in
// Go, starts etcd and kube-apiserver from empty data directories on free loopback ports, with
// RBAC authorization and service-account token signing (so TokenRequest works), and waits for
// /readyz. [Plane.InstallCRDs] installs CustomResourceDefinitions from YAML files and waits until
// they are established and served. Nothing is downloaded: the binaries come from hack/tools.sh.
//
// # Processes
//
// Every child runs in its own process group with its output in a log file, and gets SIGKILL
// from the kernel if the test binary dies. [Process.Stop] sends SIGTERM to the group, then
// SIGKILL after a grace period; [Tier] orders shutdown (agents, then API servers, then etcd).
//
// [testenv]: github.com/wecforge/wecforge/internal/testenv
// [e2e]: github.com/wecforge/wecforge/internal/e2e
package kubeplane
