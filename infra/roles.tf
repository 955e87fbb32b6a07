# Every permission the system has, in one place. All principals are Entra ID
# identities: no connection string, account key or SAS is issued anywhere.

locals {
  # Roles of the app identity on the storage account:
  # - Blob Data Owner: host storage (AzureWebJobsStorage: leases, timer
  #   monitor), the deployment package container, and the bindings' blob work
  #   (read supplier files, move them under processed/ or rejected/, write
  #   reports). Owner rather than Contributor because the Functions host
  #   manages blob leases and container metadata for its own containers.
  # - Queue Data Contributor: queue triggers and outputs (ingest-events,
  #   reindex and their -poison queues); also lets the Event Grid subscription,
  #   which delivers with the same identity, add messages to ingest-events and
  #   write dead letters.
  # - Table Data Contributor: host storage (the Flex host keeps diagnostic
  #   events in tables).
  storage_roles = toset([
    "Storage Blob Data Owner",
    "Storage Queue Data Contributor",
    "Storage Table Data Contributor",
  ])
}

resource "azurerm_role_assignment" "app_storage" {
  for_each             = local.storage_roles
  scope                = azurerm_storage_account.main.id
  role_definition_name = each.value
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# Key Vault references (ELASTICSEARCH_URL, ELASTICSEARCH_API_KEY) are resolved
# by the platform with the app's keyVaultReferenceIdentity.
resource "azurerm_role_assignment" "app_key_vault" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# The deploying principal (the CI identity running terraform apply) writes the
# Elasticsearch URL secret; RBAC-mode vaults grant nothing by default.
resource "azurerm_role_assignment" "deployer_key_vault" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets Officer"
  principal_id         = data.azurerm_client_config.current.object_id
}

# Application Insights has local (instrumentation key) authentication
# disabled; telemetry is accepted only from identities with this role.
resource "azurerm_role_assignment" "app_insights_publisher" {
  scope                = azurerm_application_insights.main.id
  role_definition_name = "Monitoring Metrics Publisher"
  principal_id         = azurerm_user_assigned_identity.app.principal_id
  principal_type       = "ServicePrincipal"
}

# Cosmos DB data plane: the built-in "Cosmos DB Built-in Data Contributor"
# (id ...0002: read, write, query items; no account or container management),
# scoped to the one database. Key authentication is disabled on the account.
resource "azurerm_cosmosdb_sql_role_assignment" "app" {
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
  role_definition_id  = "${azurerm_cosmosdb_account.main.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002"
  principal_id        = azurerm_user_assigned_identity.app.principal_id
  scope               = "${azurerm_cosmosdb_account.main.id}/dbs/${azurerm_cosmosdb_sql_database.main.name}"
}

# Key Vault references resolve with the system-assigned identity (functions.tf: this resource has no key_vault_reference_identity_id).
resource "azurerm_role_assignment" "app_system_key_vault" {
  scope                = azurerm_key_vault.main.id
  role_definition_name = "Key Vault Secrets User"
  principal_id         = azurerm_function_app_flex_consumption.main.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
