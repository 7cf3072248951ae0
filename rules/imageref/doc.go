// Package imageref splits and joins container image references by the Docker reference rules,
// [registry/]repository[:tag][@digest], and validates each part. The rules package's image
// action uses it to change some parts of a container's image and leave the others exactly as
// they were.
//
// # Parsing
//
// [Parse] never fails: it splits any string, and [Ref.String] joins the parts back into the
// same string (Parse(s).String() == s for every s), so changing one part changes nothing else.
// The first path component is the registry when it contains "." or ":" or is "localhost"
// ("docker.io/library/nginx", "localhost:5000/app"); otherwise the whole path is the
// repository ("library/nginx"). Parse does not normalize: no "docker.io" or "latest" is added.
//
// # Validation
//
// [ValidRegistry], [ValidRepository], [ValidTag] and [ValidDigest] check one part against the
// reference grammar. Parse does not validate; callers check the parts they set.
//
// # Concurrency
//
// [Ref] is a plain value; every function is safe for concurrent use.
package imageref
