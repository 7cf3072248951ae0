// Package provision creates, describes and deletes the clusters that become WECs, behind one
// small interface, [Provisioner], with three implementations:
//
//   - [Kind] drives sigs.k8s.io/kind's library (sigs.k8s.io/kind/pkg/cluster) through the
//     [KindProvider] interface that *cluster.Provider satisfies;
//   - [K3d] runs the k3d command line through a [Runner];
//   - [Context] hands out an existing context of a kubeconfig the caller supplies as bytes.
//
// # Kubeconfigs
//
// Every implementation returns a WEC's kubeconfig as bytes from Kubeconfig and never edits the
// user's kubeconfig file: kind writes into a private temporary file that is removed afterwards,
// and k3d is told not to update the default kubeconfig.
//
// # Testing without a container engine
//
// kind and k3d need a container engine (Docker, Podman or nerdctl). Where none runs — as on the
// machines that build and test wecforge — their wrappers are tested with an injected
// [KindProvider] and [Runner] that record calls and play the tools' answers; the real tools are
// not exercised by the test suite. Context needs no engine.
//
// # Concurrency
//
// The implementations hold no mutable state of their own and are safe for concurrent use as far
// as the underlying tool is; kind's library calls take no context, so Kind checks ctx only
// before each call.
package provision
