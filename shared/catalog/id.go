package catalog

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// idEncoding is lower-case RFC 4648 base32 without padding: URL-safe, no
// case ambiguity (Cosmos ids are case-sensitive, people are not).
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// StableID derives the document id of a title from its supplier and the
// supplier's own key, so a re-delivery maps to the same document:
//
//	"mt_" + base32(SHA-256(canon(supplier) + "\x00" + canon(key)))[:20]
//
// canon is Unicode NFC, trimmed, inner whitespace collapsed, lower-cased.
// Twenty base32 characters are 100 bits: collisions are negligible at any
// catalogue size. The result is 23 characters of [a-z2-7_], safe in URLs and
// Cosmos ids. Changing this function re-keys every document: never do it.
func StableID(supplier, key string) string {
	h := sha256.New()
	h.Write([]byte(canonKey(supplier)))
	h.Write([]byte{0})
	h.Write([]byte(canonKey(key)))
	return "mt_" + idEncoding.EncodeToString(h.Sum(nil))[:20]
}

// ChildID derives a stable id for a nested item (ad product, measurement)
// from its parent id and the parts that identify it. Parts are hashed as
// given: pass normalised values.
func ChildID(prefix, parent string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(parent))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return prefix + "_" + idEncoding.EncodeToString(h.Sum(nil))[:12]
}

// SupplierName is the canonical form of a supplier name (a drop folder):
// folders with the same canonical name deliver the same titles, since
// StableID canonicalises the supplier the same way.
func SupplierName(s string) string { return canonKey(s) }

func canonKey(s string) string {
	simple := len(s) > 0 && s[0] != ' ' && s[len(s)-1] != ' '
	for i := 0; i < len(s) && simple; i++ {
		c := s[i]
		simple = c < utf8.RuneSelf && c > ' ' && (c < 'A' || c > 'Z') || c == ' ' && s[i+1] != ' '
	}
	if simple {
		return s // ASCII, lower case, single spaces: already canonical
	}
	s = norm.NFC.String(s)
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

// Hash is the canonical content fingerprint of a title's content: SHA-256 of
// its JSON with the bookkeeping fields (provenance, contentHash, updatedAt,
// version) cleared. encoding/json writes struct fields in declaration order
// and map keys sorted, so equal content gives equal bytes; set-like slices
// are expected to be in canonical order already (Canonicalize).
func (t *Title) Hash() string {
	c := *t
	c.Provenance = nil
	c.ContentHash = ""
	c.UpdatedAt = zeroTime
	c.Version = 0
	return hashJSON(c)
}

func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Every model type marshals; a failure is a programming error.
		panic("catalog: marshal: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
