package redisstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/spsmg/spsmg/authcache"
)

// A change entry is one stream entry with a single field, "m", holding the
// mutations one script call applied, in this binary form:
//
//	version   1 byte (1)
//	origin    uvarint length, bytes   the publishing node's ID
//	published varint                  Unix microseconds, publisher's clock
//	count     uvarint
//	count × mutation:
//	  flags   1 byte: 1 = delete (no value, no expiry follow)
//	  key     uvarint length, bytes
//	  value   uvarint length, bytes
//	  expires varint                  Unix seconds, 0 = never
//
// One entry per script call rather than per mutation keeps a busy writer's
// stream short: a batch of 500 records is one entry.
const entryVersion = 1

const flagDelete = 1

// appendEntryHeader starts an entry: version, origin, time; the count and
// the mutations (appendEntryMutation) follow.
func appendEntryHeader(b []byte, origin string, published time.Time) []byte {
	b = append(b, entryVersion)
	b = binary.AppendUvarint(b, uint64(len(origin)))
	b = append(b, origin...)
	b = binary.AppendVarint(b, published.UnixMicro())
	return b
}

func appendEntryMutation(b []byte, m *authcache.Mutation) []byte {
	if m.Delete {
		b = append(b, flagDelete)
		b = binary.AppendUvarint(b, uint64(len(m.Key)))
		return append(b, m.Key...)
	}
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(m.Key)))
	b = append(b, m.Key...)
	b = binary.AppendUvarint(b, uint64(len(m.Value)))
	b = append(b, m.Value...)
	return binary.AppendVarint(b, m.ExpiresAt)
}

// encodeEntry encodes a whole entry.
func encodeEntry(origin string, published time.Time, ms []authcache.Mutation) []byte {
	b := appendEntryHeader(nil, origin, published)
	b = binary.AppendUvarint(b, uint64(len(ms)))
	for i := range ms {
		b = appendEntryMutation(b, &ms[i])
	}
	return b
}

var errEntry = errors.New("redisstore: malformed change entry")

// decodeEntry parses an entry. The mutations' slices point into b; ms is
// reused. Every length is checked against what is left, so a corrupt or
// hostile entry fails with an error naming the offset, never a panic or an
// oversized allocation.
func decodeEntry(b []byte, ms []authcache.Mutation) (origin string, published time.Time, out []authcache.Mutation, err error) {
	d := entryDecoder{b: b}
	if v := d.byte("version"); d.err == nil && v != entryVersion {
		d.off = 0
		d.fail("version", fmt.Sprintf("version %d, want %d", v, entryVersion))
	}
	origin = string(d.bytes("origin"))
	published = time.UnixMicro(d.varint("published"))
	n := d.uvarint("count")
	if d.err == nil && n > uint64(len(d.b)-d.off)/2 { // a mutation takes at least 2 bytes
		d.fail("count", fmt.Sprintf("%d mutations cannot fit in the %d bytes left", n, len(d.b)-d.off))
	}
	out = ms[:0]
	for i := uint64(0); i < n && d.err == nil; i++ {
		var m authcache.Mutation
		flags := d.byte("flags")
		if flags&^flagDelete != 0 && d.err == nil {
			d.fail("flags", fmt.Sprintf("unknown bits %#x", flags))
		}
		m.Key = d.bytes("key")
		if flags&flagDelete != 0 {
			m.Delete = true
		} else {
			m.Value = d.bytes("value")
			m.ExpiresAt = d.varint("expires")
		}
		out = append(out, m)
	}
	if d.err == nil && d.off != len(d.b) {
		d.fail("end", fmt.Sprintf("%d bytes left over", len(d.b)-d.off))
	}
	if d.err != nil {
		return "", time.Time{}, out[:0], d.err
	}
	return origin, published, out, nil
}

type entryDecoder struct {
	b   []byte
	off int
	err error
}

func (d *entryDecoder) fail(field, what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at offset %d: %s", errEntry, field, d.off, what)
	}
}

func (d *entryDecoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(field, "short")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *entryDecoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail(field, "bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *entryDecoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail(field, "bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *entryDecoder) bytes(field string) []byte {
	n := d.uvarint(field)
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(field, fmt.Sprintf("length %d exceeds the %d bytes left", n, len(d.b)-d.off))
		return nil
	}
	v := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return v
}
