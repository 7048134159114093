# The two commands: `make demo` and `make test`. Both install what is missing
# and start private PostgreSQL, Redis and MinIO under ./var (scripts/services.sh).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
SERVICES := scripts/services.sh
# The full suite runs with -tags matprofile so gocv counts every Mat and the
# reader's tests can assert that none leaks.
GOTEST := go test -tags matprofile -count=1 -timeout 30m

.PHONY: demo test services down build windows-scan

demo:
	@$(SERVICES) up >/dev/null
	@# The demo uses the embedded default: PostgreSQL only, queue in-process, blobs in ./var/data.
	@eval "$$($(SERVICES) env | grep SAOYUE_DATABASE_URL)"; go run ./cmd/saoyue demo

test:
	@$(SERVICES) up >/dev/null
	@eval "$$($(SERVICES) env)"; go vet ./... && $(GOTEST) ./...

services:
	@$(SERVICES) up

down:
	@$(SERVICES) down

build:
	go build -o bin/ ./cmd/...

windows-scan:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -o bin/saoyue-scan.exe ./cmd/saoyue-scan
