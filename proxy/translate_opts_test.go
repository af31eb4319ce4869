package proxy

import (
	"testing"

	"github.com/spsmg/spsmg/authcache"
	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
	"github.com/spsmg/spsmg/translate"
)

// TestUpstreamTranslateOptions: an SMPP SP's MT (no fee fields, no
// corporation code) reaches a CMPP 3.0 upstream with the corporation code
// and the fee of the upstream's translate: section; without the section,
// with neither.
func TestUpstreamTranslateOptions(t *testing.T) {
	for _, c := range []struct {
		section string
		corp    string
		fee     codec.Fee
	}{
		{`, translate: {corp_id: "901234", fee_type: per_message, fee_code: 10}`, "901234", codec.Fee{Type: codec.FeePerMessage, Code: 10}},
		{"", "", codec.Fee{}},
	} {
		cfg, err := config.Parse([]byte(`listeners: [{protocol: smpp, addr: "127.0.0.1:0", smpp: {linkid_tag: 0x1401}}]
upstream: {protocol: cmpp3, addr: "127.0.0.1:1", login: "901234", secret: x` + c.section + `}
accounts:
  - {id: sp1, login: smppsp, secret: xsecret, access_numbers: ["10655123"]}
`))
		if err != nil {
			t.Fatal(err)
		}
		g := newBuiltGateway(t, cfg, authcache.NewMemStore(nil))
		f := g.faces[0]
		pair := f.pair(g.upstreams[0])
		if pair == nil {
			t.Fatal("no translation from the SMPP face to the CMPP upstream")
		}
		seq := make([]byte, f.seqLen)
		frame := f.tf.AppendSubmit(nil, seq, &codec.Submit{SPNumber: "10655123", Dests: []string{"13800138000"}, ServiceCode: "FREE",
			Coding: 0, Content: []byte("hello")})
		plan, err := pair.Submit(frame, seq, f.offLoopIDs)
		if err != nil {
			t.Fatal(err)
		}
		var got codec.Submit
		if err := g.upstreams[0].d.(translate.Face).DecodeSubmit(plan.Frame(0), &got); err != nil {
			t.Fatal(err)
		}
		if got.CorpID != c.corp || got.Fee.Type != c.fee.Type || got.Fee.Code != c.fee.Code {
			t.Errorf("translate section %q: the upstream reads Msg_src %q fee %+v, want %q %+v", c.section, got.CorpID, got.Fee, c.corp, c.fee)
		}
	}
}
