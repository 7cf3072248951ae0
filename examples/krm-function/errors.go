package main

import (
	"errors"
	"strings"
)

var (
	// errResourceList is wrapped when the input is not a ResourceList the function can read:
	// not YAML, not a single ResourceList document, items that are not objects, or too large.
	errResourceList = errors.New("malformed ResourceList")
	// errFunctionConfig is wrapped when the functionConfig is missing or is not a valid
	// WECVariant.
	errFunctionConfig = errors.New("invalid functionConfig")
	// errNoWEC is wrapped (beside errFunctionConfig) when the functionConfig names no WEC.
	errNoWEC = errors.New("the functionConfig names no WEC")
	// errItem is wrapped by every itemError: an item of the ResourceList that is invalid as
	// configuration or as a workload.
	errItem = errors.New("invalid item")
	// errFailed is what the processor returns when it reported at least one error result.
	errFailed = errors.New("the function reported errors")
)

// configError is a problem with the functionConfig at a field path.
type configError struct {
	// Field is the path inside the functionConfig (`spec.labels.region`); "" for the whole
	// document.
	Field string
	// Err is the cause.
	Err error
}

// Error formats `functionConfig: FIELD: cause`.
func (e *configError) Error() string {
	parts := []string{"functionConfig"}
	if e.Field != "" {
		parts = append(parts, e.Field)
	}
	return strings.Join(append(parts, e.Err.Error()), ": ")
}

// Unwrap returns errFunctionConfig and the cause.
func (e *configError) Unwrap() []error { return []error{errFunctionConfig, e.Err} }

// itemError is a problem with one item of the ResourceList.
type itemError struct {
	// Item is the item the problem is about.
	Item *item
	// Err is the cause.
	Err error
}

// Error formats `SOURCE: Kind name: cause`.
func (e *itemError) Error() string {
	return e.Item.source + ": " + e.Item.describe() + ": " + e.Err.Error()
}

// Unwrap returns errItem and the cause.
func (e *itemError) Unwrap() []error { return []error{errItem, e.Err} }
