package benchmarks

import (
	"bytes"
	"strconv"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/wecforge/wecforge/customization"
	"github.com/wecforge/wecforge/rules/templates"
)

// KubeStellarRender renders prepared for one WEC the way KubeStellar's transport customizes a
// workload object, written from that behaviour in this project's own code. It is the
// reference BenchmarkPeerKubeStellar measures against BenchmarkEngineKubeStellar.
//
// What it does, per WEC: a DeepCopy of the whole prepared object; then, when the object carries
// the annotation control.kubestellar.io/expand-templates: "true", a walk of every value that
// builds each leaf's field path as it goes (".spec.replicas", "[0]" for list items), leaves
// map keys and non-string values alone, returns strings without "{{" as they are, and parses
// every other string anew with text/template (named after its field path, option
// missingkey=error) and executes it over the WEC's properties.
//
// What it does not do: the WEC-independent removals (prepared has had them, as in
// production), reading the WEC's properties from the ManagedCluster and ConfigMap (it takes
// the merged map the engine also uses), any limit on template output or execution (KubeStellar
// has none), and collecting every failing leaf: it stops at the first failure, a *PeerError
// naming the leaf's field path.
//
// The object it returns is its own; prepared and wec are never modified, so calls may run
// concurrently on the same inputs.
func KubeStellarRender(prepared *unstructured.Unstructured, wec *customization.WEC) (*unstructured.Unstructured, error) {
	out := prepared.DeepCopy()
	if out.GetAnnotations()[templates.ExpandAnnotation] != "true" {
		return out, nil
	}
	x := ksExpansion{data: wec.Properties()}
	x.walk("", out.Object)
	if x.err != nil {
		x.err.WEC = wec.Name()
		return nil, x.err
	}
	return out, nil
}

// ksExpansion is one object's template expansion for one WEC.
type ksExpansion struct {
	data map[string]string
	err  *PeerError
}

// walk expands the string leaves below v in place (v belongs to the caller's private copy) and
// returns v's new value. Recursion is bounded by the depth of the object, which came from JSON.
func (x *ksExpansion) walk(path string, v any) any {
	if x.err != nil {
		return v
	}
	switch c := v.(type) {
	case map[string]any:
		for k, e := range c {
			c[k] = x.walk(path+"."+k, e)
		}
	case []any:
		for i, e := range c {
			c[i] = x.walk(path+"["+strconv.Itoa(i)+"]", e)
		}
	case string:
		return x.expand(path, c)
	}
	return v
}

// expand parses and executes one string leaf; strings without "{{" are never parsed.
func (x *ksExpansion) expand(path, s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	t, err := template.New(path).Option("missingkey=error").Parse(s)
	if err != nil {
		x.err = &PeerError{Peer: "kubestellar", Field: path, Err: err}
		return s
	}
	var b bytes.Buffer
	if err := t.Execute(&b, x.data); err != nil {
		x.err = &PeerError{Peer: "kubestellar", Field: path, Err: err}
		return s
	}
	return b.String()
}
