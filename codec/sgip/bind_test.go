package sgip

import "testing"

func TestBindVerify(t *testing.T) {
	b := &Bind{LoginType: LoginSPToSMG, LoginName: "sp12345", LoginPassword: "pwd12345"}
	cases := []struct {
		name, login, password string
		ok                    bool
	}{
		{"right name and password", "sp12345", "pwd12345", true},
		{"wrong password", "sp12345", "pwd12346", false},
		{"password prefix", "sp12345", "pwd1234", false},
		{"wrong name", "sp1234", "pwd12345", false},
		{"empty", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := b.Verify(c.login, c.password); got != c.ok {
				t.Errorf("Verify(%q, %q) = %v", c.login, c.password, got)
			}
		})
	}
	t.Run("a configured password longer than 16 bytes is compared as sent", func(t *testing.T) {
		long := "0123456789abcdefXYZ"
		_, p, err := Decode(Append(nil, spSeq, &Bind{LoginName: "sp", LoginPassword: long}))
		if err != nil {
			t.Fatal(err)
		}
		if !p.(*Bind).Verify("sp", long) {
			t.Error("the 16-byte wire password does not verify against its configured value")
		}
	})
}

func TestLoginTypeString(t *testing.T) {
	for lt, want := range map[LoginType]string{
		LoginSPToSMG: "SP->SMG", LoginSMGToSP: "SMG->SP", LoginSMGToSMG: "SMG<->SMG",
		LoginSMGToGNS: "SMG->GNS", LoginGNSToSMG: "GNS->SMG", LoginGNSToGNS: "GNS<->GNS",
		LoginTest: "test", 7: "reserved 7",
	} {
		if got := lt.String(); got != want {
			t.Errorf("LoginType(%d) = %q, want %q", lt, got, want)
		}
	}
}
