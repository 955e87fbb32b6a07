# Dashboards: Azure Managed Grafana over the Azure Monitor workspace that
# receives the handler's metrics (telemetry.tf), with the dashboards of
# infra/observability/dashboards — generated from Go by shared/dashboard
# (`make dashboards`), the same JSON the local panel test runs against a real
# Prometheus.
#
# Grafana's dashboards are not Azure resources, so Terraform imports them
# through the Azure CLI (az grafana dashboard import, the "amg" extension) in
# a terraform_data resource per file, re-run when the file or the workspace
# changes. The deploy identity needs Grafana Admin on the workspace for that
# (below); people get access through grafana_admin_object_ids /
# grafana_viewer_object_ids.

resource "azurerm_dashboard_grafana" "main" {
  name                              = substr("amg-${local.name}", 0, 23)
  resource_group_name               = azurerm_resource_group.main.name
  location                          = azurerm_resource_group.main.location
  grafana_major_version             = var.grafana_major_version
  sku                               = "Standard"
  api_key_enabled                   = false # Entra ID only
  deterministic_outbound_ip_enabled = false
  public_network_access_enabled     = true # operators sign in with Entra ID; no VNet yet (infra/README.md)
  tags                              = local.tags

  identity {
    type = "SystemAssigned"
  }

  azure_monitor_workspace_integrations {
    resource_id = azurerm_monitor_workspace.main.id
  }
}

# Grafana reads the workspace (PromQL) and Azure Monitor with its own identity.
resource "azurerm_role_assignment" "grafana_workspace_reader" {
  scope                = azurerm_monitor_workspace.main.id
  role_definition_name = "Monitoring Data Reader"
  principal_id         = azurerm_dashboard_grafana.main.identity[0].principal_id
}

resource "azurerm_role_assignment" "grafana_monitoring_reader" {
  scope                = azurerm_resource_group.main.id
  role_definition_name = "Monitoring Reader"
  principal_id         = azurerm_dashboard_grafana.main.identity[0].principal_id
}

# The deploy identity imports the dashboards.
resource "azurerm_role_assignment" "deployer_grafana" {
  scope                = azurerm_dashboard_grafana.main.id
  role_definition_name = "Grafana Admin"
  principal_id         = data.azurerm_client_config.current.object_id
}

resource "azurerm_role_assignment" "grafana_admins" {
  for_each             = toset(var.grafana_admin_object_ids)
  scope                = azurerm_dashboard_grafana.main.id
  role_definition_name = "Grafana Admin"
  principal_id         = each.value
}

resource "azurerm_role_assignment" "grafana_viewers" {
  for_each             = toset(var.grafana_viewer_object_ids)
  scope                = azurerm_dashboard_grafana.main.id
  role_definition_name = "Grafana Viewer"
  principal_id         = each.value
}

locals {
  dashboards_dir = "${path.module}/observability/dashboards"
}

resource "terraform_data" "dashboard" {
  for_each = fileset(local.dashboards_dir, "*.json")

  triggers_replace = [azurerm_dashboard_grafana.main.id, filesha256("${local.dashboards_dir}/${each.value}")]

  provisioner "local-exec" {
    interpreter = ["/bin/bash", "-c"]
    command     = "az extension add --upgrade --only-show-errors --name amg && az grafana dashboard import --resource-group \"$RG\" --name \"$GRAFANA\" --definition \"$FILE\" --overwrite true --only-show-errors >/dev/null"
    environment = {
      RG      = azurerm_resource_group.main.name
      GRAFANA = azurerm_dashboard_grafana.main.name
      FILE    = abspath("${local.dashboards_dir}/${each.value}")
    }
  }

  depends_on = [azurerm_role_assignment.deployer_grafana, azurerm_role_assignment.grafana_workspace_reader]
}
