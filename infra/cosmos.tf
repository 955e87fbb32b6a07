# Cosmos DB, the source of truth: account, database "mediaspecs", container
# "media" (partition key /id). Serverless — see infra/README.md ("Cosmos DB
# capacity") for why. Key authentication is disabled: the app reads and writes
# with its managed identity through a data-plane role assignment (roles.tf).

resource "azurerm_cosmosdb_account" "main" {
  #checkov:skip=CKV_AZURE_99:Public network access with Entra-only auth; Flex Consumption without VNet integration has no fixed outbound addresses to allow-list (VNet + private endpoint is follow-up work in infra/README.md).
  #checkov:skip=CKV_AZURE_101:Same as CKV_AZURE_99: public network access is required until the app is VNet-integrated.
  #checkov:skip=CKV_AZURE_140:False positive: the check looks for the azurerm 3.x argument local_authentication_disabled; azurerm 5.x names it local_authentication_enabled, set to false below.
  #checkov:skip=CKV_AZURE_100:Data is encrypted at rest with service-managed keys; the catalogue (public media facts) has no customer-managed-key requirement.
  name                = "cosmos-${local.name}-${var.name_suffix}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  offer_type          = "Standard"
  kind                = "GlobalDocumentDB"

  capabilities {
    name = "EnableServerless"
  }

  consistency_policy {
    consistency_level = "Session"
  }

  geo_location {
    location          = azurerm_resource_group.main.location
    failover_priority = 0
    zone_redundant    = false # serverless accounts are single-region, without zone redundancy
  }

  local_authentication_enabled       = false # no keys: Entra ID (RBAC) only
  access_key_metadata_writes_enabled = false # no control-plane changes through data-plane keys
  public_network_access_enabled      = true
  minimal_tls_version                = "Tls12"

  backup {
    # Point-in-time restore of any second within the tier's window.
    type = "Continuous"
    tier = var.cosmos_backup_tier
  }

  tags = local.tags
}

resource "azurerm_cosmosdb_sql_database" "main" {
  name                = "mediaspecs" # COSMOS_DATABASE
  resource_group_name = azurerm_resource_group.main.name
  account_name        = azurerm_cosmosdb_account.main.name
}

resource "azurerm_cosmosdb_sql_container" "media" {
  name                  = "media" # COSMOS_CONTAINER
  resource_group_name   = azurerm_resource_group.main.name
  account_name          = azurerm_cosmosdb_account.main.name
  database_name         = azurerm_cosmosdb_sql_database.main.name
  partition_key_paths   = ["/id"]
  partition_key_version = 2

  # Point reads by id and the nightly full scan are the only access paths;
  # search is Elasticsearch's job. Nested arrays that are never filtered on
  # are not indexed, which makes every write cheaper in RU.
  indexing_policy {
    indexing_mode = "consistent"

    included_path {
      path = "/*"
    }

    excluded_path {
      path = "/adProducts/*"
    }
    excluded_path {
      path = "/contacts/*"
    }
    excluded_path {
      path = "/measurements/*"
    }
    excluded_path {
      path = "/\"_etag\"/?"
    }
  }
}

# One change record per written title version (catalog.Change), for the
# changes feed. Partition key /titleId: an ingestion writes records for many
# titles at once, which a per-title key spreads over all partitions (a
# time-based key would make one hot partition); a title's history is a
# single-partition query.
# No TTL, ever: a title's "<id>:1" record is what tells ingestion, without a
# read, that the title exists (shared/pipeline/write.go, writeNew).
resource "azurerm_cosmosdb_sql_container" "changes" {
  name                  = "changes" # CHANGES_CONTAINER
  resource_group_name   = azurerm_resource_group.main.name
  account_name          = azurerm_cosmosdb_account.main.name
  database_name         = azurerm_cosmosdb_sql_database.main.name
  partition_key_paths   = ["/titleId"]
  partition_key_version = 2

  # The changes feed (shared/cosmos/changes.go) filters on the system
  # property _ts (c._ts > @since AND c._ts <= @until) across partitions,
  # without ORDER BY (the gateway, which azcosmos queries go through, refuses
  # cross-partition ORDER BY): "/*" keeps _ts range-indexed, and no
  # composite index is needed. Never exclude /_ts/? or narrow "/*" without
  # including it.
  indexing_policy {
    indexing_mode = "consistent"

    included_path {
      path = "/*"
    }

    excluded_path {
      path = "/fields/*"
    }
    excluded_path {
      path = "/\"_etag\"/?"
    }
  }
}

# Leases of the maintenance jobs, so the nightly timer and a manual run never
# overlap (shared/cosmos/lease.go), the B2B daily quota counts, one small
# document per client and day (shared/cosmos/quota.go), and the log of titles
# written outside ingestion that the ingest manifest checks, one document
# (shared/cosmos/outside.go).
resource "azurerm_cosmosdb_sql_container" "maintenance" {
  name                  = "maintenance" # MAINTENANCE_LEASE_CONTAINER
  resource_group_name   = azurerm_resource_group.main.name
  account_name          = azurerm_cosmosdb_account.main.name
  database_name         = azurerm_cosmosdb_sql_database.main.name
  partition_key_paths   = ["/id"]
  partition_key_version = 2

  # TTL on, no default expiry: an item's own "ttl" is honoured only when the
  # container has a default_ttl; -1 keeps items without one (the leases)
  # forever, while quota documents carry ttl = 8 days.
  default_ttl = -1
}
