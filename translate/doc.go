// Package translate re-expresses messages between an SP's protocol and its
// upstream's when they differ: SGIP 1.2, CMPP 2.0/2.1, CMPP 3.0, SMGP 3.0
// and SMPP 3.4, every ordered pair. docs/translation.md is the design: what
// each field becomes and what is lost, the message ids, the result
// classes, the report forms, and how the proxy calls this package.
//
// Everything goes through the protocol-neutral values of package codec
// (codec.Submit, codec.Deliver, codec.Report): a Face reads a frame of its
// protocol into one and builds one into a frame. The codec.Dialects of
// SGIP, CMPP and SMGP are Faces; smpp.Neutral is SMPP's. Nothing here
// switches on a protocol: what differs is asked of the Face (its
// Capabilities, its result classes, its id layout).
//
//	SP ──Submit──▶ authorize (unchanged, once, on the SP's frame)
//	                 │
//	                 ▼ Pair.Submit ─▶ Plan: upstream Submits (parts × recipient groups), the SP's id
//	  upstream ◀──── Plan.Frame(k)  (the proxy writes its sequence)
//	  upstream ────▶ Submit_Resp ─▶ Plan.Answer(k) ─▶ Plan.Route(k, j) ─▶ authcache.PutRoute
//	SP ◀──────────── Plan.AppendResp (once Done) [+ failure reports: Plan.Failures]
//	  upstream ────▶ report ─▶ route by the upstream's id ─▶ Pair.Report(frame, route.Origin) ─▶ SP
//	  upstream ────▶ MO ─▶ Pair.MO ─▶ SP (the proxy writes the LinkID as it does untranslated)
//
// A Pair is stateless apart from an atomic counter and serves every
// goroutine; a Plan belongs to one Submit and is used by one goroutine at
// a time; an IDGen belongs to one goroutine and shares its IDSource.
// Translation allocates (about 20–40 allocations a Submit, a few
// microseconds; docs/translation.md §8): the same-protocol path does not
// use this package and stays allocation-free.
package translate
