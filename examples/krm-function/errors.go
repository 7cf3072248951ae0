package main

import (
	"errors"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
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

// item is one entry of ResourceList.items, with what messages need to name it.
type item struct {
	// index is the position in ResourceList.items.
	index int
	// source names the item in messages: its file and index when kustomize or kpt says
	// (`deploy.yaml#1`), else `items[i]`.
	source string
	// node is the item as read. Never modified.
	node *yaml.RNode
	// id is the item's apiVersion, kind, namespace and name, as far as it has them.
	id yaml.ResourceIdentifier
	// file and fileIndex are the item's file annotations ("" and -1 when absent).
	file      string
	fileIndex int
}

// describe names the item by kind, namespace and name (`Deployment shop/web`).
func (it *item) describe() string {
	kind := it.id.Kind
	if kind == "" {
		kind = "object"
	}
	switch {
	case it.id.Name == "":
		return kind + " (without metadata.name)"
	case it.id.Namespace != "":
		return kind + " " + it.id.Namespace + "/" + it.id.Name
	default:
		return kind + " " + it.id.Name
	}
}
