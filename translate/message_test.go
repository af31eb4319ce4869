package translate

import (
	"errors"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
)

func TestMessage(t *testing.T) {
	cmpp := codec.Capabilities{GBK: true}
	base := codec.Submit{SPNumber: "10655124", Dests: []string{"13800138000"}, ServiceCode: "FREE", NeedReport: true,
		Content: []byte("ignored"), UDHI: true}
	for _, c := range []struct {
		name   string
		msg    string
		gb     bool
		caps   codec.Capabilities
		coding uint8
		parts  int
	}{
		{"short ASCII", "Your code is 123456", false, cmpp, text.ASCII, 1},
		{"160 ASCII fit one", strings.Repeat("a", 160), false, cmpp, text.ASCII, 1},
		{"161 ASCII: two parts", strings.Repeat("a", 161), false, cmpp, text.ASCII, 2},
		{"70 Chinese fit one", strings.Repeat("中", 70), false, cmpp, text.UCS2, 1},
		{"71 Chinese: two parts", strings.Repeat("中", 71), false, cmpp, text.UCS2, 2},
		{"GB when asked and carried", strings.Repeat("中", 71), true, cmpp, text.GBK, 2},
		{"no GB where the upstream has none", "中文", true, codec.Capabilities{}, text.UCS2, 1},
		{"GB18030 four-byte character goes UCS2", "中文😀", true, cmpp, text.UCS2, 1},
		{"surrogate pairs never cut", strings.Repeat("😀", 40), false, cmpp, text.UCS2, 2},
		{"one Submit where long content is carried", strings.Repeat("a", 1000), false, codec.Capabilities{LongContent: true}, text.ASCII, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			parts, err := Message(base, c.msg, c.gb, c.caps, 42)
			if err != nil || len(parts) != c.parts {
				t.Fatalf("%d parts, %v; want %d", len(parts), err, c.parts)
			}
			var whole []byte
			for i, p := range parts {
				if p.Coding != c.coding || p.SPNumber != base.SPNumber || p.ServiceCode != "FREE" || !p.NeedReport {
					t.Errorf("part %d: %+v", i+1, p)
				}
				body := p.Content
				if c.parts > 1 {
					h, ok := udh.Parse(p.Content)
					if !ok || !p.UDHI || !h.HasConcat || h.Concat.Ref != 42 || int(h.Concat.Total) != c.parts || int(h.Concat.Seq) != i+1 ||
						int(p.PkTotal) != c.parts || int(p.PkNumber) != i+1 {
						t.Fatalf("part %d: header %+v udhi %v pk %d/%d", i+1, h, p.UDHI, p.PkNumber, p.PkTotal)
					}
					body = p.Content[h.Len:]
					if p.Coding == text.ASCII && len(body) > 153 || p.Coding != text.ASCII && len(body) > 134 {
						t.Errorf("part %d holds %d bytes of text", i+1, len(body))
					}
					if s, err := text.Decode(p.Coding, body); err != nil || strings.ContainsRune(s, '\uFFFD') {
						t.Errorf("part %d does not decode on its own: %q %v", i+1, s, err)
					}
				} else if p.UDHI || p.PkTotal != 0 {
					t.Errorf("a single message with udhi %v pk %d", p.UDHI, p.PkTotal)
				}
				whole = append(whole, body...)
			}
			if s, err := text.Decode(c.coding, whole); err != nil || s != c.msg {
				t.Errorf("the parts read %q, %v; want %q", s, err, c.msg)
			}
		})
	}
	if _, err := Message(base, strings.Repeat("中", 67*255+1), false, cmpp, 1); ClassOf(err) != codec.ResultBadMessage || !errors.Is(err, ErrTooLong) {
		t.Errorf("256 parts: %v, want a bad_message error", err)
	}
}
