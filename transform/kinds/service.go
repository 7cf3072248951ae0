package kinds

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// PreserveAnnotation lists (comma-separated, case-insensitive) the Service fields to keep:
// [PreserveNodePort] and [PreserveClusterIP].
const PreserveAnnotation = "control.kubestellar.io/preserve"

// The values understood in [PreserveAnnotation].
const (
	PreserveNodePort  = "nodeport"
	PreserveClusterIP = "clusterip"
)

// ClusterIPNone is the clusterIP of a headless Service; it is never removed.
const ClusterIPNone = "None"

var (
	serviceAlways = []jsonpath.Location{
		spec("ipFamilies"),
		spec("ipFamilyPolicy"),
		spec("externalTrafficPolicy"),
		spec("internalTrafficPolicy"),
		spec("sessionAffinity"),
	}
	clusterIP          = spec("clusterIP")
	clusterIPs         = spec("clusterIPs")
	ports              = spec("ports")
	preserveAnnotation = jsonpath.Location{{Key: "metadata"}, {Key: "annotations"}, {Key: PreserveAnnotation}}
)

func spec(field string) jsonpath.Location {
	return jsonpath.Location{{Key: "spec"}, {Key: field}}
}

// preserve is what the preserve annotation asks to keep.
type preserve struct {
	nodePort, clusterIP bool
}

// parsePreserve reads the preserve annotation, warning about entries it does not know.
func parsePreserve(env *transform.Env, obj *transform.Object) preserve {
	var p preserve
	v, ok := obj.Get(preserveAnnotation)
	if !ok {
		return p
	}
	s, ok := v.(string)
	if !ok {
		env.Warn("annotation %s is %s, not a string; ignored", PreserveAnnotation, transform.Describe(v))
		return p
	}
	for _, item := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(item)) {
		case PreserveNodePort:
			p.nodePort = true
		case PreserveClusterIP:
			p.clusterIP = true
		case "":
		default:
			env.Warn("annotation %s: unknown value %q ignored (known: %s, %s)", PreserveAnnotation, strings.TrimSpace(item), PreserveNodePort, PreserveClusterIP)
		}
	}
	return p
}

func service(env *transform.Env, obj *transform.Object) error {
	p := parsePreserve(env, obj)
	for _, loc := range serviceAlways {
		obj.RemoveAt(loc)
	}
	if !p.clusterIP {
		if v, ok := obj.Get(clusterIP); ok && v != ClusterIPNone {
			obj.RemoveAt(clusterIP)
		}
		if err := keepOnlyNone(obj); err != nil {
			return err
		}
	}
	if !p.nodePort {
		if err := removeNodePorts(obj); err != nil {
			return err
		}
	}
	return nil
}

// keepOnlyNone removes every spec.clusterIPs entry but "None", and the field when none remain.
func keepOnlyNone(obj *transform.Object) error {
	v, ok := obj.Get(clusterIPs)
	if !ok {
		return nil
	}
	if v == nil {
		obj.RemoveAt(clusterIPs)
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return &transform.PathError{Path: clusterIPs.String(), Err: fmt.Errorf("must be a list of strings, not %s", transform.Describe(v))}
	}
	if !slices.Contains(list, any(ClusterIPNone)) {
		obj.RemoveAt(clusterIPs) // one change in the trace, not one per entry
		return nil
	}
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] != ClusterIPNone {
			obj.RemoveAt(clusterIPs.Child(jsonpath.Step{Index: i, IsIndex: true}))
		}
	}
	return nil
}

// removeNodePorts removes nodePort from every entry of spec.ports.
func removeNodePorts(obj *transform.Object) error {
	v, ok := obj.Get(ports)
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return &transform.PathError{Path: ports.String(), Err: fmt.Errorf("must be a list of ports, not %s", transform.Describe(v))}
	}
	for i, item := range list {
		if m, ok := item.(map[string]any); ok {
			if _, has := m["nodePort"]; has {
				obj.RemoveAt(jsonpath.Location{{Key: "spec"}, {Key: "ports"}, {Index: i, IsIndex: true}, {Key: "nodePort"}})
			}
		}
	}
	return nil
}
