package engine

import (
	"strings"

	"k8s.io/client-go/restmapper"

	"github.com/wecforge/wecforge/transform/resources"
)

// Mappings is a source of kind→resource mappings: a [*resources.Mapper] (the built-in table,
// or one with explicit mappings), [Discovery] over an API server's discovery data, or anything
// else that lists what it knows. The engine adds the CustomResourceDefinitions among its
// documents and, below both, the built-in table.
type Mappings interface {
	// Mappings returns every mapping known. The engine calls it once, in Compile.
	Mappings() []resources.Mapping
}

// Discovery adapts discovery data — what restmapper.GetAPIGroupResources returns for a
// discovery client — to [Mappings]. Subresources (`deployments/scale`) are left out. The data
// is read once, in Mappings, and not modified.
type Discovery []*restmapper.APIGroupResources

// Mappings returns one mapping per kind the discovery data serves (the first resource that
// names it, in the data's order: its preferred version first).
func (d Discovery) Mappings() []resources.Mapping {
	var out []resources.Mapping
	type gk struct{ group, kind string }
	seen := map[gk]bool{}
	for _, g := range d {
		if g == nil {
			continue
		}
		versions := []string{g.Group.PreferredVersion.Version}
		for _, v := range g.Group.Versions {
			versions = append(versions, v.Version)
		}
		for _, v := range versions {
			for _, r := range g.VersionedResources[v] {
				if r.Kind == "" || r.Name == "" || strings.Contains(r.Name, "/") {
					continue
				}
				k := gk{g.Group.Name, r.Kind}
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, resources.Mapping{
					Kind:       groupKind(g.Group.Name, r.Kind),
					Resource:   groupResource(g.Group.Name, r.Name),
					Namespaced: r.Namespaced,
				})
			}
		}
	}
	return out
}
