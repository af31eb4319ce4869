package sgip

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
)

func TestCommandIDString(t *testing.T) {
	for _, c := range allCommands {
		s := c.String()
		if !strings.HasPrefix(s, "SGIP_") || strings.HasSuffix(s, "_RESP") != c.IsResponse() {
			t.Errorf("%#x prints as %q", uint32(c), s)
		}
		if c.IsResponse() && s != (c&^RespBit).String()+"_RESP" {
			t.Errorf("%v is not its request's name + _RESP", c)
		}
	}
	for c, want := range map[CommandID]string{
		CmdSubmit: "SGIP_SUBMIT", CmdModifySMGResp: "SGIP_MODIFYSMG_RESP", CmdTrace: "SGIP_TRACE",
		0x99: "0x00000099", 0x80000012: "0x80000012",
	} {
		if got := c.String(); got != want {
			t.Errorf("String(%#x) = %q, want %q", uint32(c), got, want)
		}
	}
	if CmdModifySMGResp != 0x8000000E {
		t.Errorf("ModifySMG_Resp = %#x, want 0x8000000E (§5: the spec's 0x0000000e is a typo)", uint32(CmdModifySMGResp))
	}
}

func TestKindOf(t *testing.T) {
	want := map[CommandID]codec.Kind{
		CmdBind: codec.KindLogin, CmdBindResp: codec.KindLoginResp,
		CmdUnbind: codec.KindLogout, CmdUnbindResp: codec.KindLogoutResp,
		CmdSubmit: codec.KindSubmit, CmdSubmitResp: codec.KindSubmitResp,
		CmdDeliver: codec.KindDeliver, CmdDeliverResp: codec.KindDeliverResp,
		CmdReport: codec.KindReport, CmdReportResp: codec.KindReportResp,
		CmdUserRpt: codec.KindUserRpt, CmdUserRptResp: codec.KindUserRptResp,
	}
	for _, c := range allCommands {
		w, ok := want[c]
		if !ok {
			w = codec.KindOther
			if c.IsResponse() {
				w = codec.KindOtherResp
			}
		}
		if got := KindOf(c); got != w {
			t.Errorf("KindOf(%v) = %v, want %v", c, got, w)
		}
	}
	for _, c := range []CommandID{0, 0x12, 0x80000000, 0x80000012, 0x1001, 0xffffffff} {
		if got := KindOf(c); got != codec.KindUnknown {
			t.Errorf("KindOf(%v) = %v, want unknown", c, got)
		}
	}
}

// TestNoFmt keeps fmt (and I/O) out of the package, as dnsmessage does.
func TestNoFmt(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch p {
			case "fmt", "log", "log/slog", "net", "os", "reflect":
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
