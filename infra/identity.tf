# The one user-assigned managed identity of the system. The function app runs
# as it (host storage, bindings, Cosmos DB, Key Vault references, Application
# Insights ingestion) and the Event Grid system topic delivers with it. Its
# role assignments live in roles.tf.
resource "azurerm_user_assigned_identity" "app" {
  name                = "id-${local.name}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  tags                = local.tags
}
