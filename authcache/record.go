package authcache

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Persisted records. Every key is KeyPrefix + a kind byte + '/' + fields;
// every value starts with a version byte. Variable fields are
// length-prefixed (keys: one byte, values: uvarint), times are Unix
// seconds.
//
//	ac/s/<user><sp><service>  subscription        state, source, since, updated, expires[, syncat]
//	ac/l/<linkid>             LinkID / web code   kind, user, sp, service, expires, uses
//	ac/u/<linkid>             uses left           uses        (hot-path update, see writer)
//	ac/p/<id>                 pending subscription sp, spnumber, service, user, text, created, expires
//	ac/r/<msgid>              message route       sp, origin, created, expires
//	ac/h                      health probe        (written when writes failed)
const (
	kindSub     = 's'
	kindLink    = 'l'
	kindUses    = 'u'
	kindPending = 'p'
	kindRoute   = 'r'
	kindProbe   = 'h'

	recordVersion = 1
)

var errShortRecord = errors.New("short or malformed field")

// keyPrefixOf returns "ac/<kind>/".
func keyPrefixOf(kind byte) []byte { return []byte{'a', 'c', '/', kind, '/'} }

func appendKeyField(b, f []byte) []byte {
	b = append(b, byte(len(f)))
	return append(b, f...)
}

// subKeyBytes builds ac/s/<user><sp><service>; fields are at most 255
// bytes (callers check).
func subKeyBytes(user []byte, sp, svc string) []byte {
	b := make([]byte, 0, 8+len(user)+len(sp)+len(svc))
	b = append(b, keyPrefixOf(kindSub)...)
	b = appendKeyField(b, user)
	b = appendKeyField(b, []byte(sp))
	return appendKeyField(b, []byte(svc))
}

func parseSubKey(k []byte) (user []byte, sp, svc []byte, err error) {
	r := k[len(KeyPrefix)+2:]
	var f [3][]byte
	for i := range f {
		if len(r) < 1 || len(r) < 1+int(r[0]) {
			return nil, nil, nil, errShortRecord
		}
		f[i], r = r[1:1+int(r[0])], r[1+int(r[0]):]
	}
	if len(r) != 0 {
		return nil, nil, nil, errShortRecord
	}
	return f[0], f[1], f[2], nil
}

// recordKey builds ac/<kind>/<id> into dst.
func recordKey(dst []byte, kind byte, id []byte) []byte {
	dst = append(dst, keyPrefixOf(kind)...)
	return append(dst, id...)
}

// enc appends a record value.
type enc struct{ b []byte }

func newEnc(n int) enc              { return enc{append(make([]byte, 0, n+1), recordVersion)} }
func (e *enc) u(v uint64)           { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)            { e.u(uint64(max(v, 0))) }
func (e *enc) bytes(p []byte)       { e.u(uint64(len(p))); e.b = append(e.b, p...) }
func (e *enc) str(s string)         { e.u(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) byte1(v byte)         { e.b = append(e.b, v) }
func appendVersion(b []byte) []byte { return append(b, recordVersion) }

// dec reads a record value; the first failure sticks.
type dec struct {
	b   []byte
	err error
}

func newDec(v []byte) dec {
	if len(v) == 0 || v[0] != recordVersion {
		return dec{err: errShortRecord}
	}
	return dec{b: v[1:]}
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShortRecord
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 { return int64(d.u() & (1<<63 - 1)) }

func (d *dec) bytes() []byte {
	n := d.u()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShortRecord
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.bytes()) }

func (d *dec) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errShortRecord
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

// subRecord is a persisted subscription. SyncAt, the version of the last
// change a carrier platform pushed (Unix ms, sync.go), is a trailing field
// written only when set: records written before it existed, and those
// never synced, end after Expires.
type subRecord struct {
	State                   SubState
	Source                  Source
	Since, Updated, Expires int64
	SyncAt                  int64
}

func (r *subRecord) encode() []byte {
	e := newEnc(24)
	e.byte1(byte(r.State))
	e.byte1(byte(r.Source))
	e.i(r.Since)
	e.i(r.Updated)
	e.i(r.Expires)
	if r.SyncAt > 0 {
		e.i(r.SyncAt)
	}
	return e.b
}

func decodeSub(v []byte) (r subRecord, err error) {
	d := newDec(v)
	r.State = SubState(d.byte1())
	r.Source = Source(d.byte1())
	r.Since, r.Updated, r.Expires = d.i(), d.i(), d.i()
	if d.err == nil && len(d.b) > 0 {
		r.SyncAt = d.i()
	}
	return r, d.err
}

// linkRecord is a persisted LinkID, web code or Noti_SP LinkID.
type linkRecord struct {
	Kind              linkKind
	User, SP, Service string
	Expires           int64
	Uses              int
}

func (r *linkRecord) encode() []byte {
	e := newEnc(16 + len(r.User) + len(r.SP) + len(r.Service))
	e.byte1(byte(r.Kind))
	e.str(r.User)
	e.str(r.SP)
	e.str(r.Service)
	e.i(r.Expires)
	e.u(uint64(r.Uses))
	return e.b
}

func decodeLink(v []byte) (r linkRecord, err error) {
	d := newDec(v)
	r.Kind = linkKind(d.byte1())
	r.User, r.SP, r.Service = d.str(), d.str(), d.str()
	r.Expires = d.i()
	r.Uses = int(min(d.u(), 1<<16-1))
	return r, d.err
}

// appendUses encodes the value of an ac/u/ record: the uses left.
func appendUses(b []byte, uses uint16) []byte {
	return binary.AppendUvarint(appendVersion(b), uint64(uses))
}

func decodeUses(v []byte) (int, error) {
	d := newDec(v)
	n := d.u()
	return int(min(n, 1<<16-1)), d.err
}

// pendingRecord is a web subscription waiting for the user's Y/N.
type pendingRecord struct {
	ID, SP, SPNumber, Service, User, Text string
	Created, Expires                      int64
}

func (r *pendingRecord) encode() []byte {
	e := newEnc(24 + len(r.SP) + len(r.SPNumber) + len(r.Service) + len(r.User) + len(r.Text))
	e.str(r.SP)
	e.str(r.SPNumber)
	e.str(r.Service)
	e.str(r.User)
	e.str(r.Text)
	e.i(r.Created)
	e.i(r.Expires)
	return e.b
}

func decodePending(id string, v []byte) (r pendingRecord, err error) {
	d := newDec(v)
	r.ID = id
	r.SP, r.SPNumber, r.Service, r.User, r.Text = d.str(), d.str(), d.str(), d.str(), d.str()
	r.Created, r.Expires = d.i(), d.i()
	return r, d.err
}

// appendRoute encodes the value of an ac/r/ record.
func appendRoute(b []byte, sp string, origin []byte, created, expires int64) []byte {
	e := enc{appendVersion(b)}
	e.str(sp)
	e.bytes(origin)
	e.i(created)
	e.i(expires)
	return e.b
}

func decodeRoute(v []byte) (sp string, origin []byte, created, expires int64, err error) {
	d := newDec(v)
	sp = d.str()
	origin = d.bytes()
	created, expires = d.i(), d.i()
	return sp, origin, created, expires, d.err
}

// CheckRecord decodes a record stored under KeyPrefix as Open would load
// it, and returns its kind as the spsmg_store_records metric names it
// ("subscription", "cancelled_subscription", "mo_linkid", "web_code",
// "notice_linkid", "linkid_uses", "pending_subscription", "route", or
// "probe"). The error says what does not decode; an expired record is
// not an error (Badger stops returning it once expired).
func CheckRecord(key, value []byte) (kind string, err error) {
	if len(key) < len(KeyPrefix)+1 || string(key[:len(KeyPrefix)]) != KeyPrefix {
		return "", fmt.Errorf("%w: key outside %q", ErrCorruptRecord, KeyPrefix)
	}
	k := key[len(KeyPrefix)]
	if k == kindProbe && len(key) == len(KeyPrefix)+1 {
		return "probe", nil
	}
	if len(key) < len(KeyPrefix)+2 || key[len(KeyPrefix)+1] != '/' {
		return "", fmt.Errorf("%w: key kind %q", ErrCorruptRecord, k)
	}
	id := key[len(KeyPrefix)+2:]
	bad := func(err error) (string, error) { return "", fmt.Errorf("%w: %w", ErrCorruptRecord, err) }
	switch k {
	case kindSub:
		user, sp, svc, err := parseSubKey(key)
		if err != nil {
			return bad(fmt.Errorf("subscription key: %w", err))
		}
		r, err := decodeSub(value)
		if err != nil {
			return bad(fmt.Errorf("subscription value: %w", err))
		}
		if _, ok := userKey(user); !ok || len(sp) == 0 || len(svc) == 0 {
			return bad(errors.New("subscription key: empty or unusable user, SP or service"))
		}
		switch r.State {
		case SubActive:
			return "subscription", nil
		case SubCancelled:
			return "cancelled_subscription", nil
		case SubPaused:
			return "paused_subscription", nil
		}
		return bad(fmt.Errorf("subscription state %d", r.State))
	case kindLink:
		r, err := decodeLink(value)
		if err != nil {
			return bad(fmt.Errorf("LinkID value: %w", err))
		}
		if len(id) == 0 || len(id) > MaxLinkIDLen {
			return bad(fmt.Errorf("LinkID of %d bytes", len(id)))
		}
		if _, ok := userKey([]byte(r.User)); !ok {
			return bad(errors.New("LinkID: empty or unusable user"))
		}
		switch r.Kind {
		case linkMO:
			return "mo_linkid", nil
		case linkWeb:
			return "web_code", nil
		case linkNotice:
			return "notice_linkid", nil
		}
		return bad(fmt.Errorf("LinkID kind %d", r.Kind))
	case kindUses:
		if _, err := decodeUses(value); err != nil {
			return bad(fmt.Errorf("LinkID uses: %w", err))
		}
		if len(id) == 0 || len(id) > MaxLinkIDLen {
			return bad(fmt.Errorf("LinkID of %d bytes", len(id)))
		}
		return "linkid_uses", nil
	case kindPending:
		r, err := decodePending(string(id), value)
		if err != nil {
			return bad(fmt.Errorf("pending subscription value: %w", err))
		}
		if _, ok := userKey([]byte(r.User)); !ok || len(id) == 0 || r.SP == "" || r.Service == "" {
			return bad(errors.New("pending subscription: empty id, SP, service or user"))
		}
		return "pending_subscription", nil
	case kindRoute:
		sp, origin, _, _, err := decodeRoute(value)
		if err != nil {
			return bad(fmt.Errorf("route value: %w", err))
		}
		if len(origin) > MaxOriginLen || sp == "" || len(id) == 0 {
			return bad(errors.New("route: empty id or SP, or origin too long"))
		}
		return "route", nil
	}
	return bad(fmt.Errorf("unknown record kind %q", k))
}
