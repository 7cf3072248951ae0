package imageref

import (
	"regexp"
	"strings"
)

// Ref is a container image reference split into its parts. HasTag and HasDigest record that
// the separators ":" and "@" were present, even with an empty part after them, so that
// [Ref.String] gives back exactly what [Parse] read. Setting Tag or Digest to a non-empty
// value therefore needs HasTag or HasDigest set too. The zero Ref is the empty reference.
type Ref struct {
	Registry, Repository, Tag, Digest string
	HasTag, HasDigest                 bool
}

// Parse splits ref: the digest after the first "@", then the tag after the last ":" not
// followed by a "/", then the registry when the first path component contains "." or ":" or
// is "localhost". Parse accepts any string (see [Ref.String]) and validates nothing.
func Parse(ref string) Ref {
	var r Ref
	rest := ref
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, r.Digest, r.HasDigest = rest[:i], rest[i+1:], true
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && !strings.Contains(rest[i+1:], "/") {
		rest, r.Tag, r.HasTag = rest[:i], rest[i+1:], true
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry, rest = first, rest[i+1:]
		}
	}
	r.Repository = rest
	return r
}

// String joins the parts back into a reference, in one allocation; Parse(s).String() == s for
// every s.
func (r Ref) String() string {
	var b strings.Builder
	b.Grow(len(r.Registry) + len(r.Repository) + len(r.Tag) + len(r.Digest) + 3)
	if r.Registry != "" {
		b.WriteString(r.Registry)
		b.WriteByte('/')
	}
	b.WriteString(r.Repository)
	if r.HasTag {
		b.WriteByte(':')
		b.WriteString(r.Tag)
	}
	if r.HasDigest {
		b.WriteByte('@')
		b.WriteString(r.Digest)
	}
	return b.String()
}

// The grammar of repositories and digests. ValidRegistry and ValidTag implement theirs without
// the regexp engine, as they run once per container and WEC; a test keeps them in agreement
// with the regular expressions they replace (valid_test.go).
var (
	repositoryRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	digestRE     = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$`)
)

// ValidRegistry reports whether s is a registry host: alphanumerics with "." and "-" inside,
// optionally followed by ":" and a port number ("registry.example:5000").
func ValidRegistry(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort && (port == "" || strings.Trim(port, "0123456789") != "") {
		return false
	}
	if host == "" || !isAlnum(host[0]) || !isAlnum(host[len(host)-1]) {
		return false
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; !isAlnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// ValidRepository reports whether s is a repository path: "/"-separated components of lower
// case alphanumerics joined by ".", "_", "__" or dashes ("library/nginx").
func ValidRepository(s string) bool { return repositoryRE.MatchString(s) }

// ValidTag reports whether s is a tag: up to 128 word characters, "." and "-", not starting
// with "." or "-".
func ValidTag(s string) bool {
	if s == "" || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// ValidDigest reports whether s is a digest: an algorithm, ":" and at least 32 characters of
// encoded hash ("sha256:" and 64 hex digits).
func ValidDigest(s string) bool { return digestRE.MatchString(s) }

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isWord(c byte) bool { return isAlnum(c) || c == '_' }
