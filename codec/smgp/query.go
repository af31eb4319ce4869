package smgp

import "github.com/spsmg/spsmg/codec"

// Query (0x00000007, optional in the spec) asks the SMGW for an SP's
// traffic statistics. The protocol lists only its id; the layout is the
// 3.0.3 one as two independent implementations give it, byte for byte the
// same: boxtsecond/gosmgp pkg/query.go and a 2005 C++ SMGP client
// (smgp_packet.h, struct smgp_query); docs/protocols/smgp30.md §16.
// Body 19 B, packet 31 B.
type Query struct {
	QueryTime string `json:"QueryTime"`        // 8: YYYYMMDD
	QueryType uint8  `json:"QueryType,string"` // 1: what to count (the sources give no value table)
	QueryCode string `json:"QueryCode"`        // 10: service code of a per-service query
}

// Sizes of the Query fields.
const (
	QueryTimeLen = 8
	QueryCodeLen = 10
)

// Command returns CmdQuery.
func (*Query) Command() CommandID { return CmdQuery }

// AppendBody appends the 19-byte body.
func (p *Query) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.QueryTime, QueryTimeLen)
	dst = codec.AppendUint8(dst, p.QueryType)
	return codec.AppendText(dst, p.QueryCode, QueryCodeLen)
}

func (p *Query) decodeBody(r *codec.Reader, _ Version) {
	p.QueryTime = r.Text("QueryTime", QueryTimeLen)
	p.QueryType = r.Uint8("QueryType")
	p.QueryCode = r.Text("QueryCode", QueryCodeLen)
}

// QueryResp (0x80000007) answers Query with eight counters and a Reserve:
// body 59 B, packet 71 B (same sources as Query).
type QueryResp struct {
	QueryTime string       `json:"QueryTime"`        // 8
	QueryType uint8        `json:"QueryType,string"` // 1
	QueryCode string       `json:"QueryCode"`        // 10
	MTTLMsg   uint32       `json:"MT_TLMsg,string"`  // 4: messages received from the SP
	MTTLUsr   uint32       `json:"MT_TLUsr,string"`  // 4: users they were sent to
	MTScs     uint32       `json:"MT_Scs,string"`    // 4: delivered
	MTWT      uint32       `json:"MT_WT,string"`     // 4: waiting
	MTFL      uint32       `json:"MT_FL,string"`     // 4: failed
	MOScs     uint32       `json:"MO_Scs,string"`    // 4: MO delivered to the SP
	MOWT      uint32       `json:"MO_WT,string"`     // 4: MO waiting
	MOFL      uint32       `json:"MO_FL,string"`     // 4: MO failed
	Reserve   codec.Octets `json:"Reserve"`          // 8
}

// Command returns CmdQueryResp.
func (*QueryResp) Command() CommandID { return CmdQueryResp }

// AppendBody appends the 59-byte body.
func (p *QueryResp) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.QueryTime, QueryTimeLen)
	dst = codec.AppendUint8(dst, p.QueryType)
	dst = codec.AppendText(dst, p.QueryCode, QueryCodeLen)
	for _, n := range [...]uint32{p.MTTLMsg, p.MTTLUsr, p.MTScs, p.MTWT, p.MTFL, p.MOScs, p.MOWT, p.MOFL} {
		dst = codec.AppendUint32(dst, n)
	}
	return codec.AppendFixed(dst, p.Reserve, ReserveLen)
}

func (p *QueryResp) decodeBody(r *codec.Reader, _ Version) {
	p.QueryTime = r.Text("QueryTime", QueryTimeLen)
	p.QueryType = r.Uint8("QueryType")
	p.QueryCode = r.Text("QueryCode", QueryCodeLen)
	p.MTTLMsg = r.Uint32("MT_TLMsg")
	p.MTTLUsr = r.Uint32("MT_TLUsr")
	p.MTScs = r.Uint32("MT_Scs")
	p.MTWT = r.Uint32("MT_WT")
	p.MTFL = r.Uint32("MT_FL")
	p.MOScs = r.Uint32("MO_Scs")
	p.MOWT = r.Uint32("MO_WT")
	p.MOFL = r.Uint32("MO_FL")
	p.Reserve = r.Bytes("Reserve", ReserveLen)
}
