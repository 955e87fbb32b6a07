# The one entry point for people and CI. Every Go command runs with the pinned
# toolchain: the machine's default Go has known standard-library vulnerabilities.
export GOTOOLCHAIN := go1.27.3
# `make test` starts the stack first, so a test that finds a service missing
# must fail, not skip (see shared/stacktest).
export MEDIASPECS_REQUIRE_STACK := 1

STACK := infra/local/stack
GOTEST_FLAGS ?= -race -shuffle=on -count=1 -timeout=20m

.PHONY: dev test unit lint vuln up down status logs

## dev: run the whole platform locally (the stack of real services)
dev: up

## test: start the local stack if needed, then run every test against it
test: up
	go test $(GOTEST_FLAGS) ./...

## unit: only the tests that need no service (no stack started)
unit:
	MEDIASPECS_REQUIRE_STACK= go test -short -count=1 ./...

## lint: gofmt, go vet, staticcheck (pinned as a go.mod tool)
lint:
	infra/local/lint.sh

## vuln: govulncheck against an offline vulnerability database; fails on any finding
vuln:
	infra/local/vuln.sh

up:
	$(STACK) up

down:
	$(STACK) down

status:
	$(STACK) status

logs:
	$(STACK) logs
