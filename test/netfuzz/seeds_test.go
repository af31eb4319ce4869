package netfuzz

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/test/internal/testenv"
)

// TestWriteSeeds regenerates testdata/fuzz/FuzzConnection when
// SPSMG_WRITE_CORPUS=1. The files are committed; the login timestamps in
// them are whatever time they were written at (any is accepted).
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("SPSMG_WRITE_CORPUS") != "1" {
		t.Skip("SPSMG_WRITE_CORPUS=1 regenerates the committed seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzConnection")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range seeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// seeds are the starting inputs: target byte, then the stream.
func seeds() map[string][]byte {
	out := map[string][]byte{}
	add := func(target int, name string, parts ...[]byte) {
		b := []byte{byte(target)}
		for _, p := range parts {
			b = append(b, p...)
		}
		out[name] = b
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for p, i := range targetProtocols {
		w := testenv.NewWire(p)
		a := testenv.SP1
		n := func(u string) string { return testenv.Number(p, u) }
		login := w.Login(1, a.Login, a.Secret)
		mt := testenv.RawMT{SPNumber: testenv.Access, Service: "FREE", Dests: []string{n(testenv.User)}, Content: []byte("hello"), NeedReport: true}
		submit := w.Submit(2, mt)
		zero := mt
		zero.Dests = nil
		many := mt
		for k := 0; k < 255; k++ {
			many.Dests = append(many.Dests, n(fmt.Sprintf("138%08d", k)))
		}
		long := mt
		long.Content = make([]byte, 255)
		linked := mt
		linked.Service, linked.LinkID = "HELP", "L1234567"
		prefix := fmt.Sprintf("%s-", p)
		add(i, prefix+"login", login)
		add(i, prefix+"login-submit", login, submit)
		add(i, prefix+"login-submit-activetest-logout", login, submit, w.ActiveTest(3), w.Logout(4))
		add(i, prefix+"login-submit-twice", login, submit, w.Submit(3, mt))
		add(i, prefix+"login-submit-0-recipients", login, w.Submit(2, zero))
		add(i, prefix+"login-submit-255-recipients", login, w.Submit(2, many))
		add(i, prefix+"login-submit-255-content", login, w.Submit(2, long))
		add(i, prefix+"login-submit-linkid", login, w.Submit(2, linked))
		add(i, prefix+"login-submit-truncated", login, submit[:len(submit)/2])
		add(i, prefix+"login-truncated", login[:len(login)-3])
		add(i, prefix+"login-wrong-secret-submit", w.Login(1, a.Login, "wrong"), submit)
		add(i, prefix+"login-twice", login, login)
		add(i, prefix+"submit-without-login", submit)
		add(i, prefix+"login-unknown-command", login, w.Header(uint32(w.HeaderLen()), 0xABCD, 5, nil))
		add(i, prefix+"length-zero", make([]byte, 16))
		add(i, prefix+"length-below-header", binary.BigEndian.AppendUint32(nil, uint32(w.HeaderLen()-1)), make([]byte, 20))
		add(i, prefix+"length-huge", []byte{0xff, 0xff, 0xff, 0xff})
		add(i, prefix+"length-over-limit", cat(binary.BigEndian.AppendUint32(nil, 4097), make([]byte, 64)))
		add(i, prefix+"login-deliver-resp-unsolicited", login, w.Header(uint32(w.HeaderLen()+9), 0x80000005, 9, make([]byte, 9)))
	}
	// The SGIP inbound listener: the SMG's type-2 bind, an MO and a report.
	seq := sgip.Sequence{Node: 101001, Time: 1010101, Counter: 1}
	bind := sgip.Append(nil, seq, &sgip.Bind{LoginType: sgip.LoginSMGToSP, LoginName: testenv.InboundLogin, LoginPassword: testenv.InboundSecret})
	seq.Counter++
	mo := sgip.Append(nil, seq, &sgip.Deliver{UserNumber: "86" + testenv.User, SPNumber: testenv.Access + "1", MessageContent: []byte("HELP")})
	seq.Counter++
	report := sgip.Append(nil, seq, &sgip.Report{SubmitSequenceNumber: sgip.Sequence{Node: 3000000001, Time: 1010101, Counter: 7},
		UserNumber: "86" + testenv.User, State: sgip.StateDelivered})
	add(inboundTarget, "sgip-inbound-bind", bind)
	add(inboundTarget, "sgip-inbound-bind-mo-report", bind, mo, report)
	add(inboundTarget, "sgip-inbound-mo-without-bind", mo)
	add(inboundTarget, "sgip-inbound-bind-type1", sgip.Append(nil, seq, &sgip.Bind{LoginType: sgip.LoginSPToSMG, LoginName: testenv.InboundLogin, LoginPassword: testenv.InboundSecret}))
	add(inboundTarget, "sgip-inbound-bind-truncated-mo", bind, mo[:len(mo)-7])
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 512)
	for k := range junk {
		junk[k] = byte(rng.UintN(256))
	}
	add(0, "random-bytes", junk)
	return out
}
