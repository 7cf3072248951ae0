// Package patch applies RFC 6902 JSON Patch operations and RFC 7386 merge patches directly on
// a copy-on-write [transform.Object]: no JSON round trip, no copy of the tree, and every change
// recorded in the object's trace under its current author.
//
// # Pointers
//
// [ParsePointer] parses an RFC 6901 JSON Pointer once ("/spec/template/spec/containers/0");
// a [Pointer] is then applied to any number of objects. The empty pointer, the whole object,
// is rejected: a patch may not replace an object's root. Parse problems are
// [*PointerError]s carrying the byte offset of the problem. Array indexes follow RFC 6901
// strictly: decimal digits without a leading zero, or "-" (the end of a list) where "add"
// inserts.
//
// # Operations
//
// [Add], [Remove], [Replace], [Move], [Copy] and [Test] are the six RFC 6902 operations, one
// function each, with the RFC's semantics: every location but the one "add" creates must
// exist, "add" into a list inserts, "move" and "copy" read from a "from" pointer, and "test"
// compares JSON values with numbers compared by value (1 equals 1.0). Decoding a patch
// document into operations is the caller's job, done once; applying is all this package does.
//
// [Merge] applies an RFC 7386 merge patch at a location: null removes a member, a map merges
// recursively, anything else (lists included) replaces. [Normalize] turns a YAML- or
// JSON-decoded value into the JSON shapes of unstructured objects, the form values and patches
// must have.
//
// # Errors
//
// A patch that cannot be applied (a missing member, an index out of range, descending into a
// scalar) returns an error wrapping [ErrFailed] that names the pointer and the problem
// ("patch failed: /spec/x: no member "x""); a "test" that does not hold wraps [ErrTestFailed].
// On error the object keeps the writes made before the failing step; a caller that wants all
// or nothing applies the patch to a fork ([transform.Object.Fork]) and adopts it on success.
//
// # Ownership and concurrency
//
// Values given to [Add] and [Replace] are owned by the object afterwards; [Copy] and [Merge]
// copy what they insert. Pointers are immutable and safe for concurrent use. The functions
// keep no state; they may run concurrently on different objects, never on the same one (an
// Object is not safe for concurrent use).
package patch
