package jsoningress

import (
	"encoding/json"

	"github.com/spsmg/spsmg/codec/jsonsock"
)

// B001 statuses. The protocol names the member and types it a string
// without listing its values; "1" success and "2" failure are the
// convention its A002 defines, and "3" says what a merchant most needs to
// tell apart from a failure: nothing is wrong with the message, send it
// again later (docs/json-ingress.md).
const (
	statusOK     = "1" // taken by the carrier (every part)
	statusFailed = "2" // refused: sending it again as it is would be refused again
	statusRetry  = "3" // not taken now (a limit, the carrier busy or silent): send it again later
)

// Reasons of a request refused as a whole (the B001's reason member); a
// message's reasons are the decision's (reason.Reason names, as in
// spsmg_mt_decisions_total) or carrier_<class> for the carrier's answer.
const (
	whyBadLength    = "bad_length"
	whyTooLarge     = "too_large"
	whyBadCommand   = "bad_command"
	whyBadBody      = "bad_body"
	whyUnauthorized = "unauthorized"
	whyIPNotAllowed = "ip_not_allowed"
	whyShutdown     = "shutting_down"
	whyTooLong      = "too_long" // a message of more than 255 parts
)

// result is the answer for one message.
type result struct {
	MsgID  string
	Status string
	Reason string // empty for statusOK
}

// worse is the status of a request of several messages: 2 when any was
// refused, else 3 when any should be sent again, else 1.
func worse(a, b string) string {
	if a == statusFailed || b == statusFailed {
		return statusFailed
	}
	if a == statusRetry || b == statusRetry {
		return statusRetry
	}
	return statusOK
}

// appendB001 writes the B001 frame answering a request whose messages
// were decided: {"status", "results": [{"msgid", "status"[, "reason"]}]}.
func appendB001(dst []byte, rs []result) []byte {
	overall := statusOK
	for i := range rs {
		overall = worse(overall, rs[i].Status)
	}
	body := make([]byte, 0, 32+48*len(rs))
	body = append(body, `{"status":"`...)
	body = append(body, overall...)
	body = append(body, `","results":[`...)
	for i := range rs {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"msgid":`...)
		body = appendASCII(body, rs[i].MsgID)
		body = append(body, `,"status":"`...)
		body = append(body, rs[i].Status...)
		body = append(body, '"')
		if rs[i].Reason != "" {
			body = append(body, `,"reason":"`...)
			body = append(body, rs[i].Reason...)
			body = append(body, '"')
		}
		body = append(body, '}')
	}
	body = append(body, "]}"...)
	out, _ := jsonsock.AppendResponse(dst, jsonsock.CmdSendResp, body) // far below six digits
	return out
}

// appendRefusal writes the B001 frame refusing a whole request: {"status",
// "reason"[, "error"]}, error being what was wrong with it.
func appendRefusal(dst []byte, status, why, detail string) []byte {
	body := make([]byte, 0, 64+len(detail))
	body = append(body, `{"status":"`...)
	body = append(body, status...)
	body = append(body, `","reason":"`...)
	body = append(body, why...)
	body = append(body, '"')
	if detail != "" {
		q, _ := json.Marshal(detail) // any text: escaped for JSON
		body = append(body, `,"error":`...)
		body = append(body, q...)
	}
	body = append(body, '}')
	out, _ := jsonsock.AppendResponse(dst, jsonsock.CmdSendResp, body)
	return out
}

// appendASCII writes a printable-ASCII string (a msgid, checked by the
// codec) as a JSON string.
func appendASCII(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\', c)
		} else {
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
