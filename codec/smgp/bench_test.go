package smgp

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/internal/codectest"
)

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchDecode(b *testing.B, file string, v Version) {
	frame := codectest.ReadHex(b, file)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, err := Decode(frame, v); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkDecodeLogin(b *testing.B)         { benchDecode(b, "v1_login.hex", V30) }
func BenchmarkDecodeSubmit(b *testing.B)        { benchDecode(b, "v2_submit_linkid.hex", V30) }
func BenchmarkDecodeSubmitV13(b *testing.B)     { benchDecode(b, "v7_submit_v13_tlvs.hex", V13) }
func BenchmarkDecodeSubmitResp(b *testing.B)    { benchDecode(b, "v3_submit_resp.hex", V30) }
func BenchmarkDecodeDeliver(b *testing.B)       { benchDecode(b, "v4_deliver_mo_linkid.hex", V30) }
func BenchmarkDecodeDeliverReport(b *testing.B) { benchDecode(b, "v5_deliver_report.hex", V30) }

func benchView(b *testing.B, frame []byte, v Version) {
	var w codec.View
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := ParseView(frame, v, &w); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkParseViewSubmit(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v2_submit_linkid.hex"), V30)
}

func BenchmarkParseViewSubmit100Dests(b *testing.B) {
	s := samples(V30)[2].(*Submit)
	s.DestTermID = make([]string, MaxDestTermIDs)
	for i := range s.DestTermID {
		s.DestTermID[i] = "13800138000"
	}
	benchView(b, Append(nil, V30, 1, s), V30)
}

func BenchmarkParseViewDeliver(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v4_deliver_mo_linkid.hex"), V30)
}

func BenchmarkParseViewDeliverReport(b *testing.B) {
	benchView(b, codectest.ReadHex(b, "v5_deliver_report.hex"), V30)
}

func BenchmarkSetSequence(b *testing.B) {
	frame := codectest.ReadHex(b, "v2_submit_linkid.hex")
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
	_, p, err := Decode(codectest.ReadHex(b, "v2_submit_linkid.hex"), V30)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(Append(nil, V30, 1, p))))
	for b.Loop() {
		buf = Append(buf[:0], V30, 2, p)
	}
	reportRate(b)
}

func BenchmarkAppendSubmitResp(b *testing.B) {
	id := codectest.MustHex("01006101161700012345")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(26)
	for b.Loop() {
		buf = AppendSubmitResp(buf[:0], 2, id, StatusOK)
	}
	reportRate(b)
}

func BenchmarkAppendDeliverResp(b *testing.B) {
	id := codectest.MustHex("01006101161700012347")
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(26)
	for b.Loop() {
		buf = AppendDeliverResp(buf[:0], 4, id, StatusOK)
	}
	reportRate(b)
}
