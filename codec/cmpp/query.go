package cmpp

import "github.com/spsmg/spsmg/codec"

// Query is CMPP_QUERY (0x00000006), SP → ISMG: traffic statistics for a day
// (docs/protocols/cmpp.md §6). Body 27 bytes, the same in all versions.
type Query struct {
	Time      string `json:"Time"`              // YYYYMMDD (8)
	QueryType uint8  `json:"Query_Type,string"` // 0 total, 1 by service
	QueryCode string `json:"Query_Code"`        // Service_Id when Query_Type is 1 (10)
	Reserve   string `json:"Reserve"`           // (8)
}

// Command returns CmdQuery.
func (*Query) Command() CommandID { return CmdQuery }

// AppendBody appends the 27-byte body.
func (p *Query) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.Time, 8)
	dst = codec.AppendUint8(dst, p.QueryType)
	dst = codec.AppendText(dst, p.QueryCode, 10)
	return codec.AppendText(dst, p.Reserve, 8)
}

func (p *Query) decodeBody(r *codec.Reader, _ Version, _ Header) {
	p.Time = r.Text("Time", 8)
	p.QueryType = r.Uint8("Query_Type")
	p.QueryCode = r.Text("Query_Code", 10)
	p.Reserve = r.Text("Reserve", 8)
}

// QueryResp is CMPP_QUERY_RESP (0x80000006). Body 51 bytes, the same in all
// versions.
type QueryResp struct {
	Time      string `json:"Time"`
	QueryType uint8  `json:"Query_Type,string"`
	QueryCode string `json:"Query_Code"`
	MTTLMsg   uint32 `json:"MT_TLMsg,string"` // MT messages received from the SP
	MTTLUsr   uint32 `json:"MT_Tlusr,string"` // MT users
	MTScs     uint32 `json:"MT_Scs,string"`   // MT forwarded successfully
	MTWT      uint32 `json:"MT_WT,string"`    // MT waiting
	MTFL      uint32 `json:"MT_FL,string"`    // MT failed
	MOScs     uint32 `json:"MO_Scs,string"`   // MO delivered successfully
	MOWT      uint32 `json:"MO_WT,string"`    // MO waiting
	MOFL      uint32 `json:"MO_FL,string"`    // MO failed
}

// Command returns CmdQueryResp.
func (*QueryResp) Command() CommandID { return CmdQueryResp }

// AppendBody appends the 51-byte body.
func (p *QueryResp) AppendBody(dst []byte, _ Version) []byte {
	dst = codec.AppendText(dst, p.Time, 8)
	dst = codec.AppendUint8(dst, p.QueryType)
	dst = codec.AppendText(dst, p.QueryCode, 10)
	for _, n := range [...]uint32{p.MTTLMsg, p.MTTLUsr, p.MTScs, p.MTWT, p.MTFL, p.MOScs, p.MOWT, p.MOFL} {
		dst = codec.AppendUint32(dst, n)
	}
	return dst
}

func (p *QueryResp) decodeBody(r *codec.Reader, _ Version, _ Header) {
	p.Time = r.Text("Time", 8)
	p.QueryType = r.Uint8("Query_Type")
	p.QueryCode = r.Text("Query_Code", 10)
	p.MTTLMsg = r.Uint32("MT_TLMsg")
	p.MTTLUsr = r.Uint32("MT_Tlusr")
	p.MTScs = r.Uint32("MT_Scs")
	p.MTWT = r.Uint32("MT_WT")
	p.MTFL = r.Uint32("MT_FL")
	p.MOScs = r.Uint32("MO_Scs")
	p.MOWT = r.Uint32("MO_WT")
	p.MOFL = r.Uint32("MO_FL")
}
