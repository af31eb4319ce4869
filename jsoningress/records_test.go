package jsoningress

import (
	"bytes"
	"errors"
	"testing"
)

func TestMessageRecordRoundTrip(t *testing.T) {
	m := message{Account: "shop", MsgID: `m-1 "quoted"`, Phone: "+8613800138000", SentMS: 1767225600123, Parts: 3}
	m.setDelivered(1)
	m.setDelivered(3)
	got, err := decodeMessage(m.encode())
	if err != nil || got != m {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, m)
	}
	if !got.delivered(1) || got.delivered(2) || !got.delivered(3) || got.deliveredCount() != 2 {
		t.Errorf("delivered parts: %08b", got.Delivered[0])
	}
	m.Done, m.Parts = true, 255
	m.setDelivered(255)
	if got, err := decodeMessage(m.encode()); err != nil || got != m || !got.delivered(255) {
		t.Fatalf("255 parts: %+v, %v", got, err)
	}
}

func TestPushRecordRoundTrip(t *testing.T) {
	p := push{Num: 0x2f2f2f2f2f2f2f2f, Node: "gw-a", Account: "shop", MsgID: "m-1", Phone: "13800138000", Status: "2",
		Stat: "UNDELIV", SentMS: 1767225600123, Pushes: 2, DueMS: 1767225660123}
	k := pushKey(p.Num, p.Node)
	got, err := decodePush(k, p.encode())
	if err != nil || got != p {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, p)
	}
	// A number whose bytes are '/' and an empty node (one node) read back.
	k = pushKey(47, "")
	if n, node, ok := parsePushKey(k); !ok || n != 47 || node != "" {
		t.Errorf("parsePushKey(%q) = %d %q %v", k, n, node, ok)
	}
}

func TestCheckRecord(t *testing.T) {
	m := message{Account: "shop", MsgID: "m", Phone: "13800138000", Parts: 1}
	key := msgKey(bytes.Repeat([]byte{'/'}, msgKeyLen))
	if kind, err := CheckRecord(key, m.encode()); kind != "json_message" || err != nil {
		t.Errorf("message: %q %v", kind, err)
	}
	p := push{Account: "shop", MsgID: "m", Phone: "1", Status: "1", Stat: "DELIVRD"}
	if kind, err := CheckRecord(pushKey(1, "n"), p.encode()); kind != "json_report_push" || err != nil {
		t.Errorf("push: %q %v", kind, err)
	}
	enc := m.encode()
	for _, c := range []struct {
		name string
		k, v []byte
	}{
		{"short key", []byte(msgPrefix + "abc"), enc},
		{"other kind", []byte(KeyPrefix + "x/abc"), enc},
		{"cut value", key, enc[:len(enc)-1]},
		{"value with more", key, append(append([]byte(nil), enc...), 0)},
		{"version", key, append([]byte{9}, enc[1:]...)},
		{"no parts", key, append([]byte{1, 0}, enc[2:]...)},
		{"cut push", pushKey(1, ""), p.encode()[:20]},
		{"empty", key, nil},
	} {
		if _, err := CheckRecord(c.k, c.v); !errors.Is(err, errRecord) {
			t.Errorf("%s: err %v, want errRecord", c.name, err)
		}
	}
}

// FuzzRecords: no input makes the record readers panic, and whatever
// they accept encodes back to the same bytes.
func FuzzRecords(f *testing.F) {
	m := message{Account: "shop", MsgID: "m-1", Phone: "13800138000", SentMS: 1, Parts: 2}
	m.setDelivered(2)
	f.Add(m.encode(), uint8(0))
	p := push{Account: "shop", MsgID: "m-1", Phone: "13800138000", Status: "1", Stat: "DELIVRD", Pushes: 1, DueMS: 5}
	f.Add(p.encode(), uint8(1))
	f.Fuzz(func(t *testing.T, v []byte, kind uint8) {
		if kind%2 == 0 {
			if got, err := decodeMessage(v); err == nil && !bytes.Equal(got.encode(), v) {
				t.Fatalf("message %+v re-encodes to %x, read from %x", got, got.encode(), v)
			}
			return
		}
		k := pushKey(7, "node")
		if got, err := decodePush(k, v); err == nil {
			if !bytes.Equal(got.encode(), v) {
				t.Fatalf("push %+v re-encodes to %x, read from %x", got, got.encode(), v)
			}
		}
	})
}
