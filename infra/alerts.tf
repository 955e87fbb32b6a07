# Alerts, all to one action group. Log alerts query Application Insights
# (requests: one row per function invocation) or the Log Analytics workspace
# (resource-specific tables from the diagnostic settings, monitoring.tf).

resource "azurerm_monitor_action_group" "ops" {
  name                = "ag-${local.name}-ops"
  resource_group_name = azurerm_resource_group.main.name
  short_name          = substr("ms${var.environment}ops", 0, 12)

  dynamic "email_receiver" {
    for_each = var.alert_email_addresses
    content {
      name                    = "email-${email_receiver.key}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }

  tags = local.tags
}

locals {
  # Every function whose trigger is not HTTP (shared/infracheck keeps this in
  # step with functions/*/function.json); every other function is HTTP.
  background_functions = ["IngestSupplierFile", "NightlyMaintenance", "ReindexMedia", "RunMaintenance"]

  # name => rule. scope: "appi" (Application Insights) or "log" (workspace).
  # Each query returns rows only when the condition holds; the rule fires on
  # "count of rows > 0".
  log_alerts = {
    function-failures = {
      description = "Queue or timer function invocations failed (each failure is retried; five in a row poison the message)."
      severity    = 2
      scope       = "appi"
      frequency   = "PT5M"
      window      = "PT15M"
      query       = <<-KQL
        requests
        | where operation_Name in (${join(", ", formatlist("\"%s\"", local.background_functions))})
        | where success == false
        | summarize failures = count() by operation_Name
        | where failures >= ${var.function_failure_threshold}
      KQL
    }
    http-5xx-rate = {
      description = "More than ${var.http_5xx_ratio_percent}% of HTTP requests answered 5xx over 15 minutes."
      severity    = 1
      scope       = "appi"
      frequency   = "PT5M"
      window      = "PT15M"
      query       = <<-KQL
        requests
        | where operation_Name !in (${join(", ", formatlist("\"%s\"", local.background_functions))})
        | summarize total = count(), failed = countif(toint(resultCode) >= 500)
        | where total >= 20 and 100.0 * failed / total > ${var.http_5xx_ratio_percent}
      KQL
    }
    poison-message = {
      description = "A message was moved to a poison queue (ingest-events-poison or reindex-poison): it failed maxDequeueCount times and needs a person."
      severity    = 1
      scope       = "log"
      frequency   = "PT5M"
      window      = "PT15M"
      query       = <<-KQL
        StorageQueueLogs
        | where OperationName == "PutMessage" and StatusCode between (200 .. 299)
        | where ObjectKey has "-poison"
        | summarize messages = count() by ObjectKey
      KQL
    }
    cosmos-429-ratio = {
      description = "More than ${var.cosmos_429_ratio_percent}% of Cosmos DB requests were throttled (429) over 15 minutes."
      severity    = 2
      scope       = "log"
      frequency   = "PT5M"
      window      = "PT15M"
      query       = <<-KQL
        CDBDataPlaneRequests
        | summarize total = count(), throttled = countif(StatusCode == 429)
        | where total >= 50 and 100.0 * throttled / total > ${var.cosmos_429_ratio_percent}
      KQL
    }
    nightly-maintenance-failed = {
      description = "The nightly maintenance run failed."
      severity    = 1
      scope       = "appi"
      frequency   = "PT1H"
      window      = "PT1H"
      query       = <<-KQL
        requests
        | where operation_Name == "NightlyMaintenance" and success == false
      KQL
    }
    nightly-maintenance-missing = {
      description = "No successful nightly maintenance run in the last 26 hours (scheduled 02:30 UTC)."
      severity    = 1
      scope       = "appi"
      frequency   = "PT1H"
      # The longest allowed window; the query narrows it to 26 hours.
      window = "P2D"
      query  = <<-KQL
        requests
        | where timestamp > ago(26h)
        | where operation_Name == "NightlyMaintenance" and success == true
        | summarize runs = count()
        | where runs == 0
      KQL
    }
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "main" {
  for_each             = local.log_alerts
  name                 = "alert-${local.name}-${each.key}"
  resource_group_name  = azurerm_resource_group.main.name
  location             = azurerm_resource_group.main.location
  description          = each.value.description
  severity             = each.value.severity
  evaluation_frequency = each.value.frequency
  window_duration      = each.value.window
  scopes               = [each.value.scope == "appi" ? azurerm_application_insights.main.id : azurerm_log_analytics_workspace.main.id]

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Count"
    operator                = "GreaterThan"
    threshold               = 0

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  auto_mitigation_enabled = true

  action {
    action_groups = [azurerm_monitor_action_group.ops.id]
  }

  tags = local.tags
}

# Elasticsearch health: /api/health checks each dependency (Elasticsearch
# cluster health included, with HEALTH_TIMEOUT) and answers 503 when one is
# down. A standard availability test calls it from three regions every 5
# minutes; the alert fires when two locations fail.
resource "azurerm_application_insights_standard_web_test" "health" {
  name                    = "webtest-${local.name}-health"
  resource_group_name     = azurerm_resource_group.main.name
  location                = azurerm_resource_group.main.location
  application_insights_id = azurerm_application_insights.main.id
  geo_locations           = var.availability_test_locations
  frequency               = 300
  timeout                 = 30
  retry_enabled           = true
  enabled                 = true
  description             = "GET /api/health: Elasticsearch, Cosmos DB and storage reachable."

  request {
    url       = "https://${azurerm_function_app_flex_consumption.main.default_hostname}/api/health"
    http_verb = "GET"
  }

  validation_rules {
    expected_status_code = 200
    ssl_check_enabled    = true
  }

  tags = local.tags
}

resource "azurerm_monitor_metric_alert" "health" {
  name                = "alert-${local.name}-health"
  resource_group_name = azurerm_resource_group.main.name
  scopes              = [azurerm_application_insights_standard_web_test.health.id, azurerm_application_insights.main.id]
  description         = "GET /api/health failing: a dependency, typically Elasticsearch, is unhealthy or unreachable."
  severity            = 1
  frequency           = "PT1M"
  window_size         = "PT5M"

  application_insights_web_test_location_availability_criteria {
    web_test_id           = azurerm_application_insights_standard_web_test.health.id
    component_id          = azurerm_application_insights.main.id
    failed_location_count = 2
  }

  action {
    action_group_id = azurerm_monitor_action_group.ops.id
  }

  tags = local.tags
}
