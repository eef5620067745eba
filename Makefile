# frontdesk — see README.md. The two commands that matter: `make run` and
# `make test`. Both install what they need first (scripts/deps.sh).

GO      ?= go
BIN     := bin/frontdesk
DATA    ?= $(CURDIR)/.data
# Benchmarks: override to narrow, e.g. make bench BENCH=Append PKG=./ledger
BENCH   ?= .
PKG     ?= ./...
BENCHTIME ?= 1s
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1

export CGO_ENABLED := 1

.PHONY: all run test bench eval deps build vet lint fmt clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/frontdesk

## run: the appliance on its embedded defaults, data in .data/
run: build
	@BIN=$(BIN) FRONTDESK_DATA=$(DATA) scripts/demo.sh

## test: format, vet and staticcheck, then every test, including the ones
## with real peers
test: deps lint
	$(GO) test -count=1 -timeout 20m -parallel 8 ./...

## bench: every benchmark, then a table with the limits beside the figures
bench: deps
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCHTIME) -timeout 60m $(PKG) | tee .bench.out | $(GO) run ./internal/benchtable

## eval: the PHI detector's precision and recall on the labelled set
eval:
	$(GO) run ./gate/phi/cmd/phieval

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## lint: gofmt, go vet and staticcheck (fetched through the module proxy)
lint: vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-ed (make fmt):"; echo "$$unformatted"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...

clean:
	rm -rf bin .bench.out
