# How the handler's own telemetry (OpenTelemetry traces and metrics,
# shared/telemetry) reaches Azure Monitor. README.md, "Telemetry in Azure",
# says why this route; in short:
#
#   handler (Go OTel SDK) --OTLP/HTTP + bearer token--> OpenTelemetry Collector
#     (contrib, Azure Container Apps: Flex Consumption cannot run a sidecar)
#       metrics --Prometheus remote write, Entra ID (azureauth, managed identity)-->
#         Azure Monitor workspace (managed Prometheus): the rule groups of
#         alerts-prometheus.tf evaluate the same PromQL as the local Prometheus
#       traces  --azuremonitor exporter via the Entra ID auth proxy sidecar-->
#         Application Insights (local auth is disabled, monitoring.tf), where
#         they join the Functions host's own request telemetry by trace id
#
# The Functions host keeps its default telemetry mode (Application Insights
# SDK): the log alerts in alerts.tf query its requests table, and stdout logs
# of the handler reach Application Insights through the host.

# --- Azure Monitor workspace (managed Prometheus) ------------------------------

resource "azurerm_monitor_workspace" "main" {
  name                          = "amw-${local.name}"
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  public_network_access_enabled = true
  tags                          = local.tags
}

# Remote-write ingestion goes through the data collection endpoint and rule
# that Azure creates with the workspace (in its managed resource group), as
# Azure Monitor documents for Prometheus remote write: the collector's
# identity gets Monitoring Metrics Publisher on that rule (below), and the
# URL is the endpoint's metrics ingestion endpoint plus the rule's immutable
# id (local.prometheus_remote_write_url).
locals {
  # /subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Insights/<type>/<name>
  amw_default_dcr = split("/", azurerm_monitor_workspace.main.default_data_collection_rule_id)
  amw_default_dce = split("/", azurerm_monitor_workspace.main.default_data_collection_endpoint_id)
}

data "azurerm_monitor_data_collection_rule" "prometheus" {
  name                = local.amw_default_dcr[8]
  resource_group_name = local.amw_default_dcr[4]
}

data "azurerm_monitor_data_collection_endpoint" "prometheus" {
  name                = local.amw_default_dce[8]
  resource_group_name = local.amw_default_dce[4]
}

# --- The collector -------------------------------------------------------------

# The collector's own identity: it writes to the workspace and Application
# Insights and reads the ingest token; the app's identity does none of that.
resource "azurerm_user_assigned_identity" "otel_collector" {
  name                = "id-${local.name}-otelcol"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  tags                = local.tags
}

resource "azurerm_role_assignment" "otel_collector_prometheus" {
  scope                = azurerm_monitor_workspace.main.default_data_collection_rule_id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.otel_collector.principal_id
}

resource "azurerm_role_assignment" "otel_collector_app_insights" {
  scope                = azurerm_application_insights.main.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.otel_collector.principal_id
}

resource "azurerm_role_assignment" "otel_collector_key_vault" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.otel_collector.principal_id
}

# The shared token that authenticates the handler to the collector's public
# OTLP endpoint (Flex Consumption without VNet integration can only reach a
# public one). Like the Elasticsearch API key, Terraform only creates the
# slots; an operator stores one random token in both (infra/README.md,
# "Telemetry ingest token"), so it never passes through state:
#   otlp-ingest-token      the token, read by the collector (bearertokenauth)
#   otlp-exporter-headers  "Authorization=Bearer%20<token>", the handler's
#                          OTEL_EXPORTER_OTLP_HEADERS (the SDK's own format)
resource "azurerm_key_vault_secret" "otlp_ingest_token" {
  name            = "otlp-ingest-token"
  key_vault_id    = azurerm_key_vault.main.id
  value           = "unset: store the OTLP ingest token with az keyvault secret set"
  content_type    = "text/plain"
  expiration_date = var.secret_expiration_date

  lifecycle {
    ignore_changes = [value, expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer_key_vault]
}

resource "azurerm_key_vault_secret" "otlp_exporter_headers" {
  name            = "otlp-exporter-headers"
  key_vault_id    = azurerm_key_vault.main.id
  value           = "unset: store Authorization=Bearer%20<token> with az keyvault secret set"
  content_type    = "text/plain"
  expiration_date = var.secret_expiration_date

  lifecycle {
    ignore_changes = [value, expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer_key_vault]
}

resource "azurerm_container_app_environment" "telemetry" {
  name                       = "cae-${local.name}-telemetry"
  resource_group_name        = azurerm_resource_group.main.name
  location                   = azurerm_resource_group.main.location
  log_analytics_workspace_id = azurerm_log_analytics_workspace.main.id
  tags                       = local.tags
}

locals {
  # Application Insights' ingestion endpoint, for the auth proxy to forward to.
  app_insights_ingestion_endpoint = trimsuffix(regex("IngestionEndpoint=([^;]+)", azurerm_application_insights.main.connection_string)[0], "/")

  # Prometheus remote write into the workspace, through the rule above.
  prometheus_remote_write_url = "${data.azurerm_monitor_data_collection_endpoint.prometheus.metrics_ingestion_endpoint}/dataCollectionRules/${data.azurerm_monitor_data_collection_rule.prometheus.immutable_id}/streams/Microsoft-PrometheusMetrics/api/v1/write?api-version=2023-04-24"

  # The collector configuration, passed in an environment variable
  # (--config=env:OTELCOL_CONFIG); $${env:...} is expanded by the collector.
  # Metric names: the remote-write exporter adds the same unit and _total
  # suffixes as the handler's local Prometheus exporter
  # (UnderscoreEscapingWithSuffixes), so the rule files' PromQL matches in
  # both places; service.instance.id becomes the instance label, which keeps
  # the series of concurrent Flex instances apart.
  otel_collector_config = <<-YAML
    extensions:
      health_check:
        endpoint: 0.0.0.0:13133
      bearertokenauth/ingest:
        token: $${env:OTLP_INGEST_TOKEN}
      azureauth/monitor:
        managed_identity:
          client_id: $${env:AZURE_CLIENT_ID}
        scopes:
          - https://monitor.azure.com/.default
    receivers:
      otlp:
        protocols:
          http:
            endpoint: 0.0.0.0:4318
            auth:
              authenticator: bearertokenauth/ingest
    processors:
      memory_limiter:
        check_interval: 1s
        limit_percentage: 80
        spike_limit_percentage: 20
      batch: {}
    exporters:
      prometheusremotewrite/azuremonitor:
        endpoint: $${env:PROMETHEUS_REMOTE_WRITE_URL}
        auth:
          authenticator: azureauth/monitor
        add_metric_suffixes: true
        resource_to_telemetry_conversion:
          enabled: false
      azuremonitor:
        connection_string: $${env:APPLICATIONINSIGHTS_CONNECTION_STRING}
    service:
      extensions: [health_check, bearertokenauth/ingest, azureauth/monitor]
      pipelines:
        traces:
          receivers: [otlp]
          processors: [memory_limiter, batch]
          exporters: [azuremonitor]
        metrics:
          receivers: [otlp]
          processors: [memory_limiter, batch]
          exporters: [prometheusremotewrite/azuremonitor]
  YAML

  # The handler's OpenTelemetry settings (the standard OTEL_* variables, read
  # by the SDK and telemetry.ConfigFromEnv, not by shared/config; the sample
  # ratio TRACE_SAMPLE_RATIO is a shared/config variable, in functions.tf);
  # merged into the function app's app_settings (functions.tf).
  # shared/infracheck requires them.
  telemetry_app_settings = {
    OTEL_EXPORTER_OTLP_ENDPOINT = "https://${azurerm_container_app.otel_collector.ingress[0].fqdn}"
    OTEL_EXPORTER_OTLP_HEADERS  = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.main.name};SecretName=${azurerm_key_vault_secret.otlp_exporter_headers.name})"
    OTEL_SERVICE_NAME           = "mediaspecs-handler"
  }
}

resource "azurerm_container_app" "otel_collector" {
  # External ingress: the Flex Consumption app is not VNet-integrated yet
  # (infra/README.md, Not done yet), so it can only reach a public endpoint;
  # every OTLP request must carry the ingest token (bearertokenauth).
  name                         = "ca-${local.name}-otelcol"
  resource_group_name          = azurerm_resource_group.main.name
  container_app_environment_id = azurerm_container_app_environment.telemetry.id
  revision_mode                = "Single"

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.otel_collector.id]
  }

  secret {
    name                = "otlp-ingest-token"
    key_vault_secret_id = azurerm_key_vault_secret.otlp_ingest_token.versionless_id
    identity            = azurerm_user_assigned_identity.otel_collector.id
  }

  # Not a credential: with local auth disabled the instrumentation key alone
  # cannot send telemetry; the proxy adds the Entra ID token.
  secret {
    name  = "appinsights-connection-string"
    value = "InstrumentationKey=${azurerm_application_insights.main.instrumentation_key};IngestionEndpoint=http://127.0.0.1:8081/"
  }

  ingress {
    external_enabled           = true
    allow_insecure_connections = false
    target_port                = 4318
    transport                  = "http"

    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    # Always one replica: telemetry must not wait for a cold start, and the
    # remote-write queue lives in memory.
    min_replicas = 1
    max_replicas = var.otel_collector_max_replicas

    http_scale_rule {
      name                = "otlp-requests"
      concurrent_requests = "100"
    }

    container {
      name   = "otelcol"
      image  = var.otel_collector_image
      cpu    = 0.5
      memory = "1Gi"
      args   = ["--config=env:OTELCOL_CONFIG"]

      env {
        name  = "OTELCOL_CONFIG"
        value = local.otel_collector_config
      }
      env {
        name        = "OTLP_INGEST_TOKEN"
        secret_name = "otlp-ingest-token"
      }
      env {
        name  = "AZURE_CLIENT_ID"
        value = azurerm_user_assigned_identity.otel_collector.client_id
      }
      env {
        name  = "PROMETHEUS_REMOTE_WRITE_URL"
        value = local.prometheus_remote_write_url
      }
      env {
        name        = "APPLICATIONINSIGHTS_CONNECTION_STRING"
        secret_name = "appinsights-connection-string"
      }

      liveness_probe {
        transport = "HTTP"
        port      = 13133
        path      = "/"
      }
      readiness_probe {
        transport = "HTTP"
        port      = 13133
        path      = "/"
      }
    }

    # Adds the Entra ID token (the collector's identity) to the azuremonitor
    # exporter's requests, which cannot do it themselves
    # (opentelemetry-collector-contrib exporter/azuremonitorexporter/AUTHENTICATION.md).
    container {
      name   = "aad-auth-proxy"
      image  = var.aad_auth_proxy_image
      cpu    = 0.25
      memory = "0.5Gi"

      env {
        name  = "AUDIENCE"
        value = "https://monitor.azure.com/.default"
      }
      env {
        name  = "TARGET_HOST"
        value = local.app_insights_ingestion_endpoint
      }
      env {
        name  = "LISTENING_PORT"
        value = "8081"
      }
      env {
        name  = "IDENTITY_TYPE"
        value = "userAssigned"
      }
      env {
        name  = "AAD_CLIENT_ID"
        value = azurerm_user_assigned_identity.otel_collector.client_id
      }

      liveness_probe {
        transport = "HTTP"
        port      = 8081
        path      = "/health"
      }
    }
  }

  tags = local.tags

  depends_on = [
    azurerm_role_assignment.otel_collector_key_vault,
    azurerm_role_assignment.otel_collector_prometheus,
    azurerm_role_assignment.otel_collector_app_insights,
  ]
}
