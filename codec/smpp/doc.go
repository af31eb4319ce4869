// Package smpp encodes and decodes SMPP 3.4, the Short Message Peer to Peer
// protocol (SMPP Developers Forum, Issue 1.2, 1999), for the PDUs a gateway
// between SPs and an SMSC needs: bind_transmitter, bind_receiver and
// bind_transceiver, unbind, enquire_link, generic_nack, submit_sm,
// deliver_sm (MO and receipts) and data_sm, with their responses. The other
// SMPP 3.4 commands (query_sm, replace_sm, cancel_sm, submit_multi, outbind,
// alert_notification) are named and decoded as Raw, body kept. README.md
// beside this file has the field tables, the limits, the choices made where
// peers disagree, and where each test vector comes from.
//
// Like the rest of codec it keeps the proxy's hot path free of heap
// allocations:
//
//	ESME ──frame──▶ NewFramer.Split ─▶ ParseView(frame, &view)   zero-copy, 0 allocs
//	                                   SetSequence(frame, seq)   in place (offset 12)
//	                AppendSubmitResp / AppendDeliverResp / AppendGenericNack /
//	                AppendEnquireLinkResp / AppendBindResp into the caller's buffer
//
// Decode and Append give typed PDUs (one struct per command, fields in the
// order of the spec's tables, JSON names as the spec spells them) for the
// bind path, the decode tool, the simulators and tests; the round trip is
// byte-exact, TLVs included.
//
// What SMPP does differently from CMPP, SGIP and SMGP:
//   - the header is 16 bytes and carries command_status; the sequence is at
//     offset 12;
//   - text fields are C-Octet Strings: NUL-terminated, variable width, each
//     with a maximum that counts the NUL (codec.Reader.CString). A longer
//     one is an error naming the field, never silently cut; the time fields
//     are either empty or exactly 16 characters;
//   - optional parameters (TLVs) follow the mandatory fields of most PDUs.
//     They are an ordered TLVs slice, never a map: unknown and vendor tags
//     are kept and re-encoded in place. Typed accessors read the well-known
//     ones (sar_*, message_payload, receipted_message_id, message_state, …);
//   - there is no LinkID: Options.LinkIDTag can name a vendor TLV that
//     carries one, and ParseView then exposes its value as the LinkID slot;
//   - data_coding 0 is the SMSC default alphabet, GSM 7-bit:
//     text.DecodeSMPP reads it, not text.Decode.
//
// To add a command: give it a CommandID and a name in command.go and a Kind
// in KindOf; write its struct in the file of its family with AppendBody and
// decodeBody following the spec's table row by row (codec.Reader.CString
// for C-strings, readTLVs for the optional part); add it to newPDU (pdu.go)
// and, if the proxy needs its fields, to ParseView (view.go); then add a
// golden vector under testdata/ naming its source, a sample (samples_test.go:
// it feeds the round trip, the truncation walk and the fuzz seeds) and
// regenerate testdata/fuzz (fuzz_test.go says how).
package smpp
