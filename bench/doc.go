// Package bench holds spsmg's end-to-end benchmarks and the tools that
// compare and chart them. It has no API: everything runs with go test or
// go run.
//
//	e2e_test.go        BenchmarkE2E: simulated SPs → spsmg → simulated SMG in
//	                   one process on loopback, every protocol, 1/16
//	                   connections, window 16/1024, all-allowed or 50/50
//	                   refused; msgs/s, p50/p99/p999 and allocs/msg.
//	                   BenchmarkHalfLoad: the p99 spsmg adds at half its peak.
//	cmd/compare        direct, HAProxy (TCP mode) and spsmg side by side,
//	                   separate processes, CPU and RSS from /proc.
//	cmd/scale          connections 1 → 10,000 (active; idle + active) and
//	                   authorization time 10k → 10M subscriptions, as CSV.
//	cmd/plot           the CSVs as PNGs.
//	internal/rig       builds and runs the binaries, reads /proc.
//	results/           the last figures, with machine, date and commands.
//
// The per-package micro-benchmarks stay beside their code and are not
// repeated here: codec views, decoders and encoders in codec/cmpp,
// codec/sgip and codec/smgp (bench_test.go), authorization hit/miss at 10k
// and 1M subscriptions in authcache (bench_test.go), the simulators'
// ceilings in sim/smg and sim/sp.
//
// Plain go test ./bench/... runs only TestE2ESmoke (a few thousand
// Submits per protocol, about 2 s); the benchmarks run with -bench. See
// bench/results/README.md for the commands, and Makefile.fragment for the
// make targets.
package bench
