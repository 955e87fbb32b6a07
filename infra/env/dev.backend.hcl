# Remote state of the dev environment (azurerm backend). No secret: the
# backend authenticates with Entra ID (the deploy workflow's OIDC login, or
# `az login` locally) and the principal needs "Storage Blob Data
# Contributor" on the state container. Bootstrap: infra/README.md.
#   terraform init -backend-config=env/dev.backend.hcl
resource_group_name  = "rg-mediaspecs-tfstate"
storage_account_name = "stmediaspecstfstate"
container_name       = "tfstate"
key                  = "catalogue-dev.tfstate"
use_azuread_auth     = true
