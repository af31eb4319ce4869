package sgip

import "github.com/spsmg/spsmg/codec"

// Trace (0x1000) asks the SMGs along a path what became of a Submit, on the
// test port: 41-byte body, 61-byte packet (§4).
type Trace struct {
	SubmitSequenceNumber Sequence     `json:"SubmitSequenceNumber"` // 12
	UserNumber           string       `json:"UserNumber"`           // 21
	Reserve              codec.Octets `json:"Reserve"`              // 8
}

// Command returns CmdTrace.
func (*Trace) Command() CommandID { return CmdTrace }

// AppendBody appends the 41-byte body.
func (t *Trace) AppendBody(dst []byte) []byte {
	dst = AppendSequence(dst, t.SubmitSequenceNumber)
	dst = codec.AppendText(dst, t.UserNumber, NumberLen)
	return codec.AppendFixed(dst, t.Reserve, reserveLen)
}

func (t *Trace) decodeBody(r *codec.Reader) {
	t.SubmitSequenceNumber = readSequence(r, "SubmitSequenceNumber")
	t.UserNumber = r.Text("UserNumber", NumberLen)
	t.Reserve = readReserve(r, "Reserve")
}

// Field widths of a Trace_Resp node record (§4).
const (
	NodeIDLen    = 6
	traceNodeLen = 47 // Result 1 + NodeId 6 + ReceiveTime 16 + SendTime 16 + Reserve 8
	traceTimeLen = 16
)

// TraceResp (0x80001000) answers Trace with one record per node the
// message passed: body = 1 + 47·Count (§4). Count is len(Nodes); AppendBody
// writes at most 255 records (the count is one byte).
type TraceResp struct {
	Nodes []TraceNode `json:"Nodes"` // Count × 47
}

// TraceNode is one node record of a Trace_Resp.
type TraceNode struct {
	Result      Result       `json:"Result,string"` // 0 received, 1 pending, else error
	NodeID      string       `json:"NodeId"`        // 6
	ReceiveTime string       `json:"ReceiveTime"`   // 16, yymmddhhmmss
	SendTime    string       `json:"SendTime"`      // 16, yymmddhhmmss
	Reserve     codec.Octets `json:"Reserve"`       // 8
}

// Command returns CmdTraceResp.
func (*TraceResp) Command() CommandID { return CmdTraceResp }

// AppendBody appends Count and the node records.
func (t *TraceResp) AppendBody(dst []byte) []byte {
	nodes := t.Nodes
	if len(nodes) > 255 {
		nodes = nodes[:255]
	}
	dst = append(dst, uint8(len(nodes)))
	for i := range nodes {
		n := &nodes[i]
		dst = append(dst, uint8(n.Result))
		dst = codec.AppendText(dst, n.NodeID, NodeIDLen)
		dst = codec.AppendText(dst, n.ReceiveTime, traceTimeLen)
		dst = codec.AppendText(dst, n.SendTime, traceTimeLen)
		dst = codec.AppendFixed(dst, n.Reserve, reserveLen)
	}
	return dst
}

func (t *TraceResp) decodeBody(r *codec.Reader) {
	count := int(r.Uint8("Count"))
	if r.Failed() || count == 0 {
		return
	}
	// Allocate for the records the frame can hold, not for what Count says.
	t.Nodes = make([]TraceNode, 0, min(count, r.Len()/traceNodeLen))
	for i := range count {
		var n TraceNode
		if b := r.BytesAt("Result", i, 1); b != nil {
			n.Result = Result(b[0])
		}
		n.NodeID = r.TextAt("NodeId", i, NodeIDLen)
		n.ReceiveTime = r.TextAt("ReceiveTime", i, traceTimeLen)
		n.SendTime = r.TextAt("SendTime", i, traceTimeLen)
		if b := r.BytesAt("Reserve", i, reserveLen); b != nil && !allZero(b) {
			n.Reserve = octets(b)
		}
		if r.Failed() {
			return
		}
		t.Nodes = append(t.Nodes, n)
	}
}
