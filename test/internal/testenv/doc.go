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
// Everything runs on loopback. Every listener binds port 0 and the address
// is read back (the gateway's from Gateway.Addrs, a child's from its
// "spsmg serving" log line): no port is probed, released and bound again,
// which another process could take in between. A restart comes back on the
// addresses of the first start. Nothing here sleeps for timing: Eventually
// polls a condition until a deadline, and deadlines are generous because
// the tests share a small machine with benchmarks.
package testenv
