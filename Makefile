# The one entry point for people and CI. Every Go command runs with the pinned
# toolchain: the machine's default Go has known standard-library vulnerabilities.
export GOTOOLCHAIN := go1.27.3
# `make test` starts the stack first, so a test that finds a service missing
# must fail, not skip (see shared/stacktest).
export MEDIASPECS_REQUIRE_STACK := 1

STACK := infra/local/stack
# The handler's local settings as environment variables, for commands run
# outside the function host (mediactl).
LOCAL_ENV = $(shell python3 -c 'import json;print(" ".join(k+"="+repr(v) for k,v in json.load(open("local.settings.sample.json"))["Values"].items() if v))')
GOTEST_FLAGS ?= -race -shuffle=on -count=1 -timeout=20m

.PHONY: dev test drills browser unit lint vuln infra-check package provision up down status logs dashboards observability observability-down

MEDIASPECS_CACHE ?= /opt/mediaspecs-cache

## dev: run the whole platform locally: the stack, the resources, the handler under devhost
dev: provision
	go build -o .bin/handler ./shared/cmd/handler
	go build -o .bin/devhost ./shared/cmd/devhost
	@echo
	@echo "MediaSpecs runs locally:"
	@echo "  functions     http://127.0.0.1:7071/api/health  (search, suggest, media/{id})"
	@echo "  run a timer   curl -X POST http://127.0.0.1:7071/admin/functions/NightlyMaintenance -d '{}'"
	@echo "  storage       http://127.0.0.1:10000 (blob)  http://127.0.0.1:10001 (queue)"
	@echo "  cosmos db     https://127.0.0.1:8081"
	@echo "  elasticsearch http://127.0.0.1:9200"
	@echo "  keycloak      http://127.0.0.1:8080/realms/mediaspecs  (test users: infra/local/keycloak/README.md)"
	@echo "  metrics       http://127.0.0.1:9464/metrics  (make observability: Prometheus :9090 scrapes it, Jaeger UI :16686)"
	@echo "  stop with Ctrl-C, then make down"
	@echo
	# A generated sample catalogue, dropped like a supplier would: devhost's
	# Event Grid stand-in feeds it through the real ingestion pipeline.
	$(LOCAL_ENV) go run ./shared/cmd/mediactl seed -titles 500
	METRICS_LISTEN_ADDR=127.0.0.1:9464 .bin/devhost -handler .bin/handler -state $(MEDIASPECS_CACHE)/run/devhost-eventgrid.json

## test: start the local stack if needed, then run every test against it
test: up browser
	go test $(GOTEST_FLAGS) ./...

## unit: only the tests that need no service (no stack started)
unit:
	MEDIASPECS_REQUIRE_STACK= go test -short -count=1 ./...

## drills: the measured fault drills (about 11 min, needs the stack): table printed and written to .bin/drills.md for OPERATIONS.md
drills: up
	@mkdir -p .bin
	DRILL_OUT=$(CURDIR)/.bin/drills.md go test -tags drills -run '^TestFaultDrills$$' -count=1 -timeout=30m -v ./shared/alertdrill/

## dashboards: regenerate the Grafana dashboards (infra/observability/dashboards) from shared/dashboard
dashboards:
	go run ./shared/cmd/dashboards -out infra/observability/dashboards

## observability: the opt-in local Prometheus (:9090, scraping make dev's handler) and Jaeger (:16686, OTLP :4318)
observability:
	infra/local/observability up

observability-down:
	infra/local/observability down

## package: dist/ and dist.zip exactly as Azure deploys them
package:
	go run ./shared/cmd/mediactl package -out dist

## provision: create the local containers, queues and Cosmos database (idempotent)
provision: up
	$(LOCAL_ENV) go run ./shared/cmd/mediactl provision

## lint: gofmt, go vet, staticcheck (pinned as a go.mod tool)
lint:
	infra/local/lint.sh

## infra-check: tofu fmt/validate (real azurerm provider), tflint, checkov, actionlint
infra-check:
	infra/local/infra-check.sh

## vuln: govulncheck against an offline vulnerability database; fails on any finding
vuln:
	infra/local/vuln.sh

up:
	$(STACK) up

# The API docs page is tested in real headless Chromium (Debian's package).
browser:
	infra/local/chromium.sh

down:
	infra/local/observability down
	$(STACK) down

status:
	$(STACK) status

logs:
	$(STACK) logs
