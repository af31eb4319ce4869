package smgp

import "github.com/spsmg/spsmg/codec"

// ReportLen is the size of the canonical report text
// (docs/protocols/smgp30.md §9).
const ReportLen = 122

// Widths of the report values (docs/protocols/smgp30.md §9 field table).
const (
	reportSubLen  = 3
	reportDateLen = 10
	reportStatLen = 7
	reportErrLen  = 3
	reportTextLen = 20
)

// Stat values of a status report (docs/protocols/smgp30.md §9.1).
const (
	StatDelivered     = "DELIVRD"
	StatExpired       = "EXPIRED"
	StatDeleted       = "DELETED"
	StatUndeliverable = "UNDELIV"
	StatAccepted      = "ACCEPTD"
	StatUnknown       = "UNKNOWN"
	StatRejected      = "REJECTD"
)

// Report is the status report carried as the MsgContent of a Deliver with
// IsReport = 1 (docs/protocols/smgp30.md §9). The values are fixed width;
// ParseReport finds them by label, Append writes the canonical 122-byte form.
type Report struct {
	ID         MsgID  `json:"Id"`          // 10 raw bytes: the MsgID of the Submit_Resp (not hex text)
	Sub        string `json:"sub"`         // 3: "001"
	Dlvrd      string `json:"dlvrd"`       // 3: "001"
	SubmitDate string `json:"submit_date"` // 10: YYMMDDhhmm
	DoneDate   string `json:"done_date"`   // 10: YYMMDDhhmm
	Stat       string `json:"stat"`        // 7: DELIVRD, EXPIRED, ... (§9.1)
	Err        string `json:"err"`         // 3: "000" success, ... (§9.2)
	Text       string `json:"text"`        // ≤ 20: length (3 ASCII digits) + first 17 bytes of the text; trailing NULs trimmed
}

// ParseReport reads a report text by label. Six spellings are in use
// (docs/protocols/smgp30.md §9, vectors V5, V9): labels are matched
// case-insensitively, with a space, an underscore or nothing inside two-word
// labels ("submit date", "Submit_Date", "submit_date"), any run of separator
// bytes (space, "s") or none at all between one value and the next label, and
// "text" or "txt" for the last one. Values are fixed width; the Id is the 10
// raw bytes right after "id:". The text label is optional and its value may
// be shorter than 20 bytes (the 110-byte SMSGate sample). Trailing NULs are
// trimmed from the string values.
//
// Errors are *codec.FieldError (PDU "smgp report"): ErrBadValue when a
// label is missing, ErrShortFrame when a value runs past the content.
func ParseReport(content []byte) (Report, error) {
	var rep Report
	i := findLabel(content, 0, "id")
	if i < 0 {
		return Report{}, reportError("id", 0, codec.ErrBadValue)
	}
	if len(content)-i < MsgIDLen {
		return Report{}, reportError("id", i, codec.ErrShortFrame)
	}
	copy(rep.ID[:], content[i:])
	pos := i + MsgIDLen
	fields := [...]struct {
		label string
		width int
		dst   *string
	}{
		{"sub", reportSubLen, &rep.Sub},
		{"dlvrd", reportSubLen, &rep.Dlvrd},
		{"submit_date", reportDateLen, &rep.SubmitDate},
		{"done_date", reportDateLen, &rep.DoneDate},
		{"stat", reportStatLen, &rep.Stat},
		{"err", reportErrLen, &rep.Err},
	}
	for _, f := range fields {
		v := findLabel(content, pos, f.label)
		if v < 0 {
			return Report{}, reportError(f.label, pos, codec.ErrBadValue)
		}
		if len(content)-v < f.width {
			return Report{}, reportError(f.label, v, codec.ErrShortFrame)
		}
		*f.dst = string(trimTrailingNUL(content[v : v+f.width]))
		pos = v + f.width
	}
	v := findLabel(content, pos, "text")
	if v < 0 {
		v = findLabel(content, pos, "txt")
	}
	if v >= 0 {
		end := min(v+reportTextLen, len(content))
		rep.Text = string(trimTrailingNUL(content[v:end]))
	}
	return rep, nil
}

func reportError(field string, off int, err error) error {
	return &codec.FieldError{PDU: "smgp report", Field: field, Index: -1, Offset: off, Err: err}
}

// Append appends the canonical 122-byte report text to dst (SMPP 3.4 style,
// lower-case labels, docs/protocols/smgp30.md §9):
//
//	id:<10 raw> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:<20>
//
// Each value is written at its fixed width: cut when longer, NUL-padded when
// shorter.
func (r *Report) Append(dst []byte) []byte {
	dst = append(dst, "id:"...)
	dst = append(dst, r.ID[:]...)
	dst = append(dst, " sub:"...)
	dst = codec.AppendText(dst, r.Sub, reportSubLen)
	dst = append(dst, " dlvrd:"...)
	dst = codec.AppendText(dst, r.Dlvrd, reportSubLen)
	dst = append(dst, " submit date:"...)
	dst = codec.AppendText(dst, r.SubmitDate, reportDateLen)
	dst = append(dst, " done date:"...)
	dst = codec.AppendText(dst, r.DoneDate, reportDateLen)
	dst = append(dst, " stat:"...)
	dst = codec.AppendText(dst, r.Stat, reportStatLen)
	dst = append(dst, " err:"...)
	dst = codec.AppendText(dst, r.Err, reportErrLen)
	dst = append(dst, " text:"...)
	return codec.AppendText(dst, r.Text, reportTextLen)
}

// findLabel returns the offset just after "<label>:" at or after from, or -1.
// label is lower case; an '_' in it matches a space, an underscore or
// nothing, so "submit_date" matches "submit date", "Submit_Date" and
// "submitdate". Whatever lies between from and the label is skipped: the
// separators gateways use (" ", "s", none) need no list. Does not allocate.
func findLabel(b []byte, from int, label string) int {
	for i := max(from, 0); i < len(b); i++ {
		if end := matchLabel(b, i, label); end >= 0 {
			return end
		}
	}
	return -1
}

// matchLabel matches label followed by ':' at b[i:]; it returns the offset
// after the colon or -1.
func matchLabel(b []byte, i int, label string) int {
	for k := 0; k < len(label); k++ {
		c := label[k]
		if c == '_' {
			if i < len(b) && (b[i] == ' ' || b[i] == '_') {
				i++
			}
			continue
		}
		if i >= len(b) || lower(b[i]) != c {
			return -1
		}
		i++
	}
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return i + 1
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// statLabelGap is the distance from the end of the Id to the "stat" label
// in the 122-byte report forms: " sub:001 dlvrd:001 submit date:… done date:… ".
const statLabelGap = 63

// scanReport is ParseView's cheap look at a report: the 10 raw bytes after
// "id:" and the 7 after "stat:", as sub-slices of content (nil when not
// found). It reads no other field and does not allocate.
func scanReport(content []byte) (id, stat []byte) {
	i := findLabel(content, 0, "id")
	if i < 0 || len(content)-i < MsgIDLen {
		return nil, nil
	}
	id = content[i : i+MsgIDLen : i+MsgIDLen]
	// Fast path: in the 122-byte forms (canonical, go_smgp, the "s"-separated
	// gateway form) the stat label starts 63 bytes after the id.
	j := matchLabel(content, i+MsgIDLen+statLabelGap, "stat")
	if j < 0 {
		j = findLabel(content, i+MsgIDLen, "stat")
	}
	if j >= 0 && len(content)-j >= reportStatLen {
		stat = content[j : j+reportStatLen : j+reportStatLen]
	}
	return id, stat
}
