package smpp

import "github.com/spsmg/spsmg/codec"

// Field sizes of the bind operations (SMPP 3.4 §4.1), NUL included.
const (
	SystemIDLen     = 16 // system_id
	PasswordLen     = 9  // password
	SystemTypeLen   = 13 // system_type
	AddressRangeLen = 41 // address_range
)

// InterfaceVersion34 is the interface_version of SMPP 3.4 (0x00–0x33 mean
// 3.3 or earlier).
const InterfaceVersion34 = 0x34

// Bind is bind_transmitter (0x00000002), bind_receiver (0x00000001) or
// bind_transceiver (0x00000009): the three share one body (SMPP 3.4
// §4.1.1, §4.1.3, §4.1.5). ID says which; a transmitter only sends MT, a
// receiver only receives MO and receipts, a transceiver does both on one
// connection.
//
//	system_id          C-string ≤ 16   the ESME's account
//	password           C-string ≤ 9    in clear
//	system_type        C-string ≤ 13   e.g. "VMA", often empty
//	interface_version  1               0x34
//	addr_ton, addr_npi 1 + 1
//	address_range      C-string ≤ 41   addresses served, usually empty
type Bind struct {
	ID               CommandID `json:"-"` // CmdBindTransmitter, CmdBindReceiver or CmdBindTransceiver
	SystemID         string    `json:"system_id"`
	Password         string    `json:"password"`
	SystemType       string    `json:"system_type"`
	InterfaceVersion uint8     `json:"interface_version,string"`
	AddrTON          uint8     `json:"addr_ton,string"`
	AddrNPI          uint8     `json:"addr_npi,string"`
	AddressRange     string    `json:"address_range"`
}

// Command returns ID (bind_transmitter when ID is zero).
func (p *Bind) Command() CommandID {
	if p.ID == 0 {
		return CmdBindTransmitter
	}
	return p.ID
}

// AppendBody appends the body; C-strings are cut at their maximum.
func (p *Bind) AppendBody(dst []byte) []byte {
	dst = codec.AppendCString(dst, p.SystemID, SystemIDLen)
	dst = codec.AppendCString(dst, p.Password, PasswordLen)
	dst = codec.AppendCString(dst, p.SystemType, SystemTypeLen)
	dst = append(dst, p.InterfaceVersion, p.AddrTON, p.AddrNPI)
	return codec.AppendCString(dst, p.AddressRange, AddressRangeLen)
}

func (p *Bind) decodeBody(r *codec.Reader) {
	p.SystemID = cstring(r, "system_id", SystemIDLen)
	p.Password = cstring(r, "password", PasswordLen)
	p.SystemType = cstring(r, "system_type", SystemTypeLen)
	p.InterfaceVersion = r.Uint8("interface_version")
	p.AddrTON = r.Uint8("addr_ton")
	p.AddrNPI = r.Uint8("addr_npi")
	p.AddressRange = cstring(r, "address_range", AddressRangeLen)
}

// CanSend reports whether a session bound with p may send submit_sm
// (transmitter, transceiver).
func (p *Bind) CanSend() bool { return p.Command() != CmdBindReceiver }

// CanReceive reports whether the SMSC may deliver on a session bound with p
// (receiver, transceiver).
func (p *Bind) CanReceive() bool { return p.Command() != CmdBindTransmitter }

// BindResp is bind_transmitter_resp, bind_receiver_resp or
// bind_transceiver_resp (SMPP 3.4 §4.1.2, §4.1.4, §4.1.6): the SMSC's
// system_id (C-string ≤ 16) and the optional sc_interface_version TLV. A
// refused bind carries a non-zero command_status (ESME_RBINDFAIL,
// ESME_RINVPASWD, ESME_RINVSYSID, ESME_RALYBND); some SMSCs then leave the
// body out, which NoBody records.
type BindResp struct {
	ID       CommandID `json:"-"` // the Bind's id | 0x80000000
	SystemID string    `json:"system_id"`
	TLVs     TLVs      `json:"tlvs,omitempty"`
	NoBody   bool      `json:"no_body,omitempty"`
}

// Command returns ID (bind_transmitter_resp when ID is zero).
func (p *BindResp) Command() CommandID {
	if p.ID == 0 {
		return CmdBindTransmitterResp
	}
	return p.ID
}

// AppendBody appends system_id and the TLVs, or nothing when NoBody is set
// and both are empty.
func (p *BindResp) AppendBody(dst []byte) []byte {
	return appendIDResp(dst, p.SystemID, SystemIDLen, p.TLVs, p.NoBody)
}

func (p *BindResp) decodeBody(r *codec.Reader) {
	p.SystemID, p.TLVs, p.NoBody = decodeIDResp(r, "system_id", SystemIDLen)
}

// AppendBindResp appends a whole bind_*_resp frame answering a bind with
// command id bind: system_id (cut at 15 bytes) and, when accepted, the
// sc_interface_version TLV saying 3.4. A refused bind_transmitter or
// bind_receiver gets no body (SMPP 3.4 leaves it out on error, and
// gosmpp, for one, then reads none); a refused bind_transceiver keeps
// system_id, which the same clients expect there. Does not allocate when
// dst has room.
func AppendBindResp(dst []byte, bind CommandID, seq uint32, status Status, systemID string) []byte {
	start := len(dst)
	id := bind.Response()
	dst = appendHeader(dst, id, status, seq)
	if status == StatusOK || id == CmdBindTransceiverResp {
		dst = codec.AppendCString(dst, systemID, SystemIDLen)
	}
	if status == StatusOK {
		dst = AppendTLV(dst, TagSCInterfaceVersion, []byte{InterfaceVersion34})
	}
	return finish(dst, start)
}
