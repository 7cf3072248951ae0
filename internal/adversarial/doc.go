// Package adversarial runs the catalogue of hostile inputs in testdata/adversarial against
// the production engine (the KubeStellar stages, template expansion and a rule set), for the
// project's tests and for the allocprobe helper that measures memory outside the race
// detector. Every case must end with the error class it names.
package adversarial
