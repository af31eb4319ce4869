package sgip

import (
	"strings"
	"testing"
)

func TestResultString(t *testing.T) {
	for r, want := range map[Result]string{
		OK:                 "OK",
		IllegalLogin:       "illegal login (bad name or password)",
		WrongLoginType:     "wrong Login Type",
		SystemFailure:      "system failure (1.2) / packet format error (1.3)",
		FlowControl13:      "SMSC queue full (1.2) / flow control limit exceeded (1.3)",
		AuthNotSubscribed:  "SPMS: user has not subscribed",
		AuthLinkIDMismatch: "SPMS: LinkID mismatch (MT vs MO)",
		AuthTimeout:        "SPMS: authorization timeout (MT)",
		57:                 "vendor-defined 57",
		200:                "result 200",
	} {
		if got := r.String(); got != want {
			t.Errorf("Result(%d) = %q, want %q", r, got, want)
		}
	}
	// Every named constant has a meaning.
	for _, r := range []Result{OK, IllegalLogin, RepeatedLogin, TooManyConnections, WrongLoginType, BadParameter,
		IllegalMobile, BadCommandID, BadLength, BadSequence, IllegalGNSOperation, NodeBusy, Unreachable, RoutingError,
		NoRoute, BadChargeNumber, UserUnreachable, HandsetMemoryFull, NoSMSSupport, HandsetError, UnknownUser,
		NotProvided, IllegalDevice, SystemFailure, SMSCQueueFull, ServiceNotRegistered13, BadFee13, LinkIDMismatch13,
		NotSubscribed13, GroupSendForbidden13, PacketFormat13, FlowControl13, LoginTooFrequent13, TooManyMTsPerLinkID13,
		ThirdPartyCharging13, MorelatetoMT3Forbidden13, WebCommandUnknown13, NoticeIntercepted13, MonthlyNotAllowed13,
		AuthOK, AuthSPNumberCorpID, AuthBadSPNumber, AuthServiceUnassigned, AuthBadFeeType, AuthBadFeeValue,
		AuthNotSubscribed, AuthLinkIDMismatch, AuthUserSuspended, AuthBadChargeNumber, AuthBlacklisted, AuthTimeout,
		AuthMonthlyTimeout, AuthTooManyCharged, AuthUserCount, AuthMorelatetoMT3, AuthNotiUser, AuthWebCommandMissing,
		DailyLimitExceeded} {
		if s := r.String(); strings.HasPrefix(s, "result ") || strings.HasPrefix(s, "vendor-defined") {
			t.Errorf("Result(%d) has no meaning: %q", r, s)
		}
	}
	// The codes the proxy uses have the values of §6.
	for got, want := range map[Result]uint8{OK: 0, IllegalLogin: 1, RepeatedLogin: 2, TooManyConnections: 3,
		WrongLoginType: 4, FlowControl13: 33, AuthNotSubscribed: 106, AuthLinkIDMismatch: 107, AuthTimeout: 111} {
		if uint8(got) != want {
			t.Errorf("constant %v = %d, want %d", got, uint8(got), want)
		}
	}
}
