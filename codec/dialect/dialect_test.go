package dialect_test

import (
	"testing"
	"time"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/dialect"
	"github.com/spsmg/spsmg/reason"
)

// The oracle below is the behaviour the gateway had before the Dialects,
// when each rule was a switch on the protocol's config name (proxy/spconn.go
// versionAccepted, modeAccepted, receivesDeliveries; config/protocol.go
// Version, LinkIDWidth, LoginField; proxy/dialect*.go seqLen and
// hasActiveTest; proxy/gateway.go routeAtForward; config/results.go
// DefaultResults). The Dialects must give the same answers.

func family(name string) string {
	switch name {
	case "sgip":
		return "sgip"
	case "cmpp2", "cmpp2.1", "cmpp3":
		return "cmpp"
	case "smgp", "smgp1.3":
		return "smgp"
	}
	return ""
}

func oldVersion(name string) uint8 {
	return map[string]uint8{"cmpp2": 0x20, "cmpp2.1": 0x21, "cmpp3": 0x30, "smgp": 0x30, "smgp1.3": 0x13}[name]
}

func oldVersionAccepted(name string, v uint8) bool {
	switch family(name) {
	case "sgip":
		return true
	case "cmpp":
		if oldVersion(name) >= 0x30 {
			return v == 0x30
		}
		return v == 0x20 || v == 0x21
	}
	return v == oldVersion(name) || (name == "smgp" && v == 0x30)
}

// oldModeAccepted and oldReceives take the mode byte as it came on the
// wire: SGIP Login Type, SMGP LoginMode; CMPP had none (2 was passed).
func oldModeAccepted(name string, mode uint8) bool {
	switch family(name) {
	case "sgip":
		return mode == 1
	case "smgp":
		return mode <= 2
	}
	return true
}

func oldReceives(name string, mode uint8) bool {
	switch family(name) {
	case "cmpp":
		return true
	case "smgp":
		return mode == 1 || mode == 2
	}
	return false
}

func oldLinkIDWidth(name string) int {
	switch name {
	case "sgip", "cmpp2", "cmpp2.1":
		return 8
	}
	return 20
}

func oldLoginField(name string) (string, int) {
	switch family(name) {
	case "cmpp":
		return "CMPP Source_Addr", 6
	case "smgp":
		return "SMGP ClientID", 8
	}
	return "SGIP Login Name", 16
}

var oldDefaults = map[string]map[string]uint32{
	"sgip": {"not_subscribed": 106, "linkid_unknown": 107, "linkid_expired": 107, "linkid_wrong_user": 107,
		"linkid_wrong_sp": 107, "linkid_wrong_service": 107, "notice_unmatched": 107, "linkid_used_up": 38,
		"no_recipients": 5, "bad_recipient": 6, "store_unavailable": 111, "subscription_paused": 108, "flow_control": 33, "window_full": 11,
		"upstream_unavailable": 11, "upstream_timeout": 11, "service_not_allowed": 103,
		"sp_number_not_allowed": 102, "malformed": 5, "too_many_recipients": 5, "account_suspended": 125},
	"cmpp": {"not_subscribed": 106, "linkid_unknown": 107, "linkid_expired": 107, "linkid_wrong_user": 107,
		"linkid_wrong_sp": 107, "linkid_wrong_service": 107, "notice_unmatched": 107, "linkid_used_up": 112,
		"no_recipients": 13, "bad_recipient": 13, "store_unavailable": 111, "subscription_paused": 108, "flow_control": 8, "window_full": 8,
		"upstream_unavailable": 8, "upstream_timeout": 8, "service_not_allowed": 7, "sp_number_not_allowed": 10,
		"malformed": 1, "too_many_recipients": 13, "account_suspended": 125},
	"smgp": {"not_subscribed": 130, "linkid_unknown": 131, "linkid_expired": 131, "linkid_wrong_user": 131,
		"linkid_wrong_sp": 131, "linkid_wrong_service": 131, "notice_unmatched": 131, "linkid_used_up": 132,
		"no_recipients": 47, "bad_recipient": 47, "store_unavailable": 1, "subscription_paused": 133, "flow_control": 1, "window_full": 1,
		"upstream_unavailable": 1, "upstream_timeout": 1, "service_not_allowed": 43, "sp_number_not_allowed": 46,
		"malformed": 10, "too_many_recipients": 47, "account_suspended": 134},
}

// loginWith builds the login of d with the mode byte raw on the wire, by
// building one with a known mode and patching the byte: SGIP Login Type is
// the first body byte, SMGP LoginMode follows ClientID (8) and the
// authenticator (16).
func loginWith(t *testing.T, d codec.Dialect, raw uint8) []byte {
	t.Helper()
	var seq [codec.MaxSeqLen]byte
	f := d.AppendLogin(nil, seq[:d.Seq().Len], &codec.Login{Name: "sp1", Secret: "s", Mode: codec.LoginBoth, Time: time.Now()})
	switch family(d.Protocol().String()) {
	case "sgip":
		f[d.Framer(0).HeaderLen] = raw
	case "smgp":
		f[d.Framer(0).HeaderLen+8+16] = raw
	}
	return f
}

func TestDialectsKeepTheOldRules(t *testing.T) {
	names := []string{"sgip", "cmpp2", "cmpp2.1", "cmpp3", "smgp", "smgp1.3"}
	if got := dialect.Protocols(); len(got) != len(names)+1 || got[len(names)] != codec.SMPP34 {
		t.Fatalf("Protocols = %v, want %v and smpp", got, names)
	}
	for i, d := range dialect.All()[:len(names)] { // SMPP came later: TestSMPPRules
		name := d.Protocol().String()
		if name != names[i] {
			t.Fatalf("dialect %d is %q, want %q", i, name, names[i])
		}
		t.Run(name, func(t *testing.T) {
			if p, err := dialect.Parse(name); err != nil || p.Protocol() != d.Protocol() {
				t.Fatalf("Parse(%q) = %v, %v", name, p, err)
			}
			if got := d.Protocol().Family().String(); got != family(name) {
				t.Errorf("family %q, want %q", got, family(name))
			}
			if d.Version() != oldVersion(name) {
				t.Errorf("Version %#x, want %#x", d.Version(), oldVersion(name))
			}
			for v := 0; v < 256; v++ {
				if got, want := d.AcceptsVersion(uint8(v)), oldVersionAccepted(name, uint8(v)); got != want {
					t.Errorf("AcceptsVersion(%#x) = %v, want %v", v, got, want)
				}
			}
			modes := []uint8{2} // CMPP: no mode byte
			if family(name) != "cmpp" {
				modes = []uint8{0, 1, 2, 3, 4, 11, 255}
			}
			for _, raw := range modes {
				l, err := d.DecodeLogin(loginWith(t, d, raw))
				if err != nil {
					t.Fatalf("DecodeLogin with mode %d: %v", raw, err)
				}
				if got, want := d.AcceptsLoginMode(l.Mode), oldModeAccepted(name, raw); got != want {
					t.Errorf("mode %d (%v): accepted %v, want %v", raw, l.Mode, got, want)
				}
				// Deliveries were only ever routed to an accepted login.
				if oldModeAccepted(name, raw) {
					if got, want := l.Mode.CarriesDeliveries(), oldReceives(name, raw); got != want {
						t.Errorf("mode %d (%v): receives %v, want %v", raw, l.Mode, got, want)
					}
				}
			}
			// proxy/dialect_sgip.go sgipNumber: SGIP numbers carry 86.
			for in, sgipOut := range map[string]string{"13800138000": "8613800138000", "8613800138000": "8613800138000",
				"10655123": "10655123", "": ""} {
				want := in
				if sgip := name == "sgip"; sgip {
					want = sgipOut
				}
				if got := d.UserNumber(in); got != want {
					t.Errorf("UserNumber(%q) = %q, want %q", in, got, want)
				}
			}
			if d.LinkIDWidth() != oldLinkIDWidth(name) {
				t.Errorf("LinkIDWidth %d, want %d", d.LinkIDWidth(), oldLinkIDWidth(name))
			}
			if f, w := d.LoginField(); f != func() string { f, _ := oldLoginField(name); return f }() ||
				w != func() int { _, w := oldLoginField(name); return w }() {
				t.Errorf("LoginField %q %d", f, w)
			}
			sgip := name == "sgip"
			wantSeq := codec.SeqLayout{Offset: 8, Len: 4}
			if sgip {
				wantSeq.Len = 12
			}
			if d.Seq() != wantSeq {
				t.Errorf("Seq %+v, want %+v", d.Seq(), wantSeq)
			}
			// config/load.go: "30 s (SGIP) and 60 s (CMPP/SMGP T) are the
			// specs' resend timers".
			if want := map[bool]time.Duration{true: 30 * time.Second, false: time.Minute}[sgip]; d.ResendTimeout() != want {
				t.Errorf("ResendTimeout %v, want %v", d.ResendTimeout(), want)
			}
			if d.HasActiveTest() == sgip || d.SplitConnections() != sgip || d.SubmitIDIsSeq() != sgip {
				t.Errorf("HasActiveTest %v, SplitConnections %v, SubmitIDIsSeq %v", d.HasActiveTest(),
					d.SplitConnections(), d.SubmitIDIsSeq())
			}
			if (d.MsgIDs("000001") == nil) != sgip {
				t.Errorf("MsgIDs nil: %v", d.MsgIDs("000001") == nil)
			}
			table := d.DefaultResults()
			want := oldDefaults[family(name)]
			for _, r := range reason.Refusals() {
				if table.Result(r) != want[r.String()] || table.Result(r) == 0 {
					t.Errorf("default result of %s = %d, want %d", r, table.Result(r), want[r.String()])
				}
				if table.Result(r) > d.MaxResult() {
					t.Errorf("default result of %s = %d above MaxResult %d", r, table.Result(r), d.MaxResult())
				}
			}
			for r := reason.Reason(0); r < reason.NotSubscribed; r++ {
				if table.Result(r) != 0 {
					t.Errorf("allow reason %s has result %d", r, table.Result(r))
				}
			}
		})
	}
}

func TestFamilies(t *testing.T) {
	fs := dialect.Families()
	if len(fs) != 4 || fs[0] != codec.FamilySGIP || fs[1] != codec.FamilyCMPP || fs[2] != codec.FamilySMGP || fs[3] != codec.FamilySMPP {
		t.Fatalf("Families = %v", fs)
	}
	for _, f := range fs {
		_, max, ok := dialect.FamilyResults(f)
		// SGIP and CMPP 2.x results are one byte; SMGP's and SMPP's four.
		wide := f == codec.FamilySMGP || f == codec.FamilySMPP
		if want := uint32(255); wide && max != 1<<32-1 || !wide && max != want || !ok {
			t.Errorf("FamilyResults(%s): max %d, ok %v", f, max, ok)
		}
	}
}

func TestParse(t *testing.T) {
	if d, err := dialect.Parse("smpp"); err != nil || d.Protocol() != codec.SMPP34 {
		t.Errorf("Parse(smpp) = %v, %v", d, err)
	}
	// One name a protocol: no "smpp3.4" beside "smpp", as there is no
	// "cmpp3.0" beside "cmpp3".
	if _, err := dialect.Parse("smpp3.4"); err == nil || err.Error() != `unknown protocol "smpp3.4" (want one of [sgip cmpp2 cmpp2.1 cmpp3 smgp smgp1.3 smpp])` {
		t.Errorf("Parse(smpp3.4) = %v", err)
	}
	if w, err := dialect.ParseWire("smpp"); err != nil || w.Protocol() != codec.SMPP34 {
		t.Errorf("ParseWire(smpp) = %v, %v", w, err)
	}
	if _, err := dialect.ParseWire("cmpp4"); err == nil {
		t.Error("ParseWire(cmpp4) succeeded")
	}
	for _, w := range dialect.Wires() {
		if p, ok := codec.ParseProtocol(w.Protocol().String()); !ok || p != w.Protocol() {
			t.Errorf("%v does not parse back", w.Protocol())
		}
	}
}

// TestPausedAndSuspendedAreToldApart: an SP must be able to tell a carrier's
// pause of one subscription from an operator's suspension of its account:
// the two refusals never share a result code.
func TestPausedAndSuspendedAreToldApart(t *testing.T) {
	for _, d := range dialect.All() {
		tab := d.DefaultResults()
		if p, s := tab[reason.SubscriptionPaused], tab[reason.AccountSuspended]; p == s {
			t.Errorf("%s: subscription_paused and account_suspended are both %d", d.Protocol(), p)
		}
	}
}

func TestWith(t *testing.T) {
	if d, err := dialect.With(codec.SMPP34, dialect.Options{SMPPLinkIDTag: 0x1401}); err != nil || d.LinkIDWidth() != 20 {
		t.Errorf("SMPP with a LinkID tag: %v, %v", d, err)
	}
	if d, err := dialect.With(codec.CMPP30, dialect.Options{}); err != nil || d != dialect.For(codec.CMPP30) {
		t.Errorf("CMPP with nothing set: %v, %v", d, err)
	}
	if _, err := dialect.With(codec.CMPP30, dialect.Options{SMPPLinkIDTag: 0x1401}); err == nil {
		t.Error("a LinkID tag for CMPP was taken")
	}
	if _, err := dialect.With(codec.ProtocolUnknown, dialect.Options{}); err == nil {
		t.Error("an unknown protocol was taken")
	}
}
