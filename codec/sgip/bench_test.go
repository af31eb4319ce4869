package sgip

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// msgsPerSec reports the rate as a metric next to ns/op.
func msgsPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchDecode(b *testing.B, frame []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
	msgsPerSec(b)
}

func BenchmarkDecodeSubmit(b *testing.B) {
	benchDecode(b, codectest.ReadHex(b, "v4-submit-linkid.hex"))
}
func BenchmarkDecodeDeliver(b *testing.B)  { benchDecode(b, codectest.ReadHex(b, "v5-deliver.hex")) }
func BenchmarkDecodeReport(b *testing.B)   { benchDecode(b, codectest.ReadHex(b, "v6-report.hex")) }
func BenchmarkDecodeBind(b *testing.B)     { benchDecode(b, codectest.ReadHex(b, "v2-bind.hex")) }
func BenchmarkDecodeBindResp(b *testing.B) { benchDecode(b, codectest.ReadHex(b, "v3-bind-resp.hex")) }

func BenchmarkParseViewSubmit(b *testing.B) {
	frame := codectest.ReadHex(b, "v4-submit-linkid.hex")
	var v codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := ParseView(frame, &v); err != nil {
			b.Fatal(err)
		}
	}
	msgsPerSec(b)
}

func BenchmarkParseViewSubmitLong(b *testing.B) {
	frame := Append(nil, spSeq, longSubmit()) // 2 recipients, UDH
	var v codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := ParseView(frame, &v); err != nil {
			b.Fatal(err)
		}
	}
	msgsPerSec(b)
}

func BenchmarkParseViewReport(b *testing.B) {
	frame := codectest.ReadHex(b, "v6-report.hex")
	var v codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := ParseView(frame, &v); err != nil {
			b.Fatal(err)
		}
	}
	msgsPerSec(b)
}

func BenchmarkSetSequence(b *testing.B) {
	frame := codectest.ReadHex(b, "v4-submit-linkid.hex")
	g := NewSequenceGenerator(3075512345, nil)
	seq := g.Next()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		seq.Counter++
		SetSequence(frame, seq)
	}
	msgsPerSec(b)
}

func BenchmarkAppendSubmit(b *testing.B) {
	s := longSubmit()
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(Append(nil, spSeq, s))))
	for b.Loop() {
		dst = Append(dst[:0], spSeq, s)
	}
	msgsPerSec(b)
}

func BenchmarkAppendSubmitResp(b *testing.B) {
	dst := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(RespLen)
	for b.Loop() {
		dst = AppendResp(dst[:0], CmdSubmit, spSeq, uint8(OK))
	}
	msgsPerSec(b)
}

func BenchmarkSequenceGeneratorNext(b *testing.B) {
	g := NewSequenceGenerator(3075512345, nil)
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Next()
	}
}
