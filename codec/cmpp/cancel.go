package cmpp

import "github.com/spsmg/spsmg/codec"

// Cancel is CMPP_CANCEL (0x00000007), SP → ISMG: cancel a message not yet
// delivered (docs/protocols/cmpp.md §6). Body 8 bytes.
type Cancel struct {
	MsgID uint64 `json:"Msg_Id,string"`
}

// Command returns CmdCancel.
func (*Cancel) Command() CommandID { return CmdCancel }

// AppendBody appends Msg_Id.
func (p *Cancel) AppendBody(dst []byte, _ Version) []byte {
	return codec.AppendUint64(dst, p.MsgID)
}

func (p *Cancel) decodeBody(r *codec.Reader, _ Version, _ Header) {
	p.MsgID = r.Uint64("Msg_Id")
}

// CancelResp is CMPP_CANCEL_RESP (0x80000007): Success_Id, 1 byte in 2.x,
// 4 in 3.0 (0 OK, 1 failed).
type CancelResp struct {
	SuccessID uint32 `json:"Success_Id,string"`
}

// Command returns CmdCancelResp.
func (*CancelResp) Command() CommandID { return CmdCancelResp }

// AppendBody appends Success_Id in v's width.
func (p *CancelResp) AppendBody(dst []byte, v Version) []byte {
	return appendResult(dst, v.Family(), p.SuccessID)
}

func (p *CancelResp) decodeBody(r *codec.Reader, v Version, _ Header) {
	p.SuccessID = readResult(r, v.Family(), "Success_Id")
}
