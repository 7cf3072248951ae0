package benchmarks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/transform/manifests"
)

// DeploymentYAML is a realistic Deployment as a WDS holds it: two containers with env, probes
// and resources, server-populated fields, and template strings for KubeStellar expansion.
const DeploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  uid: 0d5e2f1c-3a4b-4c5d-8e9f-0a1b2c3d4e5f
  resourceVersion: "48213"
  generation: 7
  creationTimestamp: "2026-10-01T10:00:00Z"
  labels:
    app: web
    tier: frontend
    team: shop
  annotations:
    control.kubestellar.io/expand-templates: "true"
    deployment.kubernetes.io/revision: "7"
    wecforge.io/region: "{{ .region }}"
  managedFields:
  - manager: kubectl
    operation: Update
    apiVersion: apps/v1
    fieldsType: FieldsV1
spec:
  replicas: 2
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        tier: frontend
    spec:
      containers:
      - name: app
        image: ghcr.io/shop/web:1.4.2
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: REGION
          value: "{{ .region }}"
        - name: LOG_LEVEL
          value: "{{ .logLevel }}"
        - name: CLUSTER
          value: "{{ .clusterName }}"
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {cpu: "1", memory: 512Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 5
        livenessProbe:
          httpGet: {path: /livez, port: http}
          initialDelaySeconds: 10
      - name: sidecar
        image: envoyproxy/envoy:v1.31.0
        args: ["--config-path", "/etc/envoy/envoy.yaml", "--log-level", "info"]
        resources:
          requests: {cpu: 50m, memory: 64Mi}
        volumeMounts:
        - name: envoy
          mountPath: /etc/envoy
      volumes:
      - name: envoy
        configMap:
          name: web-envoy
status:
  replicas: 2
  readyReplicas: 2
  observedGeneration: 7
`

// Deployment returns a fresh copy of DeploymentYAML.
func Deployment() *unstructured.Unstructured { return mustObject(DeploymentYAML) }

// Service returns a NodePort Service.
func Service() *unstructured.Unstructured {
	return mustObject(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  type: NodePort
  clusterIP: 10.96.12.4
  clusterIPs: [10.96.12.4]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, nodePort: 30080}
`)
}

// ConfigMap returns a ConfigMap with a template string.
func ConfigMap() *unstructured.Unstructured {
	return mustObject(`apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  annotations: {control.kubestellar.io/expand-templates: "true"}
data:
  region: "{{ .region }}"
  greeting: hello
`)
}

// WEC returns WEC number i of a fleet: ~10 labels, ~10 properties in its ConfigMap.
func WEC(i int) *customization.WEC {
	regions := []string{"us-east", "us-west", "eu-central", "ap-south"}
	name := fmt.Sprintf("wec-%05d", i)
	labels := map[string]string{
		"region": regions[i%len(regions)], "location-group": []string{"edge", "core"}[i%2],
		"env": "prod", "tier": "t" + fmt.Sprint(i%3), "zone": fmt.Sprintf("z%d", i%7),
		"gpu": fmt.Sprint(i%5 == 0), "owner": "platform", "cloud": "metal",
		"name": name, "cluster.open-cluster-management.io/clusterset": "default",
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: customization.PropertiesNamespace},
		Data: map[string]string{
			"replicas": fmt.Sprint(1 + i%4), "imageTag": fmt.Sprintf("1.4.%d", i%10),
			"logLevel": "info", "registry": "registry." + regions[i%len(regions)] + ".example",
			"minReady": "5", "owner": "team-" + fmt.Sprint(i%9), "quota": "2Gi",
			"maxSurge": "25%", "tz": "UTC", "feature": "on",
		},
	}
	w, err := customization.New(name, labels, map[string]string{"note": "bench"}, cm)
	if err != nil {
		panic(err)
	}
	return w
}

// Fleet returns n WECs.
func Fleet(n int) []*customization.WEC {
	out := make([]*customization.WEC, n)
	for i := range out {
		out[i] = WEC(i)
	}
	return out
}

// RulesYAML returns n CustomizationRule documents mixing CEL set, templates, image, labels and
// jsonPatch. The first three are the 3-rule set of BenchmarkRenderPair.
func RulesYAML(n int) string {
	base := []string{`apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: r000-replicas}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  variables:
  - {name: replicas, expression: "int(properties.replicas)"}
  actions:
  - set: {path: "$.spec.replicas", value: "variables.replicas"}
  - jsonPatch: [{op: add, path: /spec/minReadySeconds, valueExpression: "int(properties.minReady)"}]
`, `apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: r001-image}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  actions:
  - image: {containers: [app], registry: "{{ .registry }}", tag: "{{ .imageTag }}"}
`, `apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: r002-labels}
spec:
  match: {resources: [{group: apps, kind: Deployment}]}
  actions:
  - labels: {add: {region: "{{ .region }}", owner: "{{ .owner }}"}}
  - set: {path: "$.spec.template.spec.containers[?@.name=='app'].env[?@.name=='LOG_LEVEL'].value", template: "{{ .logLevel }}"}
`}
	docs := make([]string, 0, n)
	for i := range n {
		if i < len(base) {
			docs = append(docs, base[i])
			continue
		}
		// Further rules target other kinds or clusters, so most are filtered out cheaply, as
		// in a real rule set where each team owns a few rules.
		docs = append(docs, fmt.Sprintf(`apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: r%03d-team}
spec:
  priority: %d
  match: {resources: [{group: apps, kind: Deployment}], namespaces: [team-%d]}
  clusters: {labelSelector: {matchLabels: {tier: t%d}}}
  actions:
  - annotations: {add: {team: "t%d"}}
`, i, i%5, i%20, i%3, i))
	}
	return strings.Join(docs, "---\n")
}

// mustObject reads one fixture with the project's loader (integers as int64, as from an API
// server); a fixture that does not read as exactly one object without warnings is a bug.
func mustObject(doc string) *unstructured.Unstructured {
	docs, warnings, err := manifests.Parse("fixture", []byte(doc))
	if err != nil || len(warnings) > 0 || len(docs) != 1 {
		panic(fmt.Sprintf("fixture: %d objects, warnings %v, error %v", len(docs), warnings, err))
	}
	return &unstructured.Unstructured{Object: docs[0].Object}
}

// configMapOf rebuilds a WEC's properties ConfigMap.
func configMapOf(w *customization.WEC) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: w.Name(), Namespace: customization.PropertiesNamespace},
		Data:       w.ConfigMapData(),
	}
}
