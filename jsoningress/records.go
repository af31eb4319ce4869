package jsoningress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// KeyPrefix keeps the JSON listener's records apart from the others in
// the one store (authcache's "ac/", the outbox's "ob/").
//
//	js/m/<message key, 15 bytes>                a message sent with a report asked for
//	js/p/<8-byte number><node id>               a report push not answered yet
const KeyPrefix = "js/"

const (
	msgPrefix  = KeyPrefix + "m/"
	pushPrefix = KeyPrefix + "p/"
	// msgKeyLen: random bytes naming a message; a report route's origin
	// is the message key and the part number (authcache.MaxOriginLen 16).
	msgKeyLen     = 15
	recordVersion = 1
)

var errRecord = errors.New("jsoningress: bad record")

// message is what a report of one of a merchant's messages needs: whose
// it is, the merchant's msgid and phone, and which parts were delivered
// (a long message is sent in parts, each reported on its own; the merchant
// gets one report for the message).
type message struct {
	Account string
	MsgID   string
	Phone   string
	SentMS  int64 // when the gateway took it, ms since 1970 (A002 sendtime)
	Parts   int   // 1–255
	// Done: its one report has been queued for the merchant; reports of
	// its other parts change nothing.
	Done      bool
	Delivered [32]byte // bit n: part n was reported delivered
}

func msgKey(key []byte) []byte { return append([]byte(msgPrefix), key...) }

func (m *message) delivered(part int) bool { return m.Delivered[part/8]&(1<<(part%8)) != 0 }
func (m *message) setDelivered(part int)   { m.Delivered[part/8] |= 1 << (part % 8) }
func (m *message) deliveredCount() int {
	n := 0
	for _, b := range m.Delivered {
		n += bits.OnesCount8(b)
	}
	return n
}

func (m *message) encode() []byte {
	b := make([]byte, 0, 64+len(m.Account)+len(m.MsgID)+len(m.Phone))
	flags := byte(0)
	if m.Done {
		flags = 1
	}
	b = append(b, recordVersion, byte(m.Parts), flags)
	b = append(b, m.Delivered[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.SentMS))
	return appendStrings(b, m.Account, m.MsgID, m.Phone)
}

func decodeMessage(v []byte) (message, error) {
	var m message
	if len(v) < 3+32+8 || v[0] != recordVersion {
		return m, fmt.Errorf("%w: message record of %d bytes, version %d", errRecord, len(v), first(v))
	}
	if v[2] > 1 {
		return m, fmt.Errorf("%w: message record flags %#x", errRecord, v[2])
	}
	m.Parts, m.Done = int(v[1]), v[2] == 1
	copy(m.Delivered[:], v[3:35])
	m.SentMS = int64(binary.BigEndian.Uint64(v[35:43]))
	s, err := readStrings(v[43:], 3)
	if err != nil {
		return m, fmt.Errorf("%w: message record: %v", errRecord, err)
	}
	m.Account, m.MsgID, m.Phone = s[0], s[1], s[2]
	if m.Parts < 1 {
		return m, fmt.Errorf("%w: message record of 0 parts", errRecord)
	}
	return m, nil
}

// push is one A002 report waiting for its merchant's B002.
type push struct {
	Num     uint64 // its number: the key, and the order among equal due times
	Node    string // the node that pushes it (several nodes on one store)
	Account string
	MsgID   string
	Phone   string
	Status  string // "1" delivered, "2" not
	Stat    string // the carrier's word
	SentMS  int64
	Pushes  int   // pushes made so far
	DueMS   int64 // when the next push is due, ms since 1970
}

func pushKey(num uint64, node string) []byte {
	b := binary.BigEndian.AppendUint64([]byte(pushPrefix), num)
	return append(b, node...)
}

// parsePushKey reads the number and the node id of a push key.
func parsePushKey(k []byte) (num uint64, node string, ok bool) {
	if len(k) < len(pushPrefix)+8 || string(k[:len(pushPrefix)]) != pushPrefix {
		return 0, "", false
	}
	rest := k[len(pushPrefix):]
	return binary.BigEndian.Uint64(rest), string(rest[8:]), true
}

func (p *push) encode() []byte {
	b := make([]byte, 0, 48+len(p.Account)+len(p.MsgID)+len(p.Phone)+len(p.Stat))
	b = append(b, recordVersion, byte(min(p.Pushes, 255)))
	b = binary.BigEndian.AppendUint64(b, uint64(p.DueMS))
	b = binary.BigEndian.AppendUint64(b, uint64(p.SentMS))
	return appendStrings(b, p.Account, p.MsgID, p.Phone, p.Status, p.Stat)
}

func decodePush(k, v []byte) (push, error) {
	var p push
	var ok bool
	if p.Num, p.Node, ok = parsePushKey(k); !ok {
		return p, fmt.Errorf("%w: push key %q", errRecord, k)
	}
	if len(v) < 18 || v[0] != recordVersion {
		return p, fmt.Errorf("%w: push record of %d bytes, version %d", errRecord, len(v), first(v))
	}
	p.Pushes = int(v[1])
	p.DueMS = int64(binary.BigEndian.Uint64(v[2:10]))
	p.SentMS = int64(binary.BigEndian.Uint64(v[10:18]))
	s, err := readStrings(v[18:], 5)
	if err != nil {
		return p, fmt.Errorf("%w: push record: %v", errRecord, err)
	}
	p.Account, p.MsgID, p.Phone, p.Status, p.Stat = s[0], s[1], s[2], s[3], s[4]
	return p, nil
}

func first(v []byte) int {
	if len(v) == 0 {
		return -1
	}
	return int(v[0])
}

func appendStrings(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func readStrings(b []byte, n int) ([]string, error) {
	out := make([]string, n)
	for i := range out {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, fmt.Errorf("string %d cut", i)
		}
		if k != len(binary.AppendUvarint(nil, l)) {
			return nil, fmt.Errorf("string %d: length in %d bytes, not its shortest form", i, k)
		}
		out[i] = string(b[k : k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d bytes after the last string", len(b))
	}
	return out, nil
}

// CheckRecord checks a record of this package (a key under KeyPrefix) and
// names its kind, for spsmg store verify.
func CheckRecord(k, v []byte) (kind string, err error) {
	switch {
	case len(k) == len(msgPrefix)+msgKeyLen && string(k[:len(msgPrefix)]) == msgPrefix:
		_, err = decodeMessage(v)
		return "json_message", err
	case len(k) >= len(pushPrefix)+8 && string(k[:len(pushPrefix)]) == pushPrefix:
		_, err = decodePush(k, v)
		return "json_report_push", err
	}
	return "", fmt.Errorf("%w: key %q is not %s<message key> or %s<number><node>", errRecord, k, msgPrefix, pushPrefix)
}
