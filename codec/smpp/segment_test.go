package smpp

import (
	"testing"

	"github.com/spsmg/spsmg/codec"
	"github.com/spsmg/spsmg/codec/udh"
)

// TestViewSegmentReference: View.Segment gives the concatenation reference
// of an SMPP part, whether the part says it with a UDH or with the sar_*
// TLVs. It gave 0 for both, so that two long messages of one SP collided in
// the authorization of long messages.
func TestViewSegmentReference(t *testing.T) {
	withUDH := Append(nil, 1, 0, &Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", ESMClass: ESMUDHI,
		DataCoding: 8, ShortMessage: append(udh.Append(nil, udh.Concat{Ref: 0x1234, Total: 3, Seq: 2, Wide: true}), 0, 'a')})
	withSAR := Append(nil, 1, 0, &Submit{SourceAddr: "10655123", DestinationAddr: "13800138000", DataCoding: 1,
		ShortMessage: []byte("part"), TLVs: TLVs{TLVUint16(TagSARMsgRefNum, 0x1234), TLVUint8(TagSARTotalSegments, 3),
			TLVUint8(TagSARSegmentSeqnum, 2)}})
	for name, frame := range map[string][]byte{"udh": withUDH, "sar": withSAR} {
		var v codec.View
		if err := ParseView(frame, &v); err != nil {
			t.Fatal(err)
		}
		if ref, total, seq, ok := v.Segment(); !ok || ref != 0x1234 || total != 3 || seq != 2 {
			t.Errorf("%s: Segment = ref %#x part %d/%d %v, want ref 0x1234 part 2/3", name, ref, seq, total, ok)
		}
	}
}
