package placement

import (
	"fmt"
	"slices"
	"strings"
)

// WarningCode classifies a [Warning].
type WarningCode string

// The warning codes. None stops placement.
const (
	// NamespaceNotDelivered: a namespaced object goes to WECs where no document delivers its
	// Namespace (KubeStellar does not add it; the object fails there unless the WEC has it).
	NamespaceNotDelivered WarningCode = "NamespaceNotDelivered"
	// ObjectNotSelected: no document selects a workload object; it goes nowhere.
	ObjectNotSelected WarningCode = "ObjectNotSelected"
	// SelectsNoWEC: a document delivers to no WEC.
	SelectsNoWEC WarningCode = "SelectsNoWEC"
	// SelectsNoObject: a document selects no object.
	SelectsNoObject WarningCode = "SelectsNoObject"
	// UnknownResource: a clause's resources entry that no known kind has.
	UnknownResource WarningCode = "UnknownResource"
	// CreateOnlyDisagreement: documents delivering one object to one WEC disagree on
	// createOnly; the delivery is create-only.
	CreateOnlyDisagreement WarningCode = "CreateOnlyDisagreement"
	// UnknownDestination: a Binding destination that is not a known WEC.
	UnknownDestination WarningCode = "UnknownDestination"
	// DuplicateObject: one object key appears more than once among the inputs.
	DuplicateObject WarningCode = "DuplicateObject"
	// BindingShadowed (a notice): a Binding named like a BindingPolicy among the inputs is
	// ignored in favour of the policy.
	BindingShadowed WarningCode = "BindingShadowed"
)

// maxListed bounds the WEC names a warning message lists; the Warning's WECs hold them all.
const maxListed = 5

// Warning is one finding of placement that stops nothing.
type Warning struct {
	Code WarningCode `json:"code"`
	// Documents are the documents concerned (`bindingpolicy/NAME`, `binding/NAME`), sorted.
	Documents []string `json:"documents,omitempty"`
	// Document is the one document concerned, when there is exactly one.
	Document string `json:"document,omitempty"`
	// Object is the object concerned (Key.String), if any.
	Object string `json:"object,omitempty"`
	// Field is the field concerned (`spec.downsync[0].resources[1]`), if any.
	Field string `json:"field,omitempty"`
	// WECs are the WECs concerned, sorted.
	WECs []string `json:"wecs,omitempty"`
	// Message says it in words.
	Message string `json:"message"`
}

// String returns the message.
func (w Warning) String() string { return w.Message }

// Warnings returns every warning, in a deterministic order: input problems, then per document,
// then per object. Computed once, on first use.
func (r *Result) Warnings() []Warning {
	r.diagnose()
	return slices.Clone(r.warnings)
}

// Notices returns the notices (a Binding ignored in favour of its BindingPolicy).
func (r *Result) Notices() []Warning {
	r.diagnose()
	return slices.Clone(r.notices)
}

func (r *Result) diagnose() {
	r.diag.Do(func() {
		for _, w := range r.inputErrs {
			if w.Code == BindingShadowed {
				r.notices = append(r.notices, w)
			} else {
				r.warnings = append(r.warnings, w)
			}
		}
		for _, d := range r.docs {
			r.warnings = append(r.warnings, r.documentWarnings(d)...)
		}
		for _, oi := range r.Unbound() {
			k := r.objects[oi].Key
			r.warnings = append(r.warnings, Warning{Code: ObjectNotSelected, Object: k.String(),
				Message: fmt.Sprintf("%s: no BindingPolicy or Binding selects it; it goes to no WEC", k)})
		}
		for oi := range r.objects {
			if len(r.byObject[oi]) > 0 {
				r.warnings = append(r.warnings, r.objectWarnings(oi)...)
			}
		}
	})
}

// documentWarnings: no WEC, no object, unknown resources, unknown destinations.
func (r *Result) documentWarnings(d *doc) []Warning {
	var out []Warning
	name := d.by.String()
	if d.binding != nil {
		var unknown []string
		for _, dst := range d.binding.destinations {
			if _, ok := r.clusterIdx[dst]; !ok {
				unknown = append(unknown, dst)
			}
		}
		if len(unknown) > 0 {
			out = append(out, Warning{Code: UnknownDestination, Document: name, WECs: unknown,
				Message: fmt.Sprintf("%s: destination %s is not a known WEC; nothing goes there", name, listed(unknown))})
		}
	}
	if d.clusters.count() == 0 {
		out = append(out, Warning{Code: SelectsNoWEC, Document: name,
			Message: fmt.Sprintf("%s selects no WEC%s", name, noWECHint(d))})
	}
	if len(d.hits) == 0 {
		out = append(out, Warning{Code: SelectsNoObject, Document: name,
			Message: fmt.Sprintf("%s selects no object", name)})
	}
	if d.policy != nil && r.known != nil {
		for ci, c := range d.policy.clauses {
			for _, res := range c.resources {
				group, anyGroup := "", c.apiGroup == nil
				if !anyGroup {
					group = *c.apiGroup
				}
				if r.known(group, anyGroup, res) {
					continue
				}
				where := "in any API group"
				if !anyGroup {
					where = fmt.Sprintf("in API group %q", group)
				}
				field := fmt.Sprintf("spec.downsync[%d].resources", ci)
				out = append(out, Warning{Code: UnknownResource, Document: name, Field: field,
					Message: fmt.Sprintf("%s: %s: no known kind has resource %q %s (resources are lowercase plurals, such as deployments)", name, field, res, where)})
			}
		}
	}
	return out
}

func noWECHint(d *doc) string {
	if d.policy != nil && len(d.policy.clusterSelectors) == 0 {
		return " (spec.clusterSelectors is empty; an empty selector {} selects every WEC)"
	}
	return ""
}

// objectWarnings: createOnly disagreement and undelivered Namespaces for object oi.
func (r *Result) objectWarnings(oi int) []Warning {
	var out []Warning
	k := r.objects[oi].Key
	n := len(r.clusters)
	createOnly, updating := newBitset(n), newBitset(n)
	var coDocs, upDocs []string
	for _, di := range r.byObject[oi] {
		d := r.docs[di]
		if d.hitFor(oi).mod.CreateOnly {
			createOnly.or(d.clusters)
			coDocs = append(coDocs, d.by.String())
		} else {
			updating.or(d.clusters)
			upDocs = append(upDocs, d.by.String())
		}
	}
	if createOnly.intersects(updating) {
		both := slices.Clone(createOnly)
		for i := range both {
			both[i] &= updating[i]
		}
		wecs := r.wecNames(both)
		docs := append(slices.Clone(coDocs), upDocs...)
		slices.Sort(docs)
		out = append(out, Warning{Code: CreateOnlyDisagreement, Object: k.String(), Documents: docs, WECs: wecs,
			Message: fmt.Sprintf("%s: %s say createOnly but %s do not, on WEC %s; it is delivered create-only there",
				k, strings.Join(coDocs, ", "), strings.Join(upDocs, ", "), listed(wecs))})
	}
	if k.Namespace == "" {
		return out
	}
	delivered := createOnly
	delivered.or(updating)
	if ni, ok := r.keyIdx[Key{Resource: "namespaces", Name: k.Namespace}]; ok {
		for _, di := range r.byObject[ni] {
			delivered.andNot(r.docs[di].clusters)
		}
	}
	if delivered.count() > 0 {
		wecs := r.wecNames(delivered)
		out = append(out, Warning{Code: NamespaceNotDelivered, Object: k.String(), WECs: wecs,
			Message: fmt.Sprintf("%s goes to WEC %s, where no BindingPolicy or Binding delivers its Namespace %s; it fails there unless the WEC already has that Namespace",
				k, listed(wecs), k.Namespace)})
	}
	return out
}

// listed formats names, at most maxListed of them and a count of the rest.
func listed(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}
