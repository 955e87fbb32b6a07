# Outputs used by the deploy workflow (.github/workflows/deploy.yml) and by
# operators. None is secret.

output "resource_group_name" {
  description = "Resource group of the environment."
  value       = azurerm_resource_group.main.name
}

output "function_app_name" {
  description = "Function app name: the zip deploy target."
  value       = azurerm_function_app_flex_consumption.main.name
}

output "function_app_url" {
  description = "Base URL of the API (append /api/health, /api/search, ...)."
  value       = "https://${azurerm_function_app_flex_consumption.main.default_hostname}"
}

output "managed_identity_client_id" {
  description = "Client id of the app's user-assigned identity (AZURE_CLIENT_ID, Storage__clientId)."
  value       = azurerm_user_assigned_identity.app.client_id
}

output "storage_account_name" {
  description = "Storage account of host storage, the deployment package and the bindings."
  value       = azurerm_storage_account.main.name
}

output "supplier_drop_url" {
  description = "Where suppliers' files are uploaded (container supplier-drop)."
  value       = "${azurerm_storage_account.main.primary_blob_endpoint}${azurerm_storage_container.main["supplier_drop"].name}"
}

output "cosmos_endpoint" {
  description = "Cosmos DB account endpoint (COSMOS_ENDPOINT)."
  value       = azurerm_cosmosdb_account.main.endpoint
}

output "key_vault_name" {
  description = "Key Vault holding the Elasticsearch URL and API key; store the API key here after the first apply."
  value       = azurerm_key_vault.main.name
}

output "elasticsearch_url" {
  description = "Elasticsearch endpoint of the Elastic Cloud deployment."
  value       = azurerm_elastic_cloud_elasticsearch.main.elasticsearch_service_url
}

output "kibana_url" {
  description = "Kibana, where the application's Elasticsearch API key is created."
  value       = azurerm_elastic_cloud_elasticsearch.main.kibana_service_url
}

output "application_insights_name" {
  description = "Application Insights resource of the function app."
  value       = azurerm_application_insights.main.name
}

output "prometheus_query_endpoint" {
  description = "PromQL query endpoint of the Azure Monitor workspace (managed Prometheus), for the runbooks' promq helper (docs/runbooks/README.md); token audience https://prometheus.monitor.azure.com."
  value       = azurerm_monitor_workspace.main.query_endpoint
}

output "otel_collector_url" {
  description = "OTLP/HTTP endpoint of the OpenTelemetry Collector (the app's OTEL_EXPORTER_OTLP_ENDPOINT); every request needs the ingest token."
  value       = "https://${azurerm_container_app.otel_collector.ingress[0].fqdn}"
}
