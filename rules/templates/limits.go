package templates

// Limits bound what template expansion may produce and how long it may run. A zero field takes
// the matching default ([DefaultLimits]); a negative field is treated as zero too. Limits is a
// plain value: copy it freely.
type Limits struct {
	// MaxStringBytes caps the output of one template string (one execution). Default 64 KiB.
	MaxStringBytes int
	// MaxObjectBytes caps the total output of all template strings expanded in one object for
	// one WEC (each leaf counts, duplicates included). Default 1 MiB. [Template.Execute] on its
	// own applies only MaxStringBytes.
	MaxObjectBytes int
	// MaxSteps caps execution. Every write to the output (empty ones included) is one step;
	// every loop iteration and every call of a named template costs one step plus the size of
	// its body in parse nodes; in templates with loops or template calls, print, printf,
	// println, html, js and urlquery cost one step plus one per 64 bytes of their result. One
	// [Template.Execute] gets MaxSteps; the [Expander] gives one object MaxSteps per WEC,
	// shared by all its strings. Default 100,000. Cancellation of the context is checked
	// every 256 steps.
	MaxSteps int
}

// The default limits.
const (
	DefaultMaxStringBytes = 64 << 10
	DefaultMaxObjectBytes = 1 << 20
	DefaultMaxSteps       = 100_000
)

// DefaultLimits documents the limits used for zero fields: 64 KiB per string, 1 MiB per object
// and 100,000 steps. Defaulting reads the constants above, never this variable, so assigning to
// it changes nothing but the caller's own reads; pass a [Limits] value to choose other limits.
var DefaultLimits = Limits{
	MaxStringBytes: DefaultMaxStringBytes,
	MaxObjectBytes: DefaultMaxObjectBytes,
	MaxSteps:       DefaultMaxSteps,
}

// normalized returns lim with zero and negative fields replaced by the defaults.
func (lim Limits) normalized() Limits {
	if lim.MaxStringBytes <= 0 {
		lim.MaxStringBytes = DefaultMaxStringBytes
	}
	if lim.MaxObjectBytes <= 0 {
		lim.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if lim.MaxSteps <= 0 {
		lim.MaxSteps = DefaultMaxSteps
	}
	return lim
}
