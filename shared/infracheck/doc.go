// Package infracheck holds the written contract between the handler and the
// Azure Terraform in infra/, as tests only (go test ./shared/infracheck).
//
// The tests parse infra/*.tf with hashicorp/hcl/v2 (no Terraform needed) and
// fail when:
//   - a configuration variable of the handler (config.Names()) is missing from
//     the function app's app settings (local.handler_app_settings in
//     infra/functions.tf) or from local.settings.sample.json;
//   - a local-only variable (LocalOnly: COSMOS_KEY, COSMOS_CA_FILE and the
//     Storage connection string) is set in Azure, or the host-owned
//     FUNCTIONS_CUSTOMHANDLER_PORT / FUNCTIONS_WORKER_RUNTIME are;
//   - a binding connection of functions/*/function.json lacks its
//     identity-based settings (<conn>__blobServiceUri, __queueServiceUri,
//     __credential, __clientId);
//   - a queue the functions bind to (function.json queueName, plus the poison
//     queue of every queue trigger) or a container or queue named by a config
//     default (SUPPLIER_CONTAINER, REPORTS_CONTAINER, INGEST_QUEUE,
//     REINDEX_QUEUE) is not created in infra/storage.tf, or an app setting
//     naming one points at something storage.tf does not create;
//   - local.background_functions in infra/alerts.tf (the alerts' list of
//     non-HTTP functions) differs from the non-HTTP functions in functions/;
//   - the Cosmos DB database and container differ from the config defaults;
//   - an OpenTelemetry setting the handler needs in Azure
//     (local.telemetry_app_settings in infra/telemetry.tf) is missing or not
//     merged into the app settings, the exporter headers are anything but a
//     Key Vault reference, or the collector endpoint is not https.
//
// prometheus_test.go ties the Prometheus rules of infra/observability/rules
// to their Azure counterparts: it evaluates infra/alerts-prometheus.tf (the
// Terraform functions it uses, dynamic blocks expanded) and fails unless
// every local alert and recording rule has exactly one Azure rule of the same
// name and group with the same expression (whitespace-normalised), for,
// labels and annotations, and the other way round; and unless the result is
// something Azure accepts (whole-minute for, group interval 1-15 minutes, a
// severity and the ops action group on every alert).
package infracheck
