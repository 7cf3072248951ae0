package transform

import (
	"encoding/json"
)

// ChangeKind says what a [Change] did.
type ChangeKind string

// The kinds of change.
const (
	// ChangeAdd created a field or item that did not exist.
	ChangeAdd ChangeKind = "add"
	// ChangeSet replaced an existing value.
	ChangeSet ChangeKind = "set"
	// ChangeRemove removed a field or item.
	ChangeRemove ChangeKind = "remove"
	// ChangeNoop records that an author looked and changed nothing (Message says why).
	ChangeNoop ChangeKind = "noop"
)

// Change is one recorded edit: which author changed which path, from what to what.
// Old and New are shared with the trees they came from: read-only.
type Change struct {
	// Object names the object (Kind.group ns/name); set in results, empty inside a stage.
	Object string `json:"object,omitempty"`
	// Path is the field path in KubeStellar's style (.spec.ports[0].nodePort).
	Path string `json:"path"`
	// By names the stage or rule (and action) that made the change.
	By string `json:"by"`
	// Kind says what happened.
	Kind ChangeKind `json:"kind"`
	// Old is the value before (nil for ChangeAdd and ChangeNoop).
	Old any `json:"old"`
	// New is the value after (nil for ChangeRemove and ChangeNoop).
	New any `json:"new"`
	// Message explains a ChangeNoop.
	Message string `json:"message,omitempty"`
}

// Trace is the ordered list of changes made to one object.
type Trace []Change

// Paths returns the distinct changed paths (no-ops excluded), in first-change order.
func (t Trace) Paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range t {
		if c.Kind == ChangeNoop || seen[c.Path] {
			continue
		}
		seen[c.Path] = true
		out = append(out, c.Path)
	}
	return out
}

// MarshalJSON encodes the trace as a JSON list (never null).
func (t Trace) MarshalJSON() ([]byte, error) {
	if t == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]Change(t))
}
