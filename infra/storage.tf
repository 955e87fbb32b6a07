# The storage account (general-purpose v2): host storage of the function app
# (AzureWebJobsStorage), the deployment package, and everything the bindings
# use (connection name "Storage"). One account keeps the identity's roles and
# the diagnostics in one place; the names below are the contract checked by
# shared/infracheck against functions/*/function.json and config defaults.
#
# processed/ and rejected/ are folders (name prefixes) inside supplier-drop,
# not containers: the ingestion code moves a handled file to
# "processed/<supplier>/<file>" or "rejected/<supplier>/<file>" in the same container (a
# same-container copy keeps the move cheap and one RBAC scope), lifecycle rules
# expire each prefix on its own schedule, and the Event Grid subscription
# (eventgrid.tf) ignores blobs created under those prefixes so a move never
# re-triggers ingestion.

locals {
  # Blob containers, by role. Values are the container names.
  blob_containers = {
    supplier_drop        = "supplier-drop"        # SUPPLIER_CONTAINER: suppliers' files; processed/ and rejected/ prefixes inside
    ingest_reports       = "ingest-reports"       # REPORTS_CONTAINER: one report per ingested file
    maintenance_reports  = "maintenance-reports"  # nightly maintenance reports (consistency check, reindex)
    app_package          = "app-package"          # Flex Consumption deployment package (zip deploy target)
    eventgrid_deadletter = "eventgrid-deadletter" # events Event Grid could not deliver to ingest-events
  }

  # Queues: the triggers' queues and the poison queues the host moves a
  # message to after extensions.queues.maxDequeueCount (host.json) failures.
  queues = toset([
    "ingest-events",               # INGEST_QUEUE: Event Grid BlobCreated events for supplier-drop
    "ingest-events-poison",        # alerted on (alerts.tf)
    "reindex",                     # REINDEX_QUEUE: media ids to (re)index in Elasticsearch
    "reindex-poison",              # alerted on (alerts.tf)
    "maintenance-requests",        # MAINTENANCE_QUEUE: admins' manual maintenance runs (RunMaintenance)
    "maintenance-requests-poison", # malformed run requests only (runs that fail complete with a failed status)
  ])
}

resource "azurerm_storage_account" "main" {
  #checkov:skip=CKV_AZURE_33:Queue service logging is collected by the diagnostic setting on queueServices/default (monitoring.tf), the current replacement for classic storage analytics logging.
  #checkov:skip=CKV2_AZURE_1:Encryption uses Microsoft-managed keys; the data (supplier files, reports) is not subject to a customer-managed-key requirement and a CMK would add a Key Vault key dependency to host storage.
  #checkov:skip=CKV2_AZURE_33:No private endpoint: Flex Consumption without VNet integration reaches storage over the public endpoint; access is Entra-only (shared keys disabled). VNet integration is listed as follow-up in infra/README.md.
  #checkov:skip=CKV_AZURE_59:Public network access is needed by the Flex app without VNet integration and by Event Grid; anonymous access and shared keys are both disabled.
  #checkov:skip=CKV_AZURE_206:Replication is a per-environment variable (LRS in dev, ZRS in prod); files can be re-sent by suppliers and Cosmos DB is the source of truth.
  name                     = local.storage_account_name
  resource_group_name      = azurerm_resource_group.main.name
  location                 = azurerm_resource_group.main.location
  account_kind             = "StorageV2"
  account_tier             = "Standard"
  account_replication_type = var.storage_replication_type
  access_tier              = "Hot"

  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  shared_access_key_enabled       = false # Entra ID only: no account keys, no SAS
  default_to_oauth_authentication = true
  allow_nested_items_to_be_public = false
  local_user_enabled              = false
  public_network_access_enabled   = true

  sas_policy {
    # Shared keys are disabled, so no SAS can be signed with them; this caps a
    # user-delegation SAS should anyone create one by hand.
    expiration_period = "00.01:00:00"
  }

  blob_properties {
    delete_retention_policy {
      days = 7
    }
    container_delete_retention_policy {
      days = 7
    }
  }

  tags = local.tags
}

resource "azurerm_storage_container" "main" {
  #checkov:skip=CKV2_AZURE_21:Blob read, write and delete logs are sent by the diagnostic setting on blobServices/default (monitoring.tf, allLogs), which this graph check does not follow.
  for_each              = local.blob_containers
  name                  = each.value
  storage_account_id    = azurerm_storage_account.main.id
  container_access_type = "private"
}

resource "azurerm_storage_queue" "main" {
  for_each           = local.queues
  name               = each.value
  storage_account_id = azurerm_storage_account.main.id
}

# Retention, per folder. Suppliers' unhandled files are never deleted by a
# rule: a file still at the container root has not been ingested yet.
resource "azurerm_storage_management_policy" "main" {
  storage_account_id = azurerm_storage_account.main.id

  rule {
    name    = "supplier-processed"
    enabled = true
    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${local.blob_containers.supplier_drop}/processed/"]
    }
    actions {
      base_blob {
        tier_to_cool_after_days_since_modification_greater_than = 30
        delete_after_days_since_modification_greater_than       = var.processed_file_retention_days
      }
    }
  }

  rule {
    name    = "supplier-rejected"
    enabled = true
    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${local.blob_containers.supplier_drop}/rejected/"]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.rejected_file_retention_days
      }
    }
  }

  rule {
    name    = "reports"
    enabled = true
    filters {
      blob_types = ["blockBlob"]
      prefix_match = [
        "${local.blob_containers.ingest_reports}/",
        "${local.blob_containers.maintenance_reports}/",
      ]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.report_retention_days
      }
    }
  }

  rule {
    name    = "eventgrid-deadletter"
    enabled = true
    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${local.blob_containers.eventgrid_deadletter}/"]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = var.report_retention_days
      }
    }
  }
}
