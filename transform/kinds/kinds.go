package kinds

import (
	"github.com/wecforge/wecforge/transform"
	"github.com/wecforge/wecforge/transform/generic"
	"github.com/wecforge/wecforge/transform/jsonpath"
)

// StageName is the name under which the standard pipeline runs [New]'s transform.
const StageName = "kinds"

// New returns a transform running [Service] then [Job]; each touches only its own kind.
func New() transform.Transform {
	return transform.Chain(Service(), Job())
}

// Service returns the `v1 Service` removals (see the package documentation).
func Service() transform.Transform {
	return transform.When(transform.ForGVK("v1", "Service"), transform.Func(service))
}

// Job returns the `batch/v1 Job` removals (see the package documentation).
func Job() transform.Transform {
	return transform.When(transform.ForGVK("batch/v1", "Job"), transform.Func(job))
}

// Job label and annotation keys removed by [Job].
const (
	JobTrackingAnnotation    = "batch.kubernetes.io/job-tracking"
	LegacyControllerUIDLabel = "controller-uid"
	ControllerUIDLabel       = "batch.kubernetes.io/controller-uid"
)

var (
	jobFields = []jsonpath.Location{spec("selector"), spec("suspend")}
	// jobEntries are map entries; a map they leave empty is removed.
	jobEntries = []jsonpath.Location{
		{{Key: "metadata"}, {Key: "annotations"}, {Key: JobTrackingAnnotation}},
		{{Key: "metadata"}, {Key: "labels"}, {Key: LegacyControllerUIDLabel}},
		{{Key: "metadata"}, {Key: "labels"}, {Key: ControllerUIDLabel}},
		{{Key: "spec"}, {Key: "template"}, {Key: "metadata"}, {Key: "labels"}, {Key: LegacyControllerUIDLabel}},
		{{Key: "spec"}, {Key: "template"}, {Key: "metadata"}, {Key: "labels"}, {Key: ControllerUIDLabel}},
	}
)

func job(_ *transform.Env, obj *transform.Object) error {
	for _, loc := range jobFields {
		obj.RemoveAt(loc)
	}
	for _, loc := range jobEntries {
		generic.RemoveEntry(obj, loc)
	}
	return nil
}
