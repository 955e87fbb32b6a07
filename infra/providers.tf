provider "azurerm" {
  features {
    key_vault {
      # Secrets are soft-deleted and purge-protected; never purge on destroy.
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
    resource_group {
      prevent_deletion_if_contains_resources = true
    }
  }

  # Shared keys are disabled on the storage account: every data-plane call the
  # provider makes uses Entra ID.
  storage_use_azuread = true
  subscription_id     = var.subscription_id
}

data "azurerm_client_config" "current" {}
