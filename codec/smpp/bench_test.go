package smpp

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchDecode(b *testing.B, file string) {
	frame := codectest.ReadHex(b, file)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, err := Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkDecodeBind(b *testing.B)       { benchDecode(b, "v02-bind-transceiver.hex") }
func BenchmarkDecodeSubmit(b *testing.B)     { benchDecode(b, "v03-submit-sm.hex") }
func BenchmarkDecodeSubmitSAR(b *testing.B)  { benchDecode(b, "v08-submit-sm-sar-payload.hex") }
func BenchmarkDecodeSubmitResp(b *testing.B) { benchDecode(b, "v03b-submit-sm-resp.hex") }
func BenchmarkDecodeReceipt(b *testing.B)    { benchDecode(b, "v07-deliver-sm-receipt.hex") }

func benchView(b *testing.B, frame []byte, o Options) {
	var w codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := o.ParseView(frame, &w); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// benchDialectView reads frame as the proxy does: through codec.Dialect,
// which holds the Dialect as an interface value.
func benchDialectView(b *testing.B, frame []byte, d codec.Dialect) {
	var w codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := d.ParseView(frame, &w); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkDialectParseViewSubmit(b *testing.B) {
	benchDialectView(b, codectest.ReadHex(b, "v03-submit-sm.hex"), NewDialect(Options{}))
}

func BenchmarkDialectParseViewSubmitResp(b *testing.B) {
	benchDialectView(b, codectest.ReadHex(b, "v03b-submit-sm-resp.hex"), NewDialect(Options{}))
}

func BenchmarkParseViewSubmit(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v03-submit-sm.hex"), Options{})
}

func BenchmarkParseViewSubmitSARLinkID(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v08-submit-sm-sar-payload.hex"), Options{LinkIDTag: 0x1401})
}

func BenchmarkParseViewDeliverUDH(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v04-deliver-sm-udh.hex"), Options{})
}

func BenchmarkParseViewReceipt(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v07-deliver-sm-receipt.hex"), Options{})
}

func BenchmarkParseViewSubmitResp(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v03b-submit-sm-resp.hex"), Options{})
}

func BenchmarkSetSequence(b *testing.B) {
	frame := codectest.ReadHex(b, "v03-submit-sm.hex")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	seq := uint32(0)
	for b.Loop() {
		seq++
		SetSequence(frame, seq)
	}
	reportRate(b)
}

func BenchmarkAppendSubmit(b *testing.B) {
	_, p, err := Decode(codectest.ReadHex(b, "v03-submit-sm.hex"))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(Append(nil, 1, 0, p))))
	for b.Loop() {
		buf = Append(buf[:0], 2, 0, p)
	}
	reportRate(b)
}

func BenchmarkAppendSubmitResp(b *testing.B) {
	id := []byte("0123456789")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(27)
	for b.Loop() {
		buf = AppendSubmitResp(buf[:0], 2, StatusOK, id)
	}
	reportRate(b)
}

func BenchmarkAppendDeliverResp(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(17)
	for b.Loop() {
		buf = AppendDeliverResp(buf[:0], 4, StatusOK)
	}
	reportRate(b)
}
