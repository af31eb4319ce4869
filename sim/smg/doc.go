// Package smg is a simulated carrier SMG (the ISMG of CMPP, the SMGW of SMGP,
// the SMG of SGIP) for spsmg's demo, its integration tests and its end-to-end
// benchmarks. One Server speaks one protocol and version:
//
//	SP or spsmg ──Connect/Login/Bind, Submit──▶ Server ──Connect_Resp, Submit_Resp──▶
//	            ◀──Deliver (MO, report)──  same connection (CMPP; SMGP LoginMode 1/2)
//	SGIP:       ◀──Bind type 2, Deliver, Report──  a connection the Server dials to ReceiverAddr
//
// It logs SPs in (MD5 authenticators, plain SGIP passwords), answers every
// Submit with a fresh message id (docs/protocols/cmpp.md §11, docs/protocols/smgp30.md §8; SGIP: the
// Submit's sequence is the identity), sends status reports when asked,
// injects MO messages, and resends every Deliver and Report that is not
// acknowledged in time, as a real SMG does: the gateway's "never lose an MO"
// promise is tested against that behaviour.
//
// The design goal is to stay out of the benchmark's way: the Submit →
// Submit_Resp path allocates nothing (ParseView on the read buffer, the
// response appended to a per-connection buffer, one write per read batch),
// and the report, MO, resend and logging machinery costs nothing while it is
// not used. Each connection is served by one goroutine with a large read
// buffer (sim/smg/README.md says why not gnet).
//
// Faults and observation for tests: RefuseLogins, Delay, SubmitResult,
// Kick, Close; Stats, Submits, OnSubmit, AfterSubmitResps and WaitFor. Every
// exported method is safe to call from any goroutine.
package smg
