package route

import (
	"strings"
	"testing"
)

// FuzzParsePrefixes: no input panics; what is accepted is digits, of one
// length, at most MaxRangeSpan prefixes, in increasing order, compiles,
// and a single prefix comes back as written.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"139", "1340-1348", " 1398 - 1401 ", "0-9", "1000-1999", "1348-1340", "139-14",
		"13a", "+86139", "-", "1-2-3", "", strings.Repeat("9", 21) + "-" + strings.Repeat("9", 21)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePrefixes(nil, s)
		if err != nil {
			if len(ps) != 0 {
				t.Fatalf("%q: error %v with prefixes %v", s, err, ps)
			}
			return
		}
		if len(ps) == 0 || len(ps) > MaxRangeSpan {
			t.Fatalf("%q: %d prefixes", s, len(ps))
		}
		for i, p := range ps {
			if !isDigits(p) || len(p) > MaxPrefixLen || len(p) != len(ps[0]) {
				t.Fatalf("%q: prefix %q", s, p)
			}
			if i > 0 && p <= ps[i-1] {
				t.Fatalf("%q: %q after %q", s, p, ps[i-1])
			}
		}
		if !strings.Contains(s, "-") && ps[0] != strings.TrimSpace(s) {
			t.Fatalf("%q read as %q", s, ps[0])
		}
		entries := make([]Entry, len(ps))
		for i, p := range ps {
			entries[i] = Entry{p, 1}
		}
		tb, err := Compile(entries, Options{Default: 0})
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if tb.LookupString(ps[len(ps)-1]+"1") != 1 {
			t.Fatalf("%q: the last prefix does not route", s)
		}
	})
}

// FuzzLookup: a table built from the input's prefixes agrees with a
// linear longest-prefix scan on the input's numbers, whatever bytes they
// hold.
func FuzzLookup(f *testing.F) {
	f.Add("139 1391 13912 86", "13912000000 +8613900000000 0086139 1x 139\x00")
	f.Add("1340-1348 1349", "13491234567 8613401234567")
	f.Fuzz(func(t *testing.T, prefixes, numbers string) {
		var entries []Entry
		owner := map[string]int{}
		for i, item := range strings.Fields(prefixes) {
			ps, err := ParsePrefixes(nil, item)
			if err != nil {
				continue
			}
			for _, p := range ps {
				if _, dup := owner[p]; !dup {
					owner[p] = i % MaxUpstreams
					entries = append(entries, Entry{p, owner[p]})
				}
			}
		}
		tb, err := Compile(entries, Options{Default: NoRoute, CountryCode: "86", NationalLen: 11})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range strings.Fields(numbers) {
			national := tb.Normalize(n)
			end := 0
			for end < len(national) && national[end] >= '0' && national[end] <= '9' {
				end++
			}
			if got, want := tb.LookupString(n), naive(entries, NoRoute, national[:end]); got != want {
				t.Fatalf("%q: %d, linear scan %d", n, got, want)
			}
			if tb.Lookup([]byte(n)) != tb.LookupString(n) {
				t.Fatalf("%q: Lookup and LookupString differ", n)
			}
		}
	})
}
