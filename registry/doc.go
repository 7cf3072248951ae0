// Package registry holds thin helpers for the life of a WEC (workload execution cluster) on an
// OCM hub (the ITS): a bootstrap token, the join command line, accepting the WEC's registration,
// labels, the properties ConfigMap, status, deregistration, and a live Inventory of
// [customization.WEC] snapshots.
//
// # Clients
//
// Every helper takes a context first and the clients it needs: client-go's
// [kubernetes.Interface] and OCM's typed cluster clientset
// (open-cluster-management.io/api/client/cluster/clientset/versioned). None reads a kubeconfig
// path; build the clients however the caller likes. Errors from the API server are wrapped with
// %w, so apierrors.IsNotFound, IsForbidden and IsConflict keep working on what is returned.
//
// # Joining a WEC
//
// The flow mirrors clusteradm:
//
//  1. [BootstrapToken] (a TokenRequest for the bootstrap ServiceAccount) or
//     [BootstrapTokenFromSecret] (the newest kube-system bootstrap-token Secret) yields a token.
//  2. [JoinCommand] renders the `clusteradm join` command line and [BootstrapKubeconfig] the
//     bootstrap kubeconfig a registration agent reads.
//  3. The agent on the WEC creates its ManagedCluster (hubAcceptsClient false) and a CSR.
//  4. [Accept] approves only the CSRs that a bootstrap identity made for exactly that WEC, then
//     sets spec.hubAcceptsClient. It refuses when two agents claim one WEC.
//
// # Security model of Accept
//
// A CSR is approved only when all of these hold: it carries the label
// open-cluster-management.io/cluster-name=<wec>; its signer is
// kubernetes.io/kube-apiserver-client; its requester (spec.username, set by the API server, not
// the client) is a bootstrap identity — the ServiceAccount
// open-cluster-management/agent-registration-bootstrap or open-cluster-management/cluster-bootstrap
// (clusteradm's name), or a bootstrap token user system:bootstrap:* in the group
// system:bootstrappers:managedcluster; and its PEM request names the subject
// CN=system:open-cluster-management:<wec>:<agent> with the organization
// system:open-cluster-management:<wec> (plus, optionally, system:open-cluster-management:managed-clusters)
// and nothing else. The label alone proves nothing (anyone who may create CSRs can set it).
//
// # Properties and inventory
//
// Properties live in a ConfigMap named after the WEC in namespace
// customization-properties ([customization.PropertiesNamespace]), created on first write.
// [Inventory] watches ManagedClusters and those ConfigMaps with informers and reports, per WEC,
// which label, annotation, ConfigMap and property keys changed, so a controller re-renders only
// the affected (object, WEC) pairs.
//
// # Permissions
//
// rbac.yaml (see [RBACObjects]) lists the least privilege the hub-side helpers need, split so
// that namespaced rights are granted only in their own namespaces. The integration tests run the
// helpers as a ServiceAccount bound exactly as that file says.
//
// # Provisioning
//
// Creating the WEC itself (kind, k3d or an existing kubeconfig context) lives in the
// subpackage provision.
package registry
