// Package jsonpath is wecforge's one path language: a documented subset of RFC 9535 JSONPath,
// parsed once and evaluated many times over JSON-shaped trees (map[string]any, []any and
// scalars, as in unstructured Kubernetes objects). CustomTransform removals and
// CustomizationRule actions both use it.
//
// # Syntax
//
// A path starts with $ and is followed by segments, each selecting children of the nodes
// matched so far:
//
//	.name              member by shorthand name (letters, digits, _; not starting with a digit)
//	['name'] ["name"]  member by quoted name (escapes as in RFC 9535: \' \" \\ \/ \b \f \n \r \t \uXXXX)
//	[N]                list item; a negative N counts from the end ([-1] is the last item)
//	.* [*]             every member of a map or every item of a list
//	[?@.key=='value']  list items (or map members) whose field equals a literal; the field may
//	                   be a chain (@.a.b, @['a']), the literal a string, number, true, false or
//	                   null; parentheses ?(...) are allowed
//
// Anything else (descendant segments .., slices, unions, other filter expressions, function
// calls) is a parse error naming its position. $ alone is rejected: it identifies the whole
// object, which no removal or action may replace.
//
// # Evaluation
//
// [Path.Find] returns the matched nodes with their concrete [Location]s, in document order
// (map members in key order, so results are deterministic). [Path.Targets] does the same for
// writers and, when asked, also yields locations of missing map members reached through name
// selectors, so a setter can create them.
//
// # Concurrency
//
// A Path is immutable and safe for concurrent use. Evaluation never modifies the tree.
package jsonpath
