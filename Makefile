# Everything here is also a plain go command; the Makefile only names them.
GO      ?= go
PKGS    ?= ./...
FUZZTIME ?= 30s

.PHONY: build test run demo reset bench fuzz vet cover clean cluster-demo

build:
	$(GO) build -o bin/ ./cmd/...

# The README's test command (also what .ci/run runs).
test:
	$(GO) mod tidy -diff && $(GO) vet ./... && $(GO) test -race -timeout 15m ./... && $(GO) test -count=1 -run=TestForwardingAllocations ./proxy && $(GO) test -run='^$$' -fuzz=FuzzConnection -fuzztime=30s -fuzzminimizetime=10x ./test/netfuzz

# The README's run command: gateway + simulated SMG with the demo config.
run demo:
	$(GO) run ./cmd/spsmg demo

# Empties the demo's store (./data: subscriptions, LinkIDs, outbox);
# refused while a demo or spsmg serve has it open.
reset:
	$(GO) run ./cmd/spsmg demo --reset

# Several nodes (README, Running several nodes): a 3+3 Redis Cluster of
# Debian's redis-server on loopback, the simulated SMG and two spsmg nodes
# sharing the cluster, with a walk-through; Ctrl-C stops everything.
cluster-demo:
	$(GO) run ./internal/rediscluster/cmd/cluster -demo

vet:
	$(GO) vet $(PKGS)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

# Runs every fuzz target for FUZZTIME each (go test -fuzz takes one target
# at a time). Minimisation is capped: the network fuzzer's coverage comes
# from a live gateway's goroutines and is noisy.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=10x $$pkg || exit 1; \
	  done; \
	done

cover:
	$(GO) test -coverprofile=cover.out ./... && $(GO) tool cover -func=cover.out | tail -1

clean:
	rm -rf bin cover.out

# bench/: end-to-end benchmarks, the direct / HAProxy / spsmg comparison and
# the scale curves, against the targets of the README's Performance section. Every target is a plain go command; the
# figures, machine and commands of the last run are in bench/results/.
BENCHTIME     ?= 1000000x
COMPARE_FLAGS ?= -conns 1,16 -window 16,1024 -duration 5s
SCALE_FLAGS   ?=
LOOPS_FLAGS   ?= -loops 1,2,4 -rounds 3

.PHONY: bench-e2e bench-compare bench-compare-ci bench-scale bench-scale-loops bench-plot

# In-process: simulated SPs → spsmg → simulated SMG, every protocol and shape.
bench-e2e:
	$(GO) test -run='^$$' -bench='E2E|HalfLoad' -benchtime=$(BENCHTIME) -timeout 60m ./bench

# Separate processes: spsim → smgsim directly, through HAProxy (TCP mode,
# installed with apt-get when missing), through spsmg; table + CSV.
bench-compare:
	$(GO) run ./bench/cmd/compare $(COMPARE_FLAGS)

# CI-sized: one shape, 1 s runs, no CSV (about 20 s).
bench-compare-ci:
	$(GO) run ./bench/cmd/compare -duration 1s -warmup 200ms -half=false -csv ''

# Connections 1 → 10,000 (active, and idle + 4 active) and auth decision
# time 10k → 10M subscriptions; CSVs under bench/results, then the PNGs.
bench-scale:
	$(GO) run ./bench/cmd/scale $(SCALE_FLAGS)
	$(GO) run ./bench/cmd/plot

# spsmg with 1, 2, 4 event loops beside HAProxy with as many threads and the
# direct path (16 conns × window 1024, bench/cmd/compare per point);
# bench/results/loops.csv and loops.svg. About 25 s per point and round.
bench-scale-loops:
	$(GO) run ./bench/cmd/scale -what loops $(LOOPS_FLAGS)

bench-plot:
	$(GO) run ./bench/cmd/plot

# Profile-guided optimisation: cmd/spsmg/default.pgo is a CPU profile of
# the forwarding benchmarks (every protocol at 16 × 1024, and the report
# path); `go build ./cmd/spsmg` uses it (inlining and devirtualising the
# hot calls). Regenerate it after changing the hot path.
.PHONY: pgo
pgo:
	$(GO) test -c -o bin/proxy.test ./proxy
	cd proxy && ../bin/proxy.test -test.run '^$$' -test.bench 'Gateway/.*/conns=16/window=1024$$' -test.benchtime 3000000x -test.cpuprofile ../bin/pgo-forward.prof
	cd proxy && ../bin/proxy.test -test.run '^$$' -test.bench 'GatewayReports' -test.benchtime 300000x -test.cpuprofile ../bin/pgo-reports.prof
	$(GO) tool pprof -proto bin/pgo-forward.prof bin/pgo-reports.prof > cmd/spsmg/default.pgo

# test/: reliability and security suites.
#
# `make test` already runs them (go test ./...). These targets name the
# heavy variants and the bounded network fuzzing for CI.

.PHONY: test-reliability test-heavy fuzz-net

# Crash without loss, a full disk (tmpfs, as root), upstream faults, hostile input, security: ~1 min on 2 cores with -race.
test-reliability:
	$(GO) test -race -timeout 10m ./test/...

# 10,000 idle connections against a child spsmg, 5 fault cycles instead of 2.
test-heavy:
	SPSMG_HEAVY=1 $(GO) test -timeout 20m ./test/...

# Network fuzzing of the connection handlers, bounded (CI: FUZZTIME=30s).
# Minimisation is capped: coverage from a live gateway's goroutines is noisy.
fuzz-net:
	$(GO) test -run='^$$' -fuzz=FuzzConnection -fuzztime=$(FUZZTIME) -fuzzminimizetime=10x ./test/netfuzz/

# docs/console.png, taken by the console's browser test (Debian's chromium:
# apt-get install -y chromium).
.PHONY: console-screenshot
console-screenshot:
	$(GO) test -count=1 -run TestConsoleInBrowser ./test/console -screenshot=$(CURDIR)/docs/console.png
