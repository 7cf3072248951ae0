package benchmarks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
)

// PeerRender produces, for one WEC, the same object as the engine with the 3-rule set, the way
// KubeStellar's transport and Karmada's overriders do it: a DeepCopy per WEC, a walk of every
// string leaf parsing each as a template anew, then each rule applied as an overrider —
// marshal, RFC 6902 patch, unmarshal. It is the reference BenchmarkPeerTechnique measures.
func PeerRender(prepared *unstructured.Unstructured, wec *customization.WEC) (*unstructured.Unstructured, error) {
	obj := prepared.DeepCopy()
	props := wec.Properties()
	if obj.GetAnnotations()["control.kubestellar.io/expand-templates"] == "true" {
		v, err := peerExpand(obj.Object, props)
		if err != nil {
			return nil, err
		}
		obj.Object = v.(map[string]any)
	}
	replicas, err := strconv.ParseInt(props["replicas"], 10, 64)
	if err != nil {
		return nil, err
	}
	minReady, err := strconv.ParseInt(props["minReady"], 10, 64)
	if err != nil {
		return nil, err
	}
	containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
	image, _ := containers[0].(map[string]any)["image"].(string)
	_, rest, _ := strings.Cut(image, "/") // ghcr.io/shop/web:1.4.2 → shop/web:1.4.2
	repo, _, _ := strings.Cut(rest, ":")
	envIdx := -1
	for i, e := range containers[0].(map[string]any)["env"].([]any) {
		if e.(map[string]any)["name"] == "LOG_LEVEL" {
			envIdx = i
		}
	}
	overriders := [][]map[string]any{
		{
			{"op": "replace", "path": "/spec/replicas", "value": replicas},
			{"op": "add", "path": "/spec/minReadySeconds", "value": minReady},
		},
		{
			{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": props["registry"] + "/" + repo + ":" + props["imageTag"]},
		},
		{
			{"op": "add", "path": "/metadata/labels/region", "value": props["region"]},
			{"op": "add", "path": "/metadata/labels/owner", "value": props["owner"]},
			{"op": "replace", "path": fmt.Sprintf("/spec/template/spec/containers/0/env/%d/value", envIdx), "value": props["logLevel"]},
		},
	}
	for _, ops := range overriders {
		if obj, err = applyOverrider(obj, ops); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// applyOverrider is one Karmada-style overrider: marshal, decode the patch, apply, unmarshal.
func applyOverrider(obj *unstructured.Unstructured, ops []map[string]any) (*unstructured.Unstructured, error) {
	doc, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(ops)
	if err != nil {
		return nil, err
	}
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return nil, err
	}
	patched, err := patch.Apply(doc)
	if err != nil {
		return nil, err
	}
	out := &unstructured.Unstructured{}
	return out, out.UnmarshalJSON(patched)
}

// peerExpand walks every string leaf and parses it as a template, every time.
func peerExpand(v any, props map[string]string) (any, error) {
	switch c := v.(type) {
	case map[string]any:
		for k, e := range c {
			x, err := peerExpand(e, props)
			if err != nil {
				return nil, err
			}
			c[k] = x
		}
	case []any:
		for i, e := range c {
			x, err := peerExpand(e, props)
			if err != nil {
				return nil, err
			}
			c[i] = x
		}
	case string:
		t, err := template.New("").Option("missingkey=error").Parse(c)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, props); err != nil {
			return nil, err
		}
		return b.String(), nil
	}
	return v, nil
}
