package route

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// NoRoute is what Lookup returns for a number no prefix matches in a table
// without a default route.
const NoRoute = -1

// MaxPrefixLen bounds a prefix's digits: the longest number any of the
// protocols carries is 21 bytes (CMPP 3.0's Dest_terminal_Id 32 holds
// more, but no numbering plan does: E.164 numbers have at most 15 digits).
const MaxPrefixLen = 21

// MaxUpstreams bounds the upstream indexes a table routes to (and a Join
// merges).
const MaxUpstreams = 64

// MaxRangeSpan bounds how many prefixes one range ("1340-1348") expands
// to.
const MaxRangeSpan = 1000

// Entry routes numbers beginning with Prefix (digits, in the national form
// Lookup compares against) to upstream index Upstream.
type Entry struct {
	Prefix   string
	Upstream int
}

// Options are what a table does besides its entries.
type Options struct {
	// Default is the upstream of numbers no prefix matches; NoRoute for
	// none.
	Default int
	// CountryCode, when set (digits, e.g. "86"), is removed from the front
	// of a number before the lookup, in each form carriers write it — "86",
	// "+86", "0086" — when what follows has NationalLen digits (any length
	// when NationalLen is 0). The prefixes are then written in national
	// form. Empty: numbers are compared as they are, apart from a leading
	// "+".
	CountryCode string
	// NationalLen is the length of a national number behind CountryCode
	// (11 for Chinese mobile numbers). It keeps a national number that
	// happens to begin with the country code's digits from losing them.
	NationalLen int
}

// Table is a compiled prefix table: a trie over decimal digits. It is
// immutable once compiled and safe for every goroutine.
type Table struct {
	nodes       []node
	def         int32
	cc          string // country code; "" = none
	ccIntl      string // "00" + cc
	nationalLen int
	entries     int
}

type node struct {
	child    [10]int32 // 0: none (node 0 is the root, never a child)
	upstream int32     // NoRoute: no prefix ends here
}

// ConflictError is a prefix given to two upstreams.
type ConflictError struct {
	Prefix      string
	First, Then int // the upstreams, in entry order
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("route: prefix %s given to upstream %d and to upstream %d", e.Prefix, e.First, e.Then)
}

// Compile builds a table. Every prefix must be digits (ParsePrefix); a
// prefix given twice to the same upstream is kept once, to two upstreams
// is a *ConflictError. A shorter and a longer prefix overlapping (139 and
// 1391) is the point of the table: the longer wins.
func Compile(entries []Entry, o Options) (*Table, error) {
	if o.Default < NoRoute || o.Default >= MaxUpstreams {
		return nil, fmt.Errorf("route: default upstream %d outside %d–%d", o.Default, NoRoute, MaxUpstreams-1)
	}
	if o.CountryCode != "" && !isDigits(o.CountryCode) {
		return nil, fmt.Errorf("route: country code %q is not digits", o.CountryCode)
	}
	if o.NationalLen < 0 || o.NationalLen > MaxPrefixLen {
		return nil, fmt.Errorf("route: national length %d outside 0–%d", o.NationalLen, MaxPrefixLen)
	}
	t := &Table{nodes: []node{newNode()}, def: int32(o.Default), cc: o.CountryCode, nationalLen: o.NationalLen}
	if t.cc != "" {
		t.ccIntl = "00" + t.cc
	}
	for _, e := range entries {
		if err := checkPrefix(e.Prefix); err != nil {
			return nil, err
		}
		if e.Upstream < 0 || e.Upstream >= MaxUpstreams {
			return nil, fmt.Errorf("route: prefix %s: upstream %d outside 0–%d", e.Prefix, e.Upstream, MaxUpstreams-1)
		}
		at := int32(0)
		for i := 0; i < len(e.Prefix); i++ {
			c := e.Prefix[i] - '0'
			next := t.nodes[at].child[c]
			if next == 0 {
				next = int32(len(t.nodes))
				t.nodes = append(t.nodes, newNode())
				t.nodes[at].child[c] = next
			}
			at = next
		}
		switch u := t.nodes[at].upstream; {
		case u == NoRoute:
			t.nodes[at].upstream = int32(e.Upstream)
			t.entries++
		case int(u) != e.Upstream:
			return nil, &ConflictError{Prefix: e.Prefix, First: int(u), Then: e.Upstream}
		}
	}
	return t, nil
}

func newNode() node { return node{upstream: NoRoute} }

// Len is the number of distinct prefixes.
func (t *Table) Len() int { return t.entries }

// Default is the default route (NoRoute for none).
func (t *Table) Default() int { return int(t.def) }

// Lookup returns the upstream of number: the upstream of the longest
// prefix it begins with (after Normalize), else the default route. The
// walk stops at the first byte that is not a digit. It does not allocate.
func (t *Table) Lookup(number []byte) int { return lookup(t, number) }

// LookupString is Lookup for a string.
func (t *Table) LookupString(number string) int { return lookup(t, number) }

func lookup[T ~string | ~[]byte](t *Table, number T) int {
	n := normalize(t, number)
	best, at := t.def, int32(0)
	for i := 0; i < len(n); i++ {
		c := n[i] - '0'
		if c > 9 {
			break
		}
		if at = t.nodes[at].child[c]; at == 0 {
			break
		}
		if u := t.nodes[at].upstream; u != NoRoute {
			best = u
		}
	}
	return int(best)
}

// Normalize returns the part of number the table compares: without a
// leading "+", and without the country code (Options.CountryCode) when
// it stands in front of a national number.
func (t *Table) Normalize(number string) string { return normalize(t, number) }

func normalize[T ~string | ~[]byte](t *Table, n T) T {
	if len(n) > 0 && n[0] == '+' {
		n = n[1:]
	}
	if t.cc == "" {
		return n
	}
	if k := len(t.ccIntl); hasPrefix(n, t.ccIntl) && (t.nationalLen == 0 || len(n)-k == t.nationalLen) {
		return n[k:]
	}
	if k := len(t.cc); hasPrefix(n, t.cc) && (t.nationalLen == 0 || len(n)-k == t.nationalLen) {
		return n[k:]
	}
	return n
}

func hasPrefix[T ~string | ~[]byte](n T, p string) bool {
	if len(n) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if n[i] != p[i] {
			return false
		}
	}
	return true
}

// ErrPrefix is the error ParsePrefix and ParsePrefixes wrap.
var ErrPrefix = errors.New("not a number prefix")

// checkPrefix: 1 to MaxPrefixLen digits.
func checkPrefix(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("route: empty prefix: %w", ErrPrefix)
	case len(p) > MaxPrefixLen:
		return fmt.Errorf("route: prefix %q is %d digits, more than %d: %w", p, len(p), MaxPrefixLen, ErrPrefix)
	case !isDigits(p):
		return fmt.Errorf("route: prefix %q is not digits: %w", p, ErrPrefix)
	}
	return nil
}

// ParsePrefixes reads one routes: item of the configuration: a prefix of
// digits ("139", "1703"), or a range of prefixes of one length written
// low-high ("1340-1348", the nine prefixes 1340 to 1348), at most
// MaxRangeSpan of them. It appends the prefixes to dst. Spaces around the
// item and around the dash are allowed; nothing else but digits is.
func ParsePrefixes(dst []string, s string) ([]string, error) {
	s = strings.TrimSpace(s)
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		if err := checkPrefix(s); err != nil {
			return dst, err
		}
		return append(dst, s), nil
	}
	lo, hi = strings.TrimSpace(lo), strings.TrimSpace(hi)
	if err := checkPrefix(lo); err != nil {
		return dst, err
	}
	if err := checkPrefix(hi); err != nil {
		return dst, err
	}
	if len(lo) != len(hi) {
		return dst, fmt.Errorf("route: range %q: both ends need the same number of digits: %w", s, ErrPrefix)
	}
	// The ends share a head; the span is in the digits after it, at most
	// three of which may differ (MaxRangeSpan).
	head := 0
	for head < len(lo) && lo[head] == hi[head] {
		head++
	}
	if head == len(lo) { // "139-139"
		return append(dst, lo), nil
	}
	if len(lo)-head > 3 {
		return dst, fmt.Errorf("route: range %q spans more than %d prefixes: %w", s, MaxRangeSpan, ErrPrefix)
	}
	a, _ := strconv.Atoi(lo[head:])
	b, _ := strconv.Atoi(hi[head:])
	if a > b {
		return dst, fmt.Errorf("route: range %q runs backwards: %w", s, ErrPrefix)
	}
	width := len(lo) - head
	for v := a; v <= b; v++ {
		tail := strconv.Itoa(v)
		dst = append(dst, lo[:head]+strings.Repeat("0", width-len(tail))+tail)
	}
	return dst, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
