package reconcile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Day records. Key: rc/<YYYYMMDD>/<sp>. Value: a version byte, then
// (uvarint name length, name, uvarint count) per column, by name. Columns
// are named in the record, so records written before a column existed
// read as 0 for it.
const (
	// KeyPrefix of every record of this package (authcache's is ac/).
	KeyPrefix     = "rc/"
	recordVersion = 1
)

var errRecord = errors.New("reconcile: malformed day record")

func recordKey(day, sp string) []byte {
	return []byte(KeyPrefix + day + "/" + sp)
}

// CheckRecord checks one stored day record (for `spsmg store verify`):
// the key is rc/, eight digits of the day, '/', and a non-empty SP id, read
// by position (an SP id may hold '/'); the value decodes.
func CheckRecord(key, value []byte) (kind string, err error) {
	const dayLen = 8
	rest := key[min(len(key), len(KeyPrefix)):]
	if string(key[:len(key)-len(rest)]) != KeyPrefix || len(rest) < dayLen+2 || rest[dayLen] != '/' {
		return "", fmt.Errorf("%w: key is not %s<YYYYMMDD>/<sp>", errRecord, KeyPrefix)
	}
	if _, err := time.Parse("20060102", string(rest[:dayLen])); err != nil {
		return "", fmt.Errorf("%w: day %q", errRecord, rest[:dayLen])
	}
	if _, err := decode(value); err != nil {
		return "", err
	}
	return "reconciliation_day", nil
}

func encode(c counts) []byte {
	names := make([]string, 0, len(c))
	for k := range c {
		names = append(names, k)
	}
	sort.Strings(names)
	b := []byte{recordVersion}
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
		b = binary.AppendUvarint(b, c[n])
	}
	return b
}

func decode(v []byte) (counts, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, errRecord
	}
	c := counts{}
	b := v[1:]
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errRecord
		}
		name := string(b[k : k+int(n)])
		b = b[k+int(n):]
		x, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errRecord
		}
		b = b[k:]
		c[name] = x
	}
	return c, nil
}
