package manifests

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// yaml11Bools are the plain tokens go-yaml v2 (and therefore kubectl) reads as booleans but
// YAML 1.2 readers read as strings. `true` and `false` in their three spellings are booleans
// for both and are not listed.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false,
}

// scan walks the node tree of one document, collecting warnings for YAML 1.1 boolean tokens
// and errors for colliding keys. Aliases are not followed: the node they point to is scanned
// where it is defined, so the walk visits every node once.
type scan struct {
	file   string
	offset int // added to node lines to get file lines
	warns  []Warning
	errs   []error
}

func (s *scan) node(n *kyaml.Node, path string) {
	switch n.Kind {
	case kyaml.ScalarNode:
		s.scalar(n, false)
	case kyaml.SequenceNode:
		for i, c := range n.Content {
			s.node(c, path+"["+strconv.Itoa(i)+"]")
		}
	case kyaml.MappingNode:
		s.mapping(n, path)
	case kyaml.DocumentNode:
		for _, c := range n.Content {
			s.node(c, path)
		}
	}
}

// scalar warns about a plain YAML 1.1 boolean token.
func (s *scan) scalar(n *kyaml.Node, key bool) {
	if n.Kind != kyaml.ScalarNode || n.Style != 0 {
		return
	}
	if v, ok := yaml11Bools[n.Value]; ok {
		s.warns = append(s.warns, Warning{File: s.file, Line: n.Line + s.offset, Token: n.Value, Key: key, Value: v})
	}
}

// mapping scans a mapping's keys and values and reports keys that become one JSON key.
func (s *scan) mapping(n *kyaml.Node, path string) {
	var order []string
	groups := map[string][]Key{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		s.scalar(k, true)
		if k.Kind == kyaml.ScalarNode && k.Style == 0 && k.Value == "<<" {
			s.node(v, path) // a merge key: its keys may be overridden, by design
			continue
		}
		jk, ok := jsonKey(k)
		if ok {
			if _, seen := groups[jk]; !seen {
				order = append(order, jk)
			}
			groups[jk] = append(groups[jk], Key{Text: written(k), Line: k.Line + s.offset})
		} else {
			s.node(k, path) // a complex key; kubectl's reader rejects it, but scan it anyway
		}
		s.node(v, childPath(path, jk))
	}
	for _, jk := range order {
		if keys := groups[jk]; len(keys) > 1 {
			s.errs = append(s.errs, &KeyCollisionError{Path: path, Key: jk, Keys: keys})
		}
	}
}

// jsonKey returns the JSON key a mapping key becomes when kubectl reads it, and false for a
// key that is not a scalar.
func jsonKey(k *kyaml.Node) (string, bool) {
	if k.Kind == kyaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != kyaml.ScalarNode {
		return "", false
	}
	switch {
	case k.Style&kyaml.TaggedStyle != 0:
		if k.Tag == "!!str" || k.Style&^kyaml.TaggedStyle != 0 {
			return k.Value, true
		}
		return viaReader(k.Tag + " " + k.Value), true
	case k.Style != 0:
		return k.Value, true // quoted or block: a string
	}
	if b, ok := yaml11Bools[k.Value]; ok {
		return strconv.FormatBool(b), true
	}
	switch k.Value {
	case "true", "True", "TRUE":
		return "true", true
	case "false", "False", "FALSE":
		return "false", true
	}
	if plainDecimal.MatchString(k.Value) {
		return k.Value, true // the common numeric key (a port, a code): itself
	}
	if k.Value != "" && strings.ContainsRune("+-.0123456789", rune(k.Value[0])) {
		return viaReader(k.Value), true // 0x1, 0777, 1_000, 1.0, a timestamp, .inf: ask the reader
	}
	return k.Value, true
}

// plainDecimal matches integers go-yaml v2 reads as themselves: no sign, no leading zero
// (0777 is octal), short enough to fit an int64.
var plainDecimal = regexp.MustCompile(`^(0|[1-9][0-9]{0,17})$`)

// viaReader returns the JSON key kubectl's reader makes of the plain key text, or text when
// the reader rejects it (the document then fails to read anyway).
func viaReader(text string) string {
	js, err := yaml.YAMLToJSON([]byte(text + ": 0"))
	if err != nil {
		return text
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(js, &m); err != nil || len(m) != 1 {
		return text
	}
	for k := range m {
		return k
	}
	return text
}

// written returns a key as its source wrote it, for messages.
func written(k *kyaml.Node) string {
	var s string
	switch {
	case k.Style&kyaml.SingleQuotedStyle != 0:
		s = "'" + strings.ReplaceAll(k.Value, "'", "''") + "'"
	case k.Style&(kyaml.DoubleQuotedStyle|kyaml.LiteralStyle|kyaml.FoldedStyle) != 0:
		s = strconv.Quote(k.Value)
	default:
		s = k.Value
	}
	if k.Style&kyaml.TaggedStyle != 0 {
		s = k.Tag + " " + s
	}
	return s
}

// simpleKey matches keys a field path can show after a dot.
var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// childPath extends a field path (`.` for the root) by a mapping key.
func childPath(path, key string) string {
	if path == "." {
		path = ""
	}
	if simpleKey.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}
