package translate

import (
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/cmpp"
	"github.com/spsmg/spsmg/codec/sgip"
	"github.com/spsmg/spsmg/codec/smgp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the translation")

// vector reads a frame of the codec packages' golden vectors
// (codec/<pkg>/testdata/<name>, hex with # comments).
func vector(t testing.TB, pkg, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "codec", pkg, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			sb.WriteString(strings.Join(strings.Fields(line), ""))
		}
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatalf("%s/%s: %v", pkg, name, err)
	}
	return b
}

type goldenCase struct {
	name      string
	kind      codec.Kind // KindSubmit: frame is the SP's; KindReport, KindDeliver: the upstream's
	sp, up    Face
	pkg, file string
}

// goldenCases translate the codec packages' own vectors: Submits of every
// SP protocol, reports of every form, MOs with and without a LinkID or a
// UDH.
var goldenCases = []goldenCase{
	{"cmpp3-submit-to-smpp", codec.KindSubmit, cmpp3, smppFace, "cmpp", "v05-submit-30.hex"},
	{"cmpp3-submit-to-sgip", codec.KindSubmit, cmpp3, sgip.Dialect{}, "cmpp", "v05-submit-30.hex"},
	{"cmpp2-submit-to-smgp", codec.KindSubmit, cmpp.NewDialect(cmpp.V20), smgp.NewDialect(smgp.V30), "cmpp", "v04-submit-2x.hex"},
	{"sgip-submit-linkid-to-cmpp3", codec.KindSubmit, sgip.Dialect{}, cmpp3, "sgip", "v4-submit-linkid.hex"},
	{"sgip-submit-linkid-to-smpp", codec.KindSubmit, sgip.Dialect{}, smppFace, "sgip", "v4-submit-linkid.hex"},
	{"smgp-submit-linkid-to-cmpp3", codec.KindSubmit, smgp.NewDialect(smgp.V30), cmpp3, "smgp", "v2_submit_linkid.hex"},
	{"smgp-submit-linkid-to-smpp", codec.KindSubmit, smgp.NewDialect(smgp.V30), smppFace, "smgp", "v2_submit_linkid.hex"},
	{"smpp-submit-ucs2-to-cmpp3", codec.KindSubmit, smppFace, cmpp3, "smpp", "v03-submit-sm.hex"},
	{"smpp-submit-sar-payload-to-cmpp3", codec.KindSubmit, smppFace, cmpp3, "smpp", "v08-submit-sm-sar-payload.hex"},
	{"smpp-submit-gsm7-to-smgp", codec.KindSubmit, smppFace, smgp.NewDialect(smgp.V30), "smpp", "v09-submit-sm-gsm7.hex"},
	{"sgip-report-to-smpp", codec.KindReport, smppFace, sgip.Dialect{}, "sgip", "v6-report.hex"},
	{"sgip-report-to-cmpp3", codec.KindReport, cmpp3, sgip.Dialect{}, "sgip", "v6-report.hex"},
	{"smgp-report-to-smpp", codec.KindReport, smppFace, smgp.NewDialect(smgp.V30), "smgp", "v5_deliver_report.hex"},
	{"smgp-report-to-sgip", codec.KindReport, sgip.Dialect{}, smgp.NewDialect(smgp.V30), "smgp", "v5_deliver_report.hex"},
	{"smpp-receipt-to-cmpp3", codec.KindReport, cmpp3, smppFace, "smpp", "v07-deliver-sm-receipt.hex"},
	{"smpp-receipt-to-smgp", codec.KindReport, smgp.NewDialect(smgp.V30), smppFace, "smpp", "v07-deliver-sm-receipt.hex"},
	{"cmpp3-mo-to-smpp", codec.KindDeliver, smppFace, cmpp3, "cmpp", "v07-deliver-mo-30.hex"},
	{"cmpp2-mo-to-sgip", codec.KindDeliver, sgip.Dialect{}, cmpp.NewDialect(cmpp.V20), "cmpp", "v08-deliver-mo-2x.hex"},
	{"smgp-mo-linkid-to-cmpp3", codec.KindDeliver, cmpp3, smgp.NewDialect(smgp.V30), "smgp", "v4_deliver_mo_linkid.hex"},
	{"sgip-mo-to-smgp", codec.KindDeliver, smgp.NewDialect(smgp.V30), sgip.Dialect{}, "sgip", "v5-deliver.hex"},
	{"smpp-mo-udh-to-cmpp3", codec.KindDeliver, cmpp3, smppFace, "smpp", "v04-deliver-sm-udh.hex"},
}

type goldenFrame struct {
	f     Face
	frame []byte
}

// translateGolden runs one case and renders what it produced: each frame
// as hex under a comment naming it, and each frame with its protocol.
func translateGolden(t *testing.T, c goldenCase) (string, []goldenFrame) {
	in := vector(t, c.pkg, c.file)
	p := NewPair(c.sp, c.up, testOptions)
	var sb strings.Builder
	var frames []goldenFrame
	sb.WriteString("# translate " + c.name + ": codec/" + c.pkg + "/testdata/" + c.file + ", SP " +
		c.sp.Protocol().String() + ", upstream " + c.up.Protocol().String() + "\n")
	out := func(label string, f Face, frame []byte) {
		sb.WriteString("# " + label + "\n" + hex.EncodeToString(frame) + "\n")
		frames = append(frames, goldenFrame{f, frame})
	}
	switch c.kind {
	case codec.KindSubmit:
		seq := spSeq(c.sp, 7)
		pl, err := p.Submit(in, seq, idGen(c.sp))
		if err != nil {
			t.Fatal(err)
		}
		for k := range pl.Len() {
			out("upstream Submit "+string(rune('0'+k)), c.up, pl.Frame(k))
			pl.Answer(k, 0, upstreamID(t, c.up, k))
		}
		out("SP Submit_Resp", c.sp, pl.AppendResp(nil, seq))
	case codec.KindReport:
		f, err := p.Report(in, spIDOf(c.sp), idGen(c.sp), testNow)
		if err != nil {
			t.Fatal(err)
		}
		out("SP report", c.sp, f)
	default:
		fs, err := p.MO(in, idGen(c.sp), testNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			out("SP MO", c.sp, f)
		}
	}
	return sb.String(), frames
}

// TestGolden translates the codec vectors and compares with
// testdata/golden (go test -run TestGolden -update ./translate/ rewrites
// them). Every frame produced must also read back in its protocol.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got, frames := translateGolden(t, c)
			path := filepath.Join("testdata", "golden", c.name+".hex")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("translation differs from %s:\n%s\nwant\n%s", path, got, want)
			}
			for _, g := range frames {
				var v codec.View
				if err := g.f.ParseView(g.frame, &v); err != nil {
					t.Errorf("%s frame does not read: %v", g.f.Protocol(), err)
				}
				switch v.Kind {
				case codec.KindSubmit:
					decodeSubmit(t, g.f, g.frame)
				case codec.KindDeliver, codec.KindReport:
					decodeDelivery(t, g.f, g.frame)
				}
			}
		})
	}
}
