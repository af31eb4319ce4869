package jsonsock

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"unicode/utf8"
)

// The reference decoders: the same rules read with encoding/json (members
// by exact name into a map, the last of a repeated name winning), against
// which the fuzz targets check the package's own JSON reader.

func refScalar(v json.RawMessage) (string, bool) {
	switch {
	case v[0] == '"':
		var s string
		err := json.Unmarshal(v, &s)
		return s, err == nil
	case string(v) == "null":
		return "", true
	case v[0] == '-' || v[0] >= '0' && v[0] <= '9':
		var n json.Number
		err := json.Unmarshal(v, &n)
		return n.String(), err == nil
	}
	return "", false
}

func refValue(body []byte, v any) bool {
	if !utf8.Valid(body) { // the protocol's bodies are UTF-8; encoding/json would replace bad bytes
		return false
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if d.Decode(v) != nil {
		return false
	}
	_, err := d.Token()
	return err == io.EOF
}

func refFields(obj map[string]json.RawMessage, names []string, dst []*string) bool {
	for i, n := range names {
		if v, ok := obj[n]; ok {
			s, ok := refScalar(v)
			if !ok {
				return false
			}
			*dst[i] = s
		}
	}
	return true
}

func refDecodeSend(body []byte) ([]Message, bool) {
	var objs []map[string]json.RawMessage
	array := len(bytes.TrimLeft(body, " \t\r\n")) > 0 && bytes.TrimLeft(body, " \t\r\n")[0] == '['
	if array {
		if !refValue(body, &objs) || len(objs) == 0 || len(objs) > MaxMessages {
			return nil, false
		}
	} else {
		var one map[string]json.RawMessage
		if !refValue(body, &one) {
			return nil, false
		}
		objs = append(objs, one)
	}
	out := make([]Message, len(objs))
	for i, obj := range objs {
		m := &out[i]
		if obj == nil || !refFields(obj, messageFields, []*string{&m.Phone, &m.Message, &m.SendTime, &m.MsgID, &m.MsgType}) {
			return nil, false
		}
		if m.check("["+strconv.Itoa(i)+"].") != nil {
			return nil, false
		}
	}
	return out, true
}

func refDecodeReport(body []byte) (Report, bool) {
	var obj map[string]json.RawMessage
	if !refValue(body, &obj) || obj == nil {
		return Report{}, false
	}
	var r Report
	var sendTime string
	if !refFields(obj, []string{"msgid", "phone", "status", "sendtime", "stat"}, []*string{&r.MsgID, &r.Phone, &r.Status, &sendTime, &r.Stat}) {
		return Report{}, false
	}
	if checkID(CmdReport, "", r.MsgID) != nil || checkPhone(CmdReport, "", r.Phone) != nil ||
		(r.Status != StatusSuccess && r.Status != StatusFailure) || len(r.Stat) > MaxStatLen ||
		(sendTime != "" && !millis(sendTime)) {
		return Report{}, false
	}
	r.SendTime, _ = strconv.ParseInt(sendTime, 10, 64)
	return r, true
}

func refDecodeStatus(body []byte) (StatusBody, bool) {
	var obj map[string]json.RawMessage
	if !refValue(body, &obj) || obj == nil {
		return StatusBody{}, false
	}
	var st StatusBody
	if !refFields(obj, []string{"status"}, []*string{&st.Status}) || st.Status == "" || len(st.Status) > MaxIDLen {
		return StatusBody{}, false
	}
	return st, true
}
