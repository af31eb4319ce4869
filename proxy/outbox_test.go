package proxy

import (
	"strings"
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/config"
)

// outboxRecord is an outbox key and value as outbox.put writes them.
func outboxRecord(t testing.TB, p config.Protocol, account string, n uint64) (key, value []byte) {
	t.Helper()
	d, err := dialectFor(p)
	if err != nil {
		t.Fatal(err)
	}
	frame := d.appendMO(nil, wireSeq{}, &moMessage{User: "13800138000", SPNumber: "10655123", ServiceCode: "HELP", Text: "HELP", LinkID: "AB12CD34", MsgID: 7})
	return outboxKey(account, n), append([]byte{byte(codec.KindDeliver)}, frame...)
}

func TestCheckOutboxRecord(t *testing.T) {
	for _, p := range config.Protocols {
		t.Run(string(p), func(t *testing.T) {
			k, v := outboxRecord(t, p, "sp1", 42)
			for _, proto := range []config.Protocol{"", p} {
				account, kind, err := CheckOutboxRecord(proto, k, v)
				if err != nil || account != "sp1" || kind != "deliver" {
					t.Fatalf("protocol %q: %q %q %v", proto, account, kind, err)
				}
			}
			report := append([]byte{byte(codec.KindReport)}, v[1:]...)
			for _, c := range []struct {
				name, says string
				key, value []byte
			}{
				{"no arrival number", "ob/<account>/<8-byte", []byte("ob/sp1/1"), v},
				{"not the outbox", "outside", []byte("ac/r/1"), v},
				{"empty value", "empty value", k, nil},
				{"unknown kind", "delivery kind", k, append([]byte{99}, v[1:]...)},
				{"cut frame", "its own length", k, v[:len(v)-3]},
				{"kind and frame disagree", "the frame is a deliver", k, report},
			} {
				if _, _, err := CheckOutboxRecord(p, c.key, c.value); err == nil || !strings.Contains(err.Error(), c.says) {
					t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
				}
			}
		})
	}
}

func FuzzCheckOutboxRecord(f *testing.F) {
	for i, p := range config.Protocols {
		k, v := outboxRecord(f, p, "sp1", uint64(i))
		f.Add(uint8(i), k, v)
	}
	f.Fuzz(func(t *testing.T, pi uint8, key, value []byte) {
		p := config.Protocols[int(pi)%len(config.Protocols)]
		account, kind, err := CheckOutboxRecord(p, key, value)
		if err == nil && (account == "" || kind == "") {
			t.Fatalf("accepted with account %q kind %q", account, kind)
		}
	})
}
