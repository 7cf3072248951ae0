package imageref_test

import (
	"fmt"

	"github.com/wecforge/wecforge/rules/imageref"
)

func ExampleParse() {
	r := imageref.Parse("ghcr.io/example/web:1.4.0")
	fmt.Printf("registry %q repository %q tag %q\n", r.Registry, r.Repository, r.Tag)

	// Mirror the image and pin a newer tag; the rest of the reference stays as it was.
	if imageref.ValidRegistry("registry.edge.example.com") {
		r.Registry = "registry.edge.example.com"
	}
	if imageref.ValidTag("1.4.2") {
		r.Tag, r.HasTag = "1.4.2", true
	}
	fmt.Println(r)

	// Docker Hub short names have no registry part.
	d := imageref.Parse("nginx@sha256:0123456789abcdef0123456789abcdef")
	fmt.Printf("registry %q repository %q digest %q valid %t\n", d.Registry, d.Repository, d.Digest, imageref.ValidDigest(d.Digest))
	// Output:
	// registry "ghcr.io" repository "example/web" tag "1.4.0"
	// registry.edge.example.com/example/web:1.4.2
	// registry "" repository "nginx" digest "sha256:0123456789abcdef0123456789abcdef" valid true
}
