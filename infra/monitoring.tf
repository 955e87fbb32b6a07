# Log Analytics (every log and metric), workspace-based Application Insights
# (the Functions host's telemetry), and a diagnostic setting on every resource
# that has them.

resource "azurerm_log_analytics_workspace" "main" {
  name                = "log-${local.name}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  sku                 = "PerGB2018"
  retention_in_days   = var.log_retention_days
  daily_quota_gb      = var.log_daily_quota_gb
  tags                = local.tags
}

resource "azurerm_application_insights" "main" {
  name                = "appi-${local.name}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  workspace_id        = azurerm_log_analytics_workspace.main.id
  application_type    = "web"
  # Entra ID only: the instrumentation key alone cannot send telemetry.
  local_authentication_enabled = false
  tags                         = local.tags
}

locals {
  # Diagnostic settings. logs: send every log category ("allLogs");
  # dedicated: resource-specific tables (CDBDataPlaneRequests,
  # StorageQueueLogs, ...) rather than AzureDiagnostics, as the alert queries
  # expect. Application Insights is not listed: it already stores its data in
  # the workspace. The Elastic resource (Microsoft.Elastic/monitors), the
  # identity and the action group have no diagnostic categories.
  diagnostic_targets = {
    function_app    = { id = azurerm_function_app_flex_consumption.main.id, logs = true, dedicated = false }
    service_plan    = { id = azurerm_service_plan.functions.id, logs = false, dedicated = false }
    storage_account = { id = azurerm_storage_account.main.id, logs = false, dedicated = false }
    storage_blob    = { id = "${azurerm_storage_account.main.id}/blobServices/default", logs = true, dedicated = false }
    storage_queue   = { id = "${azurerm_storage_account.main.id}/queueServices/default", logs = true, dedicated = false }
    storage_table   = { id = "${azurerm_storage_account.main.id}/tableServices/default", logs = true, dedicated = false }
    cosmos          = { id = azurerm_cosmosdb_account.main.id, logs = true, dedicated = true }
    key_vault       = { id = azurerm_key_vault.main.id, logs = true, dedicated = false }
    eventgrid_topic = { id = azurerm_eventgrid_system_topic.storage.id, logs = true, dedicated = false }
    log_analytics   = { id = azurerm_log_analytics_workspace.main.id, logs = true, dedicated = false }
  }
}

resource "azurerm_monitor_diagnostic_setting" "main" {
  for_each                       = local.diagnostic_targets
  name                           = "to-log-analytics"
  target_resource_id             = each.value.id
  log_analytics_workspace_id     = azurerm_log_analytics_workspace.main.id
  log_analytics_destination_type = each.value.dedicated ? "Dedicated" : null

  dynamic "enabled_log" {
    for_each = each.value.logs ? ["allLogs"] : []
    content {
      category_group = enabled_log.value
    }
  }

  enabled_metric {
    category = "AllMetrics"
  }
}
