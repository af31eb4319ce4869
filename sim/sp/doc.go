// Package sp is the simulated service provider: a protocol client for the
// proxy's integration tests and a load generator for benchmarks and
// operators, speaking SGIP 1.2, CMPP 2.0/2.1/3.0 and SMGP 3.0 through the
// project's codec packages.
//
//	Client    one SP connection, plain net + goroutines, clarity first:
//
//	  test ──Submit/SubmitAsync──▶ Client ──Submit──────▶ gateway (or SMG)
//	  test ◀──SubmitResult──────── Client ◀─Submit_Resp── (matched by sequence)
//	  test ◀──Deliveries()──────── Client ◀─Deliver────── (acknowledged first)
//
//	Receiver  the SP's own SGIP listener: SGIP is one-way per connection,
//	          so MO and reports arrive on connections the gateway dials
//	          (Bind type 2), never on the Client's.
//
//	Load      the load generator: Conns connections, logged in with net,
//	          then driven by gnet event loops (gnet.Client). Everything a
//	          connection does happens in its loop's OnTraffic:
//
//	  Peek ─▶ split, ParseView each frame ─▶ Submit_Resp: ring slot by
//	  sequence ─▶ latency histogram, result counters; Deliver: ack
//	  ─▶ Discard ─▶ copy pre-encoded Submits into the freed window, patch the
//	  sequence (and recipient) ─▶ one Write
//
// The Load path is built to allocate nothing per message: Submit frames are
// encoded once per template, the ring and the histogram are fixed arrays, and
// answers to the peer go into the same reused batch. It never has more than
// Window Submits unanswered on a connection, because the gateway answers
// excess with the protocol's flow-control result.
//
// Sequences and identities: CMPP and SMGP number requests with a uint32 per
// connection; SGIP with [node id, MMDDhhmmss, counter], and a Submit's
// sequence is its message identity. SubmitResult.MsgID is therefore the
// 8-byte CMPP Msg_Id, the 10-byte SMGP MsgID or the 12-byte SGIP sequence:
// whatever a status report quotes as Delivery.ReportMsgID.
//
// Every exported method says which goroutine may call it. Client and
// Receiver methods are safe from any goroutine; a Delivery is a copy that
// owns its memory.
package sp
