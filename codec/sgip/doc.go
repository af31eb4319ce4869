// Package sgip encodes and decodes SGIP 1.2, China Unicom's SP ⇄ SMG
// protocol, with the result codes SGIP 1.3 added (docs/protocols/sgip12.md).
//
// Like the rest of codec it is built to keep the proxy's hot path free of
// heap allocations:
//
//	SP ──Submit──▶ ParseView ─▶ authorize ─▶ SetSequence(frame, gw.Next()) ─▶ SMG
//	SP ◀─Submit_Resp── AppendResp(dst, CmdSubmit, spSeq, result)
//	SP ◀─Report── PutSequence(view.ReportMsgID, spSeq) ◀─Report── SMG
//
// There are two ways in:
//
//   - ParseView(frame, &view) fills a codec.View with sub-slices of the
//     frame: numbers, service code, the LinkID slot, content, the Report's
//     SubmitSequenceNumber. SetSequence / PutSequence rewrite sequences in
//     place, and AppendResp writes a response into the caller's buffer.
//     None of them allocate.
//   - Decode(frame) returns a typed PDU (Submit, Deliver, Report, ...) that
//     owns its data, for logins, tools, tests and simulators; Append(dst,
//     seq, pdu) writes one back. The round trip is byte-exact.
//
// SGIP specifics the API follows:
//
//   - The sequence number is 12 bytes, [node id, MMDDhhmmss, counter]
//     (Sequence, SequenceGenerator, NodeID). A response carries its
//     request's sequence, and a Submit's sequence is the message identity a
//     Report quotes: there is no MsgID.
//   - Connections are one-way (§2). MT goes SP → SMG on a Bind of Login Type
//     1; MO (Deliver), Report and UserRpt go SMG → SP on a Bind of type 2.
//     There is no active test.
//   - There is no LinkID field. Deployments carry it in the 8-byte Reserve
//     that ends Submit and Deliver (§8), which is View.LinkIDField. Bytes
//     after Reserve and within Message Length are kept (Submit.Trailer,
//     Deliver.Trailer) and counted with TrailingBytes; every other command
//     must end where its table ends (codec.ErrTrailingBytes).
//   - Submit.ReportFlag 0 means "report on final error only", so a report
//     may still come: View.NeedReport is true for every flag but 2.
//   - The GNS route operations and CheckUser have ids and names only. Decode
//     keeps their body in a Raw (the GNS responses, whose body is the
//     generic one, in a Resp). An id the spec does not define is an error
//     wrapping codec.ErrUnknownCommand, and the spec says to close the
//     connection then.
//
// To add a command: add its id to the constants and to String and KindOf
// in command.go; write its struct in its own file, with fields in the
// order of the spec's table, AppendBody built from codec.Append* and
// decodeBody built from codec.Reader; add it to newPDU (pdu.go) and to
// ParseView's switch (view.go); then add a vector under testdata/, a
// sample in samplePDUs, a truncation-walk layout and a fuzz seed
// (go test -run TestFuzzCorpus -update-corpus).
package sgip
