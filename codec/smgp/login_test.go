package smgp

import (
	"encoding/hex"
	"testing"

	"github.com/spsmg/spsmg/internal/codectest"
)

// docs/protocols/smgp30.md §3/§4 and V1: ClientID 12345678, secret "secret",
// 0301000000.
func TestAuthenticatorClientV1(t *testing.T) {
	got := AuthenticatorClient("12345678", "secret", 0x11F0E540)
	if hex.EncodeToString(got[:]) != "95898c46dedbcf393dcd4c2a861481e9" {
		t.Fatalf("%x", got)
	}
	l := &Login{ClientID: "12345678", AuthenticatorClient: got, TimeStamp: 0x11F0E540}
	if !VerifyAuthenticatorClient(l, "secret") {
		t.Fatal("V1 not verified")
	}
	if VerifyAuthenticatorClient(l, "secreT") {
		t.Fatal("wrong secret verified")
	}
	l.TimeStamp++
	if VerifyAuthenticatorClient(l, "secret") {
		t.Fatal("wrong timestamp verified")
	}
}

func TestVerifyAuthenticatorClientShortID(t *testing.T) {
	const ts = 1021080510
	raw := AuthenticatorClient("900001", "pw", ts)
	padded := AuthenticatorClient("900001\x00\x00", "pw", ts)
	if raw == padded {
		t.Fatal("raw and padded digests coincide")
	}
	for name, auth := range map[string][16]byte{"raw id (SMSGate, go_smgp, gosmgp, zysms)": raw, "NUL-padded id": padded} {
		t.Run(name, func(t *testing.T) {
			if !VerifyAuthenticatorClient(&Login{ClientID: "900001", AuthenticatorClient: auth, TimeStamp: ts}, "pw") {
				t.Fatal("not accepted")
			}
		})
	}
	if VerifyAuthenticatorClient(&Login{ClientID: "900001", TimeStamp: ts}, "pw") {
		t.Fatal("zero authenticator accepted")
	}
}

func TestAuthenticatorServerV1(t *testing.T) {
	client := AuthenticatorClient("12345678", "secret", 0x11F0E540)
	four := AuthenticatorServer(0, client, "secret")
	if hex.EncodeToString(four[:]) != "778071b4bb5722eda0905422b00fb6a8" {
		t.Fatalf("4-byte form %x", four)
	}
	one := authenticatorServer1(0, client, "secret")
	if hex.EncodeToString(one[:]) != "a5a602850fbae341580f123b1a345565" {
		t.Fatalf("1-byte form %x", one)
	}
	for name, auth := range map[string][16]byte{"4-byte status (SMSGate)": four, "1-byte status (gosmgp)": one} {
		t.Run(name, func(t *testing.T) {
			if !VerifyAuthenticatorServer(&LoginResp{AuthenticatorServer: auth}, client, "secret") {
				t.Fatal("not accepted")
			}
		})
	}
	if VerifyAuthenticatorServer(&LoginResp{}, client, "secret") {
		t.Fatal("zeros accepted")
	}
	if VerifyAuthenticatorServer(&LoginResp{Status: StatusAuthError, AuthenticatorServer: four}, client, "secret") {
		t.Fatal("status not hashed")
	}
}

func TestAuthenticatorJSON(t *testing.T) {
	a := Authenticator(codectest.MustHex("95898c46dedbcf393dcd4c2a861481e9"))
	b, _ := a.MarshalText()
	var back Authenticator
	if string(b) != a.String() || back.UnmarshalText(b) != nil || back != a {
		t.Fatalf("%s", b)
	}
	if back.UnmarshalText([]byte("abcd")) == nil {
		t.Fatal("short hex accepted")
	}
}
