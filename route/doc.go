// Package route decides which upstream an MT goes to: by the recipient's
// number, through a table of number prefixes (the carriers' number
// segments), longest prefix first, with a default route for numbers no
// prefix matches. It is what lets one gateway stand in front of several
// carriers, each with its own protocol and credentials
// (docs/routing.md).
//
// Three pieces, each usable without the others:
//
//   - Table (Compile): the compiled prefix table. Lookup and LookupString
//     take a number as the wire has it (national, or with the country
//     code in one of the forms the carriers write: 86…, +86…, 0086…) and
//     return an upstream index; they do not allocate.
//   - Split: a Submit's recipients grouped by upstream, first-seen order,
//     recipients in their order within each group; a value the caller
//     owns (one per event loop), filled without allocating.
//   - Join: the answers of the per-upstream Submits a split Submit became,
//     merged into the SP's one answer (Join.Result), with the recipients
//     that get a failure report (Join.Failures). Safe to answer from
//     several goroutines.
//
// Segments gives the default segments of the three Chinese carriers, for
// a configuration that names a carrier instead of listing prefixes.
//
// "Route" here is the MT's way out, by recipient number. The report
// routes of package authcache (an upstream's message id → the SP that
// sent it) are another thing.
package route
