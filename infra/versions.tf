# Terraform / OpenTofu and provider versions. The azurerm pin matches the
# provider that `make infra-check` builds and validates against (see
# infra/local/versions.env: AZURERM_PROVIDER_VERSION).
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 5.2.0"
    }
  }

  # Remote state in an Azure storage account, authenticated with Entra ID
  # (no access key). The values are per environment and passed at init time:
  #   terraform init -backend-config=env/prod.backend.hcl
  # See infra/README.md ("Remote state") for the one-time bootstrap.
  backend "azurerm" {}
}
