# Remote state of the prod environment (azurerm backend). No secret: the
# backend authenticates with Entra ID (the deploy workflow's OIDC login, or
# `az login` locally) and the principal needs "Storage Blob Data
# Contributor" on the state container. Bootstrap: infra/README.md.
#   terraform init -backend-config=env/prod.backend.hcl
resource_group_name  = "rg-mediaspecs-tfstate"
storage_account_name = "stmediaspecstfstate"
container_name       = "tfstate"
key                  = "catalogue-prod.tfstate"
use_azuread_auth     = true
