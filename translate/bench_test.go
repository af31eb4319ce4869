package translate

import (
	"time"

	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/text"
)

// BenchmarkSubmit translates one Submit (one recipient, 10 UCS2
// characters, a LinkID, a report asked for) for every pair, and answers
// it: Submit, Answer, Route, AppendResp — what the proxy will do per MT.
//
//	go test -run '^$' -bench Submit -benchmem ./translate/
func BenchmarkSubmit(b *testing.B) {
	for _, sp := range faces {
		for _, up := range faces {
			if sp == up {
				continue
			}
			b.Run(sp.Protocol().String()+"-"+up.Protocol().String(), func(b *testing.B) {
				p := NewPair(sp, up, testOptions)
				src := codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "NEWS",
					LinkID: "AB12CD34", Coding: text.UCS2, Content: ucs2("今天的新闻：晴，二十度"), NeedReport: true}
				seq := spSeq(sp, 1)
				frame := sp.AppendSubmit(nil, seq, &src)
				ids := NewIDSource(sp.Capabilities(), IDConfig{Sleep: func(time.Duration) {}}).Gen(sp, "000123")
				upID := upstreamID(b, up, 0)
				key, origin, resp := make([]byte, 0, 64), make([]byte, 0, 64), make([]byte, 0, 64)
				b.ReportAllocs()
				for b.Loop() {
					pl, err := p.Submit(frame, seq, ids)
					if err != nil {
						b.Fatal(err)
					}
					pl.Answer(0, 0, upID)
					key, origin = pl.Route(0, 0, key[:0], origin[:0])
					resp = pl.AppendResp(resp[:0], seq)
				}
			})
		}
	}
}

// BenchmarkReport translates one report for a few pairs.
func BenchmarkReport(b *testing.B) {
	for _, c := range [][2]Face{{smppFace, cmpp3}, {cmpp3, smppFace}, {faces[0], faces[3]}, {faces[3], faces[0]}} {
		sp, up := c[0], c[1]
		b.Run(sp.Protocol().String()+"-"+up.Protocol().String(), func(b *testing.B) {
			p := NewPair(sp, up, testOptions)
			in := codec.Report{MsgID: upstreamID(b, up, 1), SubmitID: upstreamID(b, up, 0), User: "13800138000",
				SPNumber: "10655123", Stat: "DELIVRD", SubmitTime: "2603141500", DoneTime: "2603141502"}
			frame := up.AppendReport(nil, spSeq(up, 1), &in)
			spID := spIDOf(sp)
			ids := idGen(sp)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Report(frame, spID, ids, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
