package main

import (
	"fmt"
	"strconv"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

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

// decoded is an item read into the map form the engine works on.
type decoded struct {
	*item
	// obj is the item as a JSON-shaped object (int64 for integers, as from an API server).
	obj map[string]any
}

// readItems checks that every item is an object and decodes it. An item that is not a
// mapping, or cannot be represented as JSON, makes the ResourceList malformed: the error wraps
// errResourceList and names the item. nodes are read, never modified.
func readItems(nodes []*yaml.RNode) ([]decoded, error) {
	out := make([]decoded, 0, len(nodes))
	used := make(map[string]bool, len(nodes))
	for i, n := range nodes {
		if n == nil || n.YNode() == nil || n.YNode().Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%w: items[%d] is not an object (a YAML mapping)", errResourceList, i)
		}
		js, err := n.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%w: items[%d]: %w", errResourceList, i, err)
		}
		var obj map[string]any
		if err := utiljson.Unmarshal(js, &obj); err != nil {
			return nil, fmt.Errorf("%w: items[%d]: %w", errResourceList, i, err)
		}
		it := &item{index: i, node: n, fileIndex: -1}
		it.id.APIVersion, _ = obj["apiVersion"].(string)
		it.id.Kind, _ = obj["kind"].(string)
		if md, ok := obj["metadata"].(map[string]any); ok {
			it.id.Name, _ = md["name"].(string)
			it.id.Namespace, _ = md["namespace"].(string)
			if ann, ok := md["annotations"].(map[string]any); ok {
				it.file, it.fileIndex = fileOf(ann)
			}
		}
		it.source = fmt.Sprintf("items[%d]", i)
		if it.file != "" {
			src := it.file
			if it.fileIndex >= 0 {
				src += "#" + strconv.Itoa(it.fileIndex)
			}
			if !used[src] {
				it.source = src
			}
		}
		used[it.source] = true
		out = append(out, decoded{item: it, obj: obj})
	}
	return out, nil
}

// fileOf returns the file an item came from and its index there, as kustomize and kpt record
// them in annotations ("" and -1 when absent).
func fileOf(ann map[string]any) (string, int) {
	// The framework copies the legacy config.kubernetes.io/path and index annotations to
	// these before the function runs.
	path, _ := ann[kioutil.PathAnnotation].(string)
	idx, _ := ann[kioutil.IndexAnnotation].(string)
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 {
		n = -1
	}
	return path, n
}

// toNode converts a rendered object to an item of the output ResourceList.
func toNode(obj map[string]any) (*yaml.RNode, error) {
	js, err := utiljson.Marshal(obj)
	if err != nil {
		return nil, err
	}
	n := yaml.NewRNode(nil)
	if err := n.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	return n, nil
}
