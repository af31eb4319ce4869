package translate

import (
	"bytes"
	"errors"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// TestSubmitGroup: a group of an SP Submit's recipients (a Submit spanning
// carriers, docs/routing.md §5) becomes Submits to the group's recipients
// only, for every pair including the identity (the same protocol on both
// sides, which rebuilds the Submit); the routes and failure reports name
// the SP's id of each recipient's index in the SP's Submit, under the id
// the caller made.
func TestSubmitGroup(t *testing.T) {
	dests := []string{"13800138000", "13000130000", "13900139000"}
	for _, sp := range faces {
		for _, up := range faces {
			t.Run(name(sp, up), func(t *testing.T) {
				p := NewPair(sp, up, Options{Location: cst})
				ds := dests
				if sp.Capabilities().MaxDests == 1 {
					t.Skip("an SMPP SP's submit_sm has one recipient: nothing to group")
				}
				s := &codec.Submit{SPNumber: "10655123", Dests: mapNumbers(ds, sp.UserNumber), ServiceCode: "NEWS",
					Coding: text.ASCII, Content: []byte("hello"), NeedReport: true}
				seq := spSeq(sp, 7)
				frame := sp.AppendSubmit(nil, seq, s)
				spID := seq
				if g := idGen(sp); g != nil {
					spID = g.Append(nil, len(ds))
				}
				pl, err := p.SubmitGroup(frame, seq, spID, []int{0, 2})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pl.SPID(), spID) {
					t.Fatalf("SPID %x, want the id given %x", pl.SPID(), spID)
				}
				var got []string
				for k := 0; k < pl.Len(); k++ {
					us := decodeSubmit(t, up, pl.Frame(k))
					for _, d := range us.Dests {
						got = append(got, National(d))
					}
					pl.Answer(k, 0, upstreamID(t, up, k))
				}
				if len(got) != 2 || got[0] != ds[0] || got[1] != ds[2] {
					t.Fatalf("the upstream Submits carry %q, want %q and %q", got, ds[0], ds[2])
				}
				// The last Submit carries recipient 1 of the group, index 2
				// of the SP's Submit.
				k := pl.Len() - 1
				_, to := pl.Recipients(k)
				_, origin := pl.Route(k, to-1, nil, nil)
				if want := sp.AppendMsgIDAt(nil, spID, 2); !bytes.Equal(origin, want) {
					t.Errorf("route origin %x, want the SP's id of index 2 %x", origin, want)
				}
				r := pl.FailureReport(1, testNow)
				if want := sp.AppendMsgIDAt(nil, spID, 2); !bytes.Equal(r.SubmitID, want) || National(r.User) != ds[2] {
					t.Errorf("failure report of group recipient 1: id %x user %s, want %x %s", r.SubmitID, r.User, want, ds[2])
				}
			})
		}
	}
}

// TestSubmitGroupBadIndex: an index outside the recipient list is refused
// with bad_message, never a panic.
func TestSubmitGroupBadIndex(t *testing.T) {
	sp := faces[2]
	p := NewPair(sp, sp, Options{})
	frame := sp.AppendSubmit(nil, spSeq(sp, 1), &codec.Submit{SPNumber: "1065", Dests: []string{"13800138000"}, Coding: text.ASCII, Content: []byte("x")})
	_, err := p.SubmitGroup(frame, spSeq(sp, 1), make([]byte, 8), []int{1})
	var e *Error
	if !errors.As(err, &e) || e.Class != codec.ResultBadMessage {
		t.Fatalf("err = %v, want a bad_message *Error", err)
	}
}
