# The two commands: `make demo` and `make test`. Both install what is missing
# and start private PostgreSQL, Redis and MinIO under ./var (scripts/services.sh).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
SERVICES := scripts/services.sh
# The full suite runs with -tags matprofile so gocv counts every Mat and the
# reader's tests can assert that none leaks.
GOTEST := go test -tags matprofile -count=1 -timeout 30m
# Static checks before the tests, each under a minute: go vet, staticcheck,
# and no function unreachable from a command or a test. The tools' versions
# are pinned here; `go run` builds them once into the build cache.
STATICCHECK := go run honnef.co/go/tools/cmd/staticcheck@v0.8.2
DEADCODE := go run golang.org/x/tools/cmd/deadcode@v0.52.0

.PHONY: demo test lint services down build windows-scan

demo:
	@$(SERVICES) up >/dev/null
	@# The demo uses the embedded default: PostgreSQL only, queue in-process, blobs in ./var/data.
	@eval "$$($(SERVICES) env | grep SAOYUE_DATABASE_URL)"; go run ./cmd/saoyue demo

test:
	@$(SERVICES) up >/dev/null
	@$(MAKE) --no-print-directory lint
	@eval "$$($(SERVICES) env)"; $(GOTEST) ./...

# lint needs what the build needs (libopencv-dev, libjpeg-dev): `make test`
# installs them first.
lint:
	go vet -tags matprofile ./...
	$(STATICCHECK) -tags matprofile ./...
	@dead="$$($(DEADCODE) -test -tags matprofile ./...)"; \
		if [ -n "$$dead" ]; then echo "$$dead"; echo "unreachable functions: delete them or use them"; exit 1; fi

services:
	@$(SERVICES) up

down:
	@$(SERVICES) down

build:
	go build -o bin/ ./cmd/...

windows-scan:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -o bin/saoyue-scan.exe ./cmd/saoyue-scan
