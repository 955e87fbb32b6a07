# Elasticsearch: Elastic Cloud on Azure (the Azure Native ISV service,
# Microsoft.Elastic/monitors), created by the azurerm provider in the same
# apply, billed through the Azure subscription. Why this and not the ec
# provider: infra/README.md ("Elasticsearch"). The deployment's size and
# version are managed in the Elastic console the resource links to (the Azure
# resource does not expose them).

resource "azurerm_elastic_cloud_elasticsearch" "main" {
  name                        = "es-${local.name}"
  resource_group_name         = azurerm_resource_group.main.name
  location                    = azurerm_resource_group.main.location
  sku_name                    = var.elastic_sku_name
  elastic_cloud_email_address = var.elastic_cloud_email_address
  # Ships the resource group's Azure logs and metrics to Elastic as well,
  # when logs are configured; the app's own telemetry goes to Azure Monitor.
  monitoring_enabled = true

  tags = local.tags
}
