package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterclient "open-cluster-management.io/api/client/cluster/clientset/versioned"
	workclient "open-cluster-management.io/api/client/work/clientset/versioned"

	"github.com/wecforge/wecforge/registry"
)

// HubNamespace is where OCM's hub registration controller runs.
const HubNamespace = "open-cluster-management-hub"

// AgentNamespace is the spoke namespace of OCM's agents.
const AgentNamespace = "open-cluster-management-agent"

// BootstrapClusterRole is the ClusterRole clusteradm init binds to the bootstrap
// ServiceAccount.
const BootstrapClusterRole = "open-cluster-management:bootstrap"

// StartControllerManager runs kube-controller-manager on cp with the given controllers; with
// signing, it signs approved CSRs with cp's CA (the API server's client CA).
func (e *Env) StartControllerManager(cp *ControlPlane, signing bool, controllers ...string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", cp.AdminKubeconfig,
		"--authentication-kubeconfig", cp.AdminKubeconfig,
		"--authorization-kubeconfig", cp.AdminKubeconfig,
		"--controllers", strings.Join(controllers, ","),
		"--leader-elect=false",
		"--root-ca-file", cp.CAFile,
		"--service-account-private-key-file", cp.saKeyFile,
		"--bind-address", "127.0.0.1",
		"--secure-port", strconv.Itoa(port),
	}
	if signing {
		args = append(args, "--cluster-signing-cert-file", cp.CAFile, "--cluster-signing-key-file", cp.CAKeyFile)
	}
	return e.Start(cp.Name+"-kube-controller-manager", TierAgent, "kube-controller-manager", args...)
}

// Hub is a control plane running kube-controller-manager (signing CSRs with the hub CA) and
// OCM's hub registration controller, with OCM's hub CRDs and the bootstrap identity clusteradm
// init makes. Fields are read-only after [Env.StartHub].
type Hub struct {
	*ControlPlane
	// OCM and Work are typed OCM clientsets with admin rights.
	OCM  clusterclient.Interface
	Work workclient.Interface
	// ControllerManager and Registration are the processes.
	ControllerManager, Registration *Process
}

// StartHub starts the hub: control plane, kube-controller-manager, CRDs, bootstrap
// ServiceAccount and RBAC, and OCM's registration controller.
func (e *Env) StartHub(ctx context.Context) (*Hub, error) {
	cp, err := e.StartControlPlane(ctx, "hub")
	if err != nil {
		return nil, err
	}
	h := &Hub{ControlPlane: cp}
	if h.OCM, err = clusterclient.NewForConfig(cp.Config); err != nil {
		return nil, err
	}
	if h.Work, err = workclient.NewForConfig(cp.Config); err != nil {
		return nil, err
	}
	h.ControllerManager, err = e.StartControllerManager(cp, true, "csrsigning", "csrcleaner", "garbagecollector", "namespace", "serviceaccount")
	if err != nil {
		return nil, err
	}
	ocmDir, err := e.OCMModuleDir()
	if err != nil {
		return nil, err
	}
	crds, err := globFiles(filepath.Join(ocmDir, "manifests", "cluster-manager", "hub"), "*.crd.yaml")
	if err != nil {
		return nil, err
	}
	if err := cp.InstallCRDs(crds); err != nil {
		return nil, err
	}
	if err := h.installBootstrapIdentity(ctx); err != nil {
		return nil, err
	}
	if err := cp.EnsureNamespace(ctx, HubNamespace); err != nil {
		return nil, err
	}
	listen, err := FreePort()
	if err != nil {
		return nil, err
	}
	h.Registration, err = e.Start("hub-registration-controller", TierAgent, "registration", "controller",
		"--kubeconfig", cp.AdminKubeconfig,
		"--namespace", HubNamespace,
		"--disable-leader-election",
		"--listen", "127.0.0.1:"+strconv.Itoa(listen))
	if err != nil {
		return nil, err
	}
	return h, nil
}

// installBootstrapIdentity creates what `clusteradm init` creates for joining: namespace
// open-cluster-management, ServiceAccount cluster-bootstrap, and the bootstrap ClusterRole bound
// to it.
func (h *Hub) installBootstrapIdentity(ctx context.Context) error {
	ns, sa := registry.BootstrapNamespace, registry.ClusteradmBootstrapServiceAccount
	if err := h.EnsureNamespace(ctx, ns); err != nil {
		return err
	}
	kube := h.Kube
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", what, err)
		}
		return nil
	}
	_, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{})
	if err := create("bootstrap ServiceAccount", err); err != nil {
		return err
	}
	_, err = kube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapClusterRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}},
			{APIGroups: []string{"certificates.k8s.io"}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create", "get", "list", "watch"}},
			{APIGroups: []string{"cluster.open-cluster-management.io"}, Resources: []string{"managedclusters"}, Verbs: []string{"get", "create", "list", "watch"}},
			{APIGroups: []string{"cluster.open-cluster-management.io"}, Resources: []string{"managedclustersets/join"}, Verbs: []string{"create"}},
		},
	}, metav1.CreateOptions{})
	if err := create("bootstrap ClusterRole", err); err != nil {
		return err
	}
	_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: BootstrapClusterRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: BootstrapClusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa}},
	}, metav1.CreateOptions{})
	return create("bootstrap ClusterRoleBinding", err)
}

// SpokeControllers are the kube-controller-manager controllers of every spoke: namespace and
// garbage collector (so deleted Namespaces go away), and deployment, replicaset and
// serviceaccount, so a delivered Deployment gets a real status (without serviceaccount no
// `default` ServiceAccount exists and admission rejects every Pod). There is no scheduler:
// Pods stay Pending, but replicas, updatedReplicas and observedGeneration are real.
var SpokeControllers = []string{"namespace", "garbagecollector", "deployment", "replicaset", "serviceaccount"}

// StatusSyncInterval is the work agents' --status-sync-interval: how often they return
// resource status (feedback rules included) to the hub.
const StatusSyncInterval = 2 * time.Second

// Spoke is a WEC: a control plane with OCM's spoke CRDs and the agent namespace, where OCM's
// registration and work agents run.
type Spoke struct {
	*ControlPlane
	// ControllerManager runs the [SpokeControllers].
	ControllerManager *Process
	env               *Env
}

// StartSpoke starts the WEC named name: control plane, kube-controller-manager
// ([SpokeControllers]), spoke CRDs, agent namespace.
func (e *Env) StartSpoke(ctx context.Context, name string) (*Spoke, error) {
	cp, err := e.StartControlPlane(ctx, name)
	if err != nil {
		return nil, err
	}
	ocmDir, err := e.OCMModuleDir()
	if err != nil {
		return nil, err
	}
	crds, err := globFiles(filepath.Join(ocmDir, "manifests", "klusterlet", "managed"), "*crd.yaml")
	if err != nil {
		return nil, err
	}
	if err := cp.InstallCRDs(crds); err != nil {
		return nil, err
	}
	if err := cp.EnsureNamespace(ctx, AgentNamespace); err != nil {
		return nil, err
	}
	// A real cluster finalizes deleted namespaces; without this a Namespace delivered by a
	// ManifestWork never goes away and the ManifestWork's deletion never completes.
	kcm, err := e.StartControllerManager(cp, false, SpokeControllers...)
	if err != nil {
		return nil, err
	}
	return &Spoke{ControlPlane: cp, ControllerManager: kcm, env: e}, nil
}

// RegistrationAgent is one OCM registration agent process and where it keeps its hub
// credential.
type RegistrationAgent struct {
	*Process
	// AgentID is the agent's id (the last field of its certificate's CN).
	AgentID string
	// HubKubeconfigDir receives the hub kubeconfig, certificate and key once accepted.
	HubKubeconfigDir string
}

// HubKubeconfig is the kubeconfig the agent writes after its CSR is approved and signed.
func (a *RegistrationAgent) HubKubeconfig() string {
	return filepath.Join(a.HubKubeconfigDir, "kubeconfig")
}

// StartRegistrationAgent runs OCM's registration agent for this WEC with the given bootstrap
// kubeconfig and agent id. secret names the Secret on the spoke where it keeps its hub
// credential (two agents on one spoke need different ones).
func (s *Spoke) StartRegistrationAgent(bootstrapKubeconfig []byte, agentID, secret string) (*RegistrationAgent, error) {
	dir, err := s.env.mkdir(s.Name, "agent-"+agentID)
	if err != nil {
		return nil, err
	}
	hubDir := filepath.Join(dir, "hub-kubeconfig")
	if err := os.MkdirAll(hubDir, 0o700); err != nil {
		return nil, err
	}
	bootstrap := filepath.Join(dir, "bootstrap.kubeconfig")
	if err := os.WriteFile(bootstrap, bootstrapKubeconfig, 0o600); err != nil {
		return nil, err
	}
	listen, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := s.env.Start(s.Name+"-registration-agent-"+agentID, TierAgent, "registration", "agent",
		"--kubeconfig", s.AdminKubeconfig,
		"--spoke-cluster-name", s.Name,
		"--agent-id", agentID,
		"--bootstrap-kubeconfig", bootstrap,
		"--hub-kubeconfig-dir", hubDir,
		"--hub-kubeconfig-secret", secret,
		"--namespace", AgentNamespace,
		"--disable-leader-election",
		"--listen", "127.0.0.1:"+strconv.Itoa(listen))
	if err != nil {
		return nil, err
	}
	return &RegistrationAgent{Process: p, AgentID: agentID, HubKubeconfigDir: hubDir}, nil
}

// StartWorkAgent runs OCM's work agent for this WEC, reading ManifestWorks from the hub with the
// hub kubeconfig the registration agent wrote; it waits for that file first. The agent runs with
// the alpha feature gate RawFeedbackJsonString (objects and lists come back as JSON through
// feedback rules) and a [StatusSyncInterval] status sync period.
func (s *Spoke) StartWorkAgent(ctx context.Context, reg *RegistrationAgent) (*Process, error) {
	err := s.env.Eventually(ctx, s.Name+" hub kubeconfig", 3*time.Minute, 200*time.Millisecond, func(context.Context) (bool, error) {
		_, err := os.Stat(reg.HubKubeconfig())
		return err == nil, nil
	})
	if err != nil {
		return nil, err
	}
	listen, err := FreePort()
	if err != nil {
		return nil, err
	}
	return s.env.Start(s.Name+"-work-agent", TierAgent, "work", "agent",
		"--kubeconfig", s.AdminKubeconfig,
		"--spoke-cluster-name", s.Name,
		"--agent-id", reg.AgentID,
		"--workload-source-driver", "kube",
		"--workload-source-config", reg.HubKubeconfig(),
		"--namespace", AgentNamespace,
		"--disable-leader-election",
		"--status-sync-interval", StatusSyncInterval.String(),
		"--feature-gates", "RawFeedbackJsonString=true",
		"--listen", "127.0.0.1:"+strconv.Itoa(listen))
}
