// Package provision creates, describes and deletes the clusters that become WECs, behind one
// small interface, [Provisioner], with three implementations:
//
//   - [Kind] runs the kind command line through a [Runner] (kind's Go library would pull
//     kind, cobra and their dependencies into every importer of wecforge);
//   - [K3d] runs the k3d command line through a [Runner];
//   - [Context] hands out an existing context of a kubeconfig the caller supplies as bytes.
//
// # Kubeconfigs
//
// Every implementation returns a WEC's kubeconfig as bytes from Kubeconfig and never edits the
// user's kubeconfig file: kind is given a private temporary --kubeconfig that is removed
// afterwards, and k3d is told not to update the default kubeconfig.
//
// # Testing without a container engine
//
// kind and k3d need a container engine (Docker, Podman or nerdctl). Where none runs — as on the
// machines that build and test wecforge — their wrappers are tested with an injected [Runner]
// that records the command lines and plays the tools' answers; the real tools are not exercised
// by the test suite. Context needs no engine.
//
// # Concurrency
//
// The implementations hold no mutable state of their own and are safe for concurrent use as far
// as the underlying tool is; the commands are killed when the context ends.
package provision
