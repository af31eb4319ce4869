// Package codec holds what the carriers' binary protocols share: frame
// splitting on a 4-byte big-endian total length, the field reader and
// append-style writers that the protocol decoders are built from, the
// MD5 login authenticators of CMPP and SMGP, and View, the protocol-neutral
// zero-copy look at a frame that the proxy's hot path uses.
//
// One sub-package per protocol family turns frames into typed PDUs and back:
// codec/sgip (SGIP 1.2), codec/cmpp (CMPP 2.0/2.1/3.0 by a Version value),
// codec/smgp (SMGP 3.0), codec/smpp (SMPP 3.4). Message text (codec/text,
// the GSM 7-bit alphabet included) and long-SMS user data headers
// (codec/udh) live apart from the framing code.
//
// The package is designed to keep the hot path free of heap allocations:
// decoders read fields as sub-slices of the frame, encoders append into a
// buffer the caller owns, and errors are built only when something fails.
// It does no I/O, no logging and no metrics.
//
// To add a command to a protocol package:
//
//  1. add its id to the CommandID constants and to the names table (String
//     returns the spec's name, e.g. CMPP_SUBMIT);
//  2. write a struct in its own file (submit.go) whose fields follow the
//     spec's table line for line, with AppendBody and DecodeBody built from
//     codec.Reader and the codec.Append* helpers;
//  3. add it to the package's switch in Decode/New and to its Kind mapping;
//  4. add a golden vector under testdata/ naming its source, a round-trip
//     case, a truncation walk and a fuzz seed.
package codec
