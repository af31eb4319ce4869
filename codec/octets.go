package codec

import "encoding/hex"

// Octets is a byte field that prints as lower-case hex in JSON, for the
// decode tool and logs (message ids, raw content, opaque Reserve fields).
type Octets []byte

// MarshalJSON renders the bytes as a hex string.
func (o Octets) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+hex.EncodedLen(len(o)))
	b = append(b, '"')
	b = hex.AppendEncode(b, o)
	return append(b, '"'), nil
}

// String renders the bytes as hex.
func (o Octets) String() string { return hex.EncodeToString(o) }
