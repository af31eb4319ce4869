package sgip

import "github.com/spsmg/spsmg/codec"

// UserCondition values of UserRpt (§4).
const (
	UserDeregistered = 0
	UserSuspended    = 1 // for arrears
	UserRestored     = 2
)

// UserRpt (0x11) tells the SP about a user's state, SMG → SP: 51-byte
// body, 71-byte packet (§4).
type UserRpt struct {
	SPNumber      string       `json:"SPNumber"`   // 21
	UserNumber    string       `json:"UserNumber"` // 21, with 86
	UserCondition uint8        `json:"UserCondition,string"`
	Reserve       codec.Octets `json:"Reserve"` // 8
}

// Command returns CmdUserRpt.
func (*UserRpt) Command() CommandID { return CmdUserRpt }

// AppendBody appends the 51-byte body.
func (u *UserRpt) AppendBody(dst []byte) []byte {
	dst = codec.AppendText(dst, u.SPNumber, NumberLen)
	dst = codec.AppendText(dst, u.UserNumber, NumberLen)
	dst = append(dst, u.UserCondition)
	return codec.AppendFixed(dst, u.Reserve, reserveLen)
}

func (u *UserRpt) decodeBody(r *codec.Reader) {
	u.SPNumber = r.Text("SPNumber", NumberLen)
	u.UserNumber = r.Text("UserNumber", NumberLen)
	u.UserCondition = r.Uint8("UserCondition")
	u.Reserve = readReserve(r, "Reserve")
}
