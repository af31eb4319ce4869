// Package proxy is spsmg's data path: a gnet event-loop TCP proxy that logs
// SPs in, authorizes every MT Submit, forwards it to the SMG with the
// sequence number rewritten, and routes responses, MO and status reports
// back to the right SP.
//
//	        ┌──────────────── one gnet event loop ────────────────┐
//	SP ────▶│ spConn ─ParseView─▶ authorize ─▶ bind.forward ─────▶│────▶ SMG
//	   ◀────│ spConn ◀─seq back── bind.response ◀────────────────│◀────
//	   ◀────│ spConn ◀─ delivery queue ◀── bind.deliver (MO/report)│◀────
//	        └──────────────────────────────────────────────────────┘
//
// Each event loop owns its SP connections and its own upstream binds
// (config upstream.binds_per_loop), so the MT path is synchronous and
// lock-free: one View, one authcache.MT and one output buffer per peer are
// reused for every frame, and every peer touched during one OnTraffic gets
// exactly one Write at its end (docs/performance-notes.md §1: 7× faster than a Write per
// frame). A loop without a logged-in bind hands the Submit to another
// loop's bind (copy + Execute), and the response comes back by AsyncWrite.
//
// SGIP is one-way per connection (docs/protocols/sgip12.md §2): SPs bind type 1 for MT;
// the SMG binds type 2 to spsmg's inbound listener for MO and reports; and
// spsmg binds type 2 to each SGIP SP's own receiver. CMPP and SMGP carry
// everything on the one connection.
//
// MO and reports are acknowledged to the SMG only once they are written to
// an SP connection or persisted in the outbox (docs/product.md §4); an offline SP gets
// them in order when it logs in again.
//
// Goroutines: every method whose name does not say otherwise runs on the
// event loop that owns the receiver. Gateway's exported methods are safe
// from any goroutine.
package proxy
