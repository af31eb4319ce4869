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
// # One protocol layer
//
// Protocol is the identity of a protocol version (SGIP, CMPP20, …, named
// as the configuration spells them: sgip, cmpp2, cmpp2.1, cmpp3, smgp,
// smgp1.3, smpp) and Family the protocol without its version. Everything
// a protocol does differently is one Dialect value, implemented by its
// package (sgip.Dialect, cmpp.NewDialect(v), smgp.NewDialect(v)) and listed
// once, in package codec/dialect: the framer, ParseView and where the
// sequence sits (Seq: offset and length, read once by the proxy, which
// rewrites sequences in place); the rules (which versions and login modes
// an SP may log in with, whether deliveries travel on connections of their
// own, whether the protocol has a keep-alive, whether a Submit's identity
// is its sequence, the LinkID slot's width, the login field's width, the
// largest result); the default result code of every refusal reason
// (ResultTable, indexed by package reason's Reason); and builders and
// readers that take and give protocol-neutral values: Login and LoginView,
// Submit, Deliver, Report, Delivery. Those values name what a message
// means, not where a protocol keeps it — message ids are bytes, numbers
// and codes strings, fields a protocol lacks are ignored by it — so that
// the same value can be written in any protocol, the ground for
// translating between them. Wire is the part of a Dialect every protocol
// package offers, served or not: the decode tool reads SMPP through it.
//
// Outside the codec packages nothing switches on a protocol's name: the
// configuration parses names into Protocol (codec/dialect.Parse), and the
// gateway, the simulators, the test helpers and the decode tool ask the
// Dialect. docs/protocol-layer.md draws the layer and says why each choice.
//
// The package is designed to keep the hot path free of heap allocations:
// decoders read fields as sub-slices of the frame, encoders append into a
// buffer the caller owns, and errors are built only when something fails.
// A Dialect's per-message builders (AppendResp, AppendSubmitResp,
// AppendReport) do not allocate when the buffer has room and their
// arguments live on the heap: a stack array handed to an interface method
// escapes. It does no I/O, no logging and no metrics.
//
// To add a protocol:
//
//  1. give it a Protocol constant (and a Family, if it is a new one) in
//     protocol.go, with its name;
//  2. write its package codec/<name>: typed PDUs, ParseView, golden
//     vectors, fuzz targets (the recipe below, per command);
//  3. implement Dialect in its dialect.go, with the protocol's result code
//     for every reason.Reason (or only Wire, for a protocol spsmg decodes
//     but does not serve);
//  4. add one line to codec/dialect's list. The dialect tests then check
//     its table and its builders against its readers.
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
