# The resource group every resource of one environment lives in, and the
# naming and tagging shared by all files.

locals {
  # e.g. mediaspecs-prod; storage and Key Vault names add the suffix because
  # they are global.
  name = "${var.name_prefix}-${var.environment}"
  # Storage account: 3-24 lowercase letters and digits.
  storage_account_name = substr(replace(lower("st${var.name_prefix}${var.environment}${var.name_suffix}"), "/[^a-z0-9]/", ""), 0, 24)
  # Key Vault: 3-24 letters, digits and dashes.
  key_vault_name = substr("kv-${var.name_prefix}-${var.environment}-${var.name_suffix}", 0, 24)

  tags = merge({
    application = "mediaspecs-catalogue"
    environment = var.environment
    managed_by  = "terraform"
  }, var.tags)
}

resource "azurerm_resource_group" "main" {
  name     = "rg-${local.name}"
  location = var.location
  tags     = local.tags
}
