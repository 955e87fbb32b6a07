// Package observability holds the tests of the Prometheus alert and
// recording rules in infra/observability/rules: `promtool check rules` and
// `promtool test rules` (through infra/local/promtool.sh), and a check that
// every metric the rules use is one the handler's telemetry exports.
package observability
