# Everything here is also a plain go command; the Makefile only names them.
GO      ?= go
PKGS    ?= ./...
FUZZTIME ?= 30s

.PHONY: build test run demo bench fuzz vet cover clean

build:
	$(GO) build -o bin/ ./cmd/...

# The README's test command (also what .ci/run runs).
test:
	$(GO) vet ./... && $(GO) test -race -timeout 15m ./...

# The README's run command: gateway + simulated SMG with the demo config.
run demo:
	$(GO) run ./cmd/spsmg demo

vet:
	$(GO) vet $(PKGS)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(PKGS)

# Runs every fuzz target for FUZZTIME each (go test -fuzz takes one target at a time).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

cover:
	$(GO) test -coverprofile=cover.out ./... && $(GO) tool cover -func=cover.out | tail -1

clean:
	rm -rf bin cover.out
