package reconcile

import (
	"sort"
	"strconv"
	"strings"
)

// AppendCSV appends a header line and one line per row: date (YYYY-MM-DD),
// sp, then the columns in order (RFC 4180; fields are quoted when they hold
// a comma, quote or line break). A column a row lacks is 0.
func AppendCSV(b []byte, date string, cols []string, rows map[string]map[string]uint64) []byte {
	b = append(b, "date,sp"...)
	for _, c := range cols {
		b = append(b, ',')
		b = appendField(b, c)
	}
	b = append(b, "\r\n"...)
	sps := make([]string, 0, len(rows))
	for sp := range rows {
		sps = append(sps, sp)
	}
	sort.Strings(sps)
	for _, sp := range sps {
		b = appendField(b, date)
		b = append(b, ',')
		b = appendField(b, sp)
		for _, c := range cols {
			b = append(b, ',')
			b = strconv.AppendUint(b, rows[sp][c], 10)
		}
		b = append(b, "\r\n"...)
	}
	return b
}

func appendField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
