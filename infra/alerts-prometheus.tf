# The Azure counterparts of the local Prometheus rules: Azure Monitor managed
# Prometheus rule groups over the Azure Monitor workspace (telemetry.tf),
# where the handler's metrics land. They are built from the rule files
# themselves, infra/observability/rules/*.yml (not *_test.yml), so the PromQL,
# the for durations, labels and annotations are the ones promtool tests
# locally: one rule group per group of the files, one rule per rule.
# infra/README.md says why (Choices, "Alerts on the handler's metrics");
# shared/infracheck evaluates this file and ties every local rule to exactly
# one Azure rule.
#
# Mapping:
#   for: 10m                      -> for = "PT10M" (ISO 8601)
#   labels.severity page | ticket -> severity 1 | 3 (Azure: 0 critical .. 4 verbose)
#   annotations.runbook_url       -> var.runbook_base_url + the relative path
#   every alert                   -> the ops action group, resolved automatically

locals {
  prometheus_rules_dir = "${path.module}/observability/rules"
  prometheus_rule_files = sort([
    for f in fileset(local.prometheus_rules_dir, "*.yml") : f if !endswith(f, "_test.yml")
  ])

  # group name => { file, interval, rules }
  prometheus_rule_groups = merge([
    for f in local.prometheus_rule_files : {
      for g in yamldecode(file("${local.prometheus_rules_dir}/${f}")).groups : g.name => {
        file     = f
        interval = try(upper("PT${g.interval}"), "PT1M")
        rules    = g.rules
      }
    }
  ]...)

  prometheus_alert_severity = {
    page   = 1
    ticket = 3
  }
}

resource "azurerm_monitor_alert_prometheus_rule_group" "main" {
  for_each            = local.prometheus_rule_groups
  name                = "prom-${local.name}-${each.key}"
  resource_group_name = azurerm_resource_group.main.name
  location            = azurerm_resource_group.main.location
  description         = "infra/observability/rules/${each.value.file}, group ${each.key}: the same rules as the local Prometheus."
  rule_group_enabled  = true
  interval            = each.value.interval
  scopes              = [azurerm_monitor_workspace.main.id]

  dynamic "rule" {
    for_each = each.value.rules
    content {
      record     = try(rule.value.record, null)
      alert      = try(rule.value.alert, null)
      enabled    = true
      expression = rule.value.expr
      for        = try(upper("PT${rule.value["for"]}"), null)
      severity   = try(local.prometheus_alert_severity[rule.value.labels.severity], null)
      labels     = try(rule.value.labels, null)
      annotations = try(merge(rule.value.annotations, {
        runbook_url = "${var.runbook_base_url}${rule.value.annotations.runbook_url}"
      }), null)

      dynamic "action" {
        for_each = try(rule.value.alert, null) == null ? [] : [azurerm_monitor_action_group.ops.id]
        content {
          action_group_id = action.value
        }
      }

      dynamic "alert_resolution" {
        for_each = try(rule.value.alert, null) == null ? [] : [true]
        content {
          auto_resolved   = true
          time_to_resolve = "PT10M"
        }
      }
    }
  }

  tags = local.tags
}
