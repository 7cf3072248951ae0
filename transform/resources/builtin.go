package resources

import "k8s.io/apimachinery/pkg/runtime/schema"

// builtinTable lists the Kubernetes kinds users write in workloads, with their resources and
// scope. It is never modified.
var builtinTable = []Mapping{
	// core
	ns("", "ConfigMap", "configmaps"),
	ns("", "Endpoints", "endpoints"),
	ns("", "Event", "events"),
	ns("", "LimitRange", "limitranges"),
	cl("", "Namespace", "namespaces"),
	cl("", "Node", "nodes"),
	cl("", "PersistentVolume", "persistentvolumes"),
	ns("", "PersistentVolumeClaim", "persistentvolumeclaims"),
	ns("", "Pod", "pods"),
	ns("", "PodTemplate", "podtemplates"),
	ns("", "ReplicationController", "replicationcontrollers"),
	ns("", "ResourceQuota", "resourcequotas"),
	ns("", "Secret", "secrets"),
	ns("", "Service", "services"),
	ns("", "ServiceAccount", "serviceaccounts"),
	// apps
	ns("apps", "ControllerRevision", "controllerrevisions"),
	ns("apps", "DaemonSet", "daemonsets"),
	ns("apps", "Deployment", "deployments"),
	ns("apps", "ReplicaSet", "replicasets"),
	ns("apps", "StatefulSet", "statefulsets"),
	// batch
	ns("batch", "CronJob", "cronjobs"),
	ns("batch", "Job", "jobs"),
	// networking.k8s.io
	cl("networking.k8s.io", "IPAddress", "ipaddresses"),
	ns("networking.k8s.io", "Ingress", "ingresses"),
	cl("networking.k8s.io", "IngressClass", "ingressclasses"),
	ns("networking.k8s.io", "NetworkPolicy", "networkpolicies"),
	cl("networking.k8s.io", "ServiceCIDR", "servicecidrs"),
	// rbac.authorization.k8s.io
	cl("rbac.authorization.k8s.io", "ClusterRole", "clusterroles"),
	cl("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings"),
	ns("rbac.authorization.k8s.io", "Role", "roles"),
	ns("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"),
	// policy
	ns("policy", "PodDisruptionBudget", "poddisruptionbudgets"),
	// autoscaling
	ns("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
	// storage.k8s.io
	cl("storage.k8s.io", "CSIDriver", "csidrivers"),
	cl("storage.k8s.io", "CSINode", "csinodes"),
	ns("storage.k8s.io", "CSIStorageCapacity", "csistoragecapacities"),
	cl("storage.k8s.io", "StorageClass", "storageclasses"),
	cl("storage.k8s.io", "VolumeAttachment", "volumeattachments"),
	cl("storage.k8s.io", "VolumeAttributesClass", "volumeattributesclasses"),
	// apiextensions.k8s.io
	cl("apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions"),
	// admissionregistration.k8s.io
	cl("admissionregistration.k8s.io", "MutatingAdmissionPolicy", "mutatingadmissionpolicies"),
	cl("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings"),
	cl("admissionregistration.k8s.io", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations"),
	cl("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
	cl("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings"),
	cl("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations"),
	// coordination.k8s.io
	ns("coordination.k8s.io", "Lease", "leases"),
	// discovery.k8s.io
	ns("discovery.k8s.io", "EndpointSlice", "endpointslices"),
	// scheduling.k8s.io
	cl("scheduling.k8s.io", "PriorityClass", "priorityclasses"),
	// certificates.k8s.io
	cl("certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests"),
	cl("certificates.k8s.io", "ClusterTrustBundle", "clustertrustbundles"),
	// node.k8s.io
	cl("node.k8s.io", "RuntimeClass", "runtimeclasses"),
	// events.k8s.io
	ns("events.k8s.io", "Event", "events"),
	// apiregistration.k8s.io
	cl("apiregistration.k8s.io", "APIService", "apiservices"),
	// control.kubestellar.io: KubeStellar's control objects, known so that placement can name
	// them among the inputs and leave them out as never delivered
	cl("control.kubestellar.io", "BindingPolicy", "bindingpolicies"),
	cl("control.kubestellar.io", "Binding", "bindings"),
	cl("control.kubestellar.io", "CustomTransform", "customtransforms"),
	cl("control.kubestellar.io", "StatusCollector", "statuscollectors"),
	ns("control.kubestellar.io", "CombinedStatus", "combinedstatuses"),
}

func ns(group, kind, resource string) Mapping { return mapping(group, kind, resource, true) }
func cl(group, kind, resource string) Mapping { return mapping(group, kind, resource, false) }

func mapping(group, kind, resource string, namespaced bool) Mapping {
	return Mapping{
		Kind:       schema.GroupKind{Group: group, Kind: kind},
		Resource:   schema.GroupResource{Group: group, Resource: resource},
		Namespaced: namespaced,
	}
}
