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
//     [BootstrapTokenFromSecret] (named kube-system bootstrap-token Secrets, by default
//     bootstrap-token-ocmhub) yields a token.
//  2. [JoinCommand] renders the `clusteradm join` command line and [BootstrapKubeconfig] the
//     bootstrap kubeconfig a registration agent reads.
//  3. The agent on the WEC creates its ManagedCluster (hubAcceptsClient false) and a CSR.
//  4. [Accept] approves only the CSRs that a bootstrap identity made for exactly that WEC, then
//     sets spec.hubAcceptsClient. It refuses when two claims compete for one WEC.
//
// # Security model of Accept
//
// A CSR is approved only when [CheckCSR] passes it: the label
// open-cluster-management.io/cluster-name=<wec>; signer kubernetes.io/kube-apiserver-client;
// usages exactly digital signature, key encipherment and client auth, in any order (what OCM's
// registration agent requests); expirationSeconds absent (OCM's default) or at most
// [CSRPolicy].MaxExpiration, one year unless set; a requester (spec.username, set by the API
// server, not the client) that is a bootstrap identity — the ServiceAccount
// open-cluster-management/agent-registration-bootstrap or open-cluster-management/cluster-bootstrap
// (clusteradm's name), a bootstrap token user system:bootstrap:* in the group
// system:bootstrappers:managedcluster, or a user the policy adds; and a request that is one PEM
// CERTIFICATE REQUEST, correctly signed, with an ECDSA (P-256, P-384, P-521), Ed25519 or RSA
// (2048–8192 bits) key, no requested extensions (so no subject alternative names), and a
// subject of exactly CN=system:open-cluster-management:<wec>:<agent> and
// O=system:open-cluster-management:<wec> (plus, optionally,
// system:open-cluster-management:managed-clusters). The label alone proves nothing: anyone who
// may create CSRs can set it. Each failure is a [*CSRError] naming the CSR, WEC, field and
// reason (ErrCSR* sentinels, all matching [ErrCSRRejected]).
//
// Every acceptable CSR is a claim: requester, agent name, key. All claims on a WEC must be the
// same (one agent, one key per agent name), or Accept approves nothing and returns an
// [*AmbiguousError] listing them. The operator resolves it by naming the CSR, requester or
// agent in [AcceptOptions], and may set DenyOthers to deny the competing claims for good. The
// approval itself carries the UID and resourceVersion as listed, so a CSR deleted and
// re-created under the same name in between is refused ([ErrCSRReplaced]).
//
// # Roles
//
// The helpers serve three duties that should run as three identities; rbac.yaml
// ([RBACObjects], [RBACManifest]) grants each its own least privilege, labelled with its
// [Role]:
//
//   - joining ([RoleJoining]): TokenRequests for the two bootstrap ServiceAccounts only, and get
//     on the Secret kube-system/bootstrap-token-ocmhub only (add your own Secret names);
//   - accepting ([RoleAccepting]): read CSRs, approve (and deny) for the signer
//     kubernetes.io/kube-apiserver-client only, set hubAcceptsClient;
//   - operating ([RoleOperating]): ManagedCluster labels, status and deletion, properties
//     ConfigMaps in customization-properties only, ManifestWorks.
//
// No role both obtains bootstrap credentials and approves CSRs: together they would let one
// identity mint a bootstrap token, request a client certificate for any group (for example
// kubeadm:cluster-admins) with it, and approve it. No role creates CSRs. The integration tests
// run that chain under each role and the whole lifecycle with each step done by its role.
//
// # Logging
//
// [Accept], [BootstrapToken], [BootstrapTokenFromSecret] and [Inventory.Run] log through the
// logr.Logger in their context (logr.FromContextOrDiscard; none means no logging): decisions
// at level 0, per-CSR rejections and per-WEC events at level 1. Tokens are never logged.
//
// # Properties and inventory
//
// Properties live in a ConfigMap named after the WEC in namespace
// customization-properties ([customization.PropertiesNamespace]), created on first write.
// [Inventory] watches ManagedClusters and those ConfigMaps with informers and reports, per WEC,
// which label, annotation, ConfigMap and property keys changed, so a controller re-renders only
// the affected (object, WEC) pairs. [NewInventory] builds and starts its own informers;
// [NewInventoryWithInformers] uses informers the controller already shares.
//
// # Provisioning
//
// Creating the WEC itself (kind, k3d or an existing kubeconfig context) lives in the
// subpackage provision.
package registry
