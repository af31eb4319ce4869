package route

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func mustCompile(t testing.TB, o Options, entries ...Entry) *Table {
	t.Helper()
	tb, err := Compile(entries, o)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestLongestPrefixWins(t *testing.T) {
	tb := mustCompile(t, Options{Default: 9},
		Entry{"139", 1}, Entry{"1391", 2}, Entry{"13912", 3}, Entry{"1", 4}, Entry{"130", 5})
	for _, c := range []struct {
		number string
		want   int
	}{
		{"13900000000", 1},
		{"13910000000", 2},
		{"13912000000", 3},
		{"13913000000", 2},
		{"13800138000", 4}, // only "1" matches
		{"13012345678", 5},
		{"1", 4},
		{"13", 4},  // shorter than every longer prefix
		{"139", 1}, // exactly a prefix
		{"28000000000", 9},
		{"", 9},
		{"139abc", 1}, // the walk stops at the first non-digit
		{"1x391", 4},
	} {
		if got := tb.LookupString(c.number); got != c.want {
			t.Errorf("LookupString(%q) = %d, want %d", c.number, got, c.want)
		}
		if got := tb.Lookup([]byte(c.number)); got != c.want {
			t.Errorf("Lookup(%q) = %d, want %d", c.number, got, c.want)
		}
	}
	if tb.Len() != 5 || tb.Default() != 9 {
		t.Fatalf("Len %d Default %d", tb.Len(), tb.Default())
	}
}

func TestNoDefaultRoute(t *testing.T) {
	tb := mustCompile(t, Options{Default: NoRoute}, Entry{"139", 0})
	if got := tb.LookupString("13800138000"); got != NoRoute {
		t.Fatalf("unmatched number without a default: %d, want NoRoute", got)
	}
	if got := tb.LookupString("13900138000"); got != 0 {
		t.Fatalf("matched number: %d", got)
	}
}

func TestCountryCodeForms(t *testing.T) {
	chinese := Options{Default: 0, CountryCode: "86", NationalLen: 11}
	tb := mustCompile(t, chinese, Entry{"139", 1}, Entry{"86", 2})
	for _, c := range []struct {
		number, national string
		want             int
	}{
		{"13900000000", "13900000000", 1},
		{"8613900000000", "13900000000", 1},   // SGIP's form
		{"+8613900000000", "13900000000", 1},  // international with +
		{"008613900000000", "13900000000", 1}, // international with 00
		{"+13900000000", "13900000000", 1},
		// Not a national number behind the 86: left alone.
		{"861390000000", "861390000000", 2},
		{"86139000000000", "86139000000000", 2},
		{"0086139", "0086139", 0},
		{"86", "86", 2},
		{"+", "", 0},
	} {
		if got := tb.Normalize(c.number); got != c.national {
			t.Errorf("Normalize(%q) = %q, want %q", c.number, got, c.national)
		}
		if got := tb.LookupString(c.number); got != c.want {
			t.Errorf("LookupString(%q) = %d, want %d", c.number, got, c.want)
		}
		if got := tb.Lookup([]byte(c.number)); got != c.want {
			t.Errorf("Lookup(%q) = %d, want %d", c.number, got, c.want)
		}
	}

	// Any length behind the country code.
	anyLen := mustCompile(t, Options{Default: 0, CountryCode: "86"}, Entry{"139", 1})
	if got := anyLen.LookupString("86139"); got != 1 {
		t.Errorf("NationalLen 0: 86139 → %d, want 1", got)
	}
	// No country code: compared as written (but for the +).
	plain := mustCompile(t, Options{Default: 0}, Entry{"139", 1}, Entry{"86139", 2})
	if got := plain.LookupString("8613900000000"); got != 2 {
		t.Errorf("without a country code 8613900000000 → %d, want 2", got)
	}
	if got := plain.LookupString("+13900000000"); got != 1 {
		t.Errorf("without a country code +13900000000 → %d, want 1", got)
	}
}

func TestCompileRefuses(t *testing.T) {
	cases := []struct {
		name    string
		entries []Entry
		o       Options
		want    string
	}{
		{"empty prefix", []Entry{{"", 0}}, Options{}, "empty prefix"},
		{"letters", []Entry{{"13a", 0}}, Options{}, `prefix "13a" is not digits`},
		{"plus", []Entry{{"+86139", 0}}, Options{}, `prefix "+86139" is not digits`},
		{"too long", []Entry{{strings.Repeat("1", MaxPrefixLen+1), 0}}, Options{}, "more than 21"},
		{"negative upstream", []Entry{{"139", -1}}, Options{}, "upstream -1 outside"},
		{"upstream too big", []Entry{{"139", MaxUpstreams}}, Options{}, "upstream 64 outside"},
		{"default too big", nil, Options{Default: MaxUpstreams}, "default upstream 64"},
		{"country code", nil, Options{CountryCode: "+86"}, `country code "+86"`},
		{"national length", nil, Options{NationalLen: -1}, "national length -1"},
	}
	for _, c := range cases {
		_, err := Compile(c.entries, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	_, err := Compile([]Entry{{"139", 0}, {"1391", 1}, {"139", 0}, {"1391", 2}}, Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Prefix != "1391" || ce.First != 1 || ce.Then != 2 {
		t.Fatalf("conflict: %v, want 1391 given to 1 and 2", err)
	}
	if _, err := Compile([]Entry{{"139", 0}, {"139", 0}}, Options{}); err != nil {
		t.Fatalf("the same prefix twice for one upstream: %v", err)
	}
}

// naive is the longest-prefix rule written the obvious way.
func naive(entries []Entry, def int, number string) int {
	best, bestLen := def, -1
	for _, e := range entries {
		if strings.HasPrefix(number, e.Prefix) && len(e.Prefix) > bestLen {
			best, bestLen = e.Upstream, len(e.Prefix)
		}
	}
	return best
}

func TestLookupAgreesWithLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(3)) // few digits: many overlaps
		}
		return string(b)
	}
	for round := 0; round < 200; round++ {
		owner := map[string]int{}
		var entries []Entry
		for range 1 + r.IntN(40) {
			p := digits(1 + r.IntN(6))
			if _, taken := owner[p]; taken {
				continue
			}
			owner[p] = r.IntN(MaxUpstreams)
			entries = append(entries, Entry{p, owner[p]})
		}
		def := r.IntN(MaxUpstreams+1) - 1
		tb := mustCompile(t, Options{Default: def}, entries...)
		for range 200 {
			n := digits(r.IntN(9))
			if got, want := tb.LookupString(n), naive(entries, def, n); got != want {
				t.Fatalf("round %d: %q → %d, linear scan %d (entries %v)", round, n, got, want, entries)
			}
		}
	}
}

func TestParsePrefixes(t *testing.T) {
	ok := []struct {
		in   string
		want []string
	}{
		{"139", []string{"139"}},
		{" 1703 ", []string{"1703"}},
		{"1340-1348", []string{"1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347", "1348"}},
		{"1340 - 1342", []string{"1340", "1341", "1342"}},
		{"139-139", []string{"139"}},
		{"1398-1401", []string{"1398", "1399", "1400", "1401"}},
		{"0-2", []string{"0", "1", "2"}},
		{"1000-1999", nil}, // 1000 prefixes: checked by count below
	}
	for _, c := range ok {
		got, err := ParsePrefixes([]string{"x"}, c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got[0] != "x" {
			t.Errorf("%q: dst not appended to", c.in)
		}
		got = got[1:]
		if c.want == nil {
			if len(got) != 1000 || got[0] != "1000" || got[999] != "1999" {
				t.Errorf("%q: %d prefixes %v…", c.in, len(got), got[:3])
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q = %v, want %v", c.in, got, c.want)
		}
	}
	for _, in := range []string{"", " ", "13a", "+86139", "-", "139-", "-139", "139-14", "1348-1340",
		"1000-2000", "1-2-3", "１３９", strings.Repeat("1", 22)} {
		if got, err := ParsePrefixes(nil, in); err == nil || !errors.Is(err, ErrPrefix) {
			t.Errorf("%q: %v, %v; want an ErrPrefix", in, got, err)
		}
	}
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tb := defaultTable(t)
	b := []byte("+8613800138000")
	var sink int
	if n := testing.AllocsPerRun(1000, func() {
		sink += tb.Lookup(b) + tb.LookupString("13012345678")
	}); n != 0 {
		t.Fatalf("Lookup allocates %v times", n)
	}
	_ = sink
}

// defaultTable routes the three carriers' default segments to 0 (cmcc),
// 1 (unicom), 2 (telecom), default 3.
func defaultTable(t testing.TB) *Table {
	t.Helper()
	var entries []Entry
	for up, carrier := range Carriers() {
		for _, item := range Segments(carrier) {
			ps, err := ParsePrefixes(nil, item)
			if err != nil {
				t.Fatalf("%s segment %q: %v", carrier, item, err)
			}
			for _, p := range ps {
				entries = append(entries, Entry{p, up})
			}
		}
	}
	return mustCompile(t, Options{Default: 3, CountryCode: "86", NationalLen: 11}, entries...)
}

func TestDefaultSegments(t *testing.T) {
	// Compiling them together proves no segment is given to two carriers.
	tb := defaultTable(t)
	for _, c := range []struct {
		number string
		want   int
	}{
		{"13800138000", 0}, {"8613900000000", 0}, {"13401234567", 0}, {"13481234567", 0}, {"19812345678", 0}, {"17031234567", 0},
		{"13012345678", 1}, {"18612345678", 1}, {"16612345678", 1}, {"17041234567", 1}, {"17112345678", 1},
		{"13312345678", 2}, {"13491234567", 2}, {"18912345678", 2}, {"19912345678", 2}, {"17001234567", 2},
		{"19212345678", 3}, // China Broadnet: the default route
		{"01088888888", 3}, // a landline
	} {
		if got := tb.LookupString(c.number); got != c.want {
			t.Errorf("%s → %d, want %d", c.number, got, c.want)
		}
	}
	if Segments("cmcc")[0] != "1340-1348" || Segments("nobody") != nil {
		t.Fatal("Segments by carrier name")
	}
	s := Segments(CMCC)
	s[0] = "x"
	if Segments(CMCC)[0] == "x" {
		t.Fatal("Segments returned the package's own slice")
	}
	// Every 13x–19x three-digit head is somebody's or deliberately not.
	unassigned := map[string]bool{"140": true, "141": true, "142": true, "143": true, "144": true, "154": true,
		"160": true, "161": true, "163": true, "164": true, "168": true, "169": true, "174": true, "179": true,
		"192": true, "194": true}
	for h := 130; h <= 199; h++ {
		head := strconv.Itoa(h)
		if unassigned[head] {
			continue
		}
		if tb.LookupString(head+"12345678") == 3 && tb.LookupString(head+"02345678") == 3 {
			t.Errorf("segment %s is in no carrier's list", head)
		}
	}
}
