package benchmarks

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// KustomizeOverlay is what a kustomize overlay written for one WEC holds for one Deployment:
// images to rename and retag, labels to set, a replica count, and field edits standing for
// its patches. It is plain data, read and never modified by KustomizeRender.
type KustomizeOverlay struct {
	// Images are the overlay's images: entries, matched by image name.
	Images []KustomizeImage
	// Labels are set on metadata.labels only (kustomize's labels: with includeSelectors and
	// includeTemplates false).
	Labels map[string]string
	// Replicas, when not nil, sets spec.replicas (the replicas: entry).
	Replicas *int64
	// Sets are the patches, each a field set at the end of a kyaml path.
	Sets []KustomizeSet
}

// KustomizeImage renames and retags every container image whose name (the reference without
// its tag or digest) is Name; empty NewName or NewTag keep that part.
type KustomizeImage struct {
	Name, NewName, NewTag string
}

// KustomizeSet sets Field to Value on the node a kyaml path (yaml.Lookup syntax:
// "spec", "template", "[name=app]", ...) reaches; the path must exist. Value is a scalar:
// Tag is its YAML tag ("!!str", "!!int", ...).
type KustomizeSet struct {
	Path       []string
	Field      string
	Value, Tag string
}

// KustomizeRender renders one WEC's variant the way kustomize-style tooling edits a resource
// in memory, written from kyaml's documented API in this project's own code. It is the
// reference BenchmarkPeerKustomize measures against BenchmarkEngineKustomize.
//
// What it does, per WEC: base.Copy() (a deep copy of the yaml.Node tree, parsed once by the
// caller), then kyaml filters on the copy: the containers and initContainers of
// spec.template.spec visited with VisitElements and matching images rewritten with SetField;
// labels with SetLabel; spec.replicas with SetField; each KustomizeSet as Lookup then SetField.
// Nothing is serialized in the loop.
//
// What it does not do: read or write YAML text, build a kustomization (resource loading,
// resource maps, name references, ordering), find image fields through kustomize's field
// specs (it knows where a pod template's containers are), or merge strategic-merge patches
// (its patches are direct field sets, cheaper than kustomize's merge walker).
//
// The node it returns is its own; base and o are never modified, so calls may run
// concurrently on the same inputs. Failures are *PeerErrors naming the field.
func KustomizeRender(base *yaml.RNode, wec string, o *KustomizeOverlay) (*yaml.RNode, error) {
	rn := base.Copy()
	fail := func(field string, err error) (*yaml.RNode, error) {
		return nil, &PeerError{Peer: "kustomize", WEC: wec, Field: field, Err: err}
	}
	if len(o.Images) > 0 {
		for _, list := range []string{"containers", "initContainers"} {
			cs, err := rn.Pipe(yaml.Lookup("spec", "template", "spec", list))
			if err != nil {
				return fail(".spec.template.spec."+list, err)
			}
			if cs == nil {
				continue
			}
			if err := cs.VisitElements(func(c *yaml.RNode) error { return kustomizeImage(c, o.Images) }); err != nil {
				return fail(".spec.template.spec."+list, err)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.Labels)) {
		if err := rn.PipeE(yaml.SetLabel(k, o.Labels[k])); err != nil {
			return fail(".metadata.labels."+k, err)
		}
	}
	if o.Replicas != nil {
		n := yaml.NewScalarRNode(fmt.Sprint(*o.Replicas))
		n.YNode().Tag = yaml.NodeTagInt
		if err := rn.PipeE(yaml.LookupCreate(yaml.MappingNode, "spec"), yaml.SetField("replicas", n)); err != nil {
			return fail(".spec.replicas", err)
		}
	}
	for _, s := range o.Sets {
		n := yaml.NewScalarRNode(s.Value)
		n.YNode().Tag = s.Tag
		target, err := rn.Pipe(yaml.Lookup(s.Path...))
		if err == nil && target == nil {
			err = fmt.Errorf("path %s not found", strings.Join(s.Path, "."))
		}
		if err == nil {
			err = target.PipeE(yaml.SetField(s.Field, n))
		}
		if err != nil {
			return fail(strings.Join(s.Path, ".")+"."+s.Field, err)
		}
	}
	return rn, nil
}

// kustomizeImage rewrites one container's image when its name matches an overlay image.
func kustomizeImage(c *yaml.RNode, images []KustomizeImage) error {
	f := c.Field("image")
	if f == nil || f.Value == nil {
		return nil
	}
	image := f.Value.YNode().Value
	host, repo, suffix := splitImage(image)
	name := repo
	if host != "" {
		name = host + "/" + repo
	}
	for _, im := range images {
		if im.Name != name {
			continue
		}
		if im.NewName != "" {
			name = im.NewName
		}
		if im.NewTag != "" {
			suffix = ":" + im.NewTag
		}
		return c.PipeE(yaml.SetField("image", yaml.NewStringRNode(name+suffix)))
	}
	return nil
}
