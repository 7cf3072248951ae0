package kinds

import (
	"github.com/wecforge/wecforge/transform"
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
