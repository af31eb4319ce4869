package smgp

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

func TestCommandNames(t *testing.T) {
	want := map[CommandID]string{
		CmdLogin: "SMGP_LOGIN", CmdLoginResp: "SMGP_LOGIN_RESP",
		CmdSubmit: "SMGP_SUBMIT", CmdSubmitResp: "SMGP_SUBMIT_RESP",
		CmdDeliver: "SMGP_DELIVER", CmdDeliverResp: "SMGP_DELIVER_RESP",
		CmdActiveTest: "SMGP_ACTIVE_TEST", CmdActiveTestResp: "SMGP_ACTIVE_TEST_RESP",
		CmdForward: "SMGP_FORWARD", CmdForwardResp: "SMGP_FORWARD_RESP",
		CmdExit: "SMGP_EXIT", CmdExitResp: "SMGP_EXIT_RESP",
		CmdQuery: "SMGP_QUERY", CmdQueryResp: "SMGP_QUERY_RESP",
		CmdQueryTERoute: "SMGP_QUERY_TE_ROUTE", CmdQueryTERouteResp: "SMGP_QUERY_TE_ROUTE_RESP",
		CmdQuerySPRoute: "SMGP_QUERY_SP_ROUTE", CmdQuerySPRouteResp: "SMGP_QUERY_SP_ROUTE_RESP",
		CmdPaymentRequest: "SMGP_PAYMENT_REQUEST", CmdPaymentRequestResp: "SMGP_PAYMENT_REQUEST_RESP",
		CmdPaymentAffirm: "SMGP_PAYMENT_AFFIRM", CmdPaymentAffirmResp: "SMGP_PAYMENT_AFFIRM_RESP",
		CmdQueryUserState: "SMGP_QUERY_USERSTATE", CmdQueryUserStateResp: "SMGP_QUERY_USERSTATE_RESP",
		CmdGetAllTERoute: "SMGP_GET_ALL_TE_ROUTE", CmdGetAllTERouteResp: "SMGP_GET_ALL_TE_ROUTE_RESP",
		CmdGetAllSPRoute: "SMGP_GET_ALL_SP_ROUTE", CmdGetAllSPRouteResp: "SMGP_GET_ALL_SP_ROUTE_RESP",
		CmdUpdateTERoute: "SMGP_UPDATE_TE_ROUTE", CmdUpdateTERouteResp: "SMGP_UPDATE_TE_ROUTE_RESP",
		CmdUpdateSPRoute: "SMGP_UPDATE_SP_ROUTE", CmdUpdateSPRouteResp: "SMGP_UPDATE_SP_ROUTE_RESP",
		CmdPushUpdateTERoute: "SMGP_PUSH_UPDATE_TE_ROUTE", CmdPushUpdateTERouteResp: "SMGP_PUSH_UPDATE_TE_ROUTE_RESP",
		CmdPushUpdateSPRoute: "SMGP_PUSH_UPDATE_SP_ROUTE", CmdPushUpdateSPRouteResp: "SMGP_PUSH_UPDATE_SP_ROUTE_RESP",
		0:          "0x00000000",
		0x13:       "0x00000013",
		0x80000000: "0x80000000",
		0xdeadbeef: "0xdeadbeef",
	}
	if len(want) != 36+4 {
		t.Fatalf("table has %d entries", len(want))
	}
	for id, name := range want {
		if got := id.String(); got != name {
			t.Errorf("%#x: %q, want %q", uint32(id), got, name)
		}
		if id.Defined() != !strings.HasPrefix(name, "0x") {
			t.Errorf("%s: Defined = %v", name, id.Defined())
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = CmdSubmitResp.String() }); n != 0 {
		t.Fatalf("String allocates %v", n)
	}
}

func TestKindOf(t *testing.T) {
	cases := map[CommandID]codec.Kind{
		CmdLogin: codec.KindLogin, CmdLoginResp: codec.KindLoginResp,
		CmdSubmit: codec.KindSubmit, CmdSubmitResp: codec.KindSubmitResp,
		CmdDeliver: codec.KindDeliver, CmdDeliverResp: codec.KindDeliverResp,
		CmdActiveTest: codec.KindActiveTest, CmdActiveTestResp: codec.KindActiveTestResp,
		CmdExit: codec.KindLogout, CmdExitResp: codec.KindLogoutResp,
		CmdForward: codec.KindOther, CmdForwardResp: codec.KindOtherResp,
		CmdQuery: codec.KindOther, CmdQueryResp: codec.KindOtherResp,
		CmdPaymentRequest: codec.KindOther, CmdPushUpdateSPRouteResp: codec.KindOtherResp,
		0x13: codec.KindUnknown, 0x80000013: codec.KindUnknown, 0: codec.KindUnknown,
	}
	for id, want := range cases {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%s) = %s, want %s", id, got, want)
		}
	}
}

func TestStatus(t *testing.T) {
	cases := map[Status]string{
		StatusOK: "success", StatusSystemBusy: "system busy", StatusTooManyConnections: "too many connections",
		StatusIPError: "IP address error", StatusAuthError: "authentication error",
		StatusVersionTooHigh: "version too high", StatusDailyLimit: "SP exceeded daily volume",
		StatusSPAccountExpired: "SP account expired", StatusIllegalMServiceID: "illegal MServiceID",
		5: "reserved", 52: "other uses", 100: "reserved", 114: "other uses",
		128: "vendor-defined", 200: "vendor-defined", 255: "vendor-defined", 256: "unknown status",
	}
	for s, want := range cases {
		if got := s.String(); got != want {
			t.Errorf("Status(%d) = %q, want %q", uint32(s), got, want)
		}
	}
	if StatusAuthError.Error() != "smgp: status 21 (authentication error)" {
		t.Fatal(StatusAuthError.Error())
	}
	if !Status(128).IsVendor() || !Status(255).IsVendor() || Status(127).IsVendor() || Status(256).IsVendor() {
		t.Fatal("IsVendor")
	}
	var err error = StatusDailyLimit
	if err.Error() == "" {
		t.Fatal("Status is not an error")
	}
}

func TestVersionString(t *testing.T) {
	if V30.String() != "3.0" || V13.String() != "1.3" || Version(0xff).String() != "0x000000ff" {
		t.Fatal(V30.String(), V13.String())
	}
}

// TestNoFmt keeps fmt, I/O and logging out of the package, as
// golang.org/x/net/dns/dnsmessage's TestNoFmt does: a codec turns bytes into
// typed PDUs and back, and nothing else.
func TestNoFmt(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch p {
			case "fmt", "net", "os", "log", "log/slog", "unsafe", "reflect":
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
