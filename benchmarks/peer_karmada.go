package benchmarks

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// KarmadaOverriders is what one Karmada override rule targeting one cluster holds, in the
// order Karmada applies them: image overriders, then labels, then annotations, then the
// plaintext JSON patch. It is plain data, read and never modified by KarmadaRender.
type KarmadaOverriders struct {
	Images      []KarmadaImageOverrider
	Labels      []KarmadaMetaOverrider
	Annotations []KarmadaMetaOverrider
	Plaintext   []KarmadaPatchOp
}

// KarmadaImageOverrider replaces one component of the image at Path (an RFC 6901 pointer to an
// image string, Karmada's predicate path). Component is "Registry", "Repository" or "Tag";
// this reference supports the "replace" operator only and reports any other as an error.
type KarmadaImageOverrider struct {
	Path      string
	Component string
	Operator  string
	Value     string
}

// KarmadaMetaOverrider adds, replaces or removes labels or annotations ("add", "replace",
// "remove"). As in Karmada, replace and remove skip keys the object does not have, and add
// creates the map when it is missing.
type KarmadaMetaOverrider struct {
	Operator string
	Value    map[string]string
}

// KarmadaPatchOp is one RFC 6902 operation of a plaintext overrider; Value is raw JSON.
type KarmadaPatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value,omitempty"`
}

// errUnsupported is the cause when a Karmada overrider uses something this reference leaves out.
var errUnsupported = errors.New("not supported by this reference")

// KarmadaRender renders prepared for one cluster the way Karmada's override manager applies an
// override rule, written from that behaviour in this project's own code. It is the reference
// BenchmarkPeerKarmada measures against BenchmarkEngineKarmada.
//
// What it does, per cluster: a DeepCopy of the prepared object; then, for each image overrider,
// the image read at its predicate path, split into registry, repository and tag, the component
// replaced and the result applied as a one-operation patch; then each labels and annotations
// overrider as one patch of an operation per key; then the plaintext operations as one patch.
// Every patch is applied as Karmada does: the operations marshalled to JSON and decoded
// (evanphx/json-patch), the object marshalled to JSON, the patch applied, the result
// unmarshalled into the object.
//
// What it does not do: list and select override policies and rules for the cluster (the
// caller passes the one rule that applies), convert the workload to its typed form to find
// containers (image overriders without a predicate path are not supported), command, args and
// field overriders, and record the applied-overrides annotation Karmada adds.
//
// The object it returns is its own; prepared and o are never modified, so calls may run
// concurrently on the same inputs. Failures are *PeerErrors naming the overrider.
func KarmadaRender(prepared *unstructured.Unstructured, cluster string, o *KarmadaOverriders) (*unstructured.Unstructured, error) {
	obj := prepared.DeepCopy()
	fail := func(field string, err error) error {
		return &PeerError{Peer: "karmada", WEC: cluster, Field: field, Err: err}
	}
	for i, io := range o.Images {
		op, err := karmadaImagePatch(obj, io)
		if err != nil {
			return nil, fail(fmt.Sprintf("imageOverrider[%d] %s", i, io.Path), err)
		}
		if err := karmadaApply(obj, []KarmadaPatchOp{op}); err != nil {
			return nil, fail(fmt.Sprintf("imageOverrider[%d] %s", i, io.Path), err)
		}
	}
	for _, m := range []struct {
		field string
		list  []KarmadaMetaOverrider
	}{{"labels", o.Labels}, {"annotations", o.Annotations}} {
		for i, mo := range m.list {
			ops, err := karmadaMetaPatch(obj, m.field, mo)
			if err == nil && len(ops) > 0 {
				err = karmadaApply(obj, ops)
			}
			if err != nil {
				return nil, fail(fmt.Sprintf("%sOverrider[%d]", m.field, i), err)
			}
		}
	}
	if len(o.Plaintext) > 0 {
		if err := karmadaApply(obj, o.Plaintext); err != nil {
			return nil, fail("plaintext", err)
		}
	}
	return obj, nil
}

// karmadaApply is one overrider's round trip: marshal the operations and the object, decode and
// apply the patch, unmarshal the result into obj.
func karmadaApply(obj *unstructured.Unstructured, ops []KarmadaPatchOp) error {
	raw, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	patch, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return err
	}
	doc, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	patched, err := patch.Apply(doc)
	if err != nil {
		return err
	}
	return obj.UnmarshalJSON(patched)
}

// karmadaImagePatch builds the one replace operation of an image overrider.
func karmadaImagePatch(obj *unstructured.Unstructured, io KarmadaImageOverrider) (KarmadaPatchOp, error) {
	if io.Operator != "replace" {
		return KarmadaPatchOp{}, fmt.Errorf("image operator %q: %w", io.Operator, errUnsupported)
	}
	cur, err := pointerGet(obj.Object, io.Path)
	if err != nil {
		return KarmadaPatchOp{}, err
	}
	image, ok := cur.(string)
	if !ok {
		return KarmadaPatchOp{}, fmt.Errorf("the predicate path holds %T, not an image string", cur)
	}
	host, repo, suffix := splitImage(image)
	switch io.Component {
	case "Registry":
		host = io.Value
	case "Repository":
		repo = io.Value
	case "Tag":
		suffix = ":" + io.Value
	default:
		return KarmadaPatchOp{}, fmt.Errorf("image component %q: %w", io.Component, errUnsupported)
	}
	if host != "" {
		repo = host + "/" + repo
	}
	value, err := json.Marshal(repo + suffix)
	if err != nil {
		return KarmadaPatchOp{}, err
	}
	return KarmadaPatchOp{Op: "replace", Path: io.Path, Value: value}, nil
}

// splitImage splits a Docker reference into its registry host ("" when the first component is
// not a host), repository, and ":tag" or "@digest" suffix ("" when absent).
func splitImage(image string) (host, repo, suffix string) {
	repo = image
	if i := strings.IndexByte(repo, '/'); i >= 0 {
		if first := repo[:i]; strings.ContainsAny(first, ".:") || first == "localhost" {
			host, repo = first, repo[i+1:]
		}
	}
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		return host, repo[:i], repo[i:]
	}
	if i := strings.LastIndexByte(repo, ':'); i >= 0 {
		return host, repo[:i], repo[i:]
	}
	return host, repo, ""
}

// karmadaMetaPatch builds a labels or annotations overrider's operations, one per key.
func karmadaMetaPatch(obj *unstructured.Unstructured, field string, mo KarmadaMetaOverrider) ([]KarmadaPatchOp, error) {
	cur, found, err := unstructured.NestedStringMap(obj.Object, "metadata", field)
	if err != nil {
		return nil, err
	}
	switch mo.Operator {
	case "add":
		if !found {
			if err := unstructured.SetNestedStringMap(obj.Object, map[string]string{}, "metadata", field); err != nil {
				return nil, err
			}
		}
	case "replace", "remove":
	default:
		return nil, fmt.Errorf("%s operator %q: %w", field, mo.Operator, errUnsupported)
	}
	ops := make([]KarmadaPatchOp, 0, len(mo.Value))
	for k, v := range mo.Value {
		if _, has := cur[k]; mo.Operator != "add" && !has {
			continue
		}
		op := KarmadaPatchOp{Op: mo.Operator, Path: "/metadata/" + field + "/" + escapePointer(k)}
		if mo.Operator != "remove" {
			if op.Value, err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// pointerGet reads the value at an RFC 6901 pointer, walking maps by key and lists by index.
// It takes one step per token, so it ends.
func pointerGet(root map[string]any, ptr string) (any, error) {
	if !strings.HasPrefix(ptr, "/") {
		return nil, fmt.Errorf("pointer %q does not start with /", ptr)
	}
	var cur any = root
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, fmt.Errorf("pointer %q: no member %q", ptr, tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("pointer %q: no item %q in a list of %d", ptr, tok, len(c))
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("pointer %q: %q is below a %T", ptr, tok, cur)
		}
	}
	return cur, nil
}

// escapePointer escapes one RFC 6901 reference token.
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
