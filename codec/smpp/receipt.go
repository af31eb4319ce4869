package smpp

import "github.com/spsmg/spsmg/codec"

// MessageState is the state of a message (SMPP 3.4 §5.2.28): the value of
// the message_state TLV in a receipt and of query_sm_resp. Stat gives the
// 7-character form the receipt text uses.
type MessageState uint8

// The message states of SMPP 3.4 §5.2.28.
const (
	StateEnroute       MessageState = 1 // in transit: the only state that is not final
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6 // read on the subscriber's behalf (customer service)
	StateUnknown       MessageState = 7 // the message is in an invalid state
	StateRejected      MessageState = 8
)

var stateNames = [...]struct{ name, stat string }{
	StateEnroute:       {"ENROUTE", "ENROUTE"},
	StateDelivered:     {"DELIVERED", "DELIVRD"},
	StateExpired:       {"EXPIRED", "EXPIRED"},
	StateDeleted:       {"DELETED", "DELETED"},
	StateUndeliverable: {"UNDELIVERABLE", "UNDELIV"},
	StateAccepted:      {"ACCEPTED", "ACCEPTD"},
	StateUnknown:       {"UNKNOWN", "UNKNOWN"},
	StateRejected:      {"REJECTED", "REJECTD"},
}

// String returns the spec's name (DELIVERED), or the number for a value
// the spec does not define.
func (s MessageState) String() string {
	if s >= StateEnroute && int(s) < len(stateNames) {
		return stateNames[s].name
	}
	return codec.Hex32(uint32(s))
}

// Stat returns the 7-character receipt form (DELIVRD, UNDELIV, …), or ""
// for a value the spec does not define.
func (s MessageState) Stat() string {
	if s >= StateEnroute && int(s) < len(stateNames) {
		return stateNames[s].stat
	}
	return ""
}

// Final reports whether no later receipt will follow (every state but
// ENROUTE).
func (s MessageState) Final() bool { return s != StateEnroute && s.Stat() != "" }

// MarshalText renders the name, so that JSON shows "DELIVERED".
func (s MessageState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// StateOfStat reads a receipt's stat value: the 7-character form or the
// full name, in any case (delivrd, DELIVERED). ok is false for anything
// else (vendor values such as "ERR_NUM").
func StateOfStat(stat []byte) (MessageState, bool) {
	for s := StateEnroute; int(s) < len(stateNames); s++ {
		if equalFold(stat, stateNames[s].stat) || equalFold(stat, stateNames[s].name) {
			return s, true
		}
	}
	return 0, false
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Receipt is the delivery receipt text an SMSC puts in the short_message
// of a receipt deliver_sm (SMPP 3.4 Appendix B, which calls the format
// vendor-specific and gives this one as typical):
//
//	id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...
//
// Values are kept as the text spells them. State is the MessageState the
// stat value names (0 when it names none), or the message_state TLV when
// Deliver.Receipt read one.
type Receipt struct {
	ID         string       `json:"id"`          // the submit_sm_resp message_id (10 digits in the example; any length in the field)
	Sub        string       `json:"sub"`         // messages submitted (3 digits)
	Dlvrd      string       `json:"dlvrd"`       // messages delivered (3 digits)
	SubmitDate string       `json:"submit_date"` // YYMMDDhhmm (some SMSCs add ss)
	DoneDate   string       `json:"done_date"`   // YYMMDDhhmm
	Stat       string       `json:"stat"`        // DELIVRD, UNDELIV, … (MessageState.Stat)
	Err        string       `json:"err"`         // network or SMSC error code, 3 characters
	Text       string       `json:"text"`        // the first characters of the message (20 in the example)
	State      MessageState `json:"message_state,omitempty"`
}

// The labels of the receipt text, in the order they appear. A space in a
// label matches a space, an underscore or nothing ("submit date",
// "submit_date", "submitdate").
var receiptLabels = [...]string{"id", "sub", "dlvrd", "submit date", "done date", "stat", "err"}

// ParseReceipt reads a receipt text by label, tolerating what SMSCs do
// with the format: labels in any case and order, "submit_date" for
// "submit date", ids of any length (10 digits in the spec's example;
// hex, UUIDs and 20+ characters in the field), dates with seconds, a
// missing "text:" part or missing fields. Each value runs to the next space;
// text runs to the end (trailing NULs dropped). A label counts only at the
// start or after a byte that is not a letter or digit, so "sub:" is not
// found inside "submit date:".
//
// id and stat are required: without one of them ParseReceipt returns what
// it found with a *codec.FieldError (PDU "smpp receipt", ErrBadValue)
// naming the missing label; a caller that has the receipted_message_id TLV
// can still use the rest (Deliver.Receipt does).
func ParseReceipt(content []byte) (Receipt, error) {
	var rc Receipt
	area := content
	textAt := findLabel(content, 0, "text")
	if textAt >= 0 {
		rc.Text = string(trimTrailingNUL(content[textAt:]))
		area = content[:textAt]
	}
	dst := [...]*string{&rc.ID, &rc.Sub, &rc.Dlvrd, &rc.SubmitDate, &rc.DoneDate, &rc.Stat, &rc.Err}
	found := [len(receiptLabels)]bool{}
	for i, label := range receiptLabels {
		if v := labelValue(area, label); v != nil {
			*dst[i], found[i] = string(v), true
		}
	}
	if st, ok := StateOfStat([]byte(rc.Stat)); ok {
		rc.State = st
	}
	switch {
	case !found[0]:
		return rc, &codec.FieldError{PDU: "smpp receipt", Field: "id", Index: -1, Err: codec.ErrBadValue}
	case !found[5]:
		return rc, &codec.FieldError{PDU: "smpp receipt", Field: "stat", Index: -1, Err: codec.ErrBadValue}
	}
	return rc, nil
}

// Append appends the receipt in the form above, lower-case labels, values
// as they are (Stat from State when Stat is empty).
func (rc *Receipt) Append(dst []byte) []byte {
	stat := rc.Stat
	if stat == "" {
		stat = rc.State.Stat()
	}
	dst = append(dst, "id:"...)
	dst = append(dst, rc.ID...)
	dst = append(dst, " sub:"...)
	dst = append(dst, rc.Sub...)
	dst = append(dst, " dlvrd:"...)
	dst = append(dst, rc.Dlvrd...)
	dst = append(dst, " submit date:"...)
	dst = append(dst, rc.SubmitDate...)
	dst = append(dst, " done date:"...)
	dst = append(dst, rc.DoneDate...)
	dst = append(dst, " stat:"...)
	dst = append(dst, stat...)
	dst = append(dst, " err:"...)
	dst = append(dst, rc.Err...)
	dst = append(dst, " text:"...)
	return append(dst, rc.Text...)
}

// labelValue returns the value after label in b (up to the next space),
// or nil when the label is absent. Does not allocate.
func labelValue(b []byte, label string) []byte {
	return valueAt(b, findLabel(b, 0, label))
}

// findLabel returns the offset just after "<label>:" in b at or after
// from, where the label starts b or follows a byte that is not a letter or
// digit; -1 when there is none. Does not allocate.
func findLabel(b []byte, from int, label string) int {
	first := label[0]
	for i := from; i < len(b); i++ {
		if lower(b[i]) != first || i > 0 && isAlnum(b[i-1]) {
			continue
		}
		if end := matchLabel(b, i, label); end >= 0 {
			return end
		}
	}
	return -1
}

// matchLabel matches label and ':' at b[i:] case-insensitively; a space in
// label matches a space, an underscore or nothing. It returns the offset
// after the colon, or -1.
func matchLabel(b []byte, i int, label string) int {
	for k := 0; k < len(label); k++ {
		if label[k] == ' ' {
			if i < len(b) && (b[i] == ' ' || b[i] == '_') {
				i++
			}
			continue
		}
		if i >= len(b) || lower(b[i]) != label[k] {
			return -1
		}
		i++
	}
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return i + 1
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func trimTrailingNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// scanReceipt is ParseView's look at a receipt text: the id and stat
// values as sub-slices of content (nil when absent), read the way
// ParseReceipt reads them: the first id: and stat: labels before the first
// text: label, each value running to the next space (or to the end of
// that text: label). It walks content once, trying a label only where one
// may start, and stops at text:. Does not allocate.
func scanReceipt(content []byte) (id, stat []byte) {
	idAt, statAt, end := -1, -1, len(content)
	for i := 0; i < len(content); i++ {
		if i > 0 && isAlnum(content[i-1]) {
			continue
		}
		switch lower(content[i]) {
		case 'i':
			if idAt < 0 {
				idAt = matchLabel(content, i, "id")
			}
		case 's':
			if statAt < 0 {
				statAt = matchLabel(content, i, "stat")
			}
		case 't':
			if t := matchLabel(content, i, "text"); t >= 0 {
				end = t
				i = len(content)
			}
		}
	}
	return valueAt(content[:end], idAt), valueAt(content[:end], statAt)
}

// valueAt is the value starting at v in b, up to the next space; nil when
// v < 0.
func valueAt(b []byte, v int) []byte {
	if v < 0 {
		return nil
	}
	end := v
	for end < len(b) && b[end] != ' ' {
		end++
	}
	return b[v:end:end]
}
