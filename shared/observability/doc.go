// Package observability holds the tests of the Prometheus alert and
// recording rules in infra/observability/rules: `promtool check rules` and
// `promtool test rules` (through infra/local/promtool.sh), and a check that
// every metric the rules use is one the handler's telemetry exports; and that
// every alert has its runbook, docs/runbooks/<AlertName>.md, linked from the
// rule's runbook_url annotation and listed in docs/runbooks/README.md (and no
// runbook is left without an alert).
package observability
