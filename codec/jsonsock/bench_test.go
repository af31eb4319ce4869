package jsonsock

import (
	"testing"
)

// BenchmarkRequestRoundTrip is the codec's share of one A001 exchange on
// a listener: split the request, check appid and appsecret, decode and
// check the body, write the B001 answer. JSON messages per second on one
// core is the metric.
func BenchmarkRequestRoundTrip(b *testing.B) {
	in := []byte(sampleRequest)
	out := make([]byte, 0, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		f, _, err := Splitter{}.Split(in)
		if err != nil || !f.AppID.Match("app001") || !f.AppSecret.Match("secret01") {
			b.Fatal(err)
		}
		if _, err := DecodeSend(f.Body); err != nil {
			b.Fatal(err)
		}
		out = AppendStatus(out[:0], StatusSuccess)
		if _, err := AppendResponse(out[len(out):], CmdSendResp, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDecodeSendBatch: one request of 100 messages, per message.
func BenchmarkDecodeSendBatch(b *testing.B) {
	msgs := make([]Message, MaxMessages)
	for i := range msgs {
		msgs[i] = Message{Phone: "13800138000", Message: "您的验证码是 123456,5 分钟内有效。", SendTime: "1399176571278", MsgID: "m" + string(rune('a'+i%26)), MsgType: "2"}
	}
	body := AppendSend(nil, msgs...)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeSend(body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*MaxMessages)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendReport: writing one A002 push frame.
func BenchmarkAppendReport(b *testing.B) {
	r := Report{MsgID: "m1", Phone: "13800138000", Status: StatusSuccess, SendTime: 1399176571278, Stat: "DELIVRD"}
	body := make([]byte, 0, 128)
	frame := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		body = AppendReport(body[:0], &r)
		var err error
		if frame, err = AppendRequest(frame[:0], CmdReport, "app001", "secret01", body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
