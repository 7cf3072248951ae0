// Package dnsname makes readable, DNS-label-safe name parts from arbitrary strings, for the
// names and label values wecforge derives from user input (source keys, replica groups).
package dnsname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Slug returns a readable DNS-label-safe form of s: its lowercase ASCII letters and digits,
// every run of other characters between them replaced by one dash, cut to at most max
// characters, with no leading or trailing dash. It returns fallback when nothing is left.
func Slug(s string, max int, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if b.Len() >= max {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(b.String(), "-")
	if out == "" {
		return fallback
	}
	return out
}

// Hash returns a short, label-safe digest of s: the first 10 hexadecimal digits of its
// SHA-256. Two strings with the same Slug almost never share it.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:5])
}
