package authcache

import (
	"strings"
	"testing"
	"unicode"
)

func defaultKeywords(t testing.TB) keywordSet {
	ks, err := compileKeywords(Config{}.withDefaults().Keywords)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestParseMOText(t *testing.T) {
	ks := defaultKeywords(t)
	for _, c := range []struct {
		name, text string
		kind       textKind
		service    string
	}{
		{"Y confirms", "Y", textYes, ""},
		{"lower-case y with spaces confirms", "  y\r\n", textYes, ""},
		{"full-width Ｙ confirms", "Ｙ", textYes, ""},
		{"N cancels", "n", textNo, ""},
		{"YES is not Y", "YES", textOther, ""},
		{"0000 cancels everything", "0000", textUnsubscribeAll, ""},
		{"0000 with an ideographic space", "0000\u3000", textUnsubscribeAll, ""},
		{"TD + code names the service", "TDMUSIC", textUnsubscribe, "MUSIC"},
		{"td + code, any case and spaces", " td  Music 1 ", textUnsubscribe, "MUSIC1"},
		{"full-width ＴＤ works", "ＴＤ１２３", textUnsubscribe, "123"},
		{"bare TD names no service", "TD", textUnsubscribe, ""},
		{"an ordering keyword is ordinary", "DZ MUSIC", textOther, ""},
		{"empty text is ordinary", "", textOther, ""},
		{"Chinese text is ordinary", "你好", textOther, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			kind, svc := ks.parse(c.text)
			if kind != c.kind || svc != c.service {
				t.Errorf("parse(%q) = %d %q, want %d %q", c.text, kind, svc, c.kind, c.service)
			}
		})
	}
	custom, err := compileKeywords(Keywords{Yes: []string{"是", "y"}, No: []string{"否"}, Unsubscribe: []string{"QX"}, UnsubscribeAll: []string{"QXQB"}})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]textKind{"是": textYes, "Y": textYes, "否": textNo, "QXQB": textUnsubscribeAll, "qx abc": textUnsubscribe, "TDABC": textOther} {
		if kind, _ := custom.parse(text); kind != want {
			t.Errorf("custom parse(%q) = %d, want %d", text, kind, want)
		}
	}
}

// FuzzParseMOText: the keyword parser never panics, depends only on the
// normalised text, and names services without spaces or lower case.
func FuzzParseMOText(f *testing.F) {
	for _, s := range []string{"Y", " n ", "Ｙ", "0000", "TD MUSIC", "td", "ＴＤ１２３", "你好", "\xff\xfe", "T\u3000D x"} {
		f.Add(s)
	}
	ks := defaultKeywords(f)
	f.Fuzz(func(t *testing.T, text string) {
		kind, svc := ks.parse(text)
		n := normalizeText(text)
		if n2 := normalizeText(n); n2 != n {
			t.Fatalf("normalizeText not idempotent: %q → %q → %q", text, n, n2)
		}
		if k2, s2 := ks.parse(n); k2 != kind || s2 != svc {
			t.Fatalf("parse(%q) = %d %q but parse(normalised %q) = %d %q", text, kind, svc, n, k2, s2)
		}
		if kind != textUnsubscribe && svc != "" {
			t.Fatalf("service %q for kind %d", svc, kind)
		}
		if strings.IndexFunc(svc, func(r rune) bool { return unicode.IsSpace(r) || (r >= 'a' && r <= 'z') }) >= 0 {
			t.Fatalf("service %q has spaces or lower case", svc)
		}
	})
}
