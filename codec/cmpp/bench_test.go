package cmpp

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

// reportRate adds msgs/s next to ns/op.
func reportRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "msgs/s")
	}
}

func benchDecode(b *testing.B, v Version, frame []byte) {
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, err := Decode(frame, v); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkDecodeSubmit(b *testing.B) {
	b.Run("2.x", func(b *testing.B) { benchDecode(b, V21, Append(nil, V21, 1, sampleSubmit())) })
	b.Run("3.0", func(b *testing.B) { benchDecode(b, V30, Append(nil, V30, 1, sampleSubmit())) })
}

func BenchmarkDecodeSubmitResp(b *testing.B) {
	benchDecode(b, V30, codectest.ReadHex(b, "v06b-submit-resp-30.hex"))
}

func BenchmarkDecodeDeliver(b *testing.B) {
	b.Run("MO 3.0", func(b *testing.B) {
		benchDecode(b, V30, wrapDeliver(codectest.ReadHex(b, "v11-deliver-mo-udhi40-30.body.hex"), 1))
	})
	b.Run("report 3.0", func(b *testing.B) {
		benchDecode(b, V30, wrapDeliver(codectest.ReadHex(b, "v09-deliver-report71-30.body.hex"), 1))
	})
}

func BenchmarkDecodeConnect(b *testing.B) {
	benchDecode(b, V30, codectest.ReadHex(b, "v01-connect.hex"))
}

func benchView(b *testing.B, v Version, frame []byte) {
	var view codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := ParseView(frame, v, &view); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkParseViewSubmit(b *testing.B) {
	b.Run("2.x", func(b *testing.B) { benchView(b, V21, Append(nil, V21, 1, sampleSubmit())) })
	b.Run("3.0", func(b *testing.B) { benchView(b, V30, Append(nil, V30, 1, sampleSubmit())) })
}

func BenchmarkParseViewDeliver(b *testing.B) {
	b.Run("report 3.0", func(b *testing.B) {
		benchView(b, V30, wrapDeliver(codectest.ReadHex(b, "v09-deliver-report71-30.body.hex"), 1))
	})
}

func BenchmarkSetSequence(b *testing.B) {
	frame := Append(nil, V30, 1, sampleSubmit())
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var seq uint32
	for b.Loop() {
		seq++
		SetSequence(frame, seq)
	}
	reportRate(b)
}

func BenchmarkAppendSubmit(b *testing.B) {
	for _, v := range []Version{V21, V30} {
		b.Run(v.Family().String(), func(b *testing.B) {
			p := sampleSubmit()
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(Append(nil, v, 1, p))))
			for b.Loop() {
				buf = Append(buf[:0], v, 1, p)
			}
			reportRate(b)
		})
	}
}

func BenchmarkAppendSubmitResp(b *testing.B) {
	for _, v := range []Version{V21, V30} {
		b.Run(v.Family().String(), func(b *testing.B) {
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			b.SetBytes(int64(len(AppendSubmitResp(nil, v, 1, 2, ResultOK))))
			for b.Loop() {
				buf = AppendSubmitResp(buf[:0], v, 1, 0xb2b9da8000010000, ResultOK)
			}
			reportRate(b)
		})
	}
}

func BenchmarkParseViewSubmitResp(b *testing.B) {
	b.Run("3.0", func(b *testing.B) { benchView(b, V30, Append(nil, V30, 1, &SubmitResp{MsgID: 7, Result: 0})) })
}
