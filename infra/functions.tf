# The function app: Flex Consumption (Linux), running the Go custom handler
# (the native binary "handler" at the package root, see host.json).

resource "azurerm_service_plan" "functions" {
  #checkov:skip=CKV_AZURE_225:Flex Consumption (FC1) plans have no zone balancing or worker count to set; instances are allocated per app by the platform.
  #checkov:skip=CKV_AZURE_212:Same as CKV_AZURE_225: no minimum worker count on an FC1 plan; the app keeps warm capacity with always_ready (http_always_ready_instances, 1 in prod).
  name                = "asp-${local.name}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  os_type             = "Linux" # Flex Consumption is Linux only
  sku_name            = "FC1"   # Flex Consumption
  tags                = local.tags
}

locals {
  # The handler's configuration: every variable of shared/config (config.Names())
  # except FUNCTIONS_CUSTOMHANDLER_PORT, which the Functions host sets, and the
  # local-only COSMOS_KEY, COSMOS_CA_FILE and Storage (a connection string),
  # which must never be set in Azure. shared/infracheck holds this contract.
  handler_app_settings = {
    LOG_LEVEL        = var.log_level
    SHUTDOWN_TIMEOUT = "20s"
    HEALTH_TIMEOUT   = "2s"

    COSMOS_ENDPOINT      = azurerm_cosmosdb_account.main.endpoint
    COSMOS_DATABASE      = azurerm_cosmosdb_sql_database.main.name
    COSMOS_CONTAINER     = azurerm_cosmosdb_sql_container.media.name
    CHANGES_CONTAINER    = azurerm_cosmosdb_sql_container.changes.name
    COSMOS_MAX_RETRIES   = "9"
    INGEST_WRITERS       = "16"
    INGEST_IN_FLIGHT_MIB = "8"

    # GetMedia: decoded titles cached per instance, revalidated by ETag; a
    # title confirmed less than 5 s ago is served without a round trip.
    DETAIL_CACHE_TITLES = "4096"
    DETAIL_FRESH_FOR    = "5s"

    # Key Vault references (versionless: a new secret version is picked up
    # without a deployment). Resolved by the platform, never stored here.
    ELASTICSEARCH_URL     = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.main.name};SecretName=${azurerm_key_vault_secret.elasticsearch_url.name})"
    ELASTICSEARCH_API_KEY = "@Microsoft.KeyVault(VaultName=${azurerm_key_vault.main.name};SecretName=${azurerm_key_vault_secret.elasticsearch_api_key.name})"
    SEARCH_INDEX_PREFIX   = "media"
    SEARCH_READ_ALIAS     = "media-read"
    SEARCH_WRITE_ALIAS    = "media-write"

    # The bindings' connection "Storage", identity-based (Storage__credential
    # and the host's own settings are in host_app_settings).
    Storage__blobServiceUri  = trimsuffix(azurerm_storage_account.main.primary_blob_endpoint, "/")
    Storage__queueServiceUri = trimsuffix(azurerm_storage_account.main.primary_queue_endpoint, "/")
    Storage__clientId        = azurerm_user_assigned_identity.app.client_id

    SUPPLIER_CONTAINER = azurerm_storage_container.main["supplier_drop"].name
    REPORTS_CONTAINER  = azurerm_storage_container.main["ingest_reports"].name
    INGEST_QUEUE       = azurerm_storage_queue.main["ingest-events"].name
    REINDEX_QUEUE      = azurerm_storage_queue.main["reindex"].name
    MAINTENANCE_QUEUE  = azurerm_storage_queue.main["maintenance-requests"].name

    # NightlyMaintenance: leases in Cosmos, reports in blob storage; the
    # retention days are the lifecycle rules' own (infra/storage.tf).
    MAINTENANCE_LEASE_CONTAINER   = azurerm_cosmosdb_sql_container.maintenance.name
    MAINTENANCE_REPORTS_CONTAINER = azurerm_storage_container.main["maintenance_reports"].name
    SEARCH_KEEP_INDICES           = "3"
    PROCESSED_RETENTION_DAYS      = tostring(var.processed_file_retention_days)
    REJECTED_RETENTION_DAYS       = tostring(var.rejected_file_retention_days)
    REPORT_RETENTION_DAYS         = tostring(var.report_retention_days)
    REBUILD_TIMEOUT               = "20m"
    DRIFT_TIMEOUT                 = "5m"
    RETENTION_TIMEOUT             = "3m"

    # Identity: access tokens of this Keycloak realm, audience mediaspecs-api
    # (the realm's audience mapper); shared/auth.
    OIDC_ISSUER   = var.oidc_issuer
    OIDC_AUDIENCE = "mediaspecs-api"

    # B2B API limits per client (shared/quota ParseLimits format); daily
    # counts in the maintenance container (shared/cosmos/quota.go).
    B2B_LIMITS = var.b2b_limits

    # Share of new root traces sampled (shared/config Telemetry; the
    # OTEL_* exporter settings are in telemetry.tf, read by the SDK).
    TRACE_SAMPLE_RATIO = tostring(var.trace_sample_ratio)
  }

  # What the Functions host and the Azure SDK need besides the handler's own
  # configuration. No FUNCTIONS_WORKER_RUNTIME: Flex Consumption rejects it
  # (the runtime is runtime_name below).
  host_app_settings = {
    # Host storage, identity-based.
    AzureWebJobsStorage__blobServiceUri  = trimsuffix(azurerm_storage_account.main.primary_blob_endpoint, "/")
    AzureWebJobsStorage__queueServiceUri = trimsuffix(azurerm_storage_account.main.primary_queue_endpoint, "/")
    AzureWebJobsStorage__tableServiceUri = trimsuffix(azurerm_storage_account.main.primary_table_endpoint, "/")
    AzureWebJobsStorage__credential      = "managedidentity"
    AzureWebJobsStorage__clientId        = azurerm_user_assigned_identity.app.client_id

    # The bindings' connection: authenticate as the user-assigned identity.
    Storage__credential = "managedidentity"

    # azidentity (DefaultAzureCredential / ManagedIdentityCredential) in the
    # handler picks the user-assigned identity by this id.
    AZURE_CLIENT_ID = azurerm_user_assigned_identity.app.client_id

    # Application Insights with local auth disabled: the host sends telemetry
    # with the identity (Monitoring Metrics Publisher, roles.tf).
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING = "ClientId=${azurerm_user_assigned_identity.app.client_id};Authorization=AAD"
  }
}

resource "azurerm_function_app_flex_consumption" "main" {
  # Public network access: serves the public catalogue API (HTTP functions); callers are authenticated by Keycloak (OIDC) in the handler.
  name                = "func-${local.name}-${var.name_suffix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  service_plan_id     = azurerm_service_plan.functions.id

  # Deployment package container, read with the user-assigned identity.
  storage_container_type            = "blobContainer"
  storage_container_endpoint        = "${azurerm_storage_account.main.primary_blob_endpoint}${azurerm_storage_container.main["app_package"].name}"
  storage_authentication_type       = "UserAssignedIdentity"
  storage_user_assigned_identity_id = azurerm_user_assigned_identity.app.id

  # "custom" is the Flex Consumption runtime for custom handlers: the host
  # starts customHandler.description.defaultExecutablePath from host.json, our
  # native Go binary. The provider accepts runtime_name values node,
  # dotnet-isolated, powershell, python, java and custom (azurerm
  # function_app_flex_consumption docs). Azure documents the stack as
  # functionAppConfig.runtime.name = "custom" in the Microsoft.Web/sites
  # REST/ARM reference (FunctionsRuntime.name), and lists it per region with
  # `az functionapp list-flexconsumption-runtimes --location <region> --runtime custom`
  # (https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to,
  # https://learn.microsoft.com/azure/templates/microsoft.web/sites#functionsruntime).
  runtime_name    = "custom"
  runtime_version = "1.0"

  instance_memory_in_mb  = var.instance_memory_in_mb
  maximum_instance_count = var.maximum_instance_count

  # Always-ready instances for the HTTP group (all HTTP functions scale
  # together): removes the cold start of the search API. 0 disables it.
  dynamic "always_ready" {
    for_each = var.http_always_ready_instances > 0 ? [1] : []
    content {
      name           = "http"
      instance_count = var.http_always_ready_instances
    }
  }

  https_only                                     = true
  public_network_access_enabled                  = true
  webdeploy_publish_basic_authentication_enabled = false
  client_certificate_enabled                     = false

  # The user-assigned identity does all the work. The system-assigned one
  # exists only to resolve Key Vault references: this resource has no
  # key_vault_reference_identity_id, and the platform uses the system identity
  # for references unless told otherwise (its role: roles.tf).
  identity {
    type         = "SystemAssigned, UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  site_config {
    application_insights_connection_string = azurerm_application_insights.main.connection_string
    http2_enabled                          = true
    minimum_tls_version                    = "1.2"

    # CORS is answered by the platform in front of the host (preflight
    # OPTIONS never reaches the handler, whose routes are GET only): only the
    # web application's own origins, no credentials (tokens travel in the
    # Authorization header, not cookies).
    cors {
      allowed_origins     = var.cors_allowed_origins
      support_credentials = false
    }
  }

  # telemetry_app_settings: the OpenTelemetry exporter settings (telemetry.tf).
  app_settings = merge(local.handler_app_settings, local.host_app_settings, local.telemetry_app_settings)

  tags = local.tags

  depends_on = [
    azurerm_role_assignment.app_storage,
    azurerm_role_assignment.app_key_vault,
  ]
}
