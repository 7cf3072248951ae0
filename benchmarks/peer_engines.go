package benchmarks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules"
	"github.com/wecforge/wecforge/rules/templates"
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/kubestellar"
)

// PeerValues are the values one WEC's variant of the Deployment gets in the Karmada and
// kustomize comparisons: what the 3-rule set computes from the WEC's properties, written down
// as constants because neither peer reads per-cluster properties (a Karmada override rule or a
// kustomize overlay is written per cluster).
type PeerValues struct {
	WEC                                    string
	Replicas, MinReady                     int64
	Registry, Tag, Region, Owner, LogLevel string
	appContainer, logLevelEnv              int
	deploymentName, deploymentNamespace    string
	imageName, repo                        string // the app image without its tag, and its repository
}

// PeerValuesFor reads one WEC's values from its properties and locates, in the prepared
// Deployment, what a per-cluster rule names by position or by name (the container "app", its
// LOG_LEVEL variable, the image repository). It fails with a *PeerError (Peer "values") when a
// property or a location is missing.
func PeerValuesFor(prepared *unstructured.Unstructured, wec *customization.WEC) (PeerValues, error) {
	props := wec.Properties()
	v := PeerValues{WEC: wec.Name(), Registry: props["registry"], Tag: props["imageTag"],
		Region: props["region"], Owner: props["owner"], LogLevel: props["logLevel"],
		deploymentName: prepared.GetName(), deploymentNamespace: prepared.GetNamespace()}
	var err error
	if v.Replicas, err = strconv.ParseInt(props["replicas"], 10, 32); err != nil {
		return v, &PeerError{Peer: "values", WEC: wec.Name(), Field: "properties.replicas", Err: err}
	}
	if v.MinReady, err = strconv.ParseInt(props["minReady"], 10, 32); err != nil {
		return v, &PeerError{Peer: "values", WEC: wec.Name(), Field: "properties.minReady", Err: err}
	}
	containers, _, _ := unstructured.NestedSlice(prepared.Object, "spec", "template", "spec", "containers")
	v.appContainer, v.logLevelEnv = -1, -1
	for i, c := range containers {
		if m, _ := c.(map[string]any); m != nil && m["name"] == "app" {
			v.appContainer = i
			image, _ := m["image"].(string)
			host, repo, _ := splitImage(image)
			v.imageName, v.repo = strings.TrimPrefix(host+"/"+repo, "/"), repo
			env, _ := m["env"].([]any)
			for j, e := range env {
				if em, _ := e.(map[string]any); em != nil && em["name"] == "LOG_LEVEL" {
					v.logLevelEnv = j
				}
			}
		}
	}
	if v.appContainer < 0 || v.logLevelEnv < 0 {
		return v, &PeerError{Peer: "values", WEC: wec.Name(), Field: ".spec.template.spec.containers",
			Err: errors.New("the Deployment has no container app with an env variable LOG_LEVEL")}
	}
	return v, nil
}

// EngineKubeStellar is the engine restricted to what KubeStellar supports: the
// WEC-independent KubeStellar stages, then template expansion, nothing else. The pipeline is
// immutable and safe for concurrent use.
func EngineKubeStellar() (*transform.Pipeline, error) {
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{
		PerWEC: []transform.Stage{templates.NewExpander(templates.Limits{}).Stage()},
	})
	return p, err
}

// EngineKarmada is the engine restricted to what Karmada's overriders support, for the given
// WECs: the WEC-independent stages, then one CustomizationRule per WEC (selected by cluster
// name, as an override rule's target cluster) with constant values only: an image action, a
// labels action and an RFC 6902 patch. KarmadaOverridersFor gives the same edits as overriders.
// The pipeline is immutable and safe for concurrent use.
func EngineKarmada(vals []PeerValues) (*transform.Pipeline, error) {
	return rulesEngine(vals, karmadaRule)
}

// EngineKustomize is the engine restricted to what a kustomize overlay per WEC supports: the
// WEC-independent stages, then one CustomizationRule per WEC with constant values only:
// replicas, image, labels, and field sets for the patches (one through a keyed list path).
// KustomizeOverlayFor gives the same edits as an overlay. The pipeline is immutable and safe
// for concurrent use.
func EngineKustomize(vals []PeerValues) (*transform.Pipeline, error) {
	return rulesEngine(vals, kustomizeRule)
}

func rulesEngine(vals []PeerValues, rule func(PeerValues) string) (*transform.Pipeline, error) {
	docs := make([]rules.Document, 0, len(vals))
	for _, v := range vals {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(rule(v)), &m); err != nil {
			return nil, err
		}
		docs = append(docs, rules.Document{Source: "peer#" + v.WEC, Object: m})
	}
	set, err := rules.Compile(docs)
	if err != nil {
		return nil, err
	}
	// Neither Karmada nor kustomize expands KubeStellar templates: the restricted engine ships
	// them as written, as the references do.
	p, _, err := kubestellar.NewPipeline(kubestellar.Options{PerWEC: []transform.Stage{set.Stage()}, LiteralTemplates: true})
	return p, err
}

// ruleHead is the part of a per-WEC rule that selects the Deployment and the WEC.
func (v PeerValues) ruleHead(peer string) string {
	return fmt.Sprintf(`apiVersion: wecforge.io/v1alpha1
kind: CustomizationRule
metadata: {name: %s-%s}
spec:
  match: {resources: [{group: apps, kind: Deployment}], namespaces: [%s], names: [%s]}
  clusters: {names: [%s]}
  actions:
`, peer, v.WEC, v.deploymentNamespace, v.deploymentName, v.WEC)
}

func karmadaRule(v PeerValues) string {
	return v.ruleHead("karmada") + fmt.Sprintf(`  - image: {containers: [app], registry: %q, tag: %q}
  - labels: {add: {region: %q, owner: %q}}
  - jsonPatch:
    - {op: replace, path: /spec/replicas, value: %d}
    - {op: add, path: /spec/minReadySeconds, value: %d}
    - {op: replace, path: /spec/template/spec/containers/%d/env/%d/value, value: %q}
`, v.Registry, v.Tag, v.Region, v.Owner, v.Replicas, v.MinReady, v.appContainer, v.logLevelEnv, v.LogLevel)
}

func kustomizeRule(v PeerValues) string {
	return v.ruleHead("kustomize") + fmt.Sprintf(`  - replicas: {value: %d}
  - image: {containers: [app], registry: %q, tag: %q}
  - labels: {add: {region: %q, owner: %q}}
  - set: {path: "$.spec.minReadySeconds", value: "%d"}
  - set: {path: "$.spec.template.spec.containers[?@.name=='app'].env[?@.name=='LOG_LEVEL'].value", template: %q}
`, v.Replicas, v.Registry, v.Tag, v.Region, v.Owner, v.MinReady, v.LogLevel)
}

// KarmadaOverridersFor is v as one Karmada override rule: two image overriders (registry, tag)
// on the app container's predicate path, a labels overrider, and a plaintext patch for the
// replicas, minReadySeconds and the LOG_LEVEL value.
func KarmadaOverridersFor(v PeerValues) *KarmadaOverriders {
	raw := func(x any) json.RawMessage { b, _ := json.Marshal(x); return b } // strings and ints never fail
	image := fmt.Sprintf("/spec/template/spec/containers/%d/image", v.appContainer)
	return &KarmadaOverriders{
		Images: []KarmadaImageOverrider{
			{Path: image, Component: "Registry", Operator: "replace", Value: v.Registry},
			{Path: image, Component: "Tag", Operator: "replace", Value: v.Tag},
		},
		Labels: []KarmadaMetaOverrider{{Operator: "add", Value: map[string]string{"region": v.Region, "owner": v.Owner}}},
		Plaintext: []KarmadaPatchOp{
			{Op: "replace", Path: "/spec/replicas", Value: raw(v.Replicas)},
			{Op: "add", Path: "/spec/minReadySeconds", Value: raw(v.MinReady)},
			{Op: "replace", Path: fmt.Sprintf("/spec/template/spec/containers/%d/env/%d/value", v.appContainer, v.logLevelEnv), Value: raw(v.LogLevel)},
		},
	}
}

// KustomizeOverlayFor is v as one kustomize overlay: an images entry for the app image,
// labels, replicas, and two patches (minReadySeconds, and the LOG_LEVEL value found by name).
func KustomizeOverlayFor(v PeerValues) *KustomizeOverlay {
	replicas := v.Replicas
	return &KustomizeOverlay{
		Images:   []KustomizeImage{{Name: v.imageName, NewName: v.Registry + "/" + v.repo, NewTag: v.Tag}},
		Labels:   map[string]string{"region": v.Region, "owner": v.Owner},
		Replicas: &replicas,
		Sets: []KustomizeSet{
			{Path: []string{"spec"}, Field: "minReadySeconds", Value: strconv.FormatInt(v.MinReady, 10), Tag: kyaml.NodeTagInt},
			{Path: []string{"spec", "template", "spec", "containers", "[name=app]", "env", "[name=LOG_LEVEL]"}, Field: "value", Value: v.LogLevel, Tag: kyaml.NodeTagString},
		},
	}
}
