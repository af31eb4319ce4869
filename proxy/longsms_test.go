package proxy_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
	"github.com/spsmg/spsmg/codec/udh"
	"github.com/spsmg/spsmg/reason"
	"github.com/spsmg/spsmg/sim/smg"
	"github.com/spsmg/spsmg/sim/sp"
)

// TestLongReplyToOneMOReachesTheSMGWhole: an SP answers one MO with a
// six-part message on the MO's LinkID (five uses), its parts out of order
// and over two connections. Every part is answered 0 and reaches the SMG:
// the message spent one use, so four single replies still pass and the
// fifth is refused linkid_used_up, as is every part of a long reply after it.
func TestLongReplyToOneMOReachesTheSMGWhole(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, p codec.Protocol) {
		h := newHarness(t, p, harnessOpt{})
		first := h.client()
		if err := h.smg.InjectMO(smg.MO{User: number(p, user), SPNumber: access, Text: "NEWS"}); err != nil {
			t.Fatal(err)
		}
		mo := h.nextDelivery(h.deliveries(first))
		if mo.LinkID == "" {
			t.Fatalf("MO delivered without a LinkID: %+v", mo)
		}
		h.eventually("the SMG sees the MO acknowledged", func() bool { return h.smg.Stats().MOAcked == 1 })
		conns := []*sp.Client{first, h.client()} // the second logs in once the MO is in
		before := len(h.smg.Submits())

		const total, ref = 6, 0x2a
		part := func(ref uint16, total, seq uint8) sp.MT {
			body, err := text.Encode(text.UCS2, fmt.Sprintf("第%d段", seq))
			if err != nil {
				t.Fatal(err)
			}
			return sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP", LinkID: mo.LinkID,
				Content: append(udh.Append(nil, udh.Concat{Ref: ref, Total: total, Seq: seq}), body...), Coding: text.UCS2,
				UDHI: true, PkTotal: total, PkNumber: seq}
		}
		for i, seq := range []uint8{2, 1, 4, 3, 6, 5} {
			if r := h.submit(conns[i%2], part(ref, total, seq)); r.Result != 0 {
				t.Fatalf("part %d of %d (connection %d): result %d, want 0", seq, total, i%2+1, r.Result)
			}
		}
		subs, err := h.smg.WaitSubmits(before+total, testWait)
		if err != nil {
			t.Fatalf("the SMG got %d of the %d parts: %v", len(subs)-before, total, err)
		}
		var got []uint8
		for _, s := range subs[before:] {
			hdr, ok := udh.Parse(s.Content)
			if !s.UDHI || !ok || !hdr.HasConcat || hdr.Concat.Ref != ref || hdr.Concat.Total != total || s.LinkID != mo.LinkID {
				t.Fatalf("the SMG got %+v", s)
			}
			got = append(got, hdr.Concat.Seq)
		}
		slices.Sort(got)
		if !slices.Equal(got, []uint8{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("the SMG got parts %v", got)
		}

		single := sp.MT{Users: []string{number(p, user)}, ServiceCode: "HELP", LinkID: mo.LinkID}
		for i := range 4 {
			if r := h.submit(conns[0], single); r.Result != 0 {
				t.Fatalf("single reply %d after the long one: result %d", i+1, r.Result)
			}
		}
		usedUp := h.refusal(reason.LinkIDUsedUp)
		if r := h.submit(conns[0], single); r.Result != usedUp {
			t.Fatalf("sixth reply on a LinkID of five uses: result %d, want %d", r.Result, usedUp)
		}
		// Another long reply, now that the uses are gone: every part is
		// refused alike and none reaches the SMG.
		before = len(h.smg.Submits())
		for i, seq := range []uint8{3, 1, 2} {
			if r := h.submit(conns[i%2], part(ref+1, 3, seq)); r.Result != usedUp {
				t.Fatalf("part %d of a reply past the uses: result %d, want %d", seq, r.Result, usedUp)
			}
		}
		if n := len(h.smg.Submits()) - before; n != 0 {
			t.Fatalf("%d refused parts reached the SMG", n)
		}
	})
}
