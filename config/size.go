package config

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// ByteSize is an amount of bytes as the file writes it: a plain number of
// bytes (536870912) or a whole number with a unit, binary (KiB, MiB, GiB,
// TiB: powers of 1024) or decimal (kB, MB, GB, TB: powers of 1000), with
// or without a space: 512MiB, 2 GB. Units ignore case. It stays a string
// until Validate has checked it, so that a mistake is reported with its
// YAML path like every other.
type ByteSize string

// Bytes is the size in bytes; 0 when the text does not parse (Validate
// reports that).
func (s ByteSize) Bytes() uint64 {
	n, _ := s.parse()
	return n
}

var sizeUnits = map[string]uint64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

func (s ByteSize) parse() (uint64, error) {
	t := strings.TrimSpace(string(s))
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q is not a size (bytes, or a whole number with B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", string(s))
	}
	n, err := strconv.ParseUint(t[:i], 10, 64)
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || !ok {
		return 0, fmt.Errorf("%q is not a size (bytes, or a whole number with B, kB, MB, GB, TB, KiB, MiB, GiB or TiB)", string(s))
	}
	hi, lo := bits.Mul64(n, unit)
	if hi != 0 {
		return 0, fmt.Errorf("%q is too large", string(s))
	}
	return lo, nil
}

// FormatBytes writes n in the largest binary unit that keeps one decimal
// place meaningful: 536870912 → "512.0 MiB", 1000 → "1000 B".
func FormatBytes(n uint64) string {
	const units = "KMGTPE"
	if n < 1<<10 {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(1<<10), 0
	for m := n >> 10; m >= 1<<10 && exp < len(units)-1; m >>= 10 {
		div <<= 10
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), units[exp])
}
