package proxy

import (
	"bytes"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
)

// TestMOLinkIDWrittenIntoACopy: an MO the SMG sent without a LinkID gets
// spsmg's own, written into spsmg's copy of the frame. The frame is
// borrowed from the connection's read buffer, which holds the bytes that
// follow it too: that buffer is left exactly as it was (the LinkID was
// written into it before it was copied).
func TestMOLinkIDWrittenIntoACopy(t *testing.T) {
	g := newUnitGateway(t)
	l := newLoop(g, nil, 0)
	mo := cmpp.Append(nil, cmpp.V30, 7, &cmpp.Deliver{MsgID: 42, DestID: "10655123", ServiceID: "HELP",
		SrcTerminalID: "13800138000", MsgContent: []byte("HELP me")})
	next := cmpp.AppendActiveTest(nil, 8)
	read := append(append([]byte(nil), mo...), next...) // the read buffer: the MO and what follows
	before := append([]byte(nil), read...)
	frame := read[:len(mo)]
	v := &l.view
	if err := g.faces[0].d.ParseView(frame, v); err != nil {
		t.Fatal(err)
	}
	if len(v.LinkID()) != 0 {
		t.Fatalf("the MO carries LinkID %q: the test needs one without", v.LinkID())
	}
	src := &output{loop: l}
	src.closed.Store(true) // the SMG's connection: its acknowledgement is not looked at here

	g.deliver.fromSMG(g.upstreams[0], l, src, frame, v)

	if !bytes.Equal(read, before) {
		t.Fatalf("the read buffer changed under spsmg:\nbefore %x\nafter  %x", before, read)
	}
	a := g.accounts.Load().byID["sp1"]
	a.queue.mu.Lock()
	var queued *delivery
	if a.queue.lenLocked() == 1 {
		queued = a.queue.items[a.queue.head]
	}
	a.queue.mu.Unlock()
	if queued == nil {
		t.Fatalf("%d deliveries queued for sp1, want the MO", a.queue.Len())
	}
	var got codec.View
	if err := g.faces[0].d.ParseView(queued.frame, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.LinkID()) == 0 || string(got.Content) != "HELP me" {
		t.Fatalf("queued MO: LinkID %q, content %q; want a LinkID and the MO's text", got.LinkID(), got.Content)
	}
	if &queued.frame[0] == &read[0] {
		t.Fatal("the queued MO shares the read buffer")
	}
}
