// Package testenv is the shared test world of spsmg's reliability and
// security tests (test/crash, test/faults, test/hostile, test/netfuzz,
// test/security): a simulated SMG, an SP receiver for SGIP, the gateway's
// configuration written as an operator would, the gateway itself either in
// this process (proxy.New) or as a real `spsmg serve` child process, raw
// protocol frames built with the codec packages, a metrics reader and a
// log recorder.
//
//	sp.Client / raw conn ──▶ gateway (in process or child) ──▶ smg.Server
//	sp.Receiver (SGIP)  ◀── gateway ◀──────────────────────── smg.Server
//
// Everything runs on loopback with ports picked at run time. Nothing here
// sleeps for timing: Eventually polls a condition until a deadline, and
// deadlines are generous because the tests share a small machine with
// benchmarks.
package testenv
