package smpp

import "github.com/spsmg/spsmg/codec"

// DataSMAddrLen is the maximum of data_sm's source_addr and
// destination_addr, NUL included (SMPP 3.4 §4.7.1): wider than submit_sm's
// 21 because data_sm also carries IP and WAP addresses.
const DataSMAddrLen = 65

// DataSM is data_sm (0x00000103, SMPP 3.4 §4.7.1): a message in either
// direction, its user data in the message_payload TLV. From an ESME it is
// an MT like submit_sm; from the SMSC an MO or, with a receipt esm_class, a
// receipt.
//
//	service_type        C-string ≤ 6
//	source_addr_ton/npi 1 + 1
//	source_addr         C-string ≤ 65
//	dest_addr_ton/npi   1 + 1
//	destination_addr    C-string ≤ 65
//	esm_class           1              ESMClass
//	registered_delivery 1              RegisteredDelivery
//	data_coding         1
//	TLVs                               message_payload, sar_*, receipted_message_id, …
type DataSM struct {
	ServiceType        string             `json:"service_type"`
	SourceAddrTON      uint8              `json:"source_addr_ton,string"`
	SourceAddrNPI      uint8              `json:"source_addr_npi,string"`
	SourceAddr         string             `json:"source_addr"`
	DestAddrTON        uint8              `json:"dest_addr_ton,string"`
	DestAddrNPI        uint8              `json:"dest_addr_npi,string"`
	DestinationAddr    string             `json:"destination_addr"`
	ESMClass           ESMClass           `json:"esm_class,string"`
	RegisteredDelivery RegisteredDelivery `json:"registered_delivery,string"`
	DataCoding         uint8              `json:"data_coding,string"`
	TLVs               TLVs               `json:"tlvs,omitempty"`
}

// Command returns CmdDataSM.
func (*DataSM) Command() CommandID { return CmdDataSM }

// AppendBody appends the body; C-strings are cut at their maximum.
func (p *DataSM) AppendBody(dst []byte) []byte {
	dst = codec.AppendCString(dst, p.ServiceType, ServiceTypeLen)
	dst = append(dst, p.SourceAddrTON, p.SourceAddrNPI)
	dst = codec.AppendCString(dst, p.SourceAddr, DataSMAddrLen)
	dst = append(dst, p.DestAddrTON, p.DestAddrNPI)
	dst = codec.AppendCString(dst, p.DestinationAddr, DataSMAddrLen)
	dst = append(dst, byte(p.ESMClass), byte(p.RegisteredDelivery), p.DataCoding)
	return appendTLVs(dst, p.TLVs)
}

func (p *DataSM) decodeBody(r *codec.Reader) {
	p.ServiceType = cstring(r, "service_type", ServiceTypeLen)
	p.SourceAddrTON = r.Uint8("source_addr_ton")
	p.SourceAddrNPI = r.Uint8("source_addr_npi")
	p.SourceAddr = cstring(r, "source_addr", DataSMAddrLen)
	p.DestAddrTON = r.Uint8("dest_addr_ton")
	p.DestAddrNPI = r.Uint8("dest_addr_npi")
	p.DestinationAddr = cstring(r, "destination_addr", DataSMAddrLen)
	p.ESMClass = ESMClass(r.Uint8("esm_class"))
	p.RegisteredDelivery = RegisteredDelivery(r.Uint8("registered_delivery"))
	p.DataCoding = r.Uint8("data_coding")
	if r.Failed() {
		return
	}
	p.TLVs = readTLVs(r)
}

// Message returns the message_payload TLV (nil when absent).
func (p *DataSM) Message() []byte { v, _ := p.TLVs.MessagePayload(); return v }

// IsReport reports whether a data_sm from the SMSC is a receipt or ack
// (ESMClass.IsReport).
func (p *DataSM) IsReport() bool { return p.ESMClass.IsReport() }

// Receipt reads a receipt data_sm: its receipted_message_id and
// message_state TLVs, and the receipt text of message_payload when there
// is one (as Deliver.Receipt).
func (p *DataSM) Receipt() (Receipt, error) {
	if !p.IsReport() {
		return Receipt{}, &codec.FieldError{PDU: "smpp data_sm", Field: "esm_class", Index: -1,
			Value: int64(p.ESMClass), Err: codec.ErrBadValue}
	}
	return receiptOf(p.Message(), p.TLVs)
}

// DataSMResp is data_sm_resp (0x80000103, SMPP 3.4 §4.7.2): message_id
// (C-string ≤ 65) and TLVs (delivery_failure_reason, network_error_code,
// additional_status_info_text, dpf_result). NoBody as SubmitResp.
type DataSMResp struct {
	MessageID string `json:"message_id"`
	TLVs      TLVs   `json:"tlvs,omitempty"`
	NoBody    bool   `json:"no_body,omitempty"`
}

// Command returns CmdDataSMResp.
func (*DataSMResp) Command() CommandID { return CmdDataSMResp }

// AppendBody appends message_id and the TLVs.
func (p *DataSMResp) AppendBody(dst []byte) []byte {
	return appendIDResp(dst, p.MessageID, MessageIDLen, p.TLVs, p.NoBody)
}

func (p *DataSMResp) decodeBody(r *codec.Reader) {
	p.MessageID, p.TLVs, p.NoBody = decodeIDResp(r, "message_id", MessageIDLen)
}

// AppendDataSMResp appends a whole data_sm_resp frame with msgID as
// message_id (as AppendSubmitResp). Does not allocate when dst has room.
func AppendDataSMResp(dst []byte, seq uint32, status Status, msgID []byte) []byte {
	return appendRespFrame(dst, CmdDataSMResp, seq, status, msgID)
}

// MarshalJSON renders the fields and, for a receipt, the parsed Receipt as
// "receipt" (as Deliver.MarshalJSON).
func (p *DataSM) MarshalJSON() ([]byte, error) {
	type plain DataSM
	return withReceipt((*plain)(p), p.IsReport(), p.Receipt)
}
