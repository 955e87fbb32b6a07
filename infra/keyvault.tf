# Key Vault (RBAC mode) for the two Elasticsearch values the app reads through
# Key Vault references (functions.tf): the endpoint and the API key.

resource "azurerm_key_vault" "main" {
  #checkov:skip=CKV_AZURE_109:Network ACL default Allow: Flex Consumption without VNet integration resolves Key Vault references over the public endpoint; access is RBAC only. VNet + private endpoint is follow-up work (infra/README.md).
  #checkov:skip=CKV_AZURE_189:Same as CKV_AZURE_109: public network access is required until the app is VNet-integrated.
  #checkov:skip=CKV2_AZURE_32:No private endpoint yet, see CKV_AZURE_109.
  name                          = local.key_vault_name
  resource_group_name           = azurerm_resource_group.main.name
  location                      = azurerm_resource_group.main.location
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  rbac_authorization_enabled    = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = true

  network_acls {
    default_action = "Allow"
    bypass         = "AzureServices"
  }

  tags = local.tags
}

# The Elasticsearch endpoint, from the Elastic resource (elasticsearch.tf).
resource "azurerm_key_vault_secret" "elasticsearch_url" {
  name            = "elasticsearch-url"
  key_vault_id    = azurerm_key_vault.main.id
  value           = azurerm_elastic_cloud_elasticsearch.main.elasticsearch_service_url
  content_type    = "text/uri-list"
  expiration_date = var.secret_expiration_date

  depends_on = [azurerm_role_assignment.deployer_key_vault]
}

# The Elasticsearch API key. Terraform only creates the secret's slot: the
# real key is created in Kibana (scoped to the media-* indices and aliases)
# and stored by an operator with `az keyvault secret set` (infra/README.md),
# so it never passes through Terraform state or the repository. Later
# rotations are new secret versions; the app's versionless reference picks
# them up.
resource "azurerm_key_vault_secret" "elasticsearch_api_key" {
  name            = "elasticsearch-api-key"
  key_vault_id    = azurerm_key_vault.main.id
  value           = "unset: store the Elasticsearch API key with az keyvault secret set"
  content_type    = "text/plain"
  expiration_date = var.secret_expiration_date

  lifecycle {
    ignore_changes = [value, expiration_date]
  }

  depends_on = [azurerm_role_assignment.deployer_key_vault]
}
