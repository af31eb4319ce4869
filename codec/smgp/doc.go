// Package smgp encodes and decodes SMGP 3.0, China Telecom's Short Message
// Gateway Protocol (docs/protocols/smgp30.md), plus the 0x13 Submit layout that
// lacks FixedFee (Version V13; every other PDU is the same).
//
// Like the rest of codec it is built to keep the proxy's hot path free of
// heap allocations:
//
//	SP ──frame──▶ NewFramer.Split ─▶ ParseView(frame, v, &view)  zero-copy, 0 allocs
//	                                 SetSequence(frame, seq)      in place
//	              AppendSubmitResp / AppendDeliverResp / AppendActiveTestResp into the
//	              caller's buffer (0 allocs)
//
// Decode and Append give typed PDUs (one struct per command, fields in the
// order of the spec's tables) for the login path, the decode tool and the
// simulators; the round trip is byte-exact, TLVs included.
//
// Notable choices, each from docs/protocols/smgp30.md:
//   - TLVs are an ordered []TLV, never a map: unknown tags are kept and
//     re-encoded in order. A truncated TLV area (fewer than 4 bytes left, or
//     a Length running past the packet, V8) stops the TLV walk without
//     failing the decode; the stray bytes are kept in TLVTrailer.
//   - MsgID is 10 raw bytes, printed as 20 hex digits; never a decimal
//     number, never cut at 0x00 (§8).
//   - Status reports are parsed by label, tolerant of the six spellings in
//     use, and written in the canonical lower-case 122-byte form (§9); the
//     raw content is kept for exact re-encoding.
//   - Forward, the route and the payment commands are defined (names,
//     KindOther) but not interpreted: Decode returns them as Raw, the body
//     kept byte for byte. Undefined RequestIDs fail with an error wrapping
//     codec.ErrUnknownCommand.
//
// To add a command: give it a CommandID and a name in command.go, write its
// struct in its own file with AppendBody and decodeBody following the
// spec's table row by row, add it to newPDU (pdu.go) and, if the proxy
// needs it, to KindOf and ParseView; then add a golden vector under
// testdata/, a round-trip case, a truncation walk and a fuzz seed.
package smgp
