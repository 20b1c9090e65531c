# credswap's everyday commands. Each one is the plain go command it names,
# so CONTRIBUTING.md and CI (.ci/run) say the same thing. The tools that
# are not Go's own (staticcheck, goreleaser) are pinned here and installed
# into build/tools by 'make tools'; nothing is taken from a home directory.

GO ?= go
STATICCHECK_VERSION := v0.8.2
GORELEASER_VERSION := v2.15.1
TOOLS_BIN ?= $(CURDIR)/build/tools
FUZZTIME ?= 30s
# The JavaScript SDK's loader, the third AWS reader the e2e tests ask.
JS_LOADER_DIR ?= $(CURDIR)/build/jsreader

STATICCHECK := $(TOOLS_BIN)/staticcheck-$(STATICCHECK_VERSION)
GORELEASER := $(TOOLS_BIN)/goreleaser-$(GORELEASER_VERSION)

export PATH := $(TOOLS_BIN):$(PATH)

.PHONY: build test e2e lint fuzz bench dist demo tools js-loader clean

## build: the credswap binary, here
build:
	$(GO) build -trimpath -o credswap .

## test: the README's test command (end-to-end tests skip without moto)
test:
	$(GO) test ./...

## e2e: every test, with moto_server, the aws CLI, boto3 and the JavaScript loader required
e2e: js-loader
	CREDSWAP_E2E=1 CREDSWAP_JS_LOADER_DIR=$(JS_LOADER_DIR) AWS_EC2_METADATA_DISABLED=true $(GO) test -count=1 ./...

## lint: gofmt, go vet, staticcheck, and go.mod/go.sum tidy
lint: $(STATICCHECK)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...
	$(GO) mod tidy -diff

## fuzz: each fuzz target of credfile for FUZZTIME (default 30s)
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzEdit$$' -fuzztime=$(FUZZTIME) ./credfile/
	$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./credfile/
	$(GO) test -run='^$$' -fuzz='^FuzzPlainHeader$$' -fuzztime=$(FUZZTIME) ./credfile/

## bench: the Go benchmarks, then the whole-process harness (BENCHMARKS.md)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	$(GO) run ./bench

## dist: a snapshot release in dist/ (archives, .deb, .rpm, formula, manifest, checksums)
dist: $(GORELEASER)
	goreleaser release --snapshot --clean

## demo: credswap against a local STS emulator in a throwaway home; no AWS account
demo: build
	$(GO) run ./cmd/credswap-demo -credswap ./credswap

## tools: staticcheck and goreleaser, at the versions above, in TOOLS_BIN
# (each is installed once per version: the empty file NAME-VERSION marks it)
tools: $(STATICCHECK) $(GORELEASER)

$(STATICCHECK):
	GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	touch $@

$(GORELEASER):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	touch $@

js-loader:
	mkdir -p $(JS_LOADER_DIR)
	cd $(JS_LOADER_DIR) && { [ -f package.json ] || npm init -y >/dev/null; } && \
	  npm install --no-audit --no-fund --loglevel=error @smithy/shared-ini-file-loader@4 \
	    @smithy/node-config-provider@4 @smithy/config-resolver@4

clean:
	rm -rf credswap credswap.exe dist build
