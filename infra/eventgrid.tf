# Supplier files → ingestion: Event Grid delivers each BlobCreated event of
# supplier-drop to the ingest-events queue, which IngestSupplierFile is
# triggered by. A queue (rather than an Event Grid blob trigger webhook) keeps
# retries, poison handling and replays in our hands, and needs no function
# system key in Terraform.

resource "azurerm_eventgrid_system_topic" "storage" {
  name                = "evgt-${local.name}-storage"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  source_resource_id  = azurerm_storage_account.main.id
  topic_type          = "Microsoft.Storage.StorageAccounts"

  # Delivery and dead-lettering authenticate as the app identity (its queue
  # and blob roles are in roles.tf): no SAS or key.
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app.id]
  }

  tags = local.tags
}

resource "azurerm_eventgrid_system_topic_event_subscription" "supplier_drop" {
  name                = "supplier-drop-to-ingest-events"
  system_topic        = azurerm_eventgrid_system_topic.storage.name
  resource_group_name = azurerm_resource_group.main.name

  event_delivery_schema = "EventGridSchema"
  included_event_types  = ["Microsoft.Storage.BlobCreated"]

  subject_filter {
    subject_begins_with = "/blobServices/default/containers/${local.blob_containers.supplier_drop}/blobs/"
  }

  # Moves into processed/ and rejected/ create blobs too; they must not be
  # ingested again.
  advanced_filter {
    string_not_begins_with {
      key = "subject"
      values = [
        "/blobServices/default/containers/${local.blob_containers.supplier_drop}/blobs/processed/",
        "/blobServices/default/containers/${local.blob_containers.supplier_drop}/blobs/rejected/",
      ]
    }
  }

  storage_queue_endpoint {
    storage_account_id = azurerm_storage_account.main.id
    queue_name         = azurerm_storage_queue.main["ingest-events"].name
    # -1: the message never expires in the queue (an outage of the app must
    # not lose a supplier file).
    queue_message_time_to_live_in_seconds = -1
  }

  delivery_identity {
    type                   = "UserAssigned"
    user_assigned_identity = azurerm_user_assigned_identity.app.id
  }

  dead_letter_identity {
    type                   = "UserAssigned"
    user_assigned_identity = azurerm_user_assigned_identity.app.id
  }

  storage_blob_dead_letter_destination {
    storage_account_id          = azurerm_storage_account.main.id
    storage_blob_container_name = azurerm_storage_container.main["eventgrid_deadletter"].name
  }

  retry_policy {
    max_delivery_attempts = 30
    event_time_to_live    = 1440
  }

  depends_on = [azurerm_role_assignment.app_storage]
}
