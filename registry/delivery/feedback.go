package delivery

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	workv1 "open-cluster-management.io/api/work/v1"

	"github.com/wecforge/wecforge/transform"
)

// Names of the status feedback this package requests from OCM's work agent.
const (
	// StatusRuleName names the JSONPaths rule returning the whole `.status` as one value.
	StatusRuleName = "status"
	// StatusFieldRulePrefix starts the name of the rule returning one top-level field F of
	// `.status` ("status.F") when the whole value is too large.
	StatusFieldRulePrefix = "status."
	// StatusSourcesAnnotation maps the delivered objects of a ManifestWork that want status and
	// were renamed on the way (group, resource, namespace, name on the WEC) to the identity of
	// their source object. Its value is JSON: a list of [StatusSource], sorted.
	StatusSourcesAnnotation = "delivery.wecforge.io/status-sources"
	// FeedbackConditionType is the condition OCM's work agent sets on each manifest to say
	// whether its feedback rules could be evaluated.
	FeedbackConditionType = "StatusFeedbackSynced"
	// maxSourcesBytes bounds StatusSourcesAnnotation (all annotations share 256 KiB).
	maxSourcesBytes = 128 * 1024
	// maxStatusFields bounds the fields requested one by one for one object.
	maxStatusFields = 64
)

// StatusRequest asks the work agent to return an object's `.status` (see the package doc,
// "Returned status").
type StatusRequest struct {
	// Source is the identity of the object in the workload description space (WDS) this
	// delivered object was rendered from; the returned status is reported under it. The zero
	// value means the delivered object's own identity. Only group, kind, namespace and name
	// count.
	Source transform.ObjectRef
	// Fields lists top-level fields of `.status` to request one by one once the whole value is
	// too large, in addition to the kind's known fields ([KnownStatusFields]) and those already
	// requested. A caller passes the fields of the last value it read back. Names that are not
	// plain identifiers are ignored.
	Fields []string
}

// ResourceMapper maps a kind to its resource. *resources.Mapper (the engine's Mapper) is one.
type ResourceMapper interface {
	ResourceFor(gk schema.GroupKind) (schema.GroupResource, error)
}

// ResourceID names a delivered object the way the work agent reports it: by group, resource,
// namespace and name.
type ResourceID struct {
	Group     string `json:"group,omitempty"`
	Resource  string `json:"resource"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// StatusSource is one entry of [StatusSourcesAnnotation].
type StatusSource struct {
	// Delivered is the object as delivered to the WEC.
	Delivered ResourceID `json:"delivered"`
	// Source is the object it was rendered from (group, kind, namespace, name).
	Source transform.ObjectRef `json:"source"`
}

// knownStatusFields lists the top-level status fields of common kinds, by group/kind.
var knownStatusFields = map[schema.GroupKind][]string{
	{Group: "apps", Kind: "Deployment"}: {"availableReplicas", "collisionCount", "conditions", "observedGeneration",
		"readyReplicas", "replicas", "terminatingReplicas", "unavailableReplicas", "updatedReplicas"},
	{Group: "apps", Kind: "ReplicaSet"}: {"availableReplicas", "conditions", "fullyLabeledReplicas", "observedGeneration",
		"readyReplicas", "replicas", "terminatingReplicas"},
	{Group: "apps", Kind: "StatefulSet"}: {"availableReplicas", "collisionCount", "conditions", "currentReplicas",
		"currentRevision", "observedGeneration", "readyReplicas", "replicas", "updateRevision", "updatedReplicas"},
	{Group: "apps", Kind: "DaemonSet"}: {"collisionCount", "conditions", "currentNumberScheduled", "desiredNumberScheduled",
		"numberAvailable", "numberMisscheduled", "numberReady", "numberUnavailable", "observedGeneration", "updatedNumberScheduled"},
	{Group: "batch", Kind: "Job"}: {"active", "completedIndexes", "completionTime", "conditions", "failed", "failedIndexes",
		"ready", "startTime", "succeeded", "terminating", "uncountedTerminatedPods"},
	{Group: "", Kind: "Service"}:               {"conditions", "loadBalancer"},
	{Group: "", Kind: "PersistentVolumeClaim"}: {"accessModes", "allocatedResourceStatuses", "allocatedResources", "capacity", "conditions", "phase"},
	{Group: "", Kind: "Pod"}: {"conditions", "containerStatuses", "hostIP", "initContainerStatuses", "message", "phase",
		"podIP", "podIPs", "qosClass", "reason", "startTime"},
}

// KnownStatusFields returns the top-level status fields this package requests one by one for
// a kind whose whole status is too large, sorted; nil for kinds it does not know.
func KnownStatusFields(gk schema.GroupKind) []string {
	return slices.Clone(knownStatusFields[gk])
}

var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FeedbackRequest reads what a manifest config asks the agent to return: whole reports the
// rule for the whole `.status`, fields the top-level fields requested one by one (sorted).
func FeedbackRequest(cfg *workv1.ManifestConfigOption) (whole bool, fields []string) {
	if cfg == nil {
		return false, nil
	}
	for _, r := range cfg.FeedbackRules {
		if r.Type != workv1.JSONPathsType {
			continue
		}
		for _, p := range r.JsonPaths {
			if p.Name == StatusRuleName && p.Path == ".status" {
				whole = true
			} else if f, ok := strings.CutPrefix(p.Name, StatusFieldRulePrefix); ok && p.Path == ".status."+f && fieldName.MatchString(f) {
				fields = append(fields, f)
			}
		}
	}
	sort.Strings(fields)
	return whole, slices.Compact(fields)
}

// statusRules returns the feedback rules for the whole status (fields empty) or for each field.
func statusRules(fields []string) []workv1.FeedbackRule {
	if len(fields) == 0 {
		return []workv1.FeedbackRule{{Type: workv1.JSONPathsType,
			JsonPaths: []workv1.JsonPath{{Name: StatusRuleName, Path: ".status"}}}}
	}
	paths := make([]workv1.JsonPath, 0, len(fields))
	for _, f := range fields {
		paths = append(paths, workv1.JsonPath{Name: StatusFieldRulePrefix + f, Path: ".status." + f})
	}
	return []workv1.FeedbackRule{{Type: workv1.JSONPathsType, JsonPaths: paths}}
}

// resourceID returns the identifier a manifest config uses for e.
func (e encoded) resourceID() ResourceID {
	return ResourceID{Group: e.ref.Group, Resource: e.resource, Namespace: e.ref.Namespace, Name: e.ref.Name}
}

// wholeStatusFailed reports whether the agent reported, for the manifest cond, no value for
// a requested whole status together with a failed feedback sync: the status is too large for
// one value (or, with the RawFeedbackJsonString gate off, not a scalar).
func wholeStatusFailed(cond *workv1.ManifestCondition) bool {
	c := meta.FindStatusCondition(cond.Conditions, FeedbackConditionType)
	if c == nil || c.Status != metav1.ConditionFalse {
		return false
	}
	for _, v := range cond.StatusFeedbacks.Values {
		if v.Name == StatusRuleName {
			return false
		}
	}
	return true
}

// setStatusModes gives every item wanting status its feedback rules: the whole status, or
// field by field when the pair's current works already request it so, or the agent reported
// the whole value too large. Sizes are updated; an object that no longer fits a ManifestWork
// with its rules is an *ObjectError wrapping ErrTooLarge.
func (d *Deliverer) setStatusModes(items []encoded, cur holding) error {
	for i := range items {
		it := &items[i]
		if it.status == nil {
			continue
		}
		_, held := FeedbackRequest(cur.old[it.id].config)
		var fields []string
		if len(held) > 0 || cur.statusFailed[it.id] {
			set := map[string]bool{}
			for _, f := range slices.Concat(held, it.status.Fields, knownStatusFields[schema.GroupKind{Group: it.ref.Group, Kind: it.ref.Kind}]) {
				if fieldName.MatchString(f) && len(set) < maxStatusFields {
					set[f] = true
				}
			}
			fields = slices.Sorted(mapKeys(set))
		}
		cfg := it.config
		if cfg == nil {
			rid := it.resourceID()
			cfg = &workv1.ManifestConfigOption{ResourceIdentifier: workv1.ResourceIdentifier{
				Group: rid.Group, Resource: rid.Resource, Namespace: rid.Namespace, Name: rid.Name}}
		} else {
			cfg = cfg.DeepCopy()
		}
		cfg.FeedbackRules = statusRules(fields)
		b, err := json.Marshal(cfg)
		if err != nil {
			return &ObjectError{Object: it.ref, Err: err}
		}
		it.config = cfg
		it.size = len(it.raw) + partOverhead + len(b) + partOverhead
		if it.size > d.opts.MaxBytes {
			return &ObjectError{Object: it.ref, Err: fmt.Errorf("%w: %d bytes encoded with its feedback rules, limit %d", ErrTooLarge, it.size, d.opts.MaxBytes)}
		}
	}
	return nil
}

// sourcesAnnotation returns the value of [StatusSourcesAnnotation] for items ("" when no item
// wanting status was renamed).
func sourcesAnnotation(items []encoded) (string, error) {
	var out []StatusSource
	for _, it := range items {
		if it.status == nil {
			continue
		}
		src := identity(it.status.Source)
		if src.Kind == "" || src == it.id {
			continue
		}
		out = append(out, StatusSource{Delivered: it.resourceID(), Source: src})
	}
	if len(out) == 0 {
		return "", nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source.Less(out[j].Source) })
	b, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	if len(b) > maxSourcesBytes {
		return "", fmt.Errorf("%w: %d renamed objects wanting status need %d bytes of annotation, limit %d",
			ErrTooLarge, len(out), len(b), maxSourcesBytes)
	}
	return string(b), nil
}

// StatusSources reads [StatusSourcesAnnotation] of mw: delivered identity → source identity.
// An absent annotation gives an empty map; a malformed one an error wrapping
// [ErrInvalidInput]. mw is only read.
func StatusSources(mw *workv1.ManifestWork) (map[ResourceID]transform.ObjectRef, error) {
	out := map[ResourceID]transform.ObjectRef{}
	if mw == nil || mw.Annotations[StatusSourcesAnnotation] == "" {
		return out, nil
	}
	var list []StatusSource
	if err := json.Unmarshal([]byte(mw.Annotations[StatusSourcesAnnotation]), &list); err != nil {
		return out, fmt.Errorf("%w: ManifestWork %s/%s: annotation %s: %w", ErrInvalidInput, mw.Namespace, mw.Name, StatusSourcesAnnotation, err)
	}
	for _, s := range list {
		out[s.Delivered] = identity(s.Source)
	}
	return out, nil
}
