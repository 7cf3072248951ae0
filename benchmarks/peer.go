package benchmarks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
)

// PeerRender is the old composite reference that BenchmarkPeerTechnique measures: it produces,
// for one WEC, the same object as the engine with the 3-rule set, by a DeepCopy per WEC, a walk
// that parses every string leaf as a template anew (with or without "{{"), then each rule
// applied as an overrider (marshal, RFC 6902 patch, unmarshal). It mixes KubeStellar's and
// Karmada's techniques into one number and parses more templates than KubeStellar does; the
// per-peer references (KubeStellarRender, KarmadaRender, KustomizeRender) each measure one
// peer against the engine restricted to what that peer supports. PeerRender never modifies
// prepared or wec.
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

// ErrPeer is wrapped by every error a peer reference returns (see PeerError).
var ErrPeer = errors.New("peer reference failed")

// PeerError is one failure of a peer reference: which peer, for which WEC, where in the object
// (a field path such as .spec.template.spec.containers[0].env[1].value, an RFC 6901 pointer,
// or empty when the whole object is concerned), and the cause. It wraps ErrPeer and the cause.
type PeerError struct {
	// Peer names the reference: "kubestellar", "karmada" or "kustomize" ("values" for
	// PeerValuesFor).
	Peer string
	// WEC is the cluster's name.
	WEC string
	// Field locates the failure inside the object; empty for the object as a whole.
	Field string
	// Err is the cause.
	Err error
}

// Error formats `PEER reference for WEC W: FIELD: cause`, leaving out an empty field.
func (e *PeerError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s reference for WEC %s: %v", e.Peer, e.WEC, e.Err)
	}
	return fmt.Sprintf("%s reference for WEC %s: %s: %v", e.Peer, e.WEC, e.Field, e.Err)
}

// Unwrap returns ErrPeer and the cause.
func (e *PeerError) Unwrap() []error { return []error{ErrPeer, e.Err} }
