// Package cmpp encodes and decodes CMPP, China Mobile's SP ↔ ISMG protocol,
// in its 2.0/2.1 and 3.0 layouts (docs/protocols/cmpp.md). One set of PDU
// structs covers both layout families; a Version value passed to Decode,
// Append and ParseView picks the wire layout (§4):
//
//	V20, V21 → Family2x: 21-byte terminal ids, Reserve 8, 1-byte result codes
//	V30      → Family30: 32-byte terminal ids + type bytes, LinkID 20, 4-byte results
//
// Two responses carry their own variant and are decoded without trusting the
// Version: CMPP_CONNECT_RESP by its Total_Length (30 = 2.x, 33 = 3.0, §4) and
// the status report inside a CMPP_DELIVER by its Msg_Length (60 = 21-byte
// Dest_terminal_Id, 71 = 32-byte, §9.3). Both remember the form they were
// read in (ConnectResp.Layout, Report.Form), so they re-encode byte-exactly.
//
// There are two ways in, for two kinds of caller:
//
//	frame ─▶ Decode(frame, v) ─▶ Header, PDU (*Submit, *Deliver, …)     decode tool, logins, tests
//	frame ─▶ ParseView(frame, v, &view) ─▶ codec.View (sub-slices)      the proxy's hot path
//
// and the way out appends into a buffer the caller owns:
//
//	Append(dst, v, seq, pdu); AppendSubmitResp / AppendDeliverResp / AppendActiveTestResp
//
// The package is designed to keep the hot path free of heap allocations:
// ParseView, SetSequence and the Append* response helpers never allocate
// (guarded by AllocsPerRun tests); the typed Decode allocates its struct and
// strings and is meant for everything else.
//
// CMPP_FWD (ISMG ↔ ISMG) and the GNS route commands (0x10–0x17) have
// CommandID constants, names and Kind (KindOther/KindOtherResp) so that the
// proxy can log and pass them through, but no PDU struct: they never travel
// on an SP connection. Decode returns an error wrapping
// codec.ErrUnknownCommand for them, naming the command; ParseView fills the
// header part of the View and returns nil.
//
// To add a command:
//
//  1. add its id to the CommandID constants and to the names in String;
//     map it in KindOf;
//  2. write its struct in the file of its family (submit.go, deliver.go, …)
//     with fields in the order of the spec's table, AppendBody and decodeBody
//     built from codec.Reader and the codec.Append* helpers, one line a row;
//  3. add it to newPDU (pdu.go) and, if the proxy needs its fields, to
//     ParseView (view.go);
//  4. add a golden vector under testdata/ naming its source, a round-trip
//     case (samples in roundtrip_test.go, which also feed the truncation walk
//     and the fuzz seeds), then regenerate testdata/fuzz (see fuzz_test.go).
package cmpp
